#!/usr/bin/env bats
# linux.resources fields that cgroups.bats and update.bats do not read back,
# on this hybrid host (v1 controllers at /sys/fs/cgroup/<controller>, a
# cgroup2 mount at /sys/fs/cgroup/unified owning only hugetlb): each value is
# read back from the host's cgroup file (or felt inside), so a field nook
# ignored fails its test.  Pure cgroup v2 is tests/vm's.  Error wording is
# nook-specific; the rest is runc-compatible unless marked.

load helpers

UNIFIED=/sys/fs/cgroup/unified

teardown() {
	local id d rc=0 left=
	# The container goes first: its cgroup is inside rt_budget's parent.
	if [ -n "${RT_PARENT:-}" ]; then
		for id in $(nook_test_ids); do
			nook delete --force "$id" </dev/null >/dev/null 2>&1 || true
		done
		rmdir "$RT_PARENT" 2>/dev/null || true
	fi
	nook_teardown || rc=$?
	for d in ${REL_DIRS:-}; do
		[ -e "$d" ] || continue
		left="$left $d"
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
	[ -z "$left" ] || fail "left behind after delete --force: cgroup:$left"
	return "$rc"
}

# hybrid_hugetlb: this host's layout, which the hugetlb and unified tests
# are about: no v1 hugetlb hierarchy, hugetlb on the cgroup2 mount.
hybrid_hugetlb() {
	[ ! -d /sys/fs/cgroup/hugetlb ] || fail "this host has a v1 hugetlb hierarchy: the test expects hybrid"
	grep -qw hugetlb "$UNIFIED/cgroup.controllers" ||
		fail "$UNIFIED has no hugetlb controller: the test expects hybrid"
}

# start_sleeper [JQ_FILTER [jq options...]]: a running container (sleep) with
# a memory limit, and what the filter adds to the config.
start_sleeper() {
	update_config '.linux.resources.memory = {"limit": 67108864}'
	[ -z "${1:-}" ] || update_config "$@"
	set_args sleep 600
	create_container
	run_nook start "$ID"
	assert_success
}

# rt_budget US: the container's cgroup becomes /$ID-rt/c, and the test makes
# /$ID-rt in the cpu hierarchy with US of realtime runtime to hand out: a
# cgroup's cpu.rt_runtime_us can only take from its parent's, and a new
# cgroup starts with none (nook, like runc, does not fill parents; docker's
# daemon sets its own parent's).  A parent of the test's own, so that no
# other container shares it.  Sets $RT_PARENT; teardown removes it.
rt_budget() {
	[ -f /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] ||
		fail "no RT group scheduling (cgroup v1 cpu.rt_runtime_us) on this host"
	RT_PARENT=/sys/fs/cgroup/cpu/$ID-rt
	mkdir "$RT_PARENT"
	echo "$1" >"$RT_PARENT/cpu.rt_runtime_us"
	update_config '.linux.cgroupsPath = $cg' --arg cg "/$ID-rt/c"
}

# ---- hugetlb on the cgroup2 side of a hybrid host ----

@test "cgroups fields: hugepageLimits go to hugetlb.<size>.max on the cgroup2 mount (hybrid)" {
	hybrid_hugetlb
	update_config '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304},
		{"pageSize": "1GB", "limit": 1073741824}]'
	start_sleeper
	d=$UNIFIED/$NOOK_CGROUP_PARENT/$ID
	assert_equal "$(cat "$d/hugetlb.2MB.max")" 4194304
	assert_equal "$(cat "$d/hugetlb.1GB.max")" 1073741824
	pid=$(pid_of "$ID")
	grep -qx "$pid" "$d/cgroup.procs" || fail "$pid is not in $d/cgroup.procs"
	# And update changes them there too.
	echo '{"hugepageLimits": [{"pageSize": "2MB", "limit": 8388608}]}' >"$TEST_TMP/r.json"
	run_nook update -r "$TEST_TMP/r.json" "$ID"
	assert_success
	assert_equal "$(cat "$d/hugetlb.2MB.max")" 8388608
	assert_equal "$(cat "$d/hugetlb.1GB.max")" 1073741824
}

