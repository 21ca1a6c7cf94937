#!/usr/bin/env bats
# The systemd cgroup driver for real: systemd is PID 1 in the VM that
# tests/vm/run-systemd boots (pure cgroup v2).  nook asks systemd for a
# transient scope over D-Bus; systemd must know it (systemctl), the limits
# must be both unit properties and cgroup files, and delete must stop the
# unit.  runc-compatible unless marked nook-specific.

load ../integration/helpers

setup() {
	[ "$(cat /proc/1/comm)" = systemd ] ||
		fail "PID 1 is $(cat /proc/1/comm), not systemd: run these tests through tests/vm/run-systemd"
	nook_setup
	UNIT=nook-$ID.scope
	CG=/sys/fs/cgroup/system.slice/$UNIT
}

teardown() {
	nook_teardown
	# Nothing of systemd's either: no unit left loaded, no cgroup.
	if [ "$(unit_prop "$UNIT" LoadState)" = loaded ]; then
		systemctl stop "$UNIT" || true
		fail "unit $UNIT is still loaded after delete"
	fi
	[ ! -d "$CG" ] || fail "cgroup $CG is still there after delete"
}

# Every nook command with the global --systemd-cgroup (it only matters to
# create and run), as containerd and podman pass it.
nook() {
	timeout -k 5 "$NOOK_TIMEOUT" "$NOOK_BINARY" --root "$ROOT" --systemd-cgroup "$@" 3>&-
}

# unit_prop UNIT PROPERTY: systemd's value of a unit property.
unit_prop() {
	systemctl show -P "$2" "$1" 2>/dev/null
}

@test "systemd: create makes a transient scope holding the container's init" {
	set_args sleep 600
	update_config '.linux.cgroupsPath = "system.slice:nook:'"$ID"'"'
	create_container "$ID"
	pid=$(pid_of "$ID")
	assert_equal "$(unit_prop "$UNIT" ActiveState)" active
	assert_equal "$(unit_prop "$UNIT" ControlGroup)" "/system.slice/$UNIT"
	assert_equal "$(unit_prop "$UNIT" Delegate)" yes
	assert_equal "$(cat "/proc/$pid/cgroup")" "0::/system.slice/$UNIT"
	run systemctl status "$UNIT" --no-pager
	assert_success
	assert_output --partial "nook container $ID"
}

@test "systemd: --systemd-cgroup without cgroupsPath names the unit nook-ID.scope in system.slice" {
	set_args sleep 600
	update_config '.linux.cgroupsPath = ""'
	create_container "$ID"
	assert_equal "$(unit_prop "$UNIT" ActiveState)" active
	assert_equal "$(unit_prop "$UNIT" Slice)" system.slice
}

@test "systemd: resources are unit properties and cgroup files" {
	set_args sleep 600
	update_config '.linux.cgroupsPath = ":nook:'"$ID"'"
		| .linux.resources.memory = {"limit": 67108864, "reservation": 33554432, "swap": 134217728}
		| .linux.resources.pids = {"limit": 42}
		| .linux.resources.blockIO = {"weight": 500}
		| .linux.resources.cpu = {"shares": 1024, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"}'
	create_container "$ID"
	assert_equal "$(unit_prop "$UNIT" MemoryMax)" 67108864
	assert_equal "$(unit_prop "$UNIT" MemoryLow)" 33554432
	# the OCI swap is memory+swap; v2's is swap alone
	assert_equal "$(unit_prop "$UNIT" MemorySwapMax)" 67108864
	assert_equal "$(cat "$CG/memory.swap.max")" 67108864
	# runc's mapping of blkio weight [10, 1000] onto IOWeight [1, 10000]
	assert_equal "$(unit_prop "$UNIT" IOWeight)" 4950
	assert_equal "$(unit_prop "$UNIT" AllowedMemoryNodes)" 0
	assert_equal "$(cat "$CG/cpuset.mems")" 0
	assert_equal "$(unit_prop "$UNIT" TasksMax)" 42
	assert_equal "$(unit_prop "$UNIT" CPUWeight)" 39
	assert_equal "$(unit_prop "$UNIT" CPUQuotaPerSecUSec)" 500ms
	assert_equal "$(unit_prop "$UNIT" AllowedCPUs)" 0
	assert_equal "$(cat "$CG/memory.max")" 67108864
	assert_equal "$(cat "$CG/memory.low")" 33554432
	assert_equal "$(cat "$CG/pids.max")" 42
	assert_equal "$(cat "$CG/cpu.weight")" 39
	assert_equal "$(cat "$CG/cpu.max")" "50000 100000"
	assert_equal "$(cat "$CG/cpuset.cpus")" 0
}

@test "systemd: update changes the unit's properties and the files" {
	set_args sleep 600
	update_config '.linux.cgroupsPath = "system.slice:nook:'"$ID"'" | .linux.resources.memory = {"limit": 67108864}'
	create_container "$ID"
	run_nook update --memory 100663296 --pids-limit 17 "$ID"
	assert_success
	assert_equal "$(unit_prop "$UNIT" MemoryMax)" 100663296
	assert_equal "$(unit_prop "$UNIT" TasksMax)" 17
	assert_equal "$(cat "$CG/memory.max")" 100663296
	assert_equal "$(cat "$CG/pids.max")" 17
}

@test "systemd: device rules are DevicePolicy and DeviceAllow, kept across daemon-reload" {
	# /dev/kmsg may be written (allowed below); c 1:2 has no driver, so an
	# open the device rules allow fails with ENXIO, one they deny with EPERM.
	update_config '.linux.cgroupsPath = "system.slice:nook:'"$ID"'"
		| .linux.devices = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11},
			{"path": "/dev/nodrv", "type": "c", "major": 1, "minor": 2}]
		| .linux.resources.devices = [{"allow": false, "access": "rwm"},
			{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]'
	set_args sleep 600
	create_container "$ID"
	run_nook start "$ID"
	assert_success
	assert_equal "$(unit_prop "$UNIT" DevicePolicy)" strict
	run systemctl show -p DeviceAllow "$UNIT"
	assert_output --partial "/dev/char/1:11 w"
	assert_output --partial "/dev/char/1:3 rwm"
	assert_output --partial "char-pts rwm"
	for round in before after; do
		run nook exec "$ID" sh -c 'echo nook-devices >/dev/kmsg && echo kmsg-ok; head -c1 /dev/nodrv'
		assert_line kmsg-ok
		assert_output --partial "Operation not permitted"
		[ "$round" = after ] || systemctl daemon-reload
	done
}

