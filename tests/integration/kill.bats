#!/usr/bin/env bats
# kill [--all] ID [SIGNAL]: names and numbers, the default SIGTERM, and the
# spec's rule that only a created or running container can be signalled.
# Runtime-spec / runc-compatible unless marked.

load helpers

# The container's pid 1 writes the name of each signal it catches to
# /host/got (a pid 1 ignores signals it has no handler for, except from
# outside its namespace for SIGKILL/SIGSTOP), and exits on TERM.
start_trapping_container() {
	set_args sh -c '
		trap "echo TERM >>/host/got; exit 0" TERM
		trap "echo USR1 >>/host/got" USR1
		trap "echo HUP >>/host/got" HUP
		echo ready >/host/ready
		while :; do sleep 0.05; done'
	create_container
	run_nook start "$ID"
	assert_success
	wait_for_file "$HOSTDIR/ready"
}

# kill_and_expect SIGNAL_ARG CAUGHT_NAME
kill_and_expect() {
	start_trapping_container
	if [ -n "$1" ]; then
		run_nook kill "$ID" "$1"
	else
		run_nook kill "$ID"
	fi
	assert_success
	wait_for_file "$HOSTDIR/got"
	[ "$2" != TERM ] || wait_for_status "$ID" stopped
	run cat "$HOSTDIR/got"
	assert_output "$2"
}

@test "kill: without a signal sends SIGTERM" {
	kill_and_expect "" TERM
}

@test "kill: by name TERM" {
	kill_and_expect TERM TERM
}

@test "kill: by name SIGTERM" {
	kill_and_expect SIGTERM TERM
}

@test "kill: by number 15" {
	kill_and_expect 15 TERM
}

@test "kill: USR1 by name reaches the process, which keeps running" {
	kill_and_expect USR1 USR1
	assert_equal "$(status_of "$ID")" running
}

@test "kill: SIGHUP by number 1" {
	kill_and_expect 1 HUP
}

@test "kill: KILL stops a running container" {
	start_trapping_container
	pid=$(pid_of "$ID")
	run_nook kill "$ID" KILL
	assert_success
	wait_for_status "$ID" stopped
	run process_alive "$pid"
	assert_failure
}

@test "kill: SIGKILL stops a running container" {
	start_trapping_container
	run_nook kill "$ID" SIGKILL
	assert_success
	wait_for_status "$ID" stopped
}

@test "kill: 9 stops a running container" {
	start_trapping_container
	run_nook kill "$ID" 9
	assert_success
	wait_for_status "$ID" stopped
}

@test "kill: a created container can be killed; it becomes stopped without running the program" {
	set_args sh -c 'echo ran >/host/ran'
	create_container
	pid=$(pid_of "$ID")
	run_nook kill "$ID" KILL
	assert_success
	wait_for_status "$ID" stopped
	run process_alive "$pid"
	assert_failure
	[ ! -e "$HOSTDIR/ran" ]
}

# How many live processes of the container run "sleep 600".
count_sleepers() {
	local n=0 pid
	for pid in $(cat "$(cgroup_dir pids)/cgroup.procs"); do
		process_alive "$pid" && [ "$(cmdline_of "$pid" 2>/dev/null)" = "sleep 600 " ] && n=$((n + 1))
	done
	echo "$n"
}

@test "kill: --all signals every process of the container, not only pid 1" {
	# pid 1 catches TERM and goes on; its two children die of it.
	set_args sh -c '
		trap "echo TERM >>/host/got" TERM
		sleep 600 & sleep 600 &
		echo ready >/host/ready
		while :; do sleep 0.05; done'
	create_container
	run_nook start "$ID"
	assert_success
	wait_for_file "$HOSTDIR/ready"
	assert_equal "$(count_sleepers)" 2

	# Without --all only pid 1 gets it.
	run_nook kill "$ID" TERM
	assert_success
	wait_for_file "$HOSTDIR/got"
	sleep 0.2
	assert_equal "$(count_sleepers)" 2

	run_nook kill --all "$ID" TERM
	assert_success
	for _ in $(seq 100); do
		[ "$(count_sleepers)" -eq 0 ] && break
		sleep 0.05
	done
	assert_equal "$(count_sleepers)" 0
	assert_equal "$(status_of "$ID")" running

	run_nook kill --all "$ID" KILL
	assert_success
	wait_for_status "$ID" stopped
	for _ in $(seq 100); do
		[ -z "$(cat "$(cgroup_dir pids)/cgroup.procs")" ] && break
		sleep 0.05
	done
	run cat "$(cgroup_dir pids)/cgroup.procs"
	assert_output ""
}

@test "kill: an unknown signal is an error and the container keeps running" {
	start_trapping_container
	for sig in FOO SIGFOO 0x9 -9 999; do
		run_nook kill "$ID" "$sig"
		assert_failure
		[ -n "$stderr" ]
	done
	assert_equal "$(status_of "$ID")" running
	[ ! -e "$HOSTDIR/got" ]
}

@test "kill: a stopped container cannot be signalled" {
	set_args true
	create_container
	run_nook start "$ID"
	assert_success
	wait_for_status "$ID" stopped
	run_nook kill "$ID" KILL
	assert_failure
	[ -n "$stderr" ]
	assert_equal "$(status_of "$ID")" stopped
}

@test "kill: a container that does not exist is an error" {
	run_nook kill "$ID-nothere" KILL
	assert_failure
	[ -n "$stderr" ]
}