@test "cgroups fields: a hugepage size the host does not have fails clearly (hybrid)" {
	hybrid_hugetlb
	update_config '.linux.resources.hugepageLimits = [{"pageSize": "4MB", "limit": 4194304}]'
	expect_create_error "linux.resources.hugepageLimits[0]" "hugetlb.4MB.max" "does not exist"
	update_config '.linux.resources.hugepageLimits = [{"pageSize": "2mb", "limit": 4194304}]'
	expect_create_error "linux.resources.hugepageLimits[0].pageSize" 2mb
}

# ---- linux.resources.unified on a hybrid host ----

@test "cgroups fields: unified hugetlb.* keys are written to the cgroup2 mount (hybrid)" {
	hybrid_hugetlb
	update_config '.linux.resources.unified = {"hugetlb.2MB.max": "6291456"}'
	start_sleeper
	assert_equal "$(cat "$UNIFIED/$NOOK_CGROUP_PARENT/$ID/hugetlb.2MB.max")" 6291456
	echo '{"unified": {"hugetlb.2MB.max": "2097152"}}' | nook update -r - "$ID"
	assert_equal "$(cat "$UNIFIED/$NOOK_CGROUP_PARENT/$ID/hugetlb.2MB.max")" 2097152
}

@test "cgroups fields: unified keys of a controller on cgroup v1 are refused (hybrid)" {
	hybrid_hugetlb
	update_config '.linux.resources.unified = {"memory.max": "67108864"}'
	expect_create_error "linux.resources.unified" "memory.max" "controller is on cgroup v1"
	update_config '.linux.resources.unified = {"hugetlb.2MB.max": "2097152", "pids.max": "10"}'
	expect_create_error "linux.resources.unified" "pids.max" "controller is on cgroup v1"
	# update: refused, and the v1 limit is untouched.
	update_config 'del(.linux.resources.unified)'
	start_sleeper
	echo '{"unified": {"memory.max": "33554432"}}' >"$TEST_TMP/r.json"
	run_nook update -r "$TEST_TMP/r.json" "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"memory.max"*"controller is on cgroup v1"* ]] || fail "$stderr"
	assert_equal "$(cat "$(cgroup_dir memory)/memory.limit_in_bytes")" 67108864
}

# ---- memory ----

@test "cgroups fields: memory kernelTCP, swappiness and disableOOMKiller reach the v1 files" {
	start_sleeper '.linux.resources.memory += {"kernelTCP": 16777216, "swappiness": 17,
		"disableOOMKiller": true}'
	d=$(cgroup_dir memory)
	assert_equal "$(cat "$d/memory.kmem.tcp.limit_in_bytes")" 16777216
	assert_equal "$(cat "$d/memory.swappiness")" 17
	grep -qx "oom_kill_disable 1" "$d/memory.oom_control" || fail "$(cat "$d/memory.oom_control")"
}

@test "cgroups fields: without disableOOMKiller the OOM killer stays on" {
	start_sleeper
	grep -qx "oom_kill_disable 0" "$(cgroup_dir memory)/memory.oom_control" ||
		fail "$(cat "$(cgroup_dir memory)/memory.oom_control")"
}

@test "cgroups fields: a bad swappiness is refused, naming it" {
	update_config '.linux.resources.memory = {"swappiness": 101}'
	expect_create_error linux.resources.memory.swappiness
}

@test "cgroups fields: memory.kernel is accepted with a warning (Linux >= 6 ignores it)" {
	update_config '.linux.resources.memory = {"limit": 67108864, "kernel": 33554432}'
	set_args sleep 600
	create_container
	[[ $stderr == *"linux.resources.memory.kernel"*"ignored"* ]] || fail "no warning: $stderr"
	assert_equal "$(cat "$(cgroup_dir memory)/memory.limit_in_bytes")" 67108864
	run_nook start "$ID"
	assert_success
	run_nook update --kernel-memory 48m "$ID"
	assert_success
	[[ $stderr == *"linux.resources.memory.kernel"*"ignored"* ]] || fail "no warning: $stderr"
}

