#!/usr/bin/env bash
# Host unit tests: the driver's pure rules (src/region.rs, src/cache_plan.rs and
# src/block_plan.rs, each compiled alone with rustc --test) and
# the userspace program's. Prints each runner's output, then "host: N passed, N failed".
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
dir=$OUT/host-test
mkdir -p "$dir"
log_file=$dir/output.txt
status=0

: >"$log_file"
for rules in region cache_plan block_plan; do
	rustc --edition 2021 --test -D warnings -A dead_code "$ROOT/src/$rules.rs" -o "$dir/$rules" 2>&1 | tee -a "$log_file"
	"$dir/$rules" 2>&1 | tee -a "$log_file" || status=1
done
cargo test --quiet --locked --manifest-path "$ROOT/userspace/Cargo.toml" --target-dir "$CARGO_OUT/host" 2>&1 |
	tee -a "$log_file" || status=1

read -r passed failed < <(awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' "$log_file")
[ "$status" -eq 0 ] || [ "${failed:-0}" -gt 0 ] || failed=1
echo "host: ${passed:-0} passed, ${failed:-0} failed"
[ "$status" -eq 0 ] && [ "${failed:-0}" -eq 0 ] && [ "${passed:-0}" -gt 0 ]
