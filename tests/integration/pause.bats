#!/usr/bin/env bats
# pause and resume: the container's cgroup is frozen (v1 freezer here), its
# processes stop making progress, `state` says "paused"; resume lets them go
# on.  runc-compatible, but for the wording of errors (nook-specific).

load helpers

# A process that counts: a line a tick appended to /host/counter (appended,
# so a read never sees a half-written file).
start_counter() {
	set_args sh -c 'while :; do echo tick >>/host/counter; sleep 0.01; done'
	create_container
	run_nook start "$ID"
	assert_success
	wait_for_file "$HOSTDIR/counter"
}

counter() {
	wc -l <"$HOSTDIR/counter"
}

@test "pause: the processes stop, state says paused; resume: they go on" {
	start_counter
	run_nook pause "$ID"
	assert_success
	assert_equal "$(status_of "$ID")" paused
	assert_equal "$(cat "$(cgroup_dir freezer)/freezer.state")" FROZEN
	# The pid stays in the state of a paused container.
	[ "$(pid_of "$ID")" -gt 0 ]
	before=$(counter)
	sleep 0.3
	assert_equal "$(counter)" "$before"

	run_nook resume "$ID"
	assert_success
	assert_equal "$(status_of "$ID")" running
	assert_equal "$(cat "$(cgroup_dir freezer)/freezer.state")" THAWED
	sleep 0.3
	[ "$(counter)" -gt "$before" ] || fail "the counter did not move after resume"
}

@test "pause: list shows a paused container as paused" {
	start_counter
	run_nook pause "$ID"
	assert_success
	run_nook list --format json
	assert_success
	assert_equal "$(echo "$output" | jq -r --arg id "$ID" '.[] | select(.id == $id) | .status')" paused
}

@test "pause: a created container can be paused, and resumes as created" {
	set_args true
	create_container
	run_nook pause "$ID"
	assert_success
	assert_equal "$(status_of "$ID")" paused
	run_nook resume "$ID"
	assert_success
	assert_equal "$(status_of "$ID")" created
}

@test "pause: SIGKILL ends a paused container" {
	start_counter
	run_nook pause "$ID"
	assert_success
	pid=$(pid_of "$ID")
	run_nook kill "$ID" KILL
	assert_success
	wait_for_status "$ID" stopped
	! process_alive "$pid"
}

@test "pause: kill --all KILL ends every process of a paused container" {
	set_args sh -c 'sleep 600 & while :; do sleep 0.05; done'
	create_container
	run_nook start "$ID"
	assert_success
	run_nook pause "$ID"
	assert_success
	local pids
	pids=$(cat "$(cgroup_dir freezer)/cgroup.procs")
	[ "$(wc -w <<<"$pids")" -ge 2 ] || fail "expected two processes at least: $pids"
	run_nook kill --all "$ID" KILL
	assert_success
	# The v1 freezer holds SIGKILL too: nook lets the killed processes go.
	wait_for_status "$ID" stopped
	for pid in $pids; do
		! process_alive "$pid" || fail "$pid survived kill --all KILL"
	done
}

@test "pause: another signal waits in a paused container, which stays paused" {
	set_args sh -c 'trap "exit 3" TERM; while :; do sleep 0.05; done'
	create_container
	run_nook start "$ID"
	assert_success
	run_nook pause "$ID"
	assert_success
	pid=$(pid_of "$ID")
	run_nook kill "$ID" TERM
	assert_success
	sleep 0.3
	assert_equal "$(status_of "$ID")" paused
	process_alive "$pid"
	run_nook resume "$ID"
	assert_success
	wait_for_status "$ID" stopped
}

@test "pause: delete of a paused container needs --force, which removes everything" {
	start_counter
	run_nook pause "$ID"
	assert_success
	pid=$(pid_of "$ID")
	run_nook delete "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *paused* ]] || fail "error does not say paused: $stderr"
	assert_equal "$(status_of "$ID")" paused
	run_nook delete --force "$ID"
	assert_success
	! process_alive "$pid"
	[ ! -e "$(cgroup_dir freezer)" ] || fail "$(cgroup_dir freezer) is still there"
	run_nook state "$ID"
	assert_failure
}

@test "pause: exec in a paused container is refused" {
	start_counter
	run_nook pause "$ID"
	assert_success
	run_nook exec "$ID" true
	assert_failure
	[[ $stderr == *paused* ]] || fail "error does not say paused: $stderr"
}

@test "pause: refused for a stopped, paused or unknown container; resume for a running one" {
	set_args sleep 600
	create_container
	run_nook start "$ID"
	assert_success

	run_nook resume "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *running* ]] || fail "error does not say running: $stderr" # nook-specific

	run_nook pause "$ID"
	assert_success
	run_nook pause "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *paused* ]] || fail "error does not say paused: $stderr" # nook-specific

	run_nook kill "$ID" KILL
	assert_success
	wait_for_status "$ID" stopped
	run_nook pause "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *stopped* ]] || fail "error does not say stopped: $stderr" # nook-specific
	run_nook resume "$ID"
	assert_failure

	run_nook pause "$ID-nonexistent"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"does not exist"* ]] || fail "$stderr"
	run_nook resume "$ID-nonexistent"
	assert_failure
	run_nook pause
	assert_failure
}
