#!/usr/bin/env bats
# process.scheduler, process.ioPriority, process.execCPUAffinity and
# linux.personality, as the container's process sees them (/proc/self/stat,
# /proc/self/status, ionice, uname), and their bad input: one clear error
# line naming the field, nothing left behind.
#
# runtime-spec 1.2 fields: runc 1.1.5 predates them (it ignores them), so
# every test here is a "runc deviates" one.  Error wordings are
# nook-specific.

load helpers

# stat_field LINE N: field N of a /proc/PID/stat line, numbered as in
# proc(5): 18 priority, 19 nice, 40 rt_priority, 41 policy.
stat_field() {
	local rest=${1##*) } f
	read -ra f <<<"$rest"
	echo "${f[$(($2 - 3))]}"
}

# assert_sched LINE POLICY NICE RT_PRIORITY: the stat line shows them.
assert_sched() {
	assert_equal "policy=$(stat_field "$1" 41)" "policy=$2"
	assert_equal "nice=$(stat_field "$1" 19)" "nice=$3"
	assert_equal "rt_priority=$(stat_field "$1" 40)" "rt_priority=$4"
}

# run_rt_container ARG...: like run_in_container, in a top-level cgroup
# (/$id) with realtime runtime.  With RT group scheduling (cgroup v1
# cpu.rt_runtime_us), a real-time task needs runtime in its cgroup and in
# every parent, and nook-test (the usual parent) has none.
run_rt_container() {
	RUN_COUNT=$((RUN_COUNT + 1))
	local id=$ID-r$RUN_COUNT
	set_args "$@"
	update_config '.linux.cgroupsPath = $cg | .linux.resources.cpu.realtimeRuntime = 10000' \
		--arg cg "/$id"
	run nook run --bundle "$BUNDLE" "$id" </dev/null
}

# The highest online CPU of the host, and one past it.
last_cpu() {
	local online
	online=$(cat /sys/devices/system/cpu/online)
	online=${online##*[,-]}
	echo "$online"
}

rt_group_sched() {
	[ -f /sys/fs/cgroup/cpu/cpu.rt_runtime_us ]
}

# ---- process.scheduler ----

@test "scheduler: SCHED_OTHER with a positive nice" {
	update_config '.process.scheduler = {"policy": "SCHED_OTHER", "nice": 7}'
	run_in_container cat /proc/self/stat
	assert_success
	assert_sched "$output" 0 7 0
	assert_equal "priority=$(stat_field "$output" 18)" "priority=27"
}

@test "scheduler: SCHED_BATCH with a negative nice (CAP_SYS_NICE)" {
	update_config '.process.scheduler = {"policy": "SCHED_BATCH", "nice": -5}'
	run_in_container cat /proc/self/stat
	assert_success
	assert_sched "$output" 3 -5 0
}

@test "scheduler: SCHED_IDLE" {
	update_config '.process.scheduler = {"policy": "SCHED_IDLE"}'
	run_in_container cat /proc/self/stat
	assert_success
	assert_sched "$output" 5 0 0
}

@test "scheduler: SCHED_FIFO priority 50 in a cgroup with realtime runtime" {
	update_config '.process.scheduler = {"policy": "SCHED_FIFO", "priority": 50}'
	run_rt_container cat /proc/self/stat
	assert_success
	assert_sched "$output" 1 0 50
	assert_equal "priority=$(stat_field "$output" 18)" "priority=-51"
}

@test "scheduler: SCHED_RR with SCHED_FLAG_RESET_ON_FORK: the init has it, its children not" {
	update_config '.process.scheduler = {"policy": "SCHED_RR", "priority": 10,
		"flags": ["SCHED_FLAG_RESET_ON_FORK"]}'
	# One forked cat prints the init's stat (pid 1), then its own.
	run_rt_container sh -c 'cat /proc/1/stat /proc/self/stat; true'
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_sched "${lines[0]}" 2 0 10
	assert_sched "${lines[1]}" 0 0 0
}

@test "scheduler: SCHED_DEADLINE with runtime, deadline and period" {
	update_config '.process.scheduler = {"policy": "SCHED_DEADLINE",
		"runtime": 1000000, "deadline": 5000000, "period": 10000000}'
	# A deadline task cannot fork: the process reads its own stat.
	run_in_container cat /proc/self/stat
	assert_success
	assert_sched "$output" 6 0 0
}

