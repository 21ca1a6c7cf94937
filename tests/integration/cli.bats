#!/usr/bin/env bats
# Global options and help.  runc-compatible unless marked.

load helpers

@test "cli: --version prints the version and the runtime-spec version" {
	run nook --version
	assert_success
	assert_line --index 0 --regexp 'version [0-9]+\.[0-9]+'
	assert_line --regexp '^spec: 1\.[0-9]+\.[0-9]+'
}

@test "cli: --help lists every command" {
	run nook --help
	assert_success
	for cmd in create start run state kill delete list spec features; do
		assert_output --regexp "(^|[[:space:]])$cmd([[:space:]]|,)"
	done
}

@test "cli: --debug is accepted and changes no result" {
	set_args sh -c 'echo debug-run'
	run nook --debug run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_line debug-run
}

@test "cli: --root is created when missing and holds the container's state" {
	set_args sleep 600
	[ ! -e "$ROOT" ]
	create_container
	[ -d "$ROOT" ]
	# Only root may look into it: it holds the container's control files.
	[ "$(stat -c %a "$ROOT")" = 700 ] || [ "$(stat -c %a "$ROOT")" = 711 ]
	run nook list -q
	assert_output "$ID"
	# Another --root does not see it.
	run timeout 60 "$NOOK_BINARY" --root "$TEST_TMP/other-root" list -q
	assert_success
	assert_output ""
}
