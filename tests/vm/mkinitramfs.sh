#!/bin/bash
# Packs the initramfs of the cgroup v2 VM tier (tests/vm/run calls it):
#
#   tests/vm/mkinitramfs.sh OUT.cpio TREE_DIR KERNEL_VERSION INIT TEST.bats...
#
# INIT is `plain` (tests/vm/init mounts the API filesystems and cgroup2
# itself and runs the tests) or `systemd` (Debian's systemd is PID 1, with
# the D-Bus system bus; the unit nook-vm-tests.service runs the tests).
# TREE_DIR (replaced) gets the VM's whole filesystem, OUT.cpio the same as a
# newc archive.  Its layout:
#
#   /init                       tests/vm/init
#   /usr/{bin,sbin,lib,lib64}   bash, coreutils, grep, sed, find, awk, jq, a
#                               few util-linux tools, bats (+ bats-support,
#                               bats-assert) and every shared library they
#                               and nook need (ldd); /bin, /sbin, /lib and
#                               /lib64 are symlinks, as on Debian
#   /bb                         busybox and its applets: what the init needs
#                               (mount, switch_root, poweroff), last in PATH
#   /nook/build                 nook and tests/integration/keyring-id
#   /nook/src/tests             mkrootfs.sh, the integration helpers and the
#                               test files, at their paths in the source tree
#   /nook/pristine              the busybox bundle (tests/mkrootfs.sh)
#   /nook/tests                 the test files to run, one per line
#   /nook/init                  INIT
#   /lib/modules/KERNEL_VERSION the modules NOOK_VM_MODULES names (default
#                               loop: the io.max tests need a block device)
#                               and those they depend on; /nook/modules
#                               lists them in the order to load them
#
# and with INIT=systemd, the files of Debian's systemd and dbus packages
# (as installed on this machine).  Uses NOOK_BINARY, NOOK_SRCDIR and
# NOOK_BUILDDIR like tests/vm/run.
set -euo pipefail

die() {
	echo "mkinitramfs.sh: $*" >&2
	exit 1
}

[ $# -ge 5 ] || die "usage: mkinitramfs.sh OUT.cpio TREE_DIR KERNEL_VERSION plain|systemd TEST.bats..."
out=$1
tree=$2
kver=$3
init=$4
shift 4
: "${NOOK_BINARY:?}" "${NOOK_SRCDIR:?}" "${NOOK_BUILDDIR:?}"
case $init in
plain | systemd) ;;
*) die "INIT is plain or systemd, not $init" ;;
esac

# Whole packages: bats' scripts and the helpers call coreutils freely.
PACKAGES="coreutils"
# Single tools from other packages (GNU find and grep: the helpers use
# -printf, -lname, grep -a).
TOOLS="bash grep sed find xargs awk jq flock setpriv unshare nsenter mount umount ps env
	newuidmap newgidmap"
# systemd as PID 1 and the system bus its D-Bus API is reached on.
SYSTEMD_PACKAGES="systemd libsystemd-shared dbus dbus-daemon dbus-bin dbus-system-bus-common"

rm -rf --one-file-system "$tree"
mkdir -p "$tree"/usr/{bin,sbin,lib,lib64} "$tree"/{proc,sys,dev,run,tmp,root,etc,bb,nook}
ln -s usr/bin "$tree/bin"
ln -s usr/sbin "$tree/sbin"
ln -s usr/lib "$tree/lib"
ln -s usr/lib64 "$tree/lib64"
chmod 1777 "$tree/tmp"
chmod 0700 "$tree/root"

declare -A copied=()

