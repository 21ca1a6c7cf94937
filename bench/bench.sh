#!/bin/bash
# Times nook against crun and runc on the same busybox bundle, interleaved
# (each round measures every runtime once, in every order in turn: see round_order in lib.sh), and reports
# the median and p90 of each and the ratios nook/crun and nook/runc.
#
#   sudo bench/bench.sh [N]          N rounds (default 50, or $N)
#
# Environment: NOOK, CRUN, RUNC (binaries, by path), N, WARMUP (rounds not
# counted, default 3), SAMPLES_DIR (keep the raw samples there).
#
# Scenarios:
#   run        `RUNTIME run` of /bin/true in the foreground (the runtime
#              deletes the container when it exits)
#   lifecycle  create, start, wait for the process to exit, delete: four
#              separate commands, as containerd drives a runtime
#
# crun 1.8 refuses this host's hybrid cgroup layout, so the whole benchmark
# runs in a private mount namespace where /sys/fs/cgroup/unified is
# unmounted (and a private empty tmpfs put in its place, so nothing a
# runtime writes there reaches the host): the same for all three runtimes.
# The host's own mounts are untouched.
set -euo pipefail

SELF=bench.sh DEFAULT_N=50 DEFAULT_WARMUP=3
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
need_executables NOOK CRUN RUNC

# ---- into a private mount namespace ----
in_private_mount_ns NOOK CRUN RUNC -- "$@"
hide_cgroup_unified

work=$(mktemp -d /tmp/nook-bench.XXXXXX)
# State directories on a tmpfs, as /run is on a normal host.
mkdir "$work/state"
mount -t tmpfs -o size=64m,mode=0700 nook-bench-state "$work/state"

declare -A BIN=([nook]=$NOOK [crun]=$CRUN [runc]=$RUNC)
RUNTIMES=(nook crun runc)
LIVE_IDS=()

cleanup() {
	delete_live "${LIVE_IDS[@]}"
	umount "$work/state" 2>/dev/null || true
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT

# ---- the bundle: one config for all, written by runc's `spec` ----
bundle=$work/bundle
"$srcdir/tests/mkrootfs.sh" "$bundle" >/dev/null
"$RUNC" spec --bundle "$bundle"
# runc 1.1.5 writes ambient capabilities without inheritable ones, which the
# kernel cannot raise (runc and nook warn, crun is silent): dropped for all.
jq '.process.terminal = false | .process.args = ["/bin/true"] | del(.process.capabilities.ambient)' \
	"$bundle/config.json" >"$bundle/config.json.tmp"
mv "$bundle/config.json.tmp" "$bundle/config.json"

for rt in "${RUNTIMES[@]}"; do
	mkdir -p "$work/state/$rt" "$work/samples/$rt"
	"${BIN[$rt]}" --root "$work/state/$rt" run --bundle "$bundle" "probe-$rt-$$" </dev/null >/dev/null 2>"$work/probe.err" ||
		die "$rt cannot run the benchmark bundle: $(cat "$work/probe.err")"
done

# wait_exit PID: until the process is gone or a zombie (the host's init
# reaps it), polling /proc with builtins only.
wait_exit() {
	local stat
	while read -r stat 2>/dev/null <"/proc/$1/stat"; do
		stat=${stat##*) }
		[ "${stat%% *}" = Z ] && return 0
	done
	return 0
}

# measure_run RT ID: sets US to the microseconds it took.
measure_run() {
	local rt=$1 id=$2 bin=${BIN[$1]} t0 t1
	LIVE_IDS+=("$rt:$id")
	t0=${EPOCHREALTIME/[.,]/}
	"$bin" --root "$work/state/$rt" run --bundle "$bundle" "$id" </dev/null >/dev/null ||
		die "$rt run $id failed"
	t1=${EPOCHREALTIME/[.,]/}
	US=$((t1 - t0))
}

# measure_lifecycle RT ID: sets US to the microseconds it took.
measure_lifecycle() {
	local rt=$1 id=$2 bin=${BIN[$1]} root=$work/state/$1 t0 t1 pid=
	# On the tmpfs, as containerd keeps pid files under /run.
	local pidfile=$work/state/pid.$rt
	LIVE_IDS+=("$rt:$id")
	t0=${EPOCHREALTIME/[.,]/}
	"$bin" --root "$root" create --bundle "$bundle" --pid-file "$pidfile" "$id" </dev/null >/dev/null ||
		die "$rt create $id failed"
	read -r pid <"$pidfile" || [ -n "$pid" ] # a pid file may lack the newline
	"$bin" --root "$root" start "$id" || die "$rt start $id failed"
	wait_exit "$pid"
	"$bin" --root "$root" delete "$id" || die "$rt delete $id failed"
	t1=${EPOCHREALTIME/[.,]/}
	US=$((t1 - t0))
}

# ---- interleaved rounds ----
SCENARIOS=(run lifecycle)
total=$((WARMUP + N))
echo "nook: $NOOK"
echo "crun: $CRUN ($("$CRUN" --version | head -n1))"
echo "runc: $RUNC ($("$RUNC" --version | head -n1))"
echo "rounds: $N (+$WARMUP warm-up), interleaved, every order in turn"
for ((i = 0; i < total; i++)); do
	for scenario in "${SCENARIOS[@]}"; do
		for rt in $(round_order "$i" "${RUNTIMES[@]}"); do
			id=bench-$scenario-$rt-$$-$i
			measure_"$scenario" "$rt" "$id"
			# A foreground run deletes its container; make sure, untimed.
			"${BIN[$rt]}" --root "$work/state/$rt" delete --force "$id" >/dev/null 2>&1 || true
			if ((i >= WARMUP)); then
				echo "$US" >>"$work/samples/$rt/$scenario"
			fi
		done
	done
	LIVE_IDS=()
	if [ -t 2 ]; then printf '\rround %d/%d' "$((i + 1))" "$total" >&2; fi
done
if [ -t 2 ]; then echo >&2; fi

# leftovers would skew later rounds and the host: check
for rt in "${RUNTIMES[@]}"; do
	left=$("${BIN[$rt]}" --root "$work/state/$rt" list -q 2>/dev/null || true)
	[ -z "$left" ] || echo "warning: $rt left containers: $left" >&2
done

# ---- report ----

sample_file() { # SCENARIO RUNTIME
	echo "$work/samples/$2/$1"
}
report sample_file crun-0.8 "${SCENARIOS[@]}"

if [ -n "${SAMPLES_DIR:-}" ]; then
	mkdir -p "$SAMPLES_DIR"
	cp -r "$work/samples/." "$SAMPLES_DIR/"
	echo "raw samples (microseconds) in $SAMPLES_DIR/<runtime>/<scenario>"
fi
