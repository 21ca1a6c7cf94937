#!/usr/bin/env bats
# blockIO, network, rdma and device rules on pure cgroup v2, in the VM that
# tests/vm/run boots: io.weight / io.bfq.weight and io.max read back and
# felt, v2's missing leaf weights and net_cls/net_prio refused clearly, and
# the eBPF device program (BPF_PROG_TYPE_CGROUP_DEVICE) felt by a process
# that makes device nodes and opens them.  The v1 side of the same resources
# is tests/integration/cgroups-resources.bats.  Error wording is
# nook-specific; runc ignores network on v2 (nook refuses it, as the
# runtime-spec asks for settings that cannot be applied).
#
# io.max needs a block device: the VM gets loop devices from loop.ko (the
# tier packs and loads it); without one the io.max tests fail saying so.

load ../integration/helpers

setup() {
	local fs
	fs=$(stat -f -c %T /sys/fs/cgroup)
	[ "$fs" = cgroup2fs ] ||
		fail "/sys/fs/cgroup is $fs, not cgroup2: run these tests through tests/vm/run"
	nook_setup
}

teardown() {
	local status=0
	nook_teardown || status=$?
	if [ -n "${LOOPDEV:-}" ]; then
		losetup -d "$LOOPDEV" 2>/dev/null || true
	fi
	return "$status"
}

# cg [ID]: the container's cgroup directory.
cg() {
	echo "/sys/fs/cgroup/$NOOK_CGROUP_PARENT/${1:-$ID}"
}

# loop_device: sets LOOPDEV to a loop device backed by a fresh 4 MiB file
# and DEV to its MAJOR:MINOR (teardown detaches it).
loop_device() {
	[ -e /dev/loop-control ] || [ -e /dev/loop0 ] ||
		fail "no loop devices in the VM: tests/vm must pack and load loop.ko"
	head -c 4194304 /dev/zero >"$TEST_TMP/disk.img"
	LOOPDEV=$(losetup -f) || fail "no free loop device"
	losetup "$LOOPDEV" "$TEST_TMP/disk.img" || fail "losetup $LOOPDEV failed"
	DEV=$(cat "/sys/class/block/${LOOPDEV#/dev/}/dev")
}

# ---- io ----

@test "cgroup v2 resources: blockIO weight goes to io.bfq.weight, else io.weight scaled to 1-10000" {
	update_config '.linux.resources.blockIO = {"weight": 300}'
	set_args sleep 600
	create_container
	if [ -e "$(cg)/io.bfq.weight" ]; then
		assert_equal "$(head -n 1 "$(cg)/io.bfq.weight")" "default 300"
	else
		# runc's and crun's map: 1 + (300 - 10) * 9999 / 990
		assert_equal "$(head -n 1 "$(cg)/io.weight")" "default 2930"
	fi
}

@test "cgroup v2 resources: throttles of one device go to io.max on one line" {
	loop_device
	dev=$DEV
	update_config '.linux.resources.blockIO = {
			"throttleReadBpsDevice": [{"major": $ma, "minor": $mi, "rate": 1048576}],
			"throttleWriteBpsDevice": [{"major": $ma, "minor": $mi, "rate": 0}],
			"throttleWriteIOPSDevice": [{"major": $ma, "minor": $mi, "rate": 200}]}' \
		--argjson ma "${dev%:*}" --argjson mi "${dev#*:}"
	set_args sleep 600
	create_container
	assert_equal "$(cat "$(cg)/io.max")" "$dev rbps=1048576 wbps=max riops=max wiops=200"
}

@test "cgroup v2 resources: a device weight needs bfq or iocost on that device" {
	loop_device
	update_config '.linux.resources.blockIO.weightDevice = [{"major": $ma, "minor": $mi, "weight": 300}]' \
		--argjson ma "${DEV%:*}" --argjson mi "${DEV#*:}"
	set_args sleep 600
	run_nook create --bundle "$BUNDLE" "$ID"
	if [ "$status" -eq 0 ]; then
		grep -q "^$DEV " "$(cg)/io.bfq.weight" "$(cg)/io.weight" 2>/dev/null ||
			fail "no line for $DEV: $(cat "$(cg)"/io*.weight)"
	else
		assert_one_error_line
		assert_nothing_left
		[[ $stderr == *"linux.resources.blockIO.weightDevice[0]"*"Operation not supported"* ]] ||
			fail "unclear error: $stderr"
	fi
}