# start_filled MEMORY_JSON: a running container with that memory config
# and about 24 MiB of page cache charged to it; sets d, its memory cgroup.
start_filled() {
	update_config '.linux.resources.memory = '"$1"
	set_args sh -c 'dd if=/dev/zero of=/host/fill bs=1M count=24 2>/dev/null && touch /host/ready && exec sleep 600'
	create_container
	run_nook start "$ID"
	assert_success
	wait_for_file "$HOSTDIR/ready"
	d=$(cgroup_dir memory)
}

# nook-specific on cgroup v1: runc checks only with its v2 managers.
@test "cgroups fields: memory.checkBeforeUpdate refuses a limit below the usage" {
	start_filled '{"limit": 67108864}'
	usage=$(cat "$d/memory.usage_in_bytes")
	[ "$usage" -gt 16777216 ] || fail "usage is only $usage"
	echo '{"memory": {"limit": 8388608, "checkBeforeUpdate": true}}' >"$TEST_TMP/r.json"
	run_nook update -r "$TEST_TMP/r.json" "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"linux.resources.memory.limit"*"below the current usage"*checkBeforeUpdate* ]] ||
		fail "$stderr"
	assert_equal "$(cat "$d/memory.limit_in_bytes")" 67108864
	# Above the usage it goes through.
	echo '{"memory": {"limit": 50331648, "checkBeforeUpdate": true}}' >"$TEST_TMP/r.json"
	run_nook update -r "$TEST_TMP/r.json" "$ID"
	assert_success
	assert_equal "$(cat "$d/memory.limit_in_bytes")" 50331648
	# Without it, the kernel reclaims the page cache to fit.
	echo '{"memory": {"limit": 8388608}}' >"$TEST_TMP/r.json"
	run_nook update -r "$TEST_TMP/r.json" "$ID"
	assert_success
	assert_equal "$(cat "$d/memory.limit_in_bytes")" 8388608
}

# runc's update starts from the cgroup settings of create, so its
# checkBeforeUpdate holds for a later `update --memory` too.
@test "cgroups fields: a config's memory.checkBeforeUpdate holds for a later update --memory" {
	start_filled '{"limit": 67108864, "checkBeforeUpdate": true}'
	run_nook update --memory 8388608 "$ID"
	assert_failure
	[[ $stderr == *"below the current usage"*checkBeforeUpdate* ]] || fail "$stderr"
	assert_equal "$(cat "$d/memory.limit_in_bytes")" 67108864
	run_nook update --memory 50331648 "$ID"
	assert_success
	assert_equal "$(cat "$d/memory.limit_in_bytes")" 50331648
	# an update that says otherwise is obeyed
	echo '{"memory": {"limit": 8388608, "checkBeforeUpdate": false}}' >"$TEST_TMP/r.json"
	run_nook update -r "$TEST_TMP/r.json" "$ID"
	assert_success
	assert_equal "$(cat "$d/memory.limit_in_bytes")" 8388608
}

# ---- cpu ----

@test "cgroups fields: cpu burst and idle reach cpu.cfs_burst_us and cpu.idle" {
	start_sleeper '.linux.resources.cpu = {"quota": 50000, "period": 100000, "burst": 20000, "idle": 1}'
	d=$(cgroup_dir cpu)
	assert_equal "$(cat "$d/cpu.cfs_quota_us")" 50000
	assert_equal "$(cat "$d/cpu.cfs_burst_us")" 20000
	assert_equal "$(cat "$d/cpu.idle")" 1
}

@test "cgroups fields: a cpu burst above the quota is refused, naming it" {
	update_config '.linux.resources.cpu = {"quota": 50000, "period": 100000, "burst": 60000}'
	expect_create_error linux.resources.cpu.burst cpu.cfs_burst_us
}

@test "cgroups fields: a cpu idle other than 0 or 1 is refused, naming it" {
	update_config '.linux.resources.cpu = {"idle": 2}'
	expect_create_error linux.resources.cpu.idle
}

