#!/bin/sh
# scripts/build-deb.sh: builds the Debian package out of tree (`make deb`).
#
# Copies the source tree (without build*/ and .git) to build/deb/nslab-VERSION/, runs
# `dpkg-buildpackage -us -uc -b` there and leaves the .deb (and .buildinfo, .changes) in
# build/deb/. Prints the path of the .deb on its last line. DEB_BUILD_OPTIONS passes through
# (nocheck skips the unit tests, parallel=N builds in parallel).
set -eu
cd "$(dirname "$0")/.."
for c in dpkg-buildpackage dh; do
	if ! command -v "$c" >/dev/null; then
		echo "build-deb: $c is missing (apt-get install dpkg-dev debhelper; scripts/install-deps.sh installs them)" >&2
		exit 1
	fi
done
version=$(sed -n '1s/^nslab (\([^)]*\)).*/\1/p' debian/changelog)
[ -n "$version" ] || { echo "build-deb: no version in debian/changelog" >&2; exit 1; }
out=build/deb
src=$out/nslab-$version
rm -rf "$out"
mkdir -p "$src"
tar --exclude='./build*' --exclude=./.git -cf - . | tar -xf - -C "$src"
(cd "$src" && dpkg-buildpackage -us -uc -b)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=$out/nslab_${version}_$arch.deb
[ -f "$deb" ] || { echo "build-deb: $deb was not built" >&2; exit 1; }
echo "$deb"
