#!/bin/bash
# Times checkpoint and restore, nook against runc (crun 1.8 from Debian has
# no CRIU support), interleaved (each round measures every runtime once, in
# every order in turn), and reports the median and p90 of each and the ratio
# nook/runc of the medians.
#
#   sudo bench/criu.sh [N]           N rounds (default 20, or $N)
#
# Environment: NOOK, RUNC (binaries, by path), N, WARMUP (rounds not
# counted, default 2), SAMPLES_DIR (keep the raw samples there),
# PYTHON (default /usr/bin/python3.11: Debian's, not the one on PATH),
# RUN_TMPFS (see below).
#
# Workloads (one bundle each, the same config.json for every runtime):
#   busybox  `sleep` in the busybox rootfs of tests/mkrootfs.sh
#   python   Debian's python3.11 in a rootfs of its own (tests/mkrootfs-
#            python.sh): imports ~30 standard modules, writes /ready, sleeps
# Image dirs: `disk` (under /tmp, this machine's root fs) and `tmpfs`.
#
# Timed commands:
#   checkpoint  RUNTIME checkpoint --image-path I --work-path W ID
#   restore     RUNTIME restore -d --image-path I --work-path W --bundle B ID2
#               (returns once the process runs again)
#   cold        python only: `run -d` until the container wrote /ready (the
#               imports are done): what a restore competes with
#
# Runtimes:
#   nook           nook's defaults: CRIU's network lock is skipped unless
#                  --tcp-established (no TCP connection can be in the image)
#   nook-iptables  nook with --tcp-established on checkpoint and restore:
#                  CRIU locks the network with iptables, as for runc
#   runc           runc's defaults: CRIU locks the network with iptables on
#                  every dump and restore.  runc 1.1 has no flag to skip
#                  the lock; its one way, a CRIU config file named by the
#                  annotation org.criu.config, crashes CRIU 4.1.1 (SIGSEGV
#                  in `criu swrk` as soon as the file holds any
#                  `network-lock` line), so nook-iptables/runc is the
#                  ratio for the same CRIU work
#
# All containers get stdio from /dev/null (CRIU needs the same kind of file
# on restore), their own network namespace (runc spec's default) and no
# terminal.
#
# It runs in a private mount namespace (its tmpfs mounts vanish with it).
# Unlike bench.sh it leaves this hybrid host's cgroup2 mount alone: that
# was only for crun, and runc 1.1 and nook both checkpoint containers with
# their cgroups mounted (each declares the cgroup mounts to CRIU as external
# and binds the new container's cgroups there on restore).
#
# RUN_TMPFS=1 mounts a tmpfs on /run in that namespace, as /run is on a
# usual host: CRIU then keeps its kernel-feature cache (/run/criu.kdat; it
# refuses to keep it anywhere but on a tmpfs) and every dump and restore
# after the first skips ~13 ms of probing, for both runtimes.  Default 0:
# this machine as it is (/run on the root fs, no cache).
set -euo pipefail

PYTHON=${PYTHON:-/usr/bin/python3.11}
RUN_TMPFS=${RUN_TMPFS:-0}
SELF=criu.sh DEFAULT_N=20 DEFAULT_WARMUP=2
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
need_executables NOOK RUNC
command -v criu >/dev/null || die "criu not found (contrib/install-criu.sh)"

# ---- into a private mount namespace ----
in_private_mount_ns NOOK RUNC PYTHON RUN_TMPFS -- "$@"
if [ "$RUN_TMPFS" = 1 ] && [ "$(stat -f -c %T /run)" != tmpfs ]; then
	mount -t tmpfs -o size=16m,mode=0755 nook-bench-run /run
fi

work=$(mktemp -d /tmp/nook-criu-bench.XXXXXX)
mkdir "$work/state" "$work/tmpfs"
mount -t tmpfs -o size=64m,mode=0700 nook-bench-state "$work/state"
mount -t tmpfs -o size=512m,mode=0700 nook-bench-images "$work/tmpfs"

