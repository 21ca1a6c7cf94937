#!/usr/bin/env bats
# cgroup v2 for real: linux.resources on a pure cgroup2 hierarchy, read back
# from the cgroup files and felt by the processes inside.  These tests run in
# the VM that tests/vm/run boots (the hosts nook is built on are hybrid), and
# refuse to run anywhere /sys/fs/cgroup is not cgroup2.  runc-compatible
# unless marked nook-specific.  blockIO, network, rdma and the eBPF device
# rules on v2 are in cgroups-v2-resources.bats.

load ../integration/helpers

setup() {
	local fs
	fs=$(stat -f -c %T /sys/fs/cgroup)
	[ "$fs" = cgroup2fs ] ||
		fail "/sys/fs/cgroup is $fs, not cgroup2: run these tests through tests/vm/run"
	nook_setup
}

# cg [ID]: the container's cgroup directory.
cg() {
	echo "/sys/fs/cgroup/$NOOK_CGROUP_PARENT/${1:-$ID}"
}

# wait_until SECONDS COMMAND...: poll until COMMAND succeeds.
wait_until() {
	local tries=$(($1 * 10))
	shift
	while [ "$tries" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	fail "timed out waiting for: $*"
}

# nook without the suite's timeout wrapper, for a stream the test ends.
nook_bin() {
	"$NOOK_BINARY" --root "$ROOT" "$@" 3>&-
}

# event_count FILE KEY: the counter KEY of a cgroup *.events file.
event_count() {
	awk -v k="$2" '$1 == k {print $2}' "$1"
}

@test "cgroup v2: the process is in cgroupsPath, with every controller of the hierarchy" {
	set_args sleep 600
	create_container
	pid=$(pid_of "$ID")
	assert_equal "$(cat "/proc/$pid/cgroup")" "0::/nook-test/$ID"
	grep -qx "$pid" "$(cg)/cgroup.procs" || fail "$pid is not in $(cg)/cgroup.procs"
	for c in cpuset cpu io memory hugetlb pids; do
		grep -qw "$c" "$(cg)/cgroup.controllers" ||
			fail "$c is not enabled for $(cg): $(cat "$(cg)/cgroup.controllers")"
	done
}

@test "cgroup v2: memory, swap, pids, cpu and cpuset settings reach the v2 files" {
	update_config '.linux.resources.memory = {"limit": 67108864, "reservation": 33554432, "swap": 134217728}
		| .linux.resources.pids = {"limit": 42}
		| .linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 100000, "burst": 10000,
		                          "cpus": "1", "mems": "0"}'
	set_args sleep 600
	create_container
	assert_equal "$(cat "$(cg)/memory.max")" 67108864
	assert_equal "$(cat "$(cg)/memory.low")" 33554432
	# v1's swap is memory+swap; v2's memory.swap.max is swap alone.
	assert_equal "$(cat "$(cg)/memory.swap.max")" 67108864
	assert_equal "$(cat "$(cg)/pids.max")" 42
	# runc's mapping of shares [2, 262144] onto weight [1, 10000].
	assert_equal "$(cat "$(cg)/cpu.weight")" 20
	assert_equal "$(cat "$(cg)/cpu.max")" "50000 100000"
	assert_equal "$(cat "$(cg)/cpu.max.burst")" 10000
	assert_equal "$(cat "$(cg)/cpuset.cpus")" 1
	assert_equal "$(cat "$(cg)/cpuset.mems")" 0
}

@test "cgroup v2: the process sees its own cgroup as / and a cgroup2 /sys/fs/cgroup holding its limits" {
	update_config '.linux.resources.memory = {"limit": 67108864}
		| .linux.resources.pids = {"limit": 42}
		| .linux.resources.cpu = {"cpus": "1"}'
	run_in_container sh -c 'cat /proc/self/cgroup
		grep " /sys/fs/cgroup " /proc/self/mountinfo
		echo "pids.max=$(cat /sys/fs/cgroup/pids.max) memory.max=$(cat /sys/fs/cgroup/memory.max)"
		grep Cpus_allowed_list /proc/self/status'
	assert_success
	assert_line "0::/"
	assert_line --regexp '^[0-9]+ [0-9]+ [0-9]+:[0-9]+ / /sys/fs/cgroup ro,.* - cgroup2 '
	assert_line "pids.max=42 memory.max=67108864"
	assert_line --regexp '^Cpus_allowed_list:\s+1$'
}