@test "scheduler: an RT policy the cgroup has no realtime runtime for: a clear error" {
	rt_group_sched || skip "no RT group scheduling (cgroup v1 cpu.rt_runtime_us) on this host"
	update_config '.process.scheduler = {"policy": "SCHED_FIFO", "priority": 50}'
	expect_create_error process.scheduler "SCHED_FIFO priority 50" realtimeRuntime \
		"Operation not permitted"
}

# ---- process.ioPriority ----

@test "ioPriority: IOPRIO_CLASS_BE priority 6" {
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6}'
	run_in_container ionice
	assert_success
	assert_output "best-effort: prio 6"
}

@test "ioPriority: IOPRIO_CLASS_RT priority 2 (CAP_SYS_NICE)" {
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_RT", "priority": 2}'
	run_in_container ionice
	assert_success
	assert_output "realtime: prio 2"
}

@test "ioPriority: IOPRIO_CLASS_IDLE, inherited by children" {
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
	run_in_container sh -c 'ionice; true'
	assert_success
	assert_output idle
}

# ---- process.execCPUAffinity ----
# runtime-spec: it "is not applicable to the container's init process"; it
# applies to processes started with exec (which start from the config's
# process unless given a process.json).

# exec_affinity ARGS...: run a sleeping container with the config as it is,
# exec grep of the affinity in it; $output is the exec'd process's line and
# $init_affinity the init's.
exec_affinity() {
	set_args sleep 600
	run_nook run -d --bundle "$BUNDLE" "$ID"
	assert_success
	init_affinity=$(grep Cpus_allowed_list "/proc/$(pid_of "$ID")/status")
	run_nook exec "$ID" grep Cpus_allowed_list /proc/self/status
}

@test "execCPUAffinity: final is the exec'd process's affinity, not the init's" {
	last=$(last_cpu)
	update_config '.process.execCPUAffinity = {"initial": "0", "final": $f}' --arg f "$last"
	exec_affinity
	assert_success
	assert_output --regexp "^Cpus_allowed_list:\s+$last\$"
	[[ $init_affinity =~ Cpus_allowed_list:[[:space:]]+$(cat /sys/devices/system/cpu/online)$ ]] ||
		fail "the init's affinity changed: $init_affinity"
}

@test "execCPUAffinity: a list with a range and a single CPU" {
	last=$(last_cpu)
	[ "$last" -ge 1 ] || skip "one CPU: no list to make"
	update_config '.process.execCPUAffinity = {"final": $f}' --arg f "0-$((last - 1)),$last"
	exec_affinity
	assert_success
	assert_output --regexp "^Cpus_allowed_list:\s+0-$last\$"
}

@test "execCPUAffinity: empty lists leave the affinity alone" {
	update_config '.process.execCPUAffinity = {"initial": "", "final": ""}'
	exec_affinity
	assert_success
	assert_output --regexp "^Cpus_allowed_list:\s+$(cat /sys/devices/system/cpu/online)\$"
}

# ---- linux.personality ----

@test "personality: LINUX32 makes uname report a 32-bit machine" {
	update_config '.linux.personality = {"domain": "LINUX32"}'
	run_in_container uname -m
	assert_success
	assert_output "$(setarch linux32 uname -m)"
}

@test "personality: LINUX reports the host's machine" {
	update_config '.linux.personality = {"domain": "LINUX"}'
	run_in_container uname -m
	assert_success
	assert_output "$(uname -m)"
}

# ---- bad input ----

@test "bad input: ioPriority of an unknown class" {
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_NONE", "priority": 0}'
	expect_create_error process.ioPriority.class IOPRIO_CLASS_NONE
}

@test "bad input: ioPriority priority out of 0..7" {
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 8}'
	expect_create_error process.ioPriority.priority 8
}

@test "bad input: scheduler of an unknown policy" {
	update_config '.process.scheduler = {"policy": "SCHED_BOGUS"}'
	expect_create_error process.scheduler.policy SCHED_BOGUS
}