@test "cgroups fields: cpu realtimePeriod and realtimeRuntime reach cpu.rt_period_us and cpu.rt_runtime_us" {
	rt_budget 100000
	start_sleeper '.linux.resources.cpu = {"realtimePeriod": 500000, "realtimeRuntime": 25000}'
	d=$RT_PARENT/c
	assert_equal "$(cat "$d/cpu.rt_period_us")" 500000
	assert_equal "$(cat "$d/cpu.rt_runtime_us")" 25000
}

# Without realtimeRuntime it cannot: scheduling.bats.
@test "cgroups fields: with realtimeRuntime, a SCHED_FIFO process can run in the container" {
	rt_budget 100000
	update_config '.linux.resources.cpu = {"realtimeRuntime": 50000}
		| .process.scheduler = {"policy": "SCHED_FIFO", "priority": 50}'
	set_args cat /proc/self/stat
	run nook run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	# Field 41 of stat is the policy: 1 is SCHED_FIFO.
	stat=${output##*) }
	assert_equal "$(echo "$stat" | awk '{print $39}')" 1
}

@test "cgroups fields: realtimeRuntime more than the parent has is refused, naming it" {
	# The parent /nook-test/$ID is made by nook with no realtime runtime.
	update_config '.linux.resources.cpu = {"realtimeRuntime": 10000} | .linux.cgroupsPath = $cg' \
		--arg cg "/$NOOK_CGROUP_PARENT/$ID/c"
	expect_create_error linux.resources.cpu.realtimeRuntime cpu.rt_runtime_us
}

# ---- cpuset ----

@test "cgroups fields: cpu.cpus and cpu.mems reach cpuset.cpus and cpuset.mems" {
	last=$(($(nproc --all) - 1))
	[ "$last" -ge 1 ] || skip "one CPU: no cpuset different from the host's"
	start_sleeper '.linux.resources.cpu = {"cpus": $c, "mems": "0"}' --arg c "$last"
	d=$(cgroup_dir cpuset)
	assert_equal "$(cat "$d/cpuset.cpus")" "$last"
	assert_equal "$(cat "$d/cpuset.mems")" 0
	run_nook exec "$ID" grep Cpus_allowed_list /proc/self/status
	assert_success
	assert_output --regexp "Cpus_allowed_list:[[:space:]]+$last\$"
}

@test "cgroups fields: cpus or mems the host does not have are refused, naming them" {
	update_config '.linux.resources.cpu = {"cpus": "1000"}'
	expect_create_error linux.resources.cpu.cpus cpuset.cpus
	update_config '.linux.resources.cpu = {"mems": "63"}'
	expect_create_error linux.resources.cpu.mems cpuset.mems
}

# ---- update flags ----

@test "update: --cpu-burst, --cpu-idle, --cpu-rt-period, --cpu-rt-runtime reach the cpu files" {
	rt_budget 100000
	start_sleeper '.linux.resources.cpu = {"quota": 50000, "period": 100000}'
	d=$RT_PARENT/c
	run_nook update --cpu-burst 10000 --cpu-idle 1 --cpu-rt-period 400000 --cpu-rt-runtime 20000 "$ID"
	assert_success
	assert_equal "$(cat "$d/cpu.cfs_burst_us")" 10000
	assert_equal "$(cat "$d/cpu.idle")" 1
	assert_equal "$(cat "$d/cpu.rt_period_us")" 400000
	assert_equal "$(cat "$d/cpu.rt_runtime_us")" 20000
	assert_equal "$(cat "$d/cpu.cfs_quota_us")" 50000
	run_nook update --cpu-burst 0 --cpu-idle 0 "$ID"
	assert_success
	assert_equal "$(cat "$d/cpu.cfs_burst_us")" 0
	assert_equal "$(cat "$d/cpu.idle")" 0
	# More than the quota, more than the parent has: refused, named.
	run_nook update --cpu-burst 90000 "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *linux.resources.cpu.burst* ]] || fail "$stderr"
	run_nook update --cpu-rt-runtime 200000 "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *linux.resources.cpu.realtimeRuntime* ]] || fail "$stderr"
	assert_equal "$(cat "$d/cpu.rt_runtime_us")" 20000
}

@test "update: --cpuset-cpus and --cpuset-mems reach the cpuset files" {
	last=$(($(nproc --all) - 1))
	[ "$last" -ge 1 ] || skip "one CPU: no cpuset different from the host's"
	start_sleeper
	d=$(cgroup_dir cpuset)
	run_nook update --cpuset-cpus "$last" --cpuset-mems 0 "$ID"
	assert_success
	assert_equal "$(cat "$d/cpuset.cpus")" "$last"
	assert_equal "$(cat "$d/cpuset.mems")" 0
	# The only node here is 0: a node that does not exist shows the flag
	# is not ignored.
	run_nook update --cpuset-mems 63 "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *linux.resources.cpu.mems*cpuset.mems* ]] || fail "$stderr"
	assert_equal "$(cat "$d/cpuset.mems")" 0
}

@test "update: --kernel-memory-tcp reaches memory.kmem.tcp.limit_in_bytes; --kernel-memory warns" {
	start_sleeper
	d=$(cgroup_dir memory)
	run_nook update --kernel-memory-tcp 8m "$ID"
	assert_success
	assert_equal "$(cat "$d/memory.kmem.tcp.limit_in_bytes")" 8388608
	[ -z "$stderr" ] || fail "unexpected stderr: $stderr"
	run_nook update --kernel-memory 32m --memory 48m "$ID"
	assert_success
	[[ $stderr == *"linux.resources.memory.kernel"*"ignored"* ]] || fail "no warning: $stderr"
	assert_equal "$(cat "$d/memory.limit_in_bytes")" 50331648
}

@test "update: --blkio-weight reaches blkio.weight, else BFQ's blkio.bfq.weight" {
	start_sleeper
	d=$(cgroup_dir blkio)
	run_nook update --blkio-weight 300 "$ID"
	f=$(blkio_weight_file "$d")
	if [ -n "$f" ]; then
		assert_success
		assert_equal "$(cat "$d/$f")" 300
	else
		assert_failure
		assert_one_error_line
		[[ $stderr == *"linux.resources.blockIO.weight"*"blkio.weight"*"blkio.bfq.weight"* ]] ||
			fail "unclear error: $stderr"
	fi
}

# ---- a relative cgroupsPath ----

# own_cgroup CONTROLLER: this shell's cgroup on a v1 hierarchy (CONTROLLER
# "": on the cgroup2 one), which a nook started from here has too; "" for /.
own_cgroup() {
	awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }
		$2 == "" && c == "" { print $3 }' /proc/self/cgroup | sed 's|^/$||'
}

