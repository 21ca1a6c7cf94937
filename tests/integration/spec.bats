#!/usr/bin/env bats
# spec [--bundle DIR] [--rootless]: a starter config.json.  runc-compatible.

load helpers

@test "spec: writes a valid config.json in the current directory" {
	mkdir "$TEST_TMP/new"
	cd "$TEST_TMP/new"
	run nook spec
	cd /
	assert_success
	f=$TEST_TMP/new/config.json
	[ -s "$f" ]
	jq -e '
		(.ociVersion | type == "string" and startswith("1."))
		and (.process.args | type == "array" and length > 0)
		and (.process.cwd | startswith("/"))
		and (.process.user.uid == 0)
		and .root.path == "rootfs"
		and (.mounts | map(.destination) | index("/proc") != null)
		and (.mounts | map(select(.destination == "/proc"))[0].type == "proc")
		and (.linux.namespaces | map(.type) | contains(["pid", "mount", "ipc", "uts", "network"]))
		and (.linux.maskedPaths | length > 0)
		and (.linux.readonlyPaths | length > 0)' "$f"
	# No namespace is joined by path in a starter spec.
	jq -e '[.linux.namespaces[] | select(.path)] | length == 0' "$f"
}

@test "spec: --bundle DIR writes DIR/config.json" {
	mkdir "$TEST_TMP/other"
	run nook spec --bundle "$TEST_TMP/other"
	assert_success
	jq -e .ociVersion "$TEST_TMP/other/config.json"
}

@test "spec: refuses to overwrite an existing config.json" {
	mkdir "$TEST_TMP/other"
	echo '{"mine": true}' >"$TEST_TMP/other/config.json"
	run_nook spec --bundle "$TEST_TMP/other"
	assert_failure
	[ -n "$stderr" ]
	run cat "$TEST_TMP/other/config.json"
	assert_output '{"mine": true}'
}

@test "spec: --bundle of a directory that does not exist is an error" {
	run_nook spec --bundle "$TEST_TMP/nothere"
	assert_failure
	[ -n "$stderr" ]
	[ ! -e "$TEST_TMP/nothere" ]
}

@test "spec: --rootless maps the caller's uid and gid, has a user namespace and no network namespace" {
	# Run it as uid/gid 1000 with a copy of the binary any user may execute.
	dir=$TEST_TMP/rootless
	mkdir -m 0777 "$dir"
	cp "$NOOK_BINARY" "$dir/nook"
	chmod 0755 "$dir/nook"
	run setpriv --reuid 1000 --regid 1000 --clear-groups -- \
		"$dir/nook" --root "$dir/state" spec --rootless --bundle "$dir"
	assert_success
	jq -e '
		(.linux.namespaces | map(.type) | index("user") != null)
		and (.linux.namespaces | map(.type) | index("network") == null)
		and (.linux.uidMappings | map(select(.containerID == 0 and .hostID == 1000 and .size >= 1)) | length == 1)
		and (.linux.gidMappings | map(select(.containerID == 0 and .hostID == 1000 and .size >= 1)) | length == 1)' \
		"$dir/config.json"
}

@test "spec: the starter config runs (with the terminal turned off)" {
	mkdir "$TEST_TMP/b"
	run nook spec --bundle "$TEST_TMP/b"
	assert_success
	cp -a "$BUNDLE/rootfs" "$TEST_TMP/b/rootfs"
	CONFIG=$TEST_TMP/b/config.json update_config '.process.terminal = false
		| .process.args = ["sh", "-c", "echo spec works"]'
	run nook run --bundle "$TEST_TMP/b" "$ID" </dev/null
	assert_success
	assert_output "spec works"
}
