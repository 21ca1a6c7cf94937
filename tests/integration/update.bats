#!/usr/bin/env bats
# update: new limits on a live container, read back from the host's cgroup v1
# files, and felt by the processes inside.  runc-compatible but for the
# wording of errors (nook-specific).

load helpers

start_sleeper() {
	update_config '.linux.resources.memory = {"limit": 67108864}
		| .linux.resources.pids = {"limit": 42}
		| .linux.resources.cpu = {"shares": 1024}'
	set_args sleep 600
	create_container
	run_nook start "$ID"
	assert_success
}

@test "update: memory, pids and cpu limits reach the host's cgroup files" {
	start_sleeper
	# --cpu-share is runc's spelling; nook also takes --cpu-shares.
	run_nook update --memory 33554432 --memory-reservation 16m --pids-limit 7 \
		--cpu-share 512 --cpu-quota 20000 --cpu-period 100000 "$ID"
	assert_success
	assert_equal "$(cat "$(cgroup_dir memory)/memory.limit_in_bytes")" 33554432
	assert_equal "$(cat "$(cgroup_dir memory)/memory.soft_limit_in_bytes")" 16777216
	assert_equal "$(cat "$(cgroup_dir pids)/pids.max")" 7
	assert_equal "$(cat "$(cgroup_dir cpu)/cpu.shares")" 512
	assert_equal "$(cat "$(cgroup_dir cpu)/cpu.cfs_quota_us")" 20000
	assert_equal "$(cat "$(cgroup_dir cpu)/cpu.cfs_period_us")" 100000
	# What no option named stays.
	run_nook update --pids-limit 9 "$ID"
	assert_success
	assert_equal "$(cat "$(cgroup_dir memory)/memory.limit_in_bytes")" 33554432
	assert_equal "$(cat "$(cgroup_dir cpu)/cpu.shares")" 512
	assert_equal "$(cat "$(cgroup_dir pids)/pids.max")" 9
}

@test "update: sizes with units, and -1 for no limit" {
	start_sleeper
	run_nook update --memory 48m --memory-swap 1g "$ID"
	assert_success
	assert_equal "$(cat "$(cgroup_dir memory)/memory.limit_in_bytes")" 50331648
	assert_equal "$(cat "$(cgroup_dir memory)/memory.memsw.limit_in_bytes")" 1073741824
	# Unlimited memory takes the memory+swap limit along (as runc).
	run_nook update --memory -1 "$ID"
	assert_success
	[ "$(cat "$(cgroup_dir memory)/memory.limit_in_bytes")" -gt 1073741824 ]
	[ "$(cat "$(cgroup_dir memory)/memory.memsw.limit_in_bytes")" -gt 1073741824 ]
	run_nook update --pids-limit -1 "$ID"
	assert_success
	assert_equal "$(cat "$(cgroup_dir pids)/pids.max")" max
	run_nook update --cpu-quota -1 "$ID"
	assert_success
	assert_equal "$(cat "$(cgroup_dir cpu)/cpu.cfs_quota_us")" -1
}

@test "update: the process inside feels the new pids limit" {
	start_sleeper
	# The init (1) + the exec'd shell (1) + 3 sleeps fit in 42.  The shell
	# waits for them: orphans would stay zombies of the init, and count.
	fork3='for i in 1 2 3; do sleep 0.1 & done; wait; echo all-forked'
	run_nook exec "$ID" sh -c "$fork3"
	assert_success
	assert_output all-forked
	run_nook update --pids-limit 3 "$ID"
	assert_success
	run_nook exec "$ID" sh -c "$fork3"
	assert_failure
	[[ $stderr == *"can't fork"* ]] || fail "the shell did not fail to fork: $stderr"
	refute_output --partial all-forked
}

@test "update: the process inside feels the new memory limit" {
	start_sleeper
	run_nook exec "$ID" sh -c 'dd if=/dev/zero of=/dev/null bs=24M count=1 && echo fits'
	assert_success
	assert_output --partial fits
	run_nook update --memory 16m --memory-swap 16m "$ID"
	assert_success
	run_nook exec "$ID" sh -c 'dd if=/dev/zero of=/dev/null bs=24M count=1 && echo fits'
	assert_failure
	refute_output --partial fits
}