@test "bad input: SCHED_ISO, which Linux never implemented" {
	update_config '.process.scheduler = {"policy": "SCHED_ISO"}'
	expect_create_error process.scheduler.policy SCHED_ISO
}

@test "bad input: scheduler with an unknown flag" {
	update_config '.process.scheduler = {"policy": "SCHED_OTHER",
		"flags": ["SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_BOGUS"]}'
	expect_create_error "process.scheduler.flags[1]" SCHED_FLAG_BOGUS
}

@test "bad input: utilization clamp flags on a kernel without CONFIG_UCLAMP_TASK" {
	[ ! -e /proc/sys/kernel/sched_util_clamp_min ] || skip "this kernel has utilization clamping"
	update_config '.process.scheduler = {"policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_UTIL_CLAMP_MIN"]}'
	expect_create_error process.scheduler.flags SCHED_FLAG_UTIL_CLAMP_MIN CONFIG_UCLAMP_TASK
}

@test "bad input: nice out of -20..19" {
	update_config '.process.scheduler = {"policy": "SCHED_OTHER", "nice": 20}'
	expect_create_error process.scheduler.nice 20
	update_config '.process.scheduler.nice = -21'
	expect_create_error process.scheduler.nice -21
}

@test "bad input: a priority outside the policy's range" {
	update_config '.process.scheduler = {"policy": "SCHED_FIFO", "priority": 100}'
	expect_create_error process.scheduler.priority 100 SCHED_FIFO
	# Real-time policies need a priority; the spec's default is 0.
	update_config '.process.scheduler = {"policy": "SCHED_RR"}'
	expect_create_error process.scheduler.priority SCHED_RR
	update_config '.process.scheduler = {"policy": "SCHED_OTHER", "priority": 5}'
	expect_create_error process.scheduler.priority 5 SCHED_OTHER
}

@test "bad input: inconsistent SCHED_DEADLINE parameters" {
	update_config '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 2000000, "deadline": 1000000}'
	expect_create_error process.scheduler "runtime 2000000" "deadline 1000000"
	update_config '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 20000,
		"deadline": 1000000, "period": 500000}'
	expect_create_error process.scheduler "deadline 1000000" "period 500000"
	update_config '.process.scheduler = {"policy": "SCHED_DEADLINE"}'
	expect_create_error process.scheduler.deadline
}

@test "bad input: deadline parameters for another policy" {
	update_config '.process.scheduler = {"policy": "SCHED_OTHER", "runtime": 1000000}'
	expect_create_error process.scheduler SCHED_DEADLINE SCHED_OTHER
}

@test "bad input: execCPUAffinity with a CPU that does not exist" {
	missing=$(($(last_cpu) + 1))
	update_config '.process.execCPUAffinity = {"final": $f}' --arg f "0-$missing"
	expect_create_error process.execCPUAffinity.final "CPU $missing"
	update_config '.process.execCPUAffinity = {"initial": $f}' --arg f "$missing"
	expect_create_error process.execCPUAffinity.initial "CPU $missing"
}

@test "bad input: execCPUAffinity that is not a CPU list" {
	for bad in "1-0" "0," "zero" " 0" "0-"; do
		update_config '.process.execCPUAffinity = {"final": $f}' --arg f "$bad"
		expect_create_error process.execCPUAffinity.final "\`$bad\`"
	done
}

@test "bad input: execCPUAffinity.final outside the container's cpuset" {
	last=$(last_cpu)
	[ "$last" -ge 1 ] || skip "one CPU: no CPU outside a cpuset of CPU 0"
	update_config '.process.execCPUAffinity = {"final": $f} | .linux.resources.cpu.cpus = "0"' \
		--arg f "$last"
	expect_create_error process.execCPUAffinity.final linux.resources.cpu.cpus
}

@test "bad input: personality of an unknown domain" {
	update_config '.linux.personality = {"domain": "LINUX64"}'
	expect_create_error linux.personality.domain LINUX64
}

@test "bad input: personality flags (runtime-spec 1.2 defines none)" {
	update_config '.linux.personality = {"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]}'
	expect_create_error linux.personality.flags ADDR_NO_RANDOMIZE
}
