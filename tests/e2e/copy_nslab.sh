# shellcheck shell=bash
# tests/e2e/copy_nslab.sh: sourced by lib.sh and rootless.sh.
#
# copy_nslab SRC DIR: copies the program SRC to DIR/nslab (mode 0755) with its engine, which
# it loads for every command but exec (src/cli/front.c): beside SRC (a build tree) or in
# ../lib/nslab/ from it (an installed tree), copied to DIR/nslab-engine.so (0644), where the
# copy finds it. An installed program whose engine is in neither place finds it where it was
# installed: nothing to copy then.
copy_nslab() {
	local src dir e
	src=$(readlink -f "$1") && dir=$2 || return 1
	install -m 0755 "$src" "$dir/nslab" || return 1
	for e in "${src%/*}/nslab-engine.so" "${src%/*}/../lib/nslab/nslab-engine.so"; do
		if [ -f "$e" ]; then
			install -m 0644 "$e" "$dir/nslab-engine.so" || return 1
			return 0
		fi
	done
}