@test "cgroup v2: without a cgroup namespace the process sees its cgroupsPath" {
	update_config '.linux.namespaces |= map(select(.type != "cgroup"))'
	run_in_container cat /proc/self/cgroup
	assert_success
	assert_output "0::/nook-test/$ID-r1"
}

@test "cgroup v2: an allocation over memory.max is OOM-killed; memory.events and events report it" {
	# memory+swap = memory: no swap (v2: memory.swap.max 0).
	update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	# busybox dd fills a 64 MiB buffer from /dev/zero: every page is touched.
	set_args sh -c 'dd if=/dev/zero of=/dev/null bs=64M count=1; echo "dd exited $?" >/host/dd'
	create_container
	nook_bin events --interval 1s "$ID" >"$TEST_TMP/events" 2>"$TEST_TMP/events.err" &
	events_pid=$!
	# Its first stats line says the OOM watch is in place.
	wait_until 20 test -s "$TEST_TMP/events"
	run_nook start "$ID"
	assert_success
	wait_for_status "$ID" stopped 60
	assert_equal "$(cat "$HOSTDIR/dd")" "dd exited 137"
	oom_kill=$(event_count "$(cg)/memory.events" oom_kill)
	[ "${oom_kill:-0}" -ge 1 ] || fail "memory.events has no oom_kill: $(cat "$(cg)/memory.events")"
	# The stream ends by itself once the container has stopped.
	for _ in $(seq 100); do
		kill -0 "$events_pid" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$events_pid" 2>/dev/null; then
		kill "$events_pid"
		fail "events did not end when the container stopped: $(cat "$TEST_TMP/events")"
	fi
	wait "$events_pid" || fail "events failed: $(cat "$TEST_TMP/events.err")"
	assert_equal "$(grep '"type":"oom"' "$TEST_TMP/events")" "{\"type\":\"oom\",\"id\":\"$ID\"}"
	assert_equal "$(cat "$(cg)/memory.max")" 33554432
	assert_equal "$(cat "$(cg)/memory.swap.max")" 0
}

@test "cgroup v2: events --stats reads the v2 files" {
	update_config '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 42}'
	set_args sh -c 'sleep 600 & wait'
	create_container
	run_nook start "$ID"
	assert_success
	wait_until 20 test "$(cat "$(cg)/pids.current")" -eq 2
	run_nook events --stats "$ID"
	assert_success
	assert_equal "${#lines[@]}" 1
	echo "$output" | jq -e --arg id "$ID" '.type == "stats" and .id == $id' >/dev/null ||
		fail "not a stats event of $ID: $output"
	assert_equal "$(echo "$output" | jq '.data.memory.usage.limit')" 67108864
	[ "$(echo "$output" | jq '.data.memory.usage.usage')" -gt 0 ]
	assert_equal "$(echo "$output" | jq '.data.pids.current')" 2
	assert_equal "$(echo "$output" | jq '.data.pids.limit')" 42
	[ "$(echo "$output" | jq '.data.cpu.usage.total')" -gt 0 ]
	# runc puts memory.stat as it is in data.memory.raw: v2's names.
	echo "$output" | jq -e '.data.memory.raw | has("anon") and has("file")' >/dev/null ||
		fail "no memory.stat numbers in data.memory.raw: $(echo "$output" | jq -c .data.memory.raw)"
}

@test "cgroup v2: a fork bomb stops at pids.max and pids.events counts the refusals" {
	update_config '.linux.resources.pids = {"limit": 16}'
	set_args sh -c 'bomb() { bomb | bomb & }; bomb 2>/dev/null; exec sleep 600'
	create_container
	run_nook start "$ID"
	assert_success
	wait_until 60 test "$(event_count "$(cg)/pids.events" max)" -gt 0
	[ "$(cat "$(cg)/pids.current")" -le 16 ] || fail "pids.current $(cat "$(cg)/pids.current") > 16"
	# Not every kernel has pids.peak (Debian's 6.1 has).
	if [ -e "$(cg)/pids.peak" ]; then
		[ "$(cat "$(cg)/pids.peak")" -le 16 ] || fail "pids.peak $(cat "$(cg)/pids.peak") > 16"
	fi
	assert_equal "$(status_of "$ID")" running
	run_nook delete --force "$ID"
	assert_success
	[ ! -e "$(cg)" ] || fail "$(cg) is left after delete --force"
}