@test "cgroups fields: a relative cgroupsPath is below nook's own cgroup on each v1 hierarchy" {
	# Where it should be: on v1 below nook's own cgroup (runc's v1 driver);
	# on the cgroup2 side beside it (runc's v2 driver: "no internal
	# processes").  This shell's memory cgroup may be nested, which the
	# teardown's leftover check does not look into: REL_DIRS is checked.
	declare -A want
	for c in memory cpu pids; do
		want[$c]=/sys/fs/cgroup/$c$(own_cgroup "$c")/$ID-rel
	done
	own=$(own_cgroup "")
	want[unified]=$UNIFIED${own%/*}/$ID-rel
	REL_DIRS="${want[*]}"
	update_config '.linux.cgroupsPath = $cg' --arg cg "$ID-rel/c"
	start_sleeper
	pid=$(pid_of "$ID")
	for c in "${!want[@]}"; do
		grep -qx "$pid" "${want[$c]}/c/cgroup.procs" || fail "$pid is not in ${want[$c]}/c/cgroup.procs"
	done
	assert_equal "$(cat "${want[memory]}/c/memory.limit_in_bytes")" 67108864
	# Both levels were made by nook: both go with delete.
	run_nook delete --force "$ID"
	assert_success
	for c in "${!want[@]}"; do
		[ ! -e "${want[$c]}" ] || fail "${want[$c]} is left after delete"
	done
}