declare -A BIN=([nook]=$NOOK [nook-iptables]=$NOOK [runc]=$RUNC)
declare -A FLAGS=([nook]= [nook-iptables]=--tcp-established [runc]=)
RUNTIMES=(nook nook-iptables runc)
WORKLOADS=(busybox python)
PLACES=(disk tmpfs)
LIVE=()

cleanup() {
	delete_live "${LIVE[@]}"
	umount "$work/state" "$work/tmpfs" 2>/dev/null || true
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT

# ---- bundles: runc's spec, one config per workload for every runtime ----
PY_MODULES='json, asyncio, email, email.mime.text, http.client, urllib.request, xml.etree.ElementTree, decimal, sqlite3, csv, logging, argparse, dataclasses, typing, collections, itertools, functools, re, datetime, hashlib, base64, uuid, random, statistics, fractions, pathlib, tempfile, shutil, subprocess, socket, ssl, zipfile, tarfile, unittest, multiprocessing'

# make_bundle DIR ARGS_JSON: DIR/config.json from `runc spec`, no terminal,
# a writable rootfs (for /ready), no ambient capabilities (runc 1.1.5 writes
# ones the kernel refuses).
make_bundle() {
	"$RUNC" spec --bundle "$1"
	jq --argjson args "$2" '.process.terminal = false | .process.args = $args
		| .root.readonly = false | del(.process.capabilities.ambient)' "$1/config.json" >"$1/config.json.tmp"
	mv "$1/config.json.tmp" "$1/config.json"
}

"$srcdir/tests/mkrootfs.sh" "$work/busybox" >/dev/null
make_bundle "$work/busybox" '["sh", "-c", "touch /ready; exec sleep 1000000"]'
PYTHON_VERSION=${PYTHON##*python} "$srcdir/tests/mkrootfs-python.sh" "$work/python" >/dev/null
make_bundle "$work/python" "$(jq -cn --arg m "$PY_MODULES" \
	'["/usr/bin/python3", "-c", ("import " + $m + "\nopen(\"/ready\", \"w\").close()\nimport time\nwhile True: time.sleep(1000)")]')"

# wait_ready FILE: until the container wrote it, with builtins only (5 s).
wait_ready() {
	local deadline=$((${EPOCHREALTIME/[.,]/} + 5000000))
	while [ ! -e "$1" ]; do
		((${EPOCHREALTIME/[.,]/} < deadline)) || die "no $1 after 5 s"
	done
}

rt_cmd() { # RT ARGS...
	local rt=$1
	shift
	"${BIN[$rt]}" --root "$work/state/$rt" "$@"
}

# measure RT WORKLOAD PLACE ROUND: appends samples of cold start (python),
# checkpoint and restore to $work/samples/RT/WORKLOAD.PLACE.{cold,ckpt,restore}
# when ROUND counts.
measure() {
	local rt=$1 wl=$2 place=$3 i=$4 b id t0 t1 t2 t3 base img wd
	b=$work/$wl
	id=bench-$rt-$wl-$place-$$-$i
	base=$work
	[ "$place" = tmpfs ] && base=$work/tmpfs
	img=$base/img-$id wd=$base/work-$id
	rm -f "$b/rootfs/ready"
	LIVE+=("$rt:$id" "$rt:$id-r")
	t0=${EPOCHREALTIME/[.,]/}
	# The container inherits these: /dev/null for all three (a host file
	# as stdio would be one more external file for CRIU).
	rt_cmd "$rt" run -d --bundle "$b" "$id" </dev/null >/dev/null 2>&1 ||
		die "$rt run $id failed (its stderr is /dev/null: run it by hand)"
	wait_ready "$b/rootfs/ready"
	t1=${EPOCHREALTIME/[.,]/}
	# Let the process settle into its sleep before the dump (untimed).
	sleep 0.05
	t1b=${EPOCHREALTIME/[.,]/}
	rt_cmd "$rt" checkpoint ${FLAGS[$rt]} --image-path "$img" --work-path "$wd" "$id" 2>"$work/err" ||
		die "$rt checkpoint $id failed: $(cat "$work/err"; grep -h Error "$wd"/dump.log 2>/dev/null | tail -5)"
	t2=${EPOCHREALTIME/[.,]/}
	rt_cmd "$rt" restore -d ${FLAGS[$rt]} --image-path "$img" --work-path "$wd" --bundle "$b" "$id-r" \
		</dev/null >/dev/null 2>&1 ||
		die "$rt restore $id-r failed: $(grep -h Error "$wd"/restore.log 2>/dev/null | tail -5)"
	t3=${EPOCHREALTIME/[.,]/}
	[ "$(rt_cmd "$rt" state "$id-r" | jq -r .status)" = running ] ||
		die "$rt: $id-r is not running after its restore"
	rt_cmd "$rt" delete --force "$id-r" >/dev/null 2>&1 || true
	rt_cmd "$rt" delete --force "$id" >/dev/null 2>&1 || true
	[ -z "${KEEP_LOGS:-}" ] || cp "$wd"/*.log "$work/" 2>/dev/null || true
	rm -rf "$img" "$wd"
	if ((i >= WARMUP)); then
		local s=$work/samples/$rt/$wl.$place
		[ "$wl" = python ] && echo $((t1 - t0)) >>"$s.cold"
		echo $((t2 - t1b)) >>"$s.ckpt"
		echo $((t3 - t2)) >>"$s.restore"
	fi
}

for rt in "${RUNTIMES[@]}"; do
	mkdir -p "$work/state/$rt" "$work/samples/$rt"
done

echo "nook: $NOOK"
echo "runc: $RUNC ($("$RUNC" --version | head -n1))"
echo "criu: $(command -v criu) ($(criu --version | sed -n 's/^Version: //p'))"
echo "python: $PYTHON ($("$PYTHON" --version))"
echo "rounds: $N (+$WARMUP warm-up), interleaved, every order in turn; /run: $(stat -f -c %T /run)"
total=$((WARMUP + N))
for ((i = 0; i < total; i++)); do
	for wl in "${WORKLOADS[@]}"; do
		for place in "${PLACES[@]}"; do
			for rt in $(round_order "$i" "${RUNTIMES[@]}"); do
				measure "$rt" "$wl" "$place" "$i"
			done
		done
	done
	LIVE=()
	if [ -t 2 ]; then printf '\rround %d/%d' "$((i + 1))" "$total" >&2; fi
done
if [ -t 2 ]; then echo >&2; fi

for rt in "${RUNTIMES[@]}"; do
	left=$(rt_cmd "$rt" list -q 2>/dev/null || true)
	[ -z "$left" ] || echo "warning: $rt left containers: $left" >&2
done

# ---- report ----

echo
printf '%-22s %-14s %10s %10s\n' scenario runtime "p50 (ms)" "p90 (ms)"
declare -A P50
ROWS=()
for wl in "${WORKLOADS[@]}"; do
	for place in "${PLACES[@]}"; do
		for what in ckpt restore cold; do
			[ -e "$work/samples/nook/$wl.$place.$what" ] || continue
			row="$wl.$place.$what"
			ROWS+=("$row")
			for rt in "${RUNTIMES[@]}"; do
				read -r med p90 < <(stats "$work/samples/$rt/$row")
				P50[$row.$rt]=$med
				printf '%-22s %-14s %10s %10s\n' "$row" "$rt" "$med" "$p90"
			done
		done
	done
done
echo
printf '%-22s %10s %20s   %s\n' scenario "nook/runc" "nook-iptables/runc" "goal: restore nook/runc <= 0.50"
for row in "${ROWS[@]}"; do
	awk -v s="$row" -v n="${P50[$row.nook]}" -v r="${P50[$row.runc]}" -v k="${P50[$row.nook-iptables]}" 'BEGIN {
		goal = ""
		if (s ~ /restore$/) goal = (n / r <= 0.5) ? "met" : "NOT met"
		printf "%-22s %10.2f %20.2f   %s\n", s, n / r, k / r, goal
	}'
done

if [ -n "${SAMPLES_DIR:-}" ]; then
	mkdir -p "$SAMPLES_DIR"
	cp -r "$work/samples/." "$SAMPLES_DIR/"
	echo "raw samples (microseconds) in $SAMPLES_DIR/<runtime>/<workload>.<place>.<what>"
fi
