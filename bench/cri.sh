#!/bin/bash
# Times nook against crun and runc through a real containerd (Debian's 1.6):
# one private containerd whose CRI plugin has a runtime entry per runtime
# (nook, crun, runc: the same io.containerd.runc.v2 shim, only BinaryName
# differs), driven as the kubelet drives it by tests/integration/cri-client.py.
# Interleaved (each round measures every runtime once, in every order in turn: see round_order in lib.sh);
# medians and p90, and the ratios nook/crun and nook/runc.
#
#   sudo bench/cri.sh [N]          N rounds (default 30, or $N)
#
# Environment: NOOK, CRUN, RUNC (binaries, by path), N, WARMUP (rounds not
# counted, default 3), SAMPLES_DIR (keep the raw samples, microseconds).
#
# Scenarios:
#   cri-container  CreateContainer + StartContainer until ContainerStatus
#                  says CONTAINER_RUNNING, in a pod (one per runtime) that
#                  already runs: what a new container in a pod costs
#   cri-pod        RunPodSandbox (runtime handler = the runtime) + the same:
#                  a new pod with one container
#   ctr-run        `ctr run --rm --runc-binary RUNTIME busybox true`
#
# As in bench.sh, the whole benchmark runs in a private mount namespace where
# /sys/fs/cgroup/unified is hidden (crun 1.8 refuses this host's hybrid
# cgroups); containerd, its shims and its mounts live in that namespace and
# vanish with it.  Needs containerd, protobuf-compiler, python3-grpcio,
# python3-protobuf, busybox-static, jq.
set -euo pipefail

SELF=cri.sh DEFAULT_N=30 DEFAULT_WARMUP=3
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
need_executables NOOK CRUN RUNC
NOOK=$(cd "$(dirname "$NOOK")" && pwd)/$(basename "$NOOK")
[ -n "${EPOCHREALTIME:-}" ] || die "needs bash >= 5 (EPOCHREALTIME)"

# ---- into a private mount namespace ----
in_private_mount_ns NOOK CRUN RUNC -- "$@"
hide_cgroup_unified

# ---- a private containerd (the tests' helpers, outside bats) ----
load() { :; }
fail() { die "$*"; }
export NOOK_BINARY=$NOOK NOOK_SRCDIR=$srcdir
# shellcheck source=../tests/integration/containerd-helpers.bash
. "$srcdir/tests/integration/containerd-helpers.bash"
export CTRD_RUNTIMES="crun=$CRUN runc-bench=$RUNC"

cleanup() {
	local left
	ctrd_stop >/dev/null 2>&1 || true
	# not leftovers: our tmpfs mounts, and what a runtime wrote into the
	# private tmpfs in place of /sys/fs/cgroup/unified (it vanishes with
	# this namespace)
	left=$(grep -v -e '^cgroup: /sys/fs/cgroup/unified/' -e "^mount: $CTRD_TMP/rt-[a-z-]*\$" \
		<<<"${CTRD_LEFT:-}" || true)
	[ -z "$left" ] || echo "cri.sh: removed leftovers: $left" >&2
}
trap cleanup EXIT

ctrd_start cri
# The runtimes' --root on a tmpfs each, as /run is on a normal host (in this
# mount namespace only; ctrd_stop unmounts them).
for rt in nook crun runc-bench; do
	mkdir -p "$CTRD_TMP/rt-$rt"
	mount -t tmpfs -o size=64m,mode=0700 nook-bench-state "$CTRD_TMP/rt-$rt"
done
# names as the report shows them; the CRI handler of runc is "runc-bench"
# (an entry from the same contrib text; "runc" is the CRI default entry)
declare -A HANDLER=([nook]=nook [crun]=crun [runc]=runc-bench)
declare -A BIN=([nook]=$NOOK [crun]=$CRUN [runc]=$RUNC)
RUNTIMES=(nook crun runc)

