#!/bin/bash
# Build a minimal OCI bundle from Debian's busybox-static:
#
#   tests/mkrootfs.sh BUNDLE_DIR [NOOK_BINARY]
#
# BUNDLE_DIR/rootfs gets /bin/busybox, a symlink per applet (at the path
# `busybox --list-full` gives it), /etc/passwd, /etc/group, /etc/hostname and
# the usual empty directories.  When a runtime binary is known (second
# argument, else $NOOK_BINARY), BUNDLE_DIR/config.json is generated with
# `RUNTIME spec --bundle BUNDLE_DIR` and adjusted for a demo: no terminal
# (output goes to a pipe or a log, not a tty) and a process that shows what a
# sandbox looks like from inside.  Without a runtime no config.json is
# written: the caller brings its own.
#
# Rerunning it replaces BUNDLE_DIR/rootfs and BUNDLE_DIR/config.json (and
# nothing else in BUNDLE_DIR).
set -euo pipefail

die() { echo "mkrootfs.sh: $*" >&2; exit 1; }

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	die "usage: mkrootfs.sh BUNDLE_DIR [NOOK_BINARY]"
fi
bundle=$1
runtime=${2:-${NOOK_BINARY:-}}
busybox=${BUSYBOX:-/bin/busybox}

[ -x "$busybox" ] || die "$busybox not found: install the Debian package busybox-static"
# The rootfs holds nothing but busybox: it must be the static one.
if LC_ALL=C ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked: install the Debian package busybox-static"
fi
"$busybox" --list-full >/dev/null 2>&1 || die "$busybox --list-full does not work"
if [ -n "$runtime" ] && [ ! -x "$runtime" ]; then
	die "runtime binary $runtime is not executable (build nook first)"
fi
if [ -n "$runtime" ] && ! command -v jq >/dev/null; then
	die "jq not found: install the Debian package jq"
fi

mkdir -p "$bundle"
bundle=$(cd "$bundle" && pwd)
rootfs=$bundle/rootfs
rm -rf "$rootfs" "$bundle/config.json"

mkdir -p "$rootfs"
(
	cd "$rootfs"
	mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root home/agent \
		var/tmp run
	chmod 1777 tmp var/tmp
	chmod 0700 root
	cp "$busybox" bin/busybox
	chmod 0755 bin/busybox
	"$busybox" --list-full | while read -r applet; do
		case $applet in
		bin/busybox | "") continue ;;
		esac
		[ -e "$applet" ] || [ -L "$applet" ] || ln -s /bin/busybox "$applet"
	done
	# busybox's list has `sh` in bin/ already; the spec's PATH covers the rest.

	cat >etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
agent:x:1000:1000:agent:/home/agent:/bin/sh
EOF
	cat >etc/group <<'EOF'
root:x:0:
nobody:x:65534:
agent:x:1000:
EOF
	echo nook >etc/hostname
	chown 1000:1000 home/agent
)

[ -n "$runtime" ] || exit 0

"$runtime" spec --bundle "$bundle"
[ -s "$bundle/config.json" ] || die "$runtime spec did not write $bundle/config.json"

# The demo process: each line shows one of the things the sandbox isolates.
demo='echo "hello from a nook sandbox"
echo "  id:        $(id)"
echo "  hostname:  $(hostname)"
echo "  pid:       $$ (its own pid namespace: the host sees another number)"
echo "  pids seen: $(cd /proc && echo [0-9]*)"
echo "  $(grep CapEff /proc/self/status)"
if touch /probe 2>/dev/null; then echo "  rootfs:    writable"; else echo "  rootfs:    read-only"; fi
echo "  network:   $(ls /sys/class/net | tr "\n" " ")"'

tmp=$bundle/config.json.tmp
jq --arg demo "$demo" '
	.process.terminal = false
	| .process.args = ["sh", "-c", $demo]
' "$bundle/config.json" >"$tmp"
mv "$tmp" "$bundle/config.json"
