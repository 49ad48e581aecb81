#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Prints the order in which a Rust crate's modules build on each other, and fails on a cycle.

    ci/mod-deps.py ROOT.rs [ROOT.rs ...]

Each ROOT is a crate root (src/carveout_main.rs, userspace/src/lib.rs, ...). The module tree is
read from the `mod NAME;` declarations, one file per module (`a.rs` and `a/b.rs`, or
`a/mod.rs`). A module depends on another when its code (comments left out) names it: a `use`
or a path through `crate::`, `super::`, `self::` or a child's name. A name a module re-exports
(`pub(crate) use child::Name;`) counts as a use of the module that defines it, not of the one
that re-exports it; a parent's `mod child;` alone is no use. A path into another crate root
given on the command line (by its crate name: the `[lib]` name, taken from the root's
directory's Cargo.toml, or the root's file name) is a use of that crate.

Prints, for each crate, its modules with the ones each uses, by level (0: uses no other module
of the crate; n: uses one of level n - 1 at most) so that every module comes after those it uses,
then `cycles: none` or every cycle; exits 1 if any crate has a cycle, 2 on bad input.
"""

import re
import sys
from pathlib import Path

EXTERNAL = {"kernel", "core", "alloc", "std", "pin_init", "macros", "bindings"}


def strip_comments(text):
    """The code of a Rust file: comments and string literals blanked out."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c == '"' and not re.match(r"[A-Za-z0-9_]", text[i - 1] if i else " "):
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""')
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]):
            # A char literal (not a lifetime).
            j = text.find("'", i + 1 + (text[i + 1] == "\\"))
            out.append("' '")
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def inline_modules(code):
    """`code` with each inline `mod NAME { ... }` (a test module) read as part of its file's
    module: its `super::` is the file's `self::`."""
    out, pos = [], 0
    for m in re.finditer(r"\bmod\s+\w+\s*\{", code):
        if m.start() < pos:
            continue
        depth, j = 1, m.end()
        while j < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[j], 0)
            j += 1
        out.append(code[pos:m.end()])
        out.append(code[m.end():j].replace("super::", "self::"))
        pos = j
    out.append(code[pos:])
    return "".join(out)


def expand_use(tree):
    """The paths of a `use` tree: `a::{b, c::{d, e}}` gives a::b, a::c::d, a::c::e."""
    tree = re.sub(r"\s+", "", tree)
    tree = re.sub(r"\bas\w+", "", tree)
    m = re.match(r"^(.*?)::\{(.*)\}$", tree) if tree.endswith("}") else None
    if not m:
        if tree.startswith("{") and tree.endswith("}"):
            return [p for part in split_top(tree[1:-1]) for p in expand_use(part)]
        return [tree] if tree else []
    prefix, inner = m.group(1), m.group(2)
    paths = []
    for part in split_top(inner):
        for p in expand_use(part):
            paths.append(prefix if p == "self" else f"{prefix}::{p}")
    return paths


def split_top(text):
    """`text` split at its top-level commas."""
    parts, depth, cur = [], 0, ""
    for c in text:
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        if c == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += c
    if cur.strip():
        parts.append(cur)
    return parts