# copy_file PATH: the file (symlinks resolved) at the same path in the tree.
copy_file() {
	local src=$1 dst
	[ -z "${copied[$src]:-}" ] || return 0
	copied[$src]=1
	dst=$tree/${src#/}
	mkdir -p "$(dirname "$dst")"
	cp -L --preserve=mode "$src" "$dst"
}

# copy_elf PATH: the file and every shared library it loads.
copy_elf() {
	local lib
	copy_file "$1"
	# "libx.so => /path (addr)", "/lib64/ld-linux-x86-64.so.2 (addr)"
	for lib in $(LC_ALL=C ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
		copy_file "$lib"
	done
}

is_elf() {
	[ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]
}

# copy_package PACKAGE: its files but documentation; symlinks as symlinks,
# ELF files with their libraries.
copy_package() {
	local f
	dpkg -L "$1" >/dev/null 2>&1 || die "the Debian package $1 is not installed"
	while read -r f; do
		case $f in
		/usr/share/doc/* | /usr/share/man/* | /usr/share/locale/* | /usr/share/lintian/*) continue ;;
		esac
		# Directories come with their files (and /lib is a symlink here too).
		if [ -d "$f" ]; then
			continue
		elif [ -L "$f" ]; then
			mkdir -p "$tree$(dirname "$f")"
			cp -a "$f" "$tree$f"
		elif [ -f "$f" ]; then
			if is_elf "$f"; then
				copy_elf "$f"
			else
				mkdir -p "$tree$(dirname "$f")"
				cp -a "$f" "$tree$f"
			fi
		fi
	done < <(dpkg -L "$1")
}

for p in $PACKAGES; do
	while read -r f; do
		case $f in
		/bin/* | /sbin/* | /usr/bin/* | /usr/sbin/*)
			[ -f "$f" ] && [ -x "$f" ] && copy_elf "$f"
			;;
		esac
	done < <(dpkg -L "$p")
done
for t in $TOOLS; do
	path=$(command -v "$t") || die "$t not found"
	copy_elf "$path"
done
copy_elf "$NOOK_BINARY"

# bats: its scripts find their libraries next to themselves.
for d in /usr/lib/bats-core /usr/libexec/bats-core /usr/lib/bats/bats-support /usr/lib/bats/bats-assert; do
	mkdir -p "$tree$(dirname "$d")"
	cp -a "$d" "$tree$d"
done
cp -a /usr/bin/bats "$tree/usr/bin/bats"

# busybox: the init's tools; applets real tools do not cover.
cp /bin/busybox "$tree/bb/busybox"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -s busybox "$tree/bb/$a"
done

cat >"$tree/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
messagebus:x:100:101::/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
nook-rootless:x:1500:1500::/nonexistent:/usr/sbin/nologin
EOF
cat >"$tree/etc/group" <<'EOF'
root:x:0:
tty:x:5:
messagebus:x:101:
systemd-journal:x:102:
nogroup:x:65534:
nook-rootless:x:1500:
EOF
# rootless.bats' user and its subordinate ids (newuidmap reads these).
echo nook-rootless:100000:65536 >"$tree/etc/subuid"
echo nook-rootless:100000:65536 >"$tree/etc/subgid"
echo nook-vm >"$tree/etc/hostname"
: >"$tree/etc/fstab"

# nook, its test helpers and tests, the bundle.
mkdir -p "$tree/nook/build/tests/integration" "$tree/nook/src/tests/integration"
cp "$NOOK_BINARY" "$tree/nook/build/nook"
cp "$NOOK_BUILDDIR/tests/integration/keyring-id" "$tree/nook/build/tests/integration/"
cp "$NOOK_SRCDIR/tests/mkrootfs.sh" "$tree/nook/src/tests/"
cp "$NOOK_SRCDIR/tests/integration/helpers.bash" "$NOOK_SRCDIR/tests/integration/pids.bash" \
	"$tree/nook/src/tests/integration/"
: >"$tree/nook/tests"
for f in "$@"; do
	mkdir -p "$tree/nook/src/$(dirname "$f")"
	cp "$NOOK_SRCDIR/$f" "$tree/nook/src/$f"
	echo "/nook/src/$f" >>"$tree/nook/tests"
done
"$NOOK_SRCDIR/tests/mkrootfs.sh" "$tree/nook/pristine" "$NOOK_BINARY" >/dev/null
echo "$init" >"$tree/nook/init"

# Kernel modules, dependencies first (modules.dep: "path: dep dep...").
moddir=/lib/modules/$kver
: >"$tree/nook/modules"
# add_module PATH (relative to $moddir)
add_module() {
	local dep
	grep -qxF "$1" "$tree/nook/modules" && return 0
	for dep in $(awk -v m="$1:" '$1 == m {$1 = ""; print}' "$moddir/modules.dep"); do
		add_module "$dep"
	done
	mkdir -p "$tree$moddir/$(dirname "$1")"
	cp "$moddir/$1" "$tree$moddir/$1"
	echo "$1" >>"$tree/nook/modules"
}
for m in ${NOOK_VM_MODULES-loop}; do
	[ -f "$moddir/modules.dep" ] ||
		die "$moddir/modules.dep is missing: install the linux-image package of kernel $kver"
	path=$(awk -F: -v m="$m" '$1 ~ ("/" m "\\.ko(\\.[a-z]+)?$") {print $1}' "$moddir/modules.dep")
	[ -n "$path" ] || die "no module $m for kernel $kver"
	add_module "$path"
done

if [ "$init" = systemd ]; then
	for p in $SYSTEMD_PACKAGES; do
		copy_package "$p"
	done
	# systemd's own libraries load more libraries.
	while read -r f; do
		copy_elf "${f#"$tree"}"
	done < <(find "$tree/usr/lib/x86_64-linux-gnu/systemd" "$tree/usr/lib/systemd" -name '*.so*' -type f)
	cp -L /etc/os-release "$tree/etc/os-release"
	# Empty: systemd makes up a transient id and says it is the first boot.
	: >"$tree/etc/machine-id"
	units=$tree/etc/systemd/system
	mkdir -p "$units/multi-user.target.wants"
	cat >"$units/nook-vm-tests.service" <<'EOF'
[Unit]
Description=nook's VM tests
Wants=dbus.service
After=dbus.service basic.target

[Service]
Type=oneshot
ExecStart=/init tests
StandardInput=null
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
TimeoutStartSec=infinity
EOF
	ln -s ../nook-vm-tests.service "$units/multi-user.target.wants/"
	# Nothing else on the console (a getty would read and write it), and
	# nothing the VM has no use for.
	for u in getty.target serial-getty@ttyS0.service systemd-logind.service \
		systemd-timesyncd.service systemd-networkd.service systemd-resolved.service \
		systemd-update-utmp.service systemd-tmpfiles-clean.timer apt-daily.timer \
		apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
		ln -sf /dev/null "$units/$u"
	done
fi

install -m 0755 "$NOOK_SRCDIR/tests/vm/init" "$tree/init"

(cd "$tree" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc) >"$out"
