#!/bin/bash
# Times `podman run --rm busybox true` with --runtime nook, crun and runc,
# interleaved (each round runs every runtime once, in every order in turn: see round_order in lib.sh), and
# reports the median and p90 of each and the ratios nook/crun and nook/runc.
#
#   sudo bench/podman.sh [N]          N rounds (default 30, or $N)
#
# Environment: NOOK, CRUN, RUNC (binaries, by path), PODMAN (default
# /usr/bin/podman), N, WARMUP (rounds not counted, default 3), SAMPLES_DIR
# (keep the raw samples there, microseconds).
#
# Everything is private: podman's containers.conf and storage.conf (overlay
# under a temp dir, cgroupfs, file events, no network, no default ulimits),
# the image (tests/mkimage.sh, `podman load`), a cgroup parent of its own
# (conmon's cgroup included), and a fresh tmpfs on each runtime's default
# state directory (/run/nook, /run/crun, /run/runc: podman passes no --root).
# As bench.sh does, it runs in a private mount namespace with
# /sys/fs/cgroup/unified hidden, because crun 1.8 refuses this host's hybrid
# cgroup layout; the host's mounts are untouched.
set -euo pipefail

PODMAN=${PODMAN:-/usr/bin/podman}
SELF=podman.sh DEFAULT_N=30 DEFAULT_WARMUP=3
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
need_executables NOOK CRUN RUNC PODMAN

# ---- into a private mount namespace ----
in_private_mount_ns NOOK CRUN RUNC PODMAN -- "$@"
hide_cgroup_unified

work=$(mktemp -d /tmp/nook-bench-podman.XXXXXX)
chmod 0755 "$work"
cgroup=nook-bench-podman-$$
RUNTIMES=(nook crun runc)
MADE_DIRS=()

cleanup() {
	local rt d
	cd /
	"$PODMAN" rm --all --force --time 0 >/dev/null 2>&1 || true
	"$PODMAN" rmi --all --force >/dev/null 2>&1 || true
	for rt in "${RUNTIMES[@]}"; do
		umount "/run/$rt" 2>/dev/null || true
	done
	for d in "${MADE_DIRS[@]}"; do rmdir "$d" 2>/dev/null || true; done
	for d in /sys/fs/cgroup/*/"$cgroup" /sys/fs/cgroup/"$cgroup"; do
		if [ -d "$d" ]; then find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
	done
	grep -F " $work/" /proc/self/mountinfo | awk '{print $5}' | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done || true
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT

# Each runtime's default state directory, fresh and private.
for rt in "${RUNTIMES[@]}"; do
	if [ ! -d "/run/$rt" ]; then
		mkdir "/run/$rt"
		MADE_DIRS+=("/run/$rt")
	fi
	mount -t tmpfs -o size=64m,mode=0700 "nook-bench-$rt" "/run/$rt"
done

cat >"$work/containers.conf" <<EOF
[containers]
default_ulimits = []
netns = "none"
log_driver = "k8s-file"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$work/events.log"
tmp_dir = "$work/tmp"
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "nook"]

[engine.runtimes]
nook = ["$NOOK"]
crun = ["$CRUN"]
runc = ["$RUNC"]

[network]
network_backend = "cni"
network_config_dir = "$work/cni"
EOF
cat >"$work/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$work/storage"
runroot = "$work/runroot"
EOF
export CONTAINERS_CONF=$work/containers.conf CONTAINERS_STORAGE_CONF=$work/storage.conf

"$srcdir/tests/mkrootfs.sh" "$work/busybox" >/dev/null
"$srcdir/tests/mkimage.sh" "$work/busybox.tar" busybox:latest "$work/busybox/rootfs" true
"$PODMAN" load -q -i "$work/busybox.tar" >/dev/null

run_args=(run --rm --pull never --cgroup-parent "/$cgroup" localhost/busybox:latest true)

for rt in "${RUNTIMES[@]}"; do
	mkdir -p "$work/samples/$rt"
	"$PODMAN" --runtime "$rt" "${run_args[@]}" </dev/null >/dev/null 2>"$work/probe.err" ||
		die "podman --runtime $rt cannot run busybox: $(cat "$work/probe.err")"
done

# settle: until no process of the last run (conmon, the cleanup podman it
# starts) is alive; untimed, so one run's tail does not slow the next.
# The pattern comes from a file so that grep's own command line does not match.
settle() {
	local pid stat i busy
	printf '%s\n' "$work/" >"$work/settle.pat"
	for ((i = 0; i < 100; i++)); do
		busy=
		for pid in $(grep -l -a -F -f "$work/settle.pat" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
			[ "$pid" = $$ ] && continue
			read -r stat 2>/dev/null <"/proc/$pid/stat" || continue
			stat=${stat##*) }
			[ "${stat%% *}" = Z ] || busy=1
		done
		[ -z "$busy" ] && return 0
		sleep 0.02
	done
}

# measure RT: sets US to the microseconds `podman run --rm` took.
measure() {
	local t0 t1
	t0=${EPOCHREALTIME/[.,]/}
	"$PODMAN" --runtime "$1" "${run_args[@]}" </dev/null >/dev/null ||
		die "podman --runtime $1 run failed"
	t1=${EPOCHREALTIME/[.,]/}
	US=$((t1 - t0))
}

total=$((WARMUP + N))
echo "podman: $PODMAN ($("$PODMAN" --version))"
echo "nook: $NOOK"
echo "crun: $CRUN ($("$CRUN" --version | head -n1))"
echo "runc: $RUNC ($("$RUNC" --version | head -n1))"
echo "rounds: $N (+$WARMUP warm-up), interleaved, every order in turn"
for ((i = 0; i < total; i++)); do
	for rt in $(round_order "$i" "${RUNTIMES[@]}"); do
		settle
		measure "$rt"
		if ((i >= WARMUP)); then
			echo "$US" >>"$work/samples/$rt/run"
		fi
	done
	if [ -t 2 ]; then printf '\rround %d/%d' "$((i + 1))" "$total" >&2; fi
done
if [ -t 2 ]; then echo >&2; fi
settle

left=$("$PODMAN" ps --all --quiet)
[ -z "$left" ] || echo "warning: podman left containers: $left" >&2
for rt in "${RUNTIMES[@]}"; do
	left=$(ls "/run/$rt")
	[ -z "$left" ] || echo "warning: $rt left state in /run/$rt: $left" >&2
done

# ---- report ----
sample_file() { # SCENARIO RUNTIME
	echo "$work/samples/$2/run"
}
report sample_file fastest podman-run-rm

if [ -n "${SAMPLES_DIR:-}" ]; then
	mkdir -p "$SAMPLES_DIR"
	cp -r "$work/samples/." "$SAMPLES_DIR/"
	echo "raw samples (microseconds) in $SAMPLES_DIR/<runtime>/run"
fi
