#!/bin/sh
# Install, from Debian's archive, everything nook needs to build and to run
# its tests and benchmark.  Idempotent: packages already installed are kept.
# Runs as root (through sudo when started by another user and sudo exists).
set -eu

PACKAGES="
	build-essential autoconf automake libtool pkg-config
	libyajl-dev libseccomp-dev libcap-dev libsystemd-dev criu
	busybox-static bats bats-assert bats-support jq
	iproute2 procps util-linux bsdutils
	crun runc hyperfine
	qemu-system-x86 linux-image-amd64 cpio systemd dbus
	uidmap podman containerd containernetworking-plugins iptables
	python3-grpcio python3-protobuf python3-websocket protobuf-compiler
"

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo -- "$0" "$@"
	fi
	echo "install-deps.sh: must run as root (and sudo is not installed)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps.sh: apt-get update"
apt-get update -qq
echo "install-deps.sh: installing" $PACKAGES
# shellcheck disable=SC2086 # word splitting of the list is wanted
apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
# bookworm's criu fails on current kernels: build one that works if needed.
sh "$(dirname "$0")/install-criu.sh"
echo "install-deps.sh: done"
