#!/usr/bin/env bats
# The container in its cgroup (linux.cgroupsPath) with memory, pids and cpu
# limits, read back from the host's cgroup v1 files (this host is hybrid:
# v1 controllers at /sys/fs/cgroup/<controller>).  runc-compatible.

load helpers

@test "cgroups: the container's process is in cgroupsPath on every v1 controller" {
	set_args sleep 600
	create_container
	pid=$(pid_of "$ID")
	for c in memory pids cpu cpuacct devices freezer; do
		assert_equal "$(grep -E "^[0-9]+:([^:]*,)?$c(,[^:]*)?:" "/proc/$pid/cgroup" | cut -d: -f3)" \
			"/nook-test/$ID"
		grep -qx "$pid" "$(cgroup_dir "$c")/cgroup.procs" ||
			fail "$pid is not in $(cgroup_dir "$c")/cgroup.procs"
	done
}

@test "cgroups: memory, pids and cpu limits reach the host's cgroup files" {
	update_config '.linux.resources.memory = {"limit": 67108864}
		| .linux.resources.pids = {"limit": 42}
		| .linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 100000}'
	set_args sleep 600
	create_container
	assert_equal "$(cat "$(cgroup_dir memory)/memory.limit_in_bytes")" 67108864
	assert_equal "$(cat "$(cgroup_dir pids)/pids.max")" 42
	assert_equal "$(cat "$(cgroup_dir cpu)/cpu.shares")" 512
	assert_equal "$(cat "$(cgroup_dir cpu)/cpu.cfs_quota_us")" 50000
	assert_equal "$(cat "$(cgroup_dir cpu)/cpu.cfs_period_us")" 100000
}

@test "cgroups: memory reservation and swap limit" {
	update_config '.linux.resources.memory = {"limit": 67108864, "reservation": 33554432, "swap": 134217728}'
	set_args sleep 600
	create_container
	assert_equal "$(cat "$(cgroup_dir memory)/memory.soft_limit_in_bytes")" 33554432
	assert_equal "$(cat "$(cgroup_dir memory)/memory.memsw.limit_in_bytes")" 134217728
}

@test "cgroups: the pids limit is enforced" {
	update_config '.linux.resources.pids = {"limit": 5}'
	# The shell gives up when fork fails; pid 1 exiting takes the sleeps along.
	run_in_container sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 5 & done; echo all-forked'
	assert_failure
	assert_output --partial "can't fork"
	refute_output --partial all-forked
}

@test "cgroups: the process sees its cgroup path without a cgroup namespace" {
	update_config '.linux.namespaces |= map(select(.type != "cgroup"))'
	run_in_container cat /proc/self/cgroup
	assert_success
	assert_line --regexp "^[0-9]+:memory:/nook-test/$ID-r1\$"
	assert_line --regexp "^[0-9]+:pids:/nook-test/$ID-r1\$"
}

@test "cgroups: with a cgroup namespace its cgroup is its root" {
	update_config '.linux.namespaces |= (map(select(.type != "cgroup")) + [{"type": "cgroup"}])'
	run_in_container cat /proc/self/cgroup
	assert_success
	assert_line --regexp '^[0-9]+:memory:/$'
	assert_line --regexp '^[0-9]+:pids:/$'
}

@test "cgroups: the directories go with delete, after the process exits" {
	update_config '.linux.resources.memory = {"limit": 67108864}'
	set_args sh -c 'sleep 600 & exec sleep 600'
	create_container
	run_nook start "$ID"
	assert_success
	run_nook kill "$ID" KILL
	assert_success
	wait_for_status "$ID" stopped
	run_nook delete "$ID"
	assert_success
	for c in memory pids cpu cpuacct devices freezer blkio cpuset; do
		[ ! -e "$(cgroup_dir "$c")" ] || fail "$(cgroup_dir "$c") still exists"
	done
}

@test "cgroups: a container without resources still gets its cgroup (and loses it)" {
	update_config 'del(.linux.resources)'
	set_args sleep 600
	create_container
	[ -d "$(cgroup_dir memory)" ]
	run_nook delete --force "$ID"
	assert_success
	[ ! -e "$(cgroup_dir memory)" ]
}