@test "cgroup v2: hugepageLimits reach hugetlb.<size>.max; a size the kernel lacks is a clear error" {
	if [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ]; then
		update_config '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
		set_args sleep 600
		create_container
		assert_equal "$(cat "$(cg)/hugetlb.2MB.max")" 4194304
		run_nook delete --force "$ID"
		assert_success
	else
		echo "# this kernel has no 2 MB huge pages: checking the error instead" >&3
	fi
	# 16 GB pages exist on no x86 kernel.
	update_config '.linux.resources.hugepageLimits = [{"pageSize": "16GB", "limit": 0}]'
	set_cgroup "$ID-16g"
	run_nook create --bundle "$BUNDLE" "$ID-16g"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"hugepageLimits[0]"*"hugetlb.16GB.max"* ]] ||
		fail "the error does not name the setting and the file: $stderr"
	assert_nothing_left
}

@test "cgroup v2: unified keys are written last, over the typed fields; an unknown key is a clear error" {
	update_config '.linux.resources.pids = {"limit": 42}
		| .linux.resources.unified = {"pids.max": "17", "memory.high": "50331648", "cpu.weight": "300"}'
	set_args sleep 600
	create_container
	assert_equal "$(cat "$(cg)/pids.max")" 17
	assert_equal "$(cat "$(cg)/memory.high")" 50331648
	assert_equal "$(cat "$(cg)/cpu.weight")" 300
	run_nook delete --force "$ID"
	assert_success

	update_config '.linux.resources.unified = {"memory.no_such_file": "1"}'
	set_cgroup "$ID-bad"
	run_nook create --bundle "$BUNDLE" "$ID-bad"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"memory.no_such_file"* ]] || fail "the error does not name the key: $stderr"
	assert_nothing_left
}

@test "cgroup v2: pause freezes the cgroup (cgroup.freeze), resume thaws it" {
	set_args sh -c 'while :; do echo tick >>/host/counter; sleep 0.05; done'
	create_container
	run_nook start "$ID"
	assert_success
	wait_for_file "$HOSTDIR/counter" 20
	run_nook pause "$ID"
	assert_success
	assert_equal "$(status_of "$ID")" paused
	assert_equal "$(cat "$(cg)/cgroup.freeze")" 1
	assert_equal "$(event_count "$(cg)/cgroup.events" frozen)" 1
	before=$(wc -l <"$HOSTDIR/counter")
	sleep 0.5
	assert_equal "$(wc -l <"$HOSTDIR/counter")" "$before"
	# ps lists the cgroup's processes, frozen or not.
	run_nook ps --format json "$ID"
	assert_success
	assert_equal "$(echo "$output" | jq -c 'sort')" "$(sort -n "$(cg)/cgroup.procs" | jq -sc .)"

	run_nook resume "$ID"
	assert_success
	assert_equal "$(status_of "$ID")" running
	assert_equal "$(cat "$(cg)/cgroup.freeze")" 0
	assert_equal "$(event_count "$(cg)/cgroup.events" frozen)" 0
	wait_until 20 test "$(wc -l <"$HOSTDIR/counter")" -gt "$before"
}

