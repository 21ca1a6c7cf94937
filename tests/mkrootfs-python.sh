#!/bin/bash
# Build a root filesystem with a Python interpreter from the host's files:
#
#   tests/mkrootfs-python.sh BUNDLE_DIR
#
# BUNDLE_DIR/rootfs gets the busybox rootfs of tests/mkrootfs.sh (a shell and
# the usual tools), Debian's /usr/bin/python3.11 (not whatever `python3` is on
# PATH: the image must hold the interpreter its standard library belongs to),
# /usr/lib/python3.11 without its tests, build configuration, IDLE/tkinter and
# bytecode caches, and every shared library that ldd names for the interpreter
# and its extension modules.  About 40 MB.  Pack it with
#
#   tests/mkimage.sh OUT.tar python:latest BUNDLE_DIR/rootfs python3 ...
#
# Rerunning it replaces BUNDLE_DIR/rootfs (and nothing else in BUNDLE_DIR).
# Needs the Debian package python3.11 (python3-minimal is enough).
set -euo pipefail

die() { echo "mkrootfs-python.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: mkrootfs-python.sh BUNDLE_DIR"
bundle=$1
version=${PYTHON_VERSION:-3.11}
python=/usr/bin/python$version
stdlib=/usr/lib/python$version
here=$(cd "$(dirname "$0")" && pwd)

[ -x "$python" ] || die "$python not found: install the Debian package python$version"
[ -d "$stdlib" ] || die "$stdlib not found: install the Debian package python$version"

# The busybox part; no runtime: no config.json.
NOOK_BINARY='' "$here/mkrootfs.sh" "$bundle"
rootfs=$(cd "$bundle" && pwd)/rootfs

# Copies a host file to the same path in the rootfs, following symlinks.
copy() {
	mkdir -p "$rootfs$(dirname "$1")"
	cp -L "$1" "$rootfs$1"
}

copy "$python"
ln -sf "python$version" "$rootfs/usr/bin/python3"
ln -sf python3 "$rootfs/usr/bin/python"

mkdir -p "$rootfs/usr/lib"
tar -C /usr/lib -cf - \
	--exclude="python$version/test" \
	--exclude="python$version/idlelib" \
	--exclude="python$version/tkinter" \
	--exclude="python$version/turtledemo" \
	--exclude="python$version/lib2to3/tests" \
	--exclude="python$version/config-*" \
	--exclude="python$version/site-packages" \
	--exclude="python$version/dist-packages" \
	--exclude="*_test*.so" \
	--exclude=__pycache__ \
	"python$version" | tar -C "$rootfs/usr/lib" -xf -

# The interpreter's and its extension modules' libraries, plus the loader.
# A library the host lacks only disables the module that needs it.
{
	ldd "$python"
	for module in "$rootfs$stdlib"/lib-dynload/*.so; do
		ldd "$module" || true
	done
} 2>/dev/null |
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
	sort -u | while read -r lib; do
		copy "$lib"
	done