@test "systemd: start, kill and delete stop the unit and remove its cgroup" {
	set_args sleep 600
	update_config '.linux.cgroupsPath = "system.slice:nook:'"$ID"'"'
	create_container "$ID"
	run_nook start "$ID"
	assert_success
	wait_for_status "$ID" running
	run_nook kill "$ID" KILL
	assert_success
	wait_for_status "$ID" stopped
	run_nook delete "$ID"
	assert_success
	[ "$(unit_prop "$UNIT" LoadState)" != loaded ] || fail "$UNIT still loaded: $(unit_prop "$UNIT" ActiveState)"
	[ ! -d "$CG" ] || fail "$CG still there"
}

@test "systemd: delete --force of a running container stops its scope" {
	set_args sleep 600
	update_config '.linux.cgroupsPath = "system.slice:nook:'"$ID"'"'
	create_container "$ID"
	run_nook start "$ID"
	assert_success
	run_nook delete --force "$ID"
	assert_success
	[ "$(unit_prop "$UNIT" LoadState)" != loaded ] || fail "$UNIT still loaded"
	[ ! -d "$CG" ] || fail "$CG still there"
}

@test "systemd: pause and resume through the scope's cgroup" {
	set_args sleep 600
	update_config '.linux.cgroupsPath = "system.slice:nook:'"$ID"'"'
	create_container "$ID"
	run_nook start "$ID"
	assert_success
	run_nook pause "$ID"
	assert_success
	assert_equal "$(cat "$CG/cgroup.freeze")" 1
	assert_equal "$(status_of "$ID")" paused
	run_nook resume "$ID"
	assert_success
	assert_equal "$(cat "$CG/cgroup.freeze")" 0
}

@test "systemd: a name ending in .slice makes a slice unit" {
	# runc's rule: "slice:prefix:name.slice" is the slice "name.slice".
	set_args sleep 600
	UNIT=nooktest$RANDOM.slice
	CG=/sys/fs/cgroup/$UNIT
	update_config '.linux.cgroupsPath = "system.slice:nook:'"$UNIT"'"'
	create_container "$ID"
	pid=$(pid_of "$ID")
	assert_equal "$(unit_prop "$UNIT" ActiveState)" active
	assert_equal "$(cat "/proc/$pid/cgroup")" "0::/$UNIT"
	run_nook delete --force "$ID"
	assert_success
}

@test "systemd: a unit that already exists is a clear error naming D-Bus' answer" {
	set_args sleep 600
	update_config '.linux.cgroupsPath = "system.slice:nook:'"$ID"'"'
	create_container "$ID"
	run_nook create --bundle "$BUNDLE" "$ID-2"
	assert_failure
	# nook-specific wording
	[[ $stderr == *"StartTransientUnit"*"org.freedesktop.systemd1.UnitExists"* ]] ||
		fail "unexpected error: $stderr"
	[ ! -d "$ROOT/$ID-2" ] || fail "state of $ID-2 left"
	assert_equal "$(unit_prop "$UNIT" ActiveState)" active
}
