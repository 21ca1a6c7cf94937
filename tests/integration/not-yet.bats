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

@test "not yet: --systemd-cgroup" {
	run_nook --systemd-cgroup create --bundle "$BUNDLE" "$ID"
	expect_not_supported systemd
}

@test "not yet: --console-socket" {
	run_nook create --console-socket "$TEST_TMP/console.sock" --bundle "$BUNDLE" "$ID"
	expect_not_supported console
}

@test "not yet: process.terminal" {
	update_config '.process.terminal = true'
	run_nook create --bundle "$BUNDLE" "$ID"
	expect_not_supported terminal
}

@test "not yet: linux.seccomp" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW"}'
	run_nook create --bundle "$BUNDLE" "$ID"
	expect_not_supported seccomp
}

@test "not yet: hooks" {
	update_config '.hooks = {"prestart": [{"path": "/bin/true"}]}'
	run_nook create --bundle "$BUNDLE" "$ID"
	expect_not_supported hooks
}

@test "not yet: a user namespace" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	run_nook create --bundle "$BUNDLE" "$ID"
	expect_not_supported user
}
