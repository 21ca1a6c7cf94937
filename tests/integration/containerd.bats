#!/usr/bin/env bats
# nook under a real containerd (Debian's 1.6) driven by `ctr`, with the
# runtime binary given as `--runc-binary` (how ctr uses a runc-compatible
# runtime; containerd's runc v2 shim calls it).  One private containerd for
# the whole file (containerd-helpers.bash); every test removes its tasks and
# containers, and teardown_file fails if anything is left.

load containerd-helpers

IMAGE=localhost/nook-busybox:1

setup_file() {
	ctrd_start
	ctrd_busybox_rootfs "$CTRD_TMP/busybox"
	ctrd_oci_archive "$CTRD_TMP/busybox.tar" "$IMAGE" "$CTRD_TMP/busybox/rootfs" /bin/sh
	ctrd_import "$CTRD_NS" "$CTRD_TMP/busybox.tar" "$IMAGE"
}

teardown_file() {
	ctrd_teardown_file
}

setup() {
	CID=nook-ctr-$BATS_TEST_NUMBER-$RANDOM
}

teardown() {
	[ -n "${BATS_TEST_COMPLETED:-}" ] || ctrd_dump
	ctrd tasks kill -s SIGKILL "$CID" >/dev/null 2>&1 || true
	ctrd tasks delete -f "$CID" >/dev/null 2>&1 || true
	ctrd containers delete "$CID" >/dev/null 2>&1 || true
}

# ctr_run ARGS...: `ctr run` with nook as the runtime binary, nook's --root
# and ctr's FIFOs private to this file; stdin is /dev/null.
ctr_run() {
	ctrd run --runc-binary "$NOOK_BINARY" --runc-root "$NOOK_ROOT" --fifo-dir "$CTRD_TMP/fifo" "$@" </dev/null
}

# nook_list: the containers nook has in the namespace's root (the runc shim
# passes --root <runc-root>/<namespace>).
nook_list() {
	"$NOOK_BINARY" --root "$NOOK_ROOT/$CTRD_NS" list "$@"
}

@test "containerd: ctr run with nook captures the container's output" {
	run ctr_run --rm "$IMAGE" "$CID" sh -c 'echo "hello from $(cat /etc/hostname)"; echo "pid $$"; echo err >&2; exit 3'
	assert_equal "$status" 3
	assert_line "hello from nook"
	assert_line "pid 1"
	assert_line err
	# --rm: nothing left in containerd or in nook
	run ctrd containers ls -q
	[[ $output != *"$CID"* ]] || fail "container $CID left in containerd"
	run nook_list -q
	assert_output ""
}

@test "containerd: run -d, task exec, kill, delete; the task is nook's" {
	# pid 1 ignores signals it has no handler for: give it one
	ctr_run -d "$IMAGE" "$CID" sh -c 'trap "exit 7" TERM; sleep 1000 & wait' >/dev/null
	wait_task_status "$CID" RUNNING
	# nook created it: it is in nook's state under the shim's --root
	run nook_list --format json
	assert_success
	[ "$(jq -r --arg id "$CID" '.[] | select(.id == $id) | .status' <<<"$output")" = running ] ||
		fail "nook does not list $CID as running: $output"
	local pid
	pid=$(ctrd tasks ls | awk -v id="$CID" '$1 == id {print $2}')
	assert_equal "$(jq -r --arg id "$CID" '.[] | select(.id == $id) | .pid' <<<"$output")" "$pid"

	run ctrd tasks exec --fifo-dir "$CTRD_TMP/fifo" --exec-id probe "$CID" sh -c 'echo "exec sees $(cat /proc/1/cmdline | tr "\0" " ")"; exit 5' </dev/null
	assert_equal "$status" 5
	assert_output --partial "exec sees sh -c trap"

	run ctrd tasks kill -s SIGTERM "$CID"
	assert_success
	wait_task_status "$CID" STOPPED
	run ctrd tasks delete "$CID"
	assert_success
	# ctr prints the exit status of the deleted task
	assert_output --partial 7
	run ctrd containers delete "$CID"
	assert_success
	run nook_list -q
	assert_output ""
	process_gone "$pid"
}