ctrd_busybox_rootfs "$CTRD_TMP/busybox"
ctrd_oci_archive "$CTRD_TMP/busybox.tar" localhost/nook-bench-busybox:1 "$CTRD_TMP/busybox/rootfs" /bin/sh >/dev/null
ctrd_oci_archive "$CTRD_TMP/pause.tar" "$CTRD_PAUSE_IMAGE" "$CTRD_TMP/busybox/rootfs" /bin/sleep infinity >/dev/null
for ns in k8s.io "$CTRD_NS"; do
	ctrd_import "$ns" "$CTRD_TMP/busybox.tar" localhost/nook-bench-busybox:1
done
ctrd_import k8s.io "$CTRD_TMP/pause.tar" "$CTRD_PAUSE_IMAGE"

cri() {
	/usr/bin/python3 "$srcdir/tests/integration/cri-client.py" --address "$CTRD_SOCK" \
		--gen-dir "$CTRD_TMP/gen" "$@"
}

samples=$CTRD_TMP/samples
mkdir -p "$samples"
echo "nook: $NOOK"
echo "crun: $CRUN ($("$CRUN" --version | head -n1))"
echo "runc: $RUNC ($("$RUNC" --version | head -n1))"
echo "containerd: $(containerd --version)"
echo "rounds: $N (+$WARMUP warm-up), interleaved, every order in turn"

# ---- CRI: one pod per runtime, then the timed rounds (in the client) ----
pod_args=()
cfg_args=()
for rt in "${RUNTIMES[@]}"; do
	h=${HANDLER[$rt]}
	pod=$(cri runp --name "bench-$rt" --handler "$h" --cgroup-parent "/$CTRD_CGROUP" \
		--log-dir "$CTRD_TMP/logs/$rt" --config-out "$CTRD_TMP/pod-$h.json") ||
		die "$rt: RunPodSandbox failed"
	pod_args+=(--pod "$h=$pod")
	cfg_args+=(--pod-config "$h=$CTRD_TMP/pod-$h.json")
done
for scenario in container pod; do
	cri bench --scenario "$scenario" "${cfg_args[@]}" "${pod_args[@]}" \
		--image localhost/nook-bench-busybox:1 --rounds "$N" --warmup "$WARMUP" \
		--out "$samples/cri-$scenario" sleep 1000 || die "CRI $scenario benchmark failed"
done
for pod in $(cri pods); do
	cri stopp "$pod" && cri rmp "$pod"
done

# ---- ctr run --rm of busybox true ----
mkdir -p "$samples/ctr-run"
total=$((WARMUP + N))
for ((i = 0; i < total; i++)); do
	for rt in $(round_order "$i" "${RUNTIMES[@]}"); do
		t0=${EPOCHREALTIME/[.,]/}
		ctrd run --rm --runc-binary "${BIN[$rt]}" --runc-root "$CTRD_TMP/rt-${HANDLER[$rt]}" \
			--fifo-dir "$CTRD_TMP/fifo" localhost/nook-bench-busybox:1 "bench-$rt-$i" true \
			</dev/null >/dev/null || die "$rt: ctr run failed"
		t1=${EPOCHREALTIME/[.,]/}
		if ((i >= WARMUP)); then
			echo $((t1 - t0)) >>"$samples/ctr-run/${HANDLER[$rt]}"
		fi
	done
	if [ -t 2 ]; then printf '\rctr-run round %d/%d' "$((i + 1))" "$total" >&2; fi
done
if [ -t 2 ]; then echo >&2; fi

# ---- report ----

SCENARIOS=(cri-container cri-pod ctr-run)
sample_file() { # SCENARIO RUNTIME
	echo "$samples/$1/${HANDLER[$2]}"
}
report sample_file fastest "${SCENARIOS[@]}"

if [ -n "${SAMPLES_DIR:-}" ]; then
	mkdir -p "$SAMPLES_DIR"
	cp -r "$samples/." "$SAMPLES_DIR/"
	echo "raw samples (microseconds) in $SAMPLES_DIR/<scenario>/<handler>"
fi
