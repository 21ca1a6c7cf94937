#!/usr/bin/env bats
# blockIO, network, rdma and device rules on cgroup v1 (this host is hybrid:
# v1 controllers at /sys/fs/cgroup/<controller>).  What the host cannot
# honour (no net_cls/net_prio/rdma hierarchies, CFQ's leaf weights, weights
# on a device whose I/O scheduler is not bfq) must fail clearly, naming the
# field, and leave nothing behind.  The same resources on pure cgroup v2 are
# tested in tests/vm/cgroups-v2-resources.bats.  Error wording is
# nook-specific; the rest is runc-compatible.

load helpers

# block_device: MAJOR:MINOR of a disk (not a loop, ram or zram device).
block_device() {
	local d
	for d in /sys/block/*; do
		case ${d##*/} in
		loop* | ram* | zram*) continue ;;
		esac
		cat "$d/dev"
		return 0
	done
	fail "no disk in /sys/block"
}

# ---- blockIO ----

@test "cgroups resources: blockIO throttles reach blkio.throttle.*" {
	dev=$(block_device)
	major=${dev%:*} minor=${dev#*:}
	update_config '.linux.resources.blockIO = {
			"throttleReadBpsDevice": [{"major": $ma, "minor": $mi, "rate": 1048576}],
			"throttleWriteBpsDevice": [{"major": $ma, "minor": $mi, "rate": 2097152}],
			"throttleReadIOPSDevice": [{"major": $ma, "minor": $mi, "rate": 100}],
			"throttleWriteIOPSDevice": [{"major": $ma, "minor": $mi, "rate": 200}]}' \
		--argjson ma "$major" --argjson mi "$minor"
	set_args sleep 600
	create_container
	d=$(cgroup_dir blkio)
	assert_equal "$(cat "$d/blkio.throttle.read_bps_device")" "$dev 1048576"
	assert_equal "$(cat "$d/blkio.throttle.write_bps_device")" "$dev 2097152"
	assert_equal "$(cat "$d/blkio.throttle.read_iops_device")" "$dev 100"
	assert_equal "$(cat "$d/blkio.throttle.write_iops_device")" "$dev 200"
}

@test "cgroups resources: blockIO weight goes to blkio.weight, else BFQ's blkio.bfq.weight" {
	update_config '.linux.resources.blockIO = {"weight": 300}'
	set_args sleep 600
	run_nook create --bundle "$BUNDLE" "$ID"
	if [ "$status" -eq 0 ]; then
		d=$(cgroup_dir blkio)
		f=$(blkio_weight_file "$d")
		[ -n "$f" ] || fail "created, but $d has neither blkio.weight nor blkio.bfq.weight"
		assert_equal "$(cat "$d/$f")" 300
	else
		# A kernel with neither CFQ nor BFQ: say so.
		assert_one_error_line
		assert_nothing_left
		[[ $stderr == *"linux.resources.blockIO.weight"*"blkio.weight"*"blkio.bfq.weight"* ]] ||
			fail "unclear error: $stderr"
	fi
}

@test "cgroups resources: blockIO leafWeight (CFQ only, gone since Linux 5.0) fails clearly" {
	update_config '.linux.resources.blockIO = {"leafWeight": 500}'
	expect_create_error linux.resources.blockIO.leafWeight blkio.leaf_weight "does not exist"
}

@test "cgroups resources: a device weight needs bfq on that device" {
	dev=$(block_device)
	update_config '.linux.resources.blockIO.weightDevice = [{"major": $ma, "minor": $mi, "weight": 300}]' \
		--argjson ma "${dev%:*}" --argjson mi "${dev#*:}"
	set_args sleep 600
	if grep -q '\[bfq\]' "/sys/dev/block/$dev/queue/scheduler"; then
		create_container
		grep -qx "$dev 300" "$(cgroup_dir blkio)/blkio.bfq.weight_device" ||
			fail "$(cat "$(cgroup_dir blkio)/blkio.bfq.weight_device")"
	else
		expect_create_error "linux.resources.blockIO.weightDevice[0].weight" "$dev 300" bfq
	fi
}

@test "cgroups resources: a throttle on a block device that does not exist fails clearly" {
	update_config '.linux.resources.blockIO.throttleWriteIOPSDevice = [{"major": 240, "minor": 99, "rate": 10}]'
	expect_create_error "linux.resources.blockIO.throttleWriteIOPSDevice[0]" "No such device"
}