@test "containerd: ctr run -t gives the container a terminal" {
	local cmd
	cmd="$(ctr_in_tty) run --rm -t"
	cmd="$cmd --runc-binary $NOOK_BINARY --runc-root $NOOK_ROOT --fifo-dir $CTRD_TMP/fifo $IMAGE $CID"
	cmd="$cmd sh -c 'tty; [ -t 0 ] && echo stdin-is-tty; [ -t 1 ] && echo stdout-is-tty'"
	run script -qec "$cmd" /dev/null </dev/null
	assert_success
	assert_output --regexp '/dev/pts/[0-9]+'
	assert_output --partial stdin-is-tty
	assert_output --partial stdout-is-tty
}

@test "containerd: task exec -t into a detached container gets a terminal" {
	ctr_run -d "$IMAGE" "$CID" sleep 1000 >/dev/null
	wait_task_status "$CID" RUNNING
	local cmd
	cmd="$(ctr_in_tty) tasks exec -t --fifo-dir $CTRD_TMP/fifo --exec-id tty $CID sh -c 'tty; exit 6'"
	run script -qec "$cmd" /dev/null </dev/null
	assert_equal "$status" 6
	assert_output --regexp '/dev/pts/[0-9]+'
	kill_task "$CID"
	ctrd containers delete "$CID"
}

@test "containerd: --memory-limit and --cpus are applied (seen inside and on the host)" {
	# ctr's default spec has no /sys/fs/cgroup mount (the CRI plugin adds
	# one): ask for it, read-only, as the kubelet's containers get it.
	ctr_run -d --memory-limit 33554432 --cpus 0.5 \
		--mount type=cgroup,src=cgroup,dst=/sys/fs/cgroup,options=ro:nosuid:nodev:noexec \
		"$IMAGE" "$CID" sleep 1000 >/dev/null
	wait_task_status "$CID" RUNNING
	local pid mem cpu
	run ctrd tasks exec --fifo-dir "$CTRD_TMP/fifo" --exec-id probe "$CID" sh -c '
		echo "mem $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
		echo "quota $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"' </dev/null
	assert_success
	assert_line "mem 33554432"
	assert_line "quota 50000 100000"
	# a process inside that wants more memory is killed by the limit
	run ctrd tasks exec --fifo-dir "$CTRD_TMP/fifo" --exec-id oom "$CID" dd if=/dev/zero of=/dev/null bs=64M count=1 </dev/null
	assert_equal "$status" 137
	# the host's files of the task's cgroup say the same
	pid=$(ctrd tasks ls | awk -v id="$CID" '$1 == id {print $2}')
	mem=/sys/fs/cgroup/memory$(sed -n 's/^[0-9]*:memory://p' "/proc/$pid/cgroup")
	cpu=/sys/fs/cgroup/cpu$(sed -n 's/^[0-9]*:cpu://p' "/proc/$pid/cgroup")
	assert_equal "$(cat "$mem/memory.limit_in_bytes")" 33554432
	assert_equal "$(cat "$cpu/cpu.cfs_quota_us")" 50000
	grep -qx "$pid" "$mem/cgroup.procs" || fail "the task's pid $pid is not in $mem"
	kill_task "$CID"
	ctrd containers delete "$CID"
	[ ! -d "$mem" ] || fail "cgroup $mem left after delete"
}

@test "containerd: a spec nook refuses fails ctr run with nook's error" {
	run ctr_run --rm --cap-add CAP_NOT_A_THING "$IMAGE" "$CID" true
	assert_failure
	# the shim returns the runtime's last --log error line to the client
	assert_output --partial CAP_NOT_A_THING
	run ctrd tasks ls -q
	[[ $output != *"$CID"* ]] || fail "task $CID left in containerd"
	run nook_list -q
	assert_output ""
}

# process_gone PID: the process exited (or is a zombie waiting for init).
process_gone() {
	local stat tries=100
	while [ "$tries" -gt 0 ]; do
		stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
		stat=${stat##*) }
		[ "${stat%% *}" = Z ] && return 0
		sleep 0.05
		tries=$((tries - 1))
	done
	fail "process $1 still runs"
}
