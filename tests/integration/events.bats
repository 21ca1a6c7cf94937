#!/usr/bin/env bats
# events: runc's JSON lines, {"type":"stats","id":...,"data":{...}} with the
# cgroup's numbers, and {"type":"oom","id":...} when the OOM killer strikes
# in the container (memory.oom_control's notification on this v1 host).
# runc-compatible but for the wording of errors (nook-specific), and for the
# end of the stream: nook's ends when the container stops, runc's on cgroup v1
# only when the cgroup is removed (runc deviates).

load helpers

# nook without the suite's timeout wrapper, for a stream the test ends.
nook_bin() {
	"$NOOK_BINARY" --root "$ROOT" "$@" 3>&-
}

@test "events --stats: one JSON line with the cgroup's numbers" {
	update_config '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 42}'
	set_args sh -c 'sleep 600 & wait'
	create_container
	run_nook start "$ID"
	assert_success
	run_nook events --stats "$ID"
	assert_success
	assert_equal "${#lines[@]}" 1
	echo "$output" | jq -e --arg id "$ID" '.type == "stats" and .id == $id' >/dev/null ||
		fail "not a stats event of $ID: $output"
	[ "$(echo "$output" | jq '.data.memory.usage.usage')" -gt 0 ]
	assert_equal "$(echo "$output" | jq '.data.memory.usage.limit')" 67108864
	[ "$(echo "$output" | jq '.data.pids.current')" -ge 1 ]
	assert_equal "$(echo "$output" | jq '.data.pids.limit')" 42
	[ "$(echo "$output" | jq '.data.cpu.usage.total')" -gt 0 ]
	# The members clients look for are there, even when empty.
	for k in cpu cpuset memory pids blkio hugetlb intel_rdt network_interfaces; do
		echo "$output" | jq -e --arg k "$k" '.data | has($k)' >/dev/null || fail "no data.$k"
	done
	echo "$output" | jq -e '.data.memory.raw | has("total_rss")' >/dev/null ||
		fail "no memory.stat numbers in data.memory.raw"
}

@test "events: stats every --interval until the container stops" {
	set_args sleep 600
	create_container
	run_nook start "$ID"
	assert_success
	nook_bin events --interval 100ms "$ID" >"$TEST_TMP/events" 2>"$TEST_TMP/events.err" &
	events_pid=$!
	sleep 0.6
	# The stream ends by itself once the container has stopped (runc deviates).
	run_nook kill "$ID" KILL
	assert_success
	for _ in $(seq 50); do
		kill -0 "$events_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$events_pid" 2>/dev/null; then
		kill "$events_pid"
		fail "events did not end when the container stopped"
	fi
	wait "$events_pid" || fail "events failed: $(cat "$TEST_TMP/events.err")"
	n=$(wc -l <"$TEST_TMP/events")
	[ "$n" -ge 3 ] || fail "only $n stats lines in 0.6 s at 100ms: $(cat "$TEST_TMP/events")"
	[ "$(jq -s --arg id "$ID" 'map(select(.type == "stats" and .id == $id)) | length' "$TEST_TMP/events")" = "$n" ]
}

@test "events: an allocation over the memory limit is OOM-killed and reported" {
	# No swap to escape to: memory+swap is the limit too.
	update_config '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}'
	set_args dd if=/dev/zero of=/dev/null bs=64M count=1
	create_container
	nook_bin events --interval 50ms "$ID" >"$TEST_TMP/events" 2>"$TEST_TMP/events.err" &
	events_pid=$!
	# Started once it has printed: its OOM watch is in place.
	wait_for_file "$TEST_TMP/events"
	for _ in $(seq 100); do
		[ -s "$TEST_TMP/events" ] && break
		sleep 0.05
	done
	run_nook start "$ID"
	assert_success
	for _ in $(seq 100); do
		kill -0 "$events_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$events_pid" 2>/dev/null; then
		kill "$events_pid"
		fail "events did not end when the container stopped: $(cat "$TEST_TMP/events")"
	fi
	wait "$events_pid" || fail "events failed: $(cat "$TEST_TMP/events.err")"
	# One per OOM the kernel reports: usually exactly one here.
	[ "$(grep -c '"type":"oom"' "$TEST_TMP/events")" -ge 1 ] ||
		fail "no OOM event: $(cat "$TEST_TMP/events")"
	assert_equal "$(grep '"type":"oom"' "$TEST_TMP/events" | sort -u)" "{\"type\":\"oom\",\"id\":\"$ID\"}"
	assert_equal "$(status_of "$ID")" stopped
	assert_equal "$(grep -E '^oom_kill ' "$(cgroup_dir memory)/memory.oom_control")" "oom_kill 1"
}

@test "events: bad input" {
	set_args sleep 600
	create_container
	for bad in garbage 5 -1s 0 ""; do
		run_nook events --interval "$bad" "$ID"
		assert_failure
		assert_one_error_line
		[[ $stderr == *interval* ]] || fail "error does not name --interval: $stderr"
	done
	run_nook events --stats "$ID-nonexistent"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"does not exist"* ]] || fail "$stderr"
	run_nook events
	assert_failure

	run_nook kill "$ID" KILL
	assert_success
	wait_for_status "$ID" stopped
	run_nook events --stats "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *stopped* ]] || fail "error does not say stopped: $stderr" # nook-specific
	run_nook events "$ID"
	assert_failure
}