@test "cgroup v2: update rewrites the v2 files of a running container, and the process feels it" {
	update_config '.linux.resources.memory = {"limit": 67108864}
		| .linux.resources.pids = {"limit": 42}
		| .linux.resources.cpu = {"shares": 1024}'
	set_args sleep 600
	create_container
	run_nook start "$ID"
	assert_success
	run_nook exec "$ID" sh -c 'dd if=/dev/zero of=/dev/null bs=24M count=1 && echo fits'
	assert_success
	assert_output --partial fits

	run_nook update --memory 16m --memory-swap 16m --pids-limit 7 --cpu-shares 512 \
		--cpu-quota 20000 --cpu-period 100000 --cpuset-cpus 0 "$ID"
	assert_success
	assert_equal "$(cat "$(cg)/memory.max")" 16777216
	assert_equal "$(cat "$(cg)/memory.swap.max")" 0
	assert_equal "$(cat "$(cg)/pids.max")" 7
	assert_equal "$(cat "$(cg)/cpu.weight")" 20
	assert_equal "$(cat "$(cg)/cpu.max")" "20000 100000"
	assert_equal "$(cat "$(cg)/cpuset.cpus")" 0
	run_nook exec "$ID" sh -c 'dd if=/dev/zero of=/dev/null bs=24M count=1 && echo fits'
	assert_failure
	refute_output --partial fits

	# What no option names stays; -1 is no limit.
	run_nook update --pids-limit -1 "$ID"
	assert_success
	assert_equal "$(cat "$(cg)/pids.max")" max
	assert_equal "$(cat "$(cg)/memory.max")" 16777216
}

@test "cgroup v2: delete removes a nested cgroupsPath it created, after the processes are gone" {
	update_config '.linux.cgroupsPath = $p | .linux.resources.memory = {"limit": 67108864}' \
		--arg p "/nook-test/$ID/a/b"
	set_args sh -c 'sleep 600 & sleep 600 & exec sleep 600'
	create_container
	run_nook start "$ID"
	assert_success
	wait_until 20 test "$(wc -l <"$(cg)/a/b/cgroup.procs")" -eq 3
	# Controllers reach the leaf through every level created on the way.
	grep -qw memory "$(cg)/a/cgroup.subtree_control"
	assert_equal "$(cat "$(cg)/a/b/memory.max")" 67108864
	run_nook kill "$ID" KILL
	assert_success
	wait_for_status "$ID" stopped
	run_nook delete "$ID"
	assert_success
	[ ! -e "$(cg)" ] || fail "$(cg) is left after delete: $(find "$(cg)" -type d)"
}

@test "cgroup v2: a relative cgroupsPath goes next to the caller's cgroup, not under it (as runc)" {
	# The caller's cgroup has processes (the caller): v2 lets no controller
	# be enabled below it, so runc nests under its parent instead.
	caller=$(cg "$ID-caller")
	mkdir -p "$caller"
	update_config '.linux.cgroupsPath = $p' --arg p "$ID-rel"
	set_args sleep 600
	status=0
	bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' _ "$caller" \
		"$NOOK_BINARY" --root "$ROOT" create --bundle "$BUNDLE" "$ID" \
		</dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err" 3>&- || status=$?
	# (Not empty if the container went under it: teardown reports that.)
	rmdir "$caller" 2>/dev/null || true
	[ "$status" -eq 0 ] || fail "create from $caller failed ($status): $(cat "$TEST_TMP/err")"
	assert_equal "$(cat "/proc/$(pid_of "$ID")/cgroup")" "0::/nook-test/$ID-rel"
	assert_equal "$(cat "$(cg "$ID-rel")/cgroup.procs")" "$(pid_of "$ID")"
}

@test "cgroup v2: settings v2 cannot honour are refused clearly and leave nothing" {
	local bad field
	# RESOURCES|what the error names
	while IFS='|' read -r bad field; do
		update_config '.linux.resources = $r' --argjson r "$bad"
		run_nook create --bundle "$BUNDLE" "$ID"
		[ "$status" -ne 0 ] || fail "create with $bad succeeded"
		assert_one_error_line
		[[ $stderr == *"$field"*"cgroup v2"* ]] ||
			fail "$bad: the error does not name $field and cgroup v2: $stderr"
		assert_nothing_left
	done <<'EOF'
{"memory": {"swappiness": 60}}|linux.resources.memory.swappiness
{"memory": {"kernelTCP": 1048576}}|linux.resources.memory.kernelTCP
{"memory": {"disableOOMKiller": true}}|linux.resources.memory.disableOOMKiller
{"memory": {"swap": 134217728}}|linux.resources.memory.swap
{"cpu": {"realtimeRuntime": 950000, "realtimePeriod": 1000000}}|linux.resources.cpu.realtimeRuntime
EOF
}