class Crate:
    def __init__(self, root):
        self.root = Path(root)
        self.name = crate_name(self.root)
        self.files = {}  # module path ("" for the root) -> file
        self.load("", self.root)
        self.code = {m: inline_modules(strip_comments(f.read_text())) for m, f in self.files.items()}
        self.exports = {m: self.reexports(m) for m in self.files}

    def load(self, module, path):
        if not path.is_file():
            sys.exit(f"mod-deps: {path}: no such file (module {module or 'crate root'})")
        self.files[module] = path
        code = strip_comments(path.read_text())
        if module == "":
            child_dir = path.parent
        elif path.name == "mod.rs":
            child_dir = path.parent
        else:
            child_dir = path.with_suffix("")
        for name in re.findall(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", code, re.M):
            child = f"{module}::{name}" if module else name
            rs, mod_rs = child_dir / f"{name}.rs", child_dir / name / "mod.rs"
            self.load(child, rs if rs.is_file() or not mod_rs.is_file() else mod_rs)

    def uses(self, module):
        """The `use` paths and inline paths of `module`'s code, as written."""
        code = self.code[module]
        paths = []
        for tree in re.findall(r"\buse\s+([^;]*);", code, re.S):
            paths.extend(expand_use(tree))
        code = re.sub(r"\buse\s+[^;]*;", "", code, flags=re.S)
        paths += re.findall(r"\b(?:crate|super|self|\w+)(?:::\w+)+", code)
        return paths

    def reexports(self, module):
        """Names `module` re-exports from its children: name -> path as written."""
        code = self.code[module]
        out = {}
        for tree in re.findall(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]*);", code, re.S):
            for p in expand_use(tree):
                out[p.rsplit("::", 1)[-1]] = p
        return out

    def resolve(self, module, path, others, depth=0):
        """The module (or other crate, as `@name`) a path written in `module` lands in."""
        parts = path.split("::")
        head = parts[0]
        if head == "crate":
            base, rest = "", parts[1:]
        elif head == "self":
            base, rest = module, parts[1:]
        elif head == "super":
            base = module.rsplit("::", 1)[0] if "::" in module else ""
            rest = parts[1:]
            while rest and rest[0] == "super":
                base = base.rsplit("::", 1)[0] if "::" in base else ""
                rest = rest[1:]
        elif head in others:
            return f"@{head}"
        else:
            child = f"{module}::{head}" if module else head
            if child in self.files:
                base, rest = child, parts[1:]
            else:
                return None  # another crate, a local item, a type's associated item
        while rest:
            child = f"{base}::{rest[0]}" if base else rest[0]
            if child in self.files:
                base, rest = child, rest[1:]
                continue
            target = self.exports.get(base, {}).get(rest[0])
            if target and depth < 8:
                found = self.resolve(base, target, others, depth + 1)
                if found is not None:
                    return found
            break
        return base

    def graph(self, others):
        deps = {}
        for module in self.files:
            found = set()
            for path in self.uses(module):
                target = self.resolve(module, path, others)
                if target is not None and target != module:
                    found.add(target)
            deps[module] = found
        return deps


def crate_name(root):
    cargo = root.parent.parent / "Cargo.toml" if root.parent.name == "src" else None
    for candidate in (cargo, root.parent / "Cargo.toml"):
        if candidate and candidate.is_file():
            lib = re.search(r"\[lib\][^\[]*?name\s*=\s*\"([^\"]+)\"", candidate.read_text(), re.S)
            if lib and root.name == "lib.rs":
                return lib.group(1)
    return root.stem


def cycles(deps):
    """The strongly connected components of more than one module, or with a self-loop."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(deps.get(v, ())):
            if w not in deps:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(deps):
        if v not in index:
            visit(v)
    return out


def levels(deps):
    """Each module's level: 0 if it uses no module of the crate, else one above the highest it
    uses (a module in a cycle counts the others of its cycle as level 0 there)."""
    memo = {}

    def level(v, seen):
        if v in memo:
            return memo[v]
        if v in seen:
            return 0
        seen.add(v)
        below = [level(w, seen) for w in deps[v] if w in deps]
        seen.discard(v)
        memo[v] = 1 + max(below) if below else 0
        return memo[v]

    for v in deps:
        level(v, set())
    return memo


def order(level):
    """Modules by `level` (from `levels`), then by name: each after every module it uses (if no
    cycle)."""
    return sorted(level, key=lambda v: (level[v], v))


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) > 1 else 2
    crates = [Crate(root) for root in argv[1:]]
    names = {c.name for c in crates}
    failed = False
    for crate in crates:
        deps = crate.graph(names - {crate.name})
        print(f"crate {crate.name} ({crate.root}): level, module, the modules it uses")
        level = levels(deps)
        for module in order(level):
            label = module or "(crate root)"
            used = sorted(d if d.startswith("@") else (d or "(crate root)") for d in deps[module])
            print(f"  {level[module]:>2}  {label:<24} {', '.join(used) if used else '-'}")
        found = cycles(deps)
        if found:
            failed = True
            for comp in found:
                print(f"  cycle: {' <-> '.join(m or '(crate root)' for m in comp)}")
        else:
            print("  cycles: none")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
