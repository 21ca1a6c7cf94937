#!/usr/bin/env bats
# ps: the processes of the container's cgroup, as host pids; runc's output
# (a JSON array of pids for --format json, ps(1)'s table otherwise).
# runc-compatible but for the wording of errors (nook-specific).

load helpers

# A container with two processes: the shell (its init) and a sleep.
start_two() {
	set_args sh -c 'sleep 600 & echo started >/host/started; wait'
	create_container
	run_nook start "$ID"
	assert_success
	wait_for_file "$HOSTDIR/started"
}

@test "ps --format json: the pids of the container's cgroup, as the host sees them" {
	start_two
	run_nook ps --format json "$ID"
	assert_success
	got=$(echo "$output" | jq -c 'sort')
	want=$(sort -n "$(cgroup_dir pids)/cgroup.procs" | jq -sc .)
	assert_equal "$got" "$want"
	assert_equal "$(echo "$got" | jq length)" 2
	echo "$got" | jq -e --argjson p "$(pid_of "$ID")" 'index($p) != null' >/dev/null ||
		fail "the init's pid $(pid_of "$ID") is not in $got"
	# The other one is the sleep, a child of the init.
	for p in $(echo "$got" | jq '.[]'); do
		[ "$p" = "$(pid_of "$ID")" ] && continue
		assert_equal "$(cmdline_of "$p")" "sleep 600 "
	done
}

@test "ps: the table is ps -ef's lines of the container's processes" {
	start_two
	run_nook ps "$ID"
	assert_success
	assert_line --index 0 --regexp '^UID +PID +PPID '
	assert_equal "${#lines[@]}" 3
	assert_line --regexp "^[^ ]+ +$(pid_of "$ID") .*sh -c sleep 600"
	assert_line --regexp " sleep 600\$"
}

@test "ps: arguments after the id (with or without --) go to ps" {
	start_two
	# runc deviates: it does not take the `--`.
	run_nook ps "$ID" -- -o pid,comm
	assert_success
	assert_line --index 0 --regexp '^ *PID +COMMAND$'
	assert_line --regexp "^ *$(pid_of "$ID") +sh\$"
	assert_line --regexp '^ *[0-9]+ +sleep$'
	assert_equal "${#lines[@]}" 3

	run_nook ps "$ID" -o comm,pid
	assert_success
	assert_line --index 0 --regexp '^COMMAND +PID$'
	assert_equal "${#lines[@]}" 3
}

@test "ps: a created container has its init" {
	set_args true
	create_container
	run_nook ps --format json "$ID"
	assert_success
	assert_equal "$output" "[$(pid_of "$ID")]"
}

@test "ps: bad input" {
	start_two
	run_nook ps --format xml "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *xml* ]] || fail "$stderr"

	# nook-specific: runc fails less clearly, or ignores the arguments.
	run_nook ps "$ID" -- -o comm
	assert_failure
	assert_one_error_line
	[[ $stderr == *PID* ]] || fail "error does not name the PID column: $stderr"
	run_nook ps --format json "$ID" -- -o pid
	assert_failure
	assert_one_error_line
	run_nook ps "$ID" -- --no-such-ps-option
	assert_failure

	run_nook ps "$ID-nonexistent"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"does not exist"* ]] || fail "$stderr"
	run_nook ps
	assert_failure
}