@test "update --resources FILE: a JSON resources document" {
	start_sleeper
	cat >"$TEST_TMP/resources.json" <<-'EOF'
		{
		  "memory": {"limit": 41943040},
		  "cpu": {"shares": 256, "quota": 30000},
		  "pids": {"limit": 11}
		}
	EOF
	run_nook update --resources "$TEST_TMP/resources.json" "$ID"
	assert_success
	assert_equal "$(cat "$(cgroup_dir memory)/memory.limit_in_bytes")" 41943040
	assert_equal "$(cat "$(cgroup_dir cpu)/cpu.shares")" 256
	assert_equal "$(cat "$(cgroup_dir cpu)/cpu.cfs_quota_us")" 30000
	assert_equal "$(cat "$(cgroup_dir pids)/pids.max")" 11
}

@test "update -r -: the document on stdin; device rules in it are left alone" {
	start_sleeper
	devices_before=$(cat "$(cgroup_dir devices)/devices.list")
	echo '{"pids": {"limit": 13}, "devices": [{"allow": true, "access": "rwm"}]}' |
		nook update -r - "$ID"
	assert_equal "$(cat "$(cgroup_dir pids)/pids.max")" 13
	assert_equal "$(cat "$(cgroup_dir devices)/devices.list")" "$devices_before"
}

@test "update: a paused container can be updated" {
	start_sleeper
	run_nook pause "$ID"
	assert_success
	run_nook update --pids-limit 5 "$ID"
	assert_success
	assert_equal "$(cat "$(cgroup_dir pids)/pids.max")" 5
	assert_equal "$(status_of "$ID")" paused
}

@test "update: bad values are refused with an error naming them" {
	start_sleeper
	for args in "--memory 12x" "--memory abc" "--pids-limit 1.5" "--cpu-shares -4" \
		"--cpu-quota x" "--blkio-weight 5000" "--cpu-period"; do
		# shellcheck disable=SC2086
		run_nook update $args "$ID"
		assert_failure
		assert_one_error_line
		opt=${args%% *}
		[[ $stderr == *"$opt"* ]] || fail "error for '$args' does not name $opt: $stderr"
	done
	# The kernel would make it 2: refused, not silently changed (nook-specific).
	run_nook update --cpu-shares 1 "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *cpu.shares* ]] || fail "$stderr"
	# Above memory+swap without raising it (nook-specific: the kernel says EINVAL).
	run_nook update --memory 32m --memory-swap 32m "$ID"
	assert_success
	run_nook update --memory 64m "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"memory+swap"* ]] || fail "$stderr"
	assert_equal "$(cat "$(cgroup_dir memory)/memory.limit_in_bytes")" 33554432
}

@test "update --resources: bad documents and files" {
	start_sleeper
	echo '{"memory": {"limit": "lots"}}' >"$TEST_TMP/bad.json"
	run_nook update --resources "$TEST_TMP/bad.json" "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *memory.limit* ]] || fail "error does not name the field: $stderr"
	echo '{"memory": ' >"$TEST_TMP/bad.json"
	run_nook update --resources "$TEST_TMP/bad.json" "$ID"
	assert_failure
	assert_one_error_line
	run_nook update --resources "$TEST_TMP/missing.json" "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *missing.json* ]] || fail "$stderr"
	run_nook update --resources "$TEST_TMP/bad.json" --memory 1m "$ID"
	assert_failure
	assert_one_error_line
	assert_equal "$(cat "$(cgroup_dir memory)/memory.limit_in_bytes")" 67108864
}

@test "update: refused for a stopped or unknown container" {
	set_args true
	create_container
	run_nook start "$ID"
	assert_success
	wait_for_status "$ID" stopped
	run_nook update --pids-limit 5 "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *stopped* ]] || fail "error does not say stopped: $stderr" # nook-specific
	run_nook update --pids-limit 5 "$ID-nonexistent"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"does not exist"* ]] || fail "$stderr"
	run_nook update --pids-limit 5
	assert_failure
}
