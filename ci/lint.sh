#!/usr/bin/env bash
# Static checks that need no board: shellcheck on every script, rustfmt on the driver, the
# userspace crate and the Rust example, clippy on the last two and the library's docs (cargo doc),
# the driver's C boundary and the module graphs (no cycle), dtc's checks on our device-tree
# sources, dtschema on the binding and the boards, the GitHub workflows' linters. Prints one line
# per check and "lint: N passed, N failed".
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
run_check() { # run_check NAME COMMAND...
	local name=$1
	shift
	check "lint: $name" "$@"
}
cd "$ROOT"
mapfile -t scripts < <(git ls-files --cached --others --exclude-standard '*.sh' ci/board/init .ci/run)
run_check "shellcheck (${#scripts[@]} scripts)" shellcheck "${scripts[@]}"
run_check "rustfmt userspace/" cargo fmt --manifest-path userspace/Cargo.toml --check
run_check "rustfmt examples/rust/" cargo fmt --manifest-path examples/rust/Cargo.toml --check
run_check "rustfmt src/ (kernel edition 2021)" rustfmt --edition 2021 --check src/carveout_main.rs
# Every script a user runs answers --help with its usage and does nothing else. (Not the
# board's /init, which needs busybox; not ci/lib.sh, which is sourced.)
answers_help() {
	local f out
	for f in "$@"; do
		case $f in ci/board/init | ci/lib.sh) continue ;; esac
		if [[ $f == *.py ]]; then out=$(python3 "$f" --help); else out=$("$f" --help); fi || {
			echo "$f --help: exit status $?"
			return 1
		}
		[ "$(wc -l <<<"$out")" -ge 2 ] || {
			echo "$f --help: no usage (got '$out')"
			return 1
		}
	done
}
mapfile -t helped < <(git ls-files --cached --others --exclude-standard '*.sh' '*.py' .ci/run)
run_check "every script answers --help (${#helped[@]} scripts)" answers_help "${helped[@]}"
py_parse() { for f in "$@"; do python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$f" || return 1; done; }
run_check "python3 parses ci/*.py" py_parse ci/*.py
mapfile -t pages < <(git ls-files --cached --others --exclude-standard '*.md')
run_check "links and #anchors of ${#pages[@]} Markdown pages (ci/check-links.py)" ci/check-links.py "${pages[@]}"
run_check "clippy userspace/ (host build, warnings are errors)" \
	cargo clippy --quiet --manifest-path userspace/Cargo.toml --target-dir "$CARGO_OUT/host" -- -D warnings
run_check "clippy examples/rust/ (host build, warnings are errors)" \
	cargo clippy --quiet --locked --manifest-path examples/rust/Cargo.toml --target-dir "$CARGO_OUT/host" \
	-- -D warnings
run_check "cargo doc of the userspace library (warnings are errors)" \
	env RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps --lib --manifest-path userspace/Cargo.toml \
	--target-dir "$CARGO_OUT/host"
# Our nodes must pass dtc's checks: checked alone, on the root of ci/lib.sh's LINT_DT_ROOT.
dtc_clean() {
	local f out
	for f in dts/*.dts dts/lpae/*.dts; do
		out=$({
			echo "/dts-v1/;"
			echo "$LINT_DT_ROOT"
			sed '/^\/include\//d' "$f"
		} | dtc -I dts -O dtb -o /dev/null - 2>&1)
		[ -z "$out" ] || {
			echo "$f: $out"
			return 1
		}
	done
}
run_check "dtc checks on dts/ and dts/lpae/" dtc_clean
# A sync promises that no store is lost (src/cache_plan.rs): no invalidate-only primitive, which
# drops dirty lines, may appear in the driver's cache maintenance. QEMU models no caches, so this
# is where a regression shows.
no_discarding_invalidate() {
	local found
	# Code lines only: the comments name these primitives to say why they are not used.
	found=$(grep -nE '\b(arch_invalidate_pmem|dcache_inval_poc|outer_inv_range|dmac_inv_range|dmac_unmap_area|dc[[:space:]]+ivac|v7_dma_inv_range)\b' \
		-r --include='*.[ch]' --include='*.rs' src |
		grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)' || true)
	[ -z "$found" ] || {
		echo "invalidate-only cache maintenance in the driver: $found"
		return 1
	}
}
run_check "no invalidate-only cache maintenance in src/" no_discarding_invalidate
# The driver's C boundary is a few files (src/carveout_main.rs lists them): src/ffi.rs, the
# abstractions of src/phys/ and src/misc/, and each src/X.rs that has its C glue in src/X.c. No
# other file names `bindings` or declares `extern "C"`: the driver's policy is safe Rust.
c_boundary_only() {
	local file hits found=""
	while IFS= read -r file; do
		case $file in
		src/ffi.rs | src/phys/*.rs | src/misc/*.rs) continue ;;
		esac
		[ ! -e "${file%.rs}.c" ] || continue
		hits=$(grep -nE '\bbindings\b|extern[[:space:]]+"C"' "$file" |
			grep -vE '^[0-9]+:[[:space:]]*//' | sed "s|^|  $file:|") || true
		[ -z "$hits" ] || found+=$hits$'\n'

	done < <(find src -name '*.rs' ! -name '*_generated.rs' | sort)
	[ -z "$found" ] || {
		printf 'C bindings outside the C-boundary files (src/carveout_main.rs lists them):\n%s' "$found"
		return 1
	}
}
run_check "bindings and extern \"C\" only in the C-boundary files of src/" c_boundary_only
# No module of the driver, of the library or of the program uses one that uses it back.
run_check "no module cycle in src/ and userspace/ (ci/mod-deps.py)" \
	ci/mod-deps.py src/carveout_main.rs userspace/src/lib.rs userspace/src/bin/carveout/main.rs
run_check "dtschema: the binding, and every board against it (ci/lint-dt.sh)" ci/lint-dt.sh
run_check "GitHub workflows: actionlint and zizmor" ci/lint-workflows.sh
summary lint