@test "cgroups resources: blockIO with bad device numbers or weights is refused before anything is made" {
	update_config '.linux.resources.blockIO = {"throttleReadBpsDevice": [{"major": -1, "minor": 0, "rate": 1}]}'
	expect_create_error "linux.resources.blockIO.throttleReadBpsDevice[0]" "not a device number"
	update_config '.linux.resources.blockIO = {"weight": 1001}'
	expect_create_error linux.resources.blockIO.weight 1000
	update_config '.linux.resources.blockIO = {"weightDevice": [{"major": 8, "minor": 0}]}'
	expect_create_error "linux.resources.blockIO.weightDevice[0]" "weight or leafWeight"
}

# ---- network, rdma ----

@test "cgroups resources: network classID needs net_cls" {
	update_config '.linux.resources.network = {"classID": 1048577}'
	if [ -d /sys/fs/cgroup/net_cls ]; then
		set_args sleep 600
		create_container
		assert_equal "$(cat "$(cgroup_dir net_cls)/net_cls.classid")" 1048577
	else
		expect_create_error linux.resources.network.classID "no cgroup v1 \`net_cls\` hierarchy"
	fi
}

@test "cgroups resources: network priorities need net_prio" {
	update_config '.linux.resources.network = {"priorities": [{"name": "lo", "priority": 5}]}'
	if [ -d /sys/fs/cgroup/net_prio ]; then
		set_args sleep 600
		create_container
		grep -qx "lo 5" "$(cgroup_dir net_prio)/net_prio.ifpriomap" ||
			fail "$(cat "$(cgroup_dir net_prio)/net_prio.ifpriomap")"
	else
		expect_create_error linux.resources.network.priorities "no cgroup v1 \`net_prio\` hierarchy"
	fi
}

@test "cgroups resources: a network priority for a bad interface name is refused" {
	update_config '.linux.resources.network = {"priorities": [{"name": "eth 0", "priority": 5}]}'
	expect_create_error "linux.resources.network.priorities[0].name"
}

@test "cgroups resources: rdma without an rdma controller fails clearly" {
	[ ! -d /sys/fs/cgroup/rdma ] || fail "this host has a v1 rdma hierarchy: the test expects none"
	update_config '.linux.resources.rdma = {"mlx4_0": {"hcaHandles": 2, "hcaObjects": 8}}'
	expect_create_error linux.resources.rdma rdma
}

# ---- devices ----

@test "cgroups resources: device rules reach devices.list, after a deny-all, with the defaults" {
	update_config '.linux.resources.devices = [{"allow": false, "access": "rwm"},
		{"allow": true, "type": "c", "major": 240, "minor": 7, "access": "r"},
		{"allow": true, "type": "b", "major": 240, "access": "rw"}]'
	set_args sleep 600
	create_container
	list=$(cat "$(cgroup_dir devices)/devices.list")
	for rule in "c 240:7 r" "b 240:* rw" "c 1:3 rwm" "c 136:* rwm" "c *:* m" "b *:* m"; do
		grep -qxF "$rule" <<<"$list" || fail "no '$rule' in devices.list: $list"
	done
	! grep -qxF "a *:* rwm" <<<"$list" || fail "everything is allowed: $list"
}

@test "cgroups resources: a device without a rule cannot be opened; /dev/null and /dev/full can" {
	with_caps CAP_MKNOD
	run_in_container sh -c "$(probe_script c 240 7)
		echo null > /dev/null && cat /dev/null && echo null: ok
		dd if=/dev/zero of=/dev/full bs=1 count=1 2>&1 | grep -o 'No space left on device' | sed 's/^/full: /'"
	assert_success
	assert_line --regexp "^read: .*Operation not permitted$"
	assert_line --regexp "^write: .*Operation not permitted$"
	assert_line "null: ok"
	assert_line --regexp "^full: .*No space left on device$"
}

@test "cgroups resources: a rule allowing reads lets the device open for reading only" {
	update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 240, "minor": 7, "access": "r"}]'
	with_caps CAP_MKNOD
	run_in_container sh -c "$(probe_script c 240 7)"
	assert_success
	assert_line --regexp "^read: .*No such device or address$"
	assert_line --regexp "^write: .*Operation not permitted$"
}

@test "cgroups resources: allow-all device rules let any device open" {
	update_config '.linux.resources.devices = [{"allow": true, "access": "rwm"}]'
	with_caps CAP_MKNOD
	run_in_container sh -c "$(probe_script b 240 7)"
	assert_success
	assert_line --regexp "^read: .*No such device or address$"
	assert_line --regexp "^write: .*No such device or address$"
}
