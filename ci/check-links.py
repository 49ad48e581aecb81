#!/usr/bin/env python3
"""Checks the links of the project's Markdown files: every relative link names a file of the
repository, and every #anchor a heading of the page it points into (GitHub's slugs).

    ci/check-links.py FILE.md...

Prints each broken link as FILE: LINK; exits 1 if there is any.
"""
import re
import sys
from pathlib import Path


def slug(heading):
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"\[([^]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    body = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return {slug(m) for m in re.findall(r"^#+ (.*)$", body, flags=re.M)}


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(sys.argv) == 2 else 2
    broken = 0
    for name in sys.argv[1:]:
        page = Path(name)
        body = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
        for link in re.findall(r"\]\(([^)\s]+)\)", body):
            if re.match(r"[a-z]+://", link):
                continue
            target, _, anchor = link.partition("#")
            dest = (page.parent / target) if target else page
            if not dest.exists():
                print(f"{page}: {link}: no such file")
                broken += 1
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                print(f"{page}: {link}: no heading for #{anchor}")
                broken += 1
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
