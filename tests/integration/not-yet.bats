#!/usr/bin/env bats
# nook-specific: what belongs to a later issue refuses with a clear "not
# supported yet" error and leaves nothing behind, never a silent no-op (a
# seccomp profile silently dropped would be a sandbox escape).  Each test here
# is replaced by real tests when its issue lands.  runc supports all of these,
# so all of these fail with NOOK_BINARY=runc.

load helpers

# expect_not_supported WHAT: the last command failed with one error line
# saying it is not supported yet, naming WHAT, and left nothing.
expect_not_supported() {
	assert_failure
	assert_one_error_line
	assert_nothing_left
	[[ $stderr == *"not supported"* ]] || fail "error does not say 'not supported': $stderr"
	[[ $stderr == *"$1"* ]] || fail "error does not name '$1': $stderr"
}

@test "not yet: linux.intelRdt" {
	update_config '.linux.intelRdt = {"closID": "nook"}'
	run_nook create --bundle "$BUNDLE" "$ID"
	expect_not_supported intelRdt
}

@test "not yet: linux.netDevices" {
	update_config '.linux.netDevices = {"eth9": {"name": "eth0"}}'
	run_nook create --bundle "$BUNDLE" "$ID"
	expect_not_supported netDevices
}
