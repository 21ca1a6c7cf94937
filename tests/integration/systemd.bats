#!/usr/bin/env bats
# The systemd cgroup driver where systemd is not PID 1 (this machine, CI):
# a clear error and nothing left, never a silent fall back to cgroupfs.  The
# driver itself is tested where systemd runs (tests/vm/systemd.bats).

load helpers

# nook-specific wording
NO_SYSTEMD="the systemd cgroup driver needs systemd running as PID 1 (no /run/systemd/system here)"

setup() {
	nook_setup
	if [ -d /run/systemd/system ]; then
		skip "systemd is running here: tests/vm/systemd.bats covers the driver"
	fi
}

# Also no cgroup named after the systemd form anywhere (a cgroupfs fall back
# would make /sys/fs/cgroup/*/system.slice:nook:ID or a nook-ID.scope).
assert_no_systemd_cgroup() {
	local d
	for d in /sys/fs/cgroup/*/"$1" /sys/fs/cgroup/*/*/"$1" /sys/fs/cgroup/"$1" \
		/sys/fs/cgroup/*/system.slice/nook-"$ID".scope /sys/fs/cgroup/system.slice/nook-"$ID".scope; do
		[ -e "$d" ] && fail "cgroup left: $d"
	done
	return 0
}

@test "systemd: --systemd-cgroup without systemd as PID 1 is a clear error" {
	update_config '.linux.cgroupsPath = ""'
	run_nook --systemd-cgroup create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	assert_nothing_left
	[[ $stderr == *"$NO_SYSTEMD"* ]] || fail "error does not say systemd is missing: $stderr"
	assert_no_systemd_cgroup "$ID"
}

@test "systemd: --systemd-cgroup with a slice:prefix:name cgroupsPath, no systemd" {
	update_config '.linux.cgroupsPath = "system.slice:nook:'"$ID"'"'
	run_nook --systemd-cgroup create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	assert_nothing_left
	[[ $stderr == *"$NO_SYSTEMD"* ]] || fail "error does not say systemd is missing: $stderr"
	assert_no_systemd_cgroup "system.slice:nook:$ID"
}

@test "systemd: a slice:prefix:name cgroupsPath alone selects the systemd driver" {
	update_config '.linux.cgroupsPath = "system.slice:nook:'"$ID"'"'
	run_nook create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	assert_nothing_left
	[[ $stderr == *"$NO_SYSTEMD"* ]] || fail "error does not say systemd is missing: $stderr"
	assert_no_systemd_cgroup "system.slice:nook:$ID"
}

@test "systemd: run --systemd-cgroup fails the same way" {
	update_config '.linux.cgroupsPath = ":nook:'"$ID"'"'
	run_nook --systemd-cgroup run --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	assert_nothing_left
	[[ $stderr == *"$NO_SYSTEMD"* ]] || fail "error does not say systemd is missing: $stderr"
}

@test "systemd: a cgroupsPath that is not slice:prefix:name is refused by name" {
	# nook-specific: runc's rule, checked before systemd is asked for.
	update_config '.linux.cgroupsPath = "/nook-test/'"$ID"'"'
	run_nook --systemd-cgroup create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	assert_nothing_left
	[[ $stderr == *'slice:prefix:name'* ]] || fail "error does not name the expected form: $stderr"
}

@test "systemd: a bad slice name is refused" {
	update_config '.linux.cgroupsPath = "a--b.slice:nook:'"$ID"'"'
	run_nook --systemd-cgroup create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	assert_nothing_left
	[[ $stderr == *'`a--b.slice` is not a systemd slice name'* ]] || fail "unexpected error: $stderr"
}
