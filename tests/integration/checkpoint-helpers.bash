# What the checkpoint tests share (checkpoint.bats, checkpoint-flags.bats):
# a container whose state lives only in its memory, and restored copies of it.
# shellcheck shell=bash

load helpers

# checkpoint_setup: nook_setup, $IMG, and the counter as the container's
# process: a number that lives only in the shell's memory, written out each
# tick, so that after a restore it goes on from where it was, not from 1.
# The value goes to /host/c by rename, so /host/c is never seen empty (a
# dump can land between the truncating open and the write).
checkpoint_setup() {
	nook_setup
	command -v criu >/dev/null || fail "criu is not installed (contrib/install-criu.sh)"
	IMG=$TEST_TMP/img
	COUNTER='i=0; while :; do i=$((i+1)); echo $i >/host/c.new; mv /host/c.new /host/c; sleep 0.05; done'
	set_args sh -c "$COUNTER"
}

# counter [DIR]: the value the container last wrote (the shell truncates
# the file before each write: an empty read is retried).
counter() {
	local v= tries=20
	while [ -z "$v" ] && [ "$tries" -gt 0 ]; do
		v=$(cat "${1:-$HOSTDIR}/c" 2>/dev/null) || v=
		[ -n "$v" ] || sleep 0.01
		tries=$((tries - 1))
	done
	echo "$v"
}

# wait_counter_above N [DIR]: until the counter passes N (20 s: restores
# run slowly on a loaded machine).
wait_counter_above() {
	local n=$1 dir=${2:-$HOSTDIR} tries=400 v=0
	while [ "$tries" -gt 0 ]; do
		v=$(cat "$dir/c" 2>/dev/null) || v=0
		[ "${v:-0}" -gt "$n" ] 2>/dev/null && return 0
		sleep 0.05
		tries=$((tries - 1))
	done
	fail "counter in $dir is $v, expected more than $n"
}

# checkpoint_for_copies NAME...: checkpoint --leave-running of the frozen
# container, and a bundle copy per NAME made before it thaws: each copy's
# /host then holds /host/c as it was at the dump (a dump taken during
# `echo >/host/c` has it open, and CRIU wants it back with that size).
checkpoint_for_copies() {
	local n st err
	run_nook pause "$ID"
	[ "$status" -eq 0 ] || fail "pause: $stderr"
	run_nook checkpoint --leave-running --image-path "$IMG" "$ID"
	st=$status err=$stderr
	for n; do
		copy_bundle "$n"
	done
	run_nook resume "$ID"
	[ "$st" -eq 0 ] || fail "checkpoint: $err"
	[ "$status" -eq 0 ] || fail "resume: $stderr"
}

start_counter() {
	run_nook run -d --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || fail "run failed: $stderr"
	wait_counter_above 5
}

# checkpointed_counter: the counter, checkpointed (and so stopped) into $IMG.
checkpointed_counter() {
	start_counter
	run_nook checkpoint --image-path "$IMG" "$ID"
	[ "$status" -eq 0 ] || fail "checkpoint: $stderr"
}

# assert_counter_goes_on [DIR]: the counter keeps counting.
assert_counter_goes_on() {
	local at
	at=$(counter "${1:-}")
	wait_counter_above "$at" "${1:-$HOSTDIR}"
}

# copy_bundle NAME: a bundle of its own (rootfs, /host dir, cgroup) for a
# restored copy: $TEST_TMP/NAME, its host dir $TEST_TMP/NAME.host.  The
# host dir starts as a copy of the original's: a checkpoint taken while the
# shell had /host/c open (during `echo >/host/c`) restores that open file,
# and CRIU reopens it by path and checks its size.
copy_bundle() {
	local b=$TEST_TMP/$1
	cp -a "$BUNDLE" "$b"
	mkdir -m 0777 "$b.host"
	cp -a "$HOSTDIR/." "$b.host/"
	CONFIG=$b/config.json update_config '.linux.cgroupsPath = $cg
		| .mounts |= map(if .destination == "/host" then .source = $h else . end)' \
		--arg cg "/$NOOK_CGROUP_PARENT/$ID-$1" --arg h "$b.host"
}

# assert_nothing_left_of ID: no state dir and no cgroup for ID.
assert_nothing_left_of() {
	[ ! -e "$ROOT/$1" ] || fail "state of $1 left"
	local d
	for d in /sys/fs/cgroup/*/"$NOOK_CGROUP_PARENT/$1"; do
		[ ! -d "$d" ] || fail "cgroup $d left"
	done
}