@test "cgroup v2 resources: blockIO leaf weights do not exist on v2" {
	update_config '.linux.resources.blockIO = {"leafWeight": 500}'
	expect_create_error linux.resources.blockIO.leafWeight "cgroup v2 has no leaf weights"
	update_config '.linux.resources.blockIO = {"weightDevice": [{"major": 7, "minor": 0, "leafWeight": 500}]}'
	expect_create_error "linux.resources.blockIO.weightDevice[0].leafWeight" "cgroup v2"
}

@test "cgroup v2 resources: a throttle on a block device that does not exist fails clearly" {
	update_config '.linux.resources.blockIO.throttleReadBpsDevice = [{"major": 240, "minor": 99, "rate": 10}]'
	expect_create_error "linux.resources.blockIO throttles of device 240:99" io.max
}

# ---- network, rdma ----

@test "cgroup v2 resources: network classID and priorities are refused (no net_cls/net_prio on v2)" {
	update_config '.linux.resources.network = {"classID": 1048577}'
	expect_create_error linux.resources.network "cgroup v2"
	update_config '.linux.resources.network = {"priorities": [{"name": "lo", "priority": 5}]}'
	expect_create_error linux.resources.network "cgroup v2"
}

@test "cgroup v2 resources: rdma limits go to rdma.max (an unknown device is an error)" {
	grep -qw rdma /sys/fs/cgroup/cgroup.controllers || fail "the VM's kernel has no rdma controller"
	update_config '.linux.resources.rdma = {"nook_rdma0": {"hcaHandles": 2, "hcaObjects": 8}}'
	expect_create_error 'linux.resources.rdma `nook_rdma0`' rdma.max
}

# ---- devices: the eBPF program ----

@test "cgroup v2 resources: a device without a rule cannot be opened; /dev/null and /dev/full can" {
	with_caps CAP_MKNOD
	run_in_container sh -c "$(probe_script c 240 7)
		echo null > /dev/null && cat /dev/null && echo null: ok
		dd if=/dev/zero of=/dev/full bs=1 count=1 2>&1 | grep -o 'No space left on device' | sed 's/^/full: /'"
	assert_success
	assert_line --regexp "^read: .*Operation not permitted$"
	assert_line --regexp "^write: .*Operation not permitted$"
	assert_line "null: ok"
	assert_line "full: No space left on device"
}

@test "cgroup v2 resources: without linux.resources the default device rules still apply" {
	update_config 'del(.linux.resources)'
	with_caps CAP_MKNOD
	run_in_container sh -c "$(probe_script b 240 7)"
	assert_success
	assert_line --regexp "^read: .*Operation not permitted$"
}

@test "cgroup v2 resources: a rule allowing reads lets the device open for reading only" {
	update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 240, "minor": 7, "access": "r"}]'
	with_caps CAP_MKNOD
	run_in_container sh -c "$(probe_script c 240 7)"
	assert_success
	assert_line --regexp "^read: .*No such device or address$"
	assert_line --regexp "^write: .*Operation not permitted$"
}

@test "cgroup v2 resources: the last matching rule wins, access by access" {
	update_config '.linux.resources.devices += [
		{"allow": true, "type": "c", "major": 240, "access": "rw"},
		{"allow": false, "type": "c", "major": 240, "minor": 7, "access": "w"}]'
	with_caps CAP_MKNOD
	run_in_container sh -c "$(probe_script c 240 7)"
	assert_success
	assert_line --regexp "^read: .*No such device or address$"
	assert_line --regexp "^write: .*Operation not permitted$"
	run_in_container sh -c "$(probe_script c 240 8)"
	assert_success
	assert_line --regexp "^read: .*No such device or address$"
	assert_line --regexp "^write: .*No such device or address$"
}

@test "cgroup v2 resources: allow-all device rules let any device open" {
	update_config '.linux.resources.devices = [{"allow": true, "access": "rwm"}]'
	with_caps CAP_MKNOD
	run_in_container sh -c "$(probe_script b 240 7)"
	assert_success
	assert_line --regexp "^read: .*No such device or address$"
	assert_line --regexp "^write: .*No such device or address$"
}
