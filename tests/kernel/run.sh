#!/bin/sh
# Build and run the kernel tests of the nftables door (root; everything happens in private
# network namespaces, the host's nftables are never touched) and of the look through /proc that
# down kills by (in a namespace of the test's own). Exit 77 means skipped.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2 -g}
PKG_CFLAGS=$(pkg-config --cflags libnftnl libmnl)
PKG_LIBS=$(pkg-config --libs libnftnl libmnl)
WARN="-Wall -Wextra -Werror -Wshadow -Wformat=2"
mkdir -p "$BUILD/tests"
# util.c is not ours: its truncation warning under -Wformat=2 must not block this test.
# shellcheck disable=SC2086
$CC -std=gnu11 -D_GNU_SOURCE $CFLAGS $WARN -Wno-error=format-truncation -Isrc \
	-c -o "$BUILD/tests/test_nft-util.o" src/base/util.c
# shellcheck disable=SC2086
$CC -std=gnu11 -D_GNU_SOURCE $CFLAGS $WARN -Isrc -c -o "$BUILD/tests/test_nft-ns.o" src/kernel/ns.c
# (ns.c hands sockets over with proc.c's fd passing)
# shellcheck disable=SC2086
$CC -std=gnu11 -D_GNU_SOURCE $CFLAGS $WARN -Isrc -c -o "$BUILD/tests/test_nft-proc.o" src/kernel/proc.c
# shellcheck disable=SC2086
$CC -std=gnu11 -D_GNU_SOURCE $CFLAGS $WARN -Isrc $PKG_CFLAGS \
	-o "$BUILD/tests/test_nft" tests/kernel/test_nft.c "$BUILD/tests/test_nft-util.o" "$BUILD/tests/test_nft-ns.o" \
	"$BUILD/tests/test_nft-proc.o" $PKG_LIBS -lcmocka
# shellcheck disable=SC2086
$CC -std=gnu11 -D_GNU_SOURCE $CFLAGS $WARN -Isrc \
	-o "$BUILD/tests/test_proc" tests/kernel/test_proc.c "$BUILD/tests/test_nft-util.o" "$BUILD/tests/test_nft-ns.o" \
	"$BUILD/tests/test_nft-proc.o" -lcmocka
"$BUILD/tests/test_proc"
exec "$BUILD/tests/test_nft"
