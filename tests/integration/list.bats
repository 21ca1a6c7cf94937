#!/usr/bin/env bats
# list [-q] [--format table|json].  `list` is not in the runtime-spec; the
# expectations follow runc's output, which containerd-era tools parse.

load helpers

# Two containers: $ID-a created, $ID-b running.
create_two() {
	set_args sleep 600
	set_cgroup "$ID-a"
	create_container "$ID-a"
	set_cgroup "$ID-b"
	create_container "$ID-b"
	run_nook start "$ID-b"
	assert_success
}

@test "list: the table has a header and one row per container with its pid, status and bundle" {
	create_two
	run nook list
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	assert_line --index 0 --regexp '^ID +PID +STATUS +BUNDLE +CREATED'
	assert_line --regexp "^$ID-a +$(pid_of "$ID-a") +created +$BUNDLE +[0-9]{4}-"
	assert_line --regexp "^$ID-b +$(pid_of "$ID-b") +running +$BUNDLE +[0-9]{4}-"
}

@test "list -q: only the ids, one per line" {
	create_two
	run nook list -q
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	assert_line "$ID-a"
	assert_line "$ID-b"
}

@test "list --format json: an array of state objects" {
	create_two
	run nook list --format json
	assert_success
	echo "$output" | jq -e --arg a "$ID-a" --arg b "$ID-b" --arg bundle "$BUNDLE" '
		type == "array" and length == 2
		and (map(select(.id == $a))[0] | .status == "created" and .pid > 0
			and .bundle == $bundle and (.created | type == "string"))
		and (map(select(.id == $b))[0] | .status == "running" and .pid > 0
			and .bundle == $bundle and (.created | type == "string"))'
	assert_equal "$(echo "$output" | jq -r --arg a "$ID-a" '.[] | select(.id == $a) | .pid')" \
		"$(pid_of "$ID-a")"
}

@test "list: a stopped container is listed as stopped" {
	set_args true
	create_container
	run_nook start "$ID"
	assert_success
	wait_for_status "$ID" stopped
	run nook list --format json
	assert_success
	echo "$output" | jq -e --arg id "$ID" '.[] | select(.id == $id) | .status == "stopped"'
}

# runc deviates: `runc list --format json` prints `null` for no containers.
@test "list: an empty --root lists nothing" {
	mkdir -p "$ROOT"
	run nook list -q
	assert_success
	assert_output ""
	run nook list --format json
	assert_success
	echo "$output" | jq -e 'type == "array" and length == 0'
	run nook list
	assert_success
	[ "${#lines[@]}" -le 1 ]
}

@test "list: an unknown --format is an error" {
	run_nook list --format yaml
	assert_failure
	[ -n "$stderr" ]
}
