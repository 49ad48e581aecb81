#!/usr/bin/env bash
# Clones Buildroot $BUILDROOT_VERSION (ci/versions.env) into DIR and checks that the tag names
# the commit pinned there, so a moved tag cannot change the build: ci/get-buildroot.sh DIR
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

dir=${1:?usage: ci/get-buildroot.sh DIR}
[ -e "$dir" ] && die "$dir exists"
git clone -q --depth 1 --branch "$BUILDROOT_VERSION" https://gitlab.com/buildroot.org/buildroot.git "$dir"
commit=$(git -C "$dir" rev-parse HEAD)
[ "$commit" = "$BUILDROOT_COMMIT" ] ||
	die "Buildroot $BUILDROOT_VERSION is commit $commit, not the pinned $BUILDROOT_COMMIT"
log "Buildroot $BUILDROOT_VERSION ($commit) in $dir"
