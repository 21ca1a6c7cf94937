#!/usr/bin/env bats
# Bad input: each gives one clear error line on stderr, a non-zero exit, and
# leaves nothing behind (no state dir, cgroup, mount or process), checked
# right after the failure, before teardown's `delete --force`.
#
# "one error line" is nook's promise (runc prints usage text for CLI errors);
# the wording checks are nook-specific and marked.  The rest is
# runtime-spec / runc-compatible unless marked "runc deviates".

load helpers

# ---- config.json ----

@test "bad input: malformed JSON" {
	echo '{"ociVersion": "1.0.2", bad' >"$BUNDLE/config.json"
	expect_create_error
}

@test "bad input: truncated JSON" {
	full=$(cat "$BUNDLE/config.json")
	printf '%s' "${full:0:$((${#full} / 2))}" >"$BUNDLE/config.json"
	expect_create_error
}

@test "bad input: an empty config.json" {
	: >"$BUNDLE/config.json"
	expect_create_error
}

@test "bad input: a JSON document that is not an object" {
	echo '["not", "an", "object"]' >"$BUNDLE/config.json"
	expect_create_error
}

@test "bad input: no config.json in the bundle" {
	rm "$BUNDLE/config.json"
	expect_create_error config.json # nook-specific wording
}

# runc deviates: runc 1.1.5 accepts a config without ociVersion (REQUIRED by
# the runtime-spec).
@test "bad input: missing required field ociVersion" {
	update_config 'del(.ociVersion)'
	expect_create_error ociVersion # nook-specific wording
}

@test "bad input: missing required field process.cwd" {
	update_config 'del(.process.cwd)'
	expect_create_error process.cwd # nook-specific wording
}

@test "bad input: missing process" {
	update_config 'del(.process)'
	expect_create_error process # nook-specific wording
}

@test "bad input: a relative process.cwd" {
	update_config '.process.cwd = "tmp"'
	expect_create_error process.cwd # nook-specific wording
}

@test "bad input: empty process.args" {
	update_config '.process.args = []'
	expect_create_error process.args # nook-specific wording
}

@test "bad input: wrong type: memory.limit as a string" {
	update_config '.linux.resources.memory = {"limit": "64m"}'
	expect_create_error linux.resources.memory.limit
}

@test "bad input: wrong type: process.args as a string" {
	update_config '.process.args = "sh"'
	expect_create_error process.args
}

@test "bad input: an rlimit of an unknown type" {
	update_config '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
	expect_create_error RLIMIT_BOGUS # nook-specific wording
}

# runc deviates: runc 1.1.5 ignores unknown capabilities with a warning.
@test "bad input: an unknown capability" {
	update_config '.process.capabilities.bounding += ["CAP_BOGUS"]'
	expect_create_error CAP_BOGUS # nook-specific wording
}

@test "bad input: an unknown namespace type" {
	update_config '.linux.namespaces += [{"type": "bogus"}]'
	expect_create_error bogus # nook-specific wording
}

@test "bad input: a namespace path that does not exist" {
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "/nonexistent/ns/net" else . end)'
	expect_create_error /nonexistent/ns/net # nook-specific wording
}

@test "bad input: a rootfs that does not exist" {
	update_config '.root.path = "no-such-rootfs"'
	expect_create_error no-such-rootfs # nook-specific wording
}

@test "bad input: a bind mount whose source does not exist" {
	update_config '.mounts += [{"destination": "/x", "type": "bind", "source": "/nonexistent/src",
		"options": ["bind"]}]'
	expect_create_error /nonexistent/src # nook-specific wording
}

@test "bad input: a mount of an unknown filesystem type" {
	update_config '.mounts += [{"destination": "/x", "type": "bogusfs", "source": "none"}]'
	expect_create_error /x # nook-specific wording
}

@test "bad input: a program that does not exist fails at create or start, and names it" {
	set_args /nonexistent/prog
	run_nook create --bundle "$BUNDLE" "$ID"
	if [ "$status" -eq 0 ]; then
		run_nook start "$ID"
		assert_failure
	fi
	[[ $stderr == */nonexistent/prog* ]] || fail "error does not name the program: $stderr"
	run_nook delete --force "$ID"
	assert_nothing_left
}

@test "bad input: terminal without a console socket" {
	update_config '.process.terminal = true'
	expect_create_error
}

# ---- the CLI ----

