#!/usr/bin/env bats
# Global options and help.  runc-compatible unless marked.

load helpers

@test "cli: --version prints the version and the runtime-spec version" {
	run nook --version
	assert_success
	assert_line --index 0 --regexp 'version [0-9]+\.[0-9]+'
	assert_line --regexp '^spec: 1\.[0-9]+\.[0-9]+'
}

COMMANDS="create start run exec state kill delete list pause resume ps events update checkpoint restore spec features"

@test "cli: --help lists every command" {
	local cmd
	run nook --help
	assert_success
	for cmd in $COMMANDS; do
		assert_output --regexp "(^|[[:space:]])$cmd([[:space:]]|,)"
	done
}

@test "cli: every option a command's --help lists is described in its man page" {
	local cmd help opts man missing
	for cmd in $COMMANDS; do
		help=$("$NOOK_BINARY" "$cmd" --help) || fail "nook $cmd --help failed"
		[ -f "$NOOK_SRCDIR/man/nook-$cmd.1" ] || fail "no man page nook-$cmd.1"
		# the option lines of the help, the OPTIONS section of the page
		opts=$(grep -E '^[[:space:]]+-' <<<"$help" | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u)
		man=$(sed -n '/^\.SH OPTIONS/,/^\.SH [A-Z]/p' "$NOOK_SRCDIR/man/nook-$cmd.1" |
			sed 's/\\-/-/g' | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u)
		missing=$(comm -23 <(echo "$opts") <(echo "$man") | tr '\n' ' ')
		[ -z "${missing// /}" ] || fail "nook $cmd --help lists options nook-$cmd(1) does not describe: $missing"
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
