# What the scripts in bench/ share.  A script sets SELF (its name),
# DEFAULT_N and DEFAULT_WARMUP, then sources this file with its own
# arguments in "$@" (the first is N).  This sets here, srcdir, NOOK, CRUN,
# RUNC, N and WARMUP (each overridable from the environment), checks root,
# N and bash's $EPOCHREALTIME (timestamps without a fork per sample), and
# defines die, need_executables, in_private_mount_ns, hide_cgroup_unified,
# round_order, stats and report.
# shellcheck shell=bash

here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
srcdir=$(cd "$here/.." && pwd)

NOOK=${NOOK:-$srcdir/nook}
CRUN=${CRUN:-/usr/bin/crun}
RUNC=${RUNC:-/usr/sbin/runc}
N=${1:-${N:-$DEFAULT_N}}
WARMUP=${WARMUP:-$DEFAULT_WARMUP}

die() {
	echo "$SELF: $*" >&2
	exit 1
}

# need_executables VAR...: each variable names an executable file.
need_executables() {
	local v
	for v; do
		[ -x "${!v}" ] || die "${!v} is not an executable (set $v)"
	done
}

[ "$(id -u)" -eq 0 ] || die "needs root (it creates containers)"
[[ $N =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer"
[ -n "${EPOCHREALTIME:-}" ] || die "needs bash >= 5 (EPOCHREALTIME)"

# in_private_mount_ns VAR... -- ARG...: unless the script already runs
# there, re-execute it (with its arguments ARG...) under `unshare --mount
# --propagation private`, exporting N, WARMUP and each VAR.  The host's
# mounts are untouched by what the script mounts afterwards.
in_private_mount_ns() {
	local vars=()
	while [ "$1" != -- ]; do
		vars+=("$1")
		shift
	done
	shift
	[ -z "${NOOK_BENCH_IN_NS:-}" ] || return 0
	export NOOK_BENCH_IN_NS=1 N WARMUP "${vars[@]}"
	exec unshare --mount --propagation private -- "$0" "$@"
}

# hide_cgroup_unified: crun 1.8 refuses this host's hybrid cgroup layout,
# so in the private mount namespace /sys/fs/cgroup/unified is unmounted and
# an empty private tmpfs takes its place (nothing a runtime writes there
# reaches the host): the same for every runtime measured.
hide_cgroup_unified() {
	if mountpoint -q /sys/fs/cgroup/unified; then
		umount /sys/fs/cgroup/unified
		mount -t tmpfs -o size=64m,mode=0755 nook-bench /sys/fs/cgroup/unified
	fi
}

# round_order I NAME...: the names in the I-th of all their orders, cycling
# through every permutation.  A plain rotation gives each runtime the same
# predecessor in every round, and what a runtime leaves behind is paid by
# the next one: removing a cgroup makes the next first write to a
# cgroup.procs wait for an RCU grace period (about 2 ms here), so with
# (nook crun runc) rotated, nook always paid for runc.  Over all orders
# each runtime follows each other one equally often.
round_order() {
	local i=$1 n f=1 k
	shift
	local names=("$@") out=()
	for ((k = 2; k <= ${#names[@]}; k++)); do f=$((f * k)); done
	i=$((i % f))
	while ((${#names[@]})); do
		n=${#names[@]}
		k=$((i % n))
		i=$((i / n))
		out+=("${names[$k]}")
		names=("${names[@]:0:k}" "${names[@]:k+1}")
	done
	echo "${out[@]}"
}

# delete_live RT:ID...: `delete --force` each container with its runtime's
# binary (${BIN[RT]}) and state root ($work/state/RT): what a round left
# when the script stops early.
delete_live() {
	local entry rt id
	for entry; do
		rt=${entry%%:*} id=${entry#*:}
		"${BIN[$rt]}" --root "$work/state/$rt" delete --force "$id" >/dev/null 2>&1 || true
	done
}

# stats FILE: "median p90" in milliseconds of the microsecond samples in FILE.
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 }
		END {
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			p = v[int(0.9 * NR + 0.999999)]
			printf "%.2f %.2f\n", m / 1000, p / 1000
		}'
}

# report SAMPLE_FN GOAL SCENARIO...: for nook, crun and runc, each
# scenario's p50 and p90 (`SAMPLE_FN SCENARIO RUNTIME` prints the path of
# its samples), then nook/crun and nook/runc of the p50s and whether GOAL
# holds: "crun-0.8" (nook at most 0.8 x crun) or "fastest" (nook the
# fastest of the three).
report() {
	local fn=$1 goal=$2 w=10 s rt med p90 text
	local -A p50
	shift 2
	for s; do
		((${#s} > w)) && w=${#s}
	done
	echo
	printf "%-${w}s %-6s %10s %10s\n" scenario runtime "p50 (ms)" "p90 (ms)"
	for s; do
		for rt in nook crun runc; do
			read -r med p90 < <(stats "$("$fn" "$s" "$rt")")
			p50[$s.$rt]=$med
			printf "%-${w}s %-6s %10s %10s\n" "$s" "$rt" "$med" "$p90"
		done
	done
	case $goal in
	crun-0.8) text="goal: nook/crun <= 0.80" ;;
	fastest) text="goal: nook the fastest" ;;
	*) die "report: unknown goal $goal" ;;
	esac
	echo
	printf "%-${w}s %12s %12s   %s\n" scenario "nook/crun" "nook/runc" "$text"
	for s; do
		awk -v w="$w" -v g="$goal" -v s="$s" -v n="${p50[$s.nook]}" -v c="${p50[$s.crun]}" \
			-v r="${p50[$s.runc]}" 'BEGIN {
				ok = (g == "fastest") ? (n <= c && n <= r) : (n / c <= 0.8)
				printf "%-*s %12.2f %12.2f   %s\n", w, s, n / c, n / r, ok ? "met" : "NOT met"
			}'
	done
}
