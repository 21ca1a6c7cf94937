# What the scripts in bench/ share.  A script sets SELF (its name),
# DEFAULT_N and DEFAULT_WARMUP, then sources this file with its own
# arguments in "$@" (the first is N).  This sets here, srcdir, NOOK, CRUN,
# RUNC, N and WARMUP (each overridable from the environment), checks root,
# N and bash's $EPOCHREALTIME (timestamps without a fork per sample), and
# defines die, need_executables and stats.
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

# stats FILE: "median p90" in milliseconds of the microsecond samples in FILE.
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 }
		END {
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			p = v[int(0.9 * NR + 0.999999)]
			printf "%.2f %.2f\n", m / 1000, p / 1000
		}'
}
