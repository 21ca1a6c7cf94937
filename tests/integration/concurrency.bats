#!/usr/bin/env bats
# Many nook processes at once on one --root: the state directory is locked,
# so each container is created exactly once.  runc-compatible.

load helpers

@test "concurrency: parallel creates of different ids all succeed" {
	set_args sleep 600
	for i in 1 2 3 4 5 6 7 8; do
		# Each needs its own cgroup: give each its own copy of the config.
		cp -a "$BUNDLE" "$TEST_TMP/b$i"
		CONFIG=$TEST_TMP/b$i/config.json update_config '.linux.cgroupsPath = $cg' \
			--arg cg "/nook-test/$ID-$i"
		nook create --bundle "$TEST_TMP/b$i" "$ID-$i" </dev/null >"$TEST_TMP/out$i" 2>&1 &
	done
	fails=0
	for job in $(jobs -p); do
		wait "$job" || fails=$((fails + 1))
	done
	assert_equal "$fails" 0
	run nook list -q
	assert_success
	assert_equal "${#lines[@]}" 8
	for i in 1 2 3 4 5 6 7 8; do
		assert_equal "$(status_of "$ID-$i")" created
	done
}

@test "concurrency: parallel creates of one id: exactly one wins, the rest fail cleanly" {
	set_args sleep 600
	for i in 1 2 3 4 5 6; do
		nook create --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/out$i" 2>&1 &
	done
	ok=0
	for job in $(jobs -p); do
		wait "$job" && ok=$((ok + 1))
	done
	assert_equal "$ok" 1
	assert_equal "$(status_of "$ID")" created
	# The cgroup holds exactly the winner's process.
	run cat "$(cgroup_dir pids)/cgroup.procs"
	assert_output "$(pid_of "$ID")"
}

@test "concurrency: parallel delete --force of running containers" {
	set_args sleep 600
	for i in 1 2 3 4; do
		set_cgroup "$ID-$i"
		run_nook run -d --bundle "$BUNDLE" "$ID-$i"
		assert_success
	done
	for i in 1 2 3 4; do
		nook delete --force "$ID-$i" </dev/null >/dev/null 2>&1 &
	done
	fails=0
	for job in $(jobs -p); do
		wait "$job" || fails=$((fails + 1))
	done
	assert_equal "$fails" 0
	run nook list -q
	assert_output ""
	assert_nothing_left
}
