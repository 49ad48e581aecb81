#!/usr/bin/env bash
# Checks the device-tree binding and the boards against it with dtschema (PyPI's `dtschema`, at
# $DTSCHEMA_VERSION of ci/versions.env, installed under $OUT/toolchain):
#   - dt-doc-validate on dts/bindings/ (the binding is a valid schema, its example validates);
#   - dt-validate of our nodes of every board of dts/, dts/lpae/ and dts/bad/: the good boards must be
#     clean, and a malformed board must fail with the error it announces in a ' * schema: '
#     line, or be clean where the schema cannot see its fault (an unaligned base, say).
# Our nodes are checked alone, on ci/lib.sh's LINT_DT_ROOT (QEMU virt's cell sizes and a stand-in
# for its GIC): QEMU's own nodes have no binding here. Prints one line per file and fails if any check does.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

dir=$(pip_tool dtschema "$DTSCHEMA_VERSION" dt-validate)
export PYTHONPATH=$dir${PYTHONPATH:+:$PYTHONPATH}
work=$OUT/lint-dt
mkdir -p "$work"
status=0

mapfile -t bindings < <(find dts/bindings -name '*.yaml' | sort)
if "$dir/bin/dt-doc-validate" -u "$dir/dtschema/schemas" "${bindings[@]}"; then
	echo "dtschema: ${bindings[*]}: valid binding"
else
	echo "dtschema: ${bindings[*]}: dt-doc-validate failed"
	status=1
fi
"$dir/bin/dt-mk-schema" -j dts/bindings >"$work/processed-schema.json" || die "dt-mk-schema failed"

# Our nodes alone: the board's file without QEMU's tree, and a bad board on top of that.
own_nodes() { sed '/^\/include\//d' dts/qemu-virt-carveout.dts; }
for f in dts/*.dts dts/bad/*.dts dts/lpae/*.dts; do
	name=$(basename "${f%.dts}")
	want=$(sed -n 's/^ \* schema: //p' "$f")
	{
		echo '/dts-v1/;'
		echo "$LINT_DT_ROOT"
		if grep -q '^/include/ "\.\./qemu-virt-carveout\.dts"' "$f"; then own_nodes; fi
		sed '/^\/include\//d' "$f"
	} >"$work/$name.dts"
	dtc -q -I dts -O dtb -o "$work/$name.dtb" "$work/$name.dts" || die "dtc failed on $f"
	out=$("$dir/bin/dt-validate" -s "$work/processed-schema.json" "$work/$name.dtb" 2>&1 || true)
	if [ -z "$want" ]; then
		if [ -z "$out" ]; then
			echo "dtschema: $f: clean"
		else
			echo "dtschema: $f: errors where none are expected:"
			echo "$out"
			status=1
		fi
	elif grep -qF -- "$want" <<<"$out"; then
		echo "dtschema: $f: fails as announced ($want)"
	else
		echo "dtschema: $f: does not fail with '$want':${out:- no error}"
		status=1
	fi
done
exit "$status"