@test "bad input: an id already in use; the first container is untouched" {
	set_args sleep 600
	create_container
	pid=$(pid_of "$ID")
	set_cgroup "$ID-second"
	run_nook create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	assert_equal "$(status_of "$ID")" created
	assert_equal "$(pid_of "$ID")" "$pid"
	for c in memory pids; do
		[ ! -e "$(cgroup_dir "$c" "$ID-second")" ] || fail "the second create left $(cgroup_dir "$c" "$ID-second")"
	done
	[[ $stderr == *"$ID"* ]] || fail "error does not name the id: $stderr" # nook-specific
}

@test "bad input: invalid ids" {
	for bad in "../x" "a/b" "." ".." "" "with space" "$(printf 'nl\nid')"; do
		run_nook create --bundle "$BUNDLE" "$bad"
		assert_failure
		assert_one_error_line
		assert_nothing_left
	done
	# Nothing was created next to the state dir either.
	[ ! -e "$TEST_TMP/x" ]
}

@test "bad input: a bundle directory that does not exist" {
	run_nook create --bundle "$TEST_TMP/no-such-bundle" "$ID"
	assert_failure
	assert_one_error_line
	assert_nothing_left
}

# nook-specific: runc prints its usage text.
@test "bad input: an unknown command" {
	run_nook frobnicate
	assert_failure
	assert_one_error_line
	[[ $stderr == *frobnicate* ]] || fail "error does not name the command: $stderr"
}

# nook-specific: runc prints its usage text.
@test "bad input: an unknown global flag" {
	run_nook --bogus-flag list
	assert_failure
	assert_one_error_line
	[[ $stderr == *bogus-flag* ]] || fail "error does not name the flag: $stderr"
}

# nook-specific: runc prints its usage text.
@test "bad input: an unknown command flag" {
	run_nook create --bogus-flag --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	assert_nothing_left
	[[ $stderr == *bogus-flag* ]] || fail "error does not name the flag: $stderr"
}

# nook-specific: the error names the option as given, short or long.
@test "bad input: an unknown short flag, and options without their value" {
	# first in a cluster: getopt is still on that word
	run_nook run -Zd --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"unknown option \`-Z\`"* ]] || fail "$stderr"
	run_nook create --bundle
	assert_failure
	[[ $stderr == *"option \`--bundle\` needs a value"* ]] || fail "$stderr"
	run_nook create -b
	assert_failure
	[[ $stderr == *"option \`-b\` needs a value"* ]] || fail "$stderr"
	assert_nothing_left
}

# nook-specific: runc prints its usage text.
@test "bad input: a missing container id" {
	run_nook create --bundle "$BUNDLE"
	assert_failure
	assert_one_error_line
	run_nook state
	assert_failure
}

@test "bad input: an unknown signal" {
	set_args sleep 600
	create_container
	run_nook kill "$ID" SIGBOGUS
	assert_failure
	assert_one_error_line
	assert_equal "$(status_of "$ID")" created
	[[ $stderr == *SIGBOGUS* ]] || fail "error does not name the signal: $stderr" # nook-specific
}

@test "bad input: state, start, kill and delete of a container that does not exist" {
	for cmd in state start kill delete; do
		run_nook "$cmd" "$ID-nothere"
		assert_failure
		assert_one_error_line
		[[ $stderr == *"$ID-nothere"* ]] || fail "$cmd: error does not name the id: $stderr" # nook-specific
	done
	[ ! -e "$ROOT/$ID-nothere" ]
}

# ---- where errors go ----

@test "bad input: --log FILE --log-format json gets the error as a JSON line" {
	echo '{bad' >"$BUNDLE/config.json"
	run_nook --log "$TEST_TMP/log.json" --log-format json create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_nothing_left
	[ -s "$TEST_TMP/log.json" ]
	# Every line is a JSON object; one of them is the error.
	jq -e . "$TEST_TMP/log.json" >/dev/null
	run jq -r 'select(.level == "error") | .msg' "$TEST_TMP/log.json"
	assert_success
	[ -n "$output" ]
	jq -e 'select(.level == "error") | .time | type == "string"' "$TEST_TMP/log.json"
}

@test "bad input: --log FILE (text) gets the error" {
	run_nook --log "$TEST_TMP/log.txt" kill "$ID-nothere" KILL
	assert_failure
	grep -q "$ID-nothere" "$TEST_TMP/log.txt" # nook-specific: the message names the id
}

@test "bad input: an unknown --log-format is an error" {
	run_nook --log-format yaml list
	assert_failure
	[ -n "$stderr" ]
}
