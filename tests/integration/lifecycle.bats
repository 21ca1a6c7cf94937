#!/usr/bin/env bats
# The runtime-spec lifecycle: create, start, the process exiting, delete; run
# and run -d; state.  Runtime-spec / runc-compatible unless marked.

load helpers

# A process that reports it started, then runs until the test lets it go.
wait_for_go_args() {
	set_args sh -c 'echo started >/host/started; while [ ! -e /host/go ]; do sleep 0.05; done; echo done >/host/done'
}

@test "lifecycle: create leaves the process waiting before execve; start runs it; exit makes it stopped; delete removes it" {
	wait_for_go_args
	create_container
	assert_equal "$(status_of "$ID")" created
	pid=$(pid_of "$ID")
	[ "$pid" -gt 0 ]
	process_alive "$pid"
	# The process exists but is not the user's program yet.
	run cmdline_of "$pid"
	refute_output --partial "/host/go"
	sleep 0.3
	[ ! -e "$HOSTDIR/started" ]

	run_nook start "$ID"
	assert_success
	wait_for_file "$HOSTDIR/started"
	assert_equal "$(status_of "$ID")" running
	# The container's pid is the user's process itself.
	assert_equal "$(pid_of "$ID")" "$pid"
	run cmdline_of "$pid"
	assert_output --partial "/host/go"

	touch "$HOSTDIR/go"
	wait_for_status "$ID" stopped
	assert_equal "$(cat "$HOSTDIR/done")" done
	run process_alive "$pid"
	assert_failure

	run_nook delete "$ID"
	assert_success
	run_nook state "$ID"
	assert_failure
	[ ! -e "$ROOT/$ID" ]
	for c in memory pids cpu; do
		[ ! -e "$(cgroup_dir $c)" ]
	done
}

@test "lifecycle: state of a created container has the spec's fields and the config's annotations" {
	update_config '.annotations = {"org.example.key": "value", "org.example.other": "2"}'
	set_args sleep 600
	# A relative --bundle: state reports it absolute.
	cd "$TEST_TMP"
	run_nook create --bundle bundle "$ID"
	cd /
	assert_success
	run state_of "$ID"
	assert_success
	echo "$output" | jq -e --arg id "$ID" --arg b "$BUNDLE" '
		(.ociVersion | type == "string" and startswith("1."))
		and .id == $id
		and .status == "created"
		and (.pid | type == "number" and . > 0)
		and .bundle == $b
		and .annotations == {"org.example.key": "value", "org.example.other": "2"}'
	# runc-compatible extensions: created (RFC 3339) and rootfs.
	echo "$output" | jq -e --arg b "$BUNDLE" '
		(.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)$"))
		and .rootfs == ($b + "/rootfs")'
}

@test "lifecycle: create without --bundle uses the current directory" {
	set_args sleep 600
	cd "$BUNDLE"
	run_nook create "$ID"
	cd /
	assert_success
	assert_equal "$(state_of "$ID" | jq -r .bundle)" "$BUNDLE"
}

@test "lifecycle: create --pid-file writes the container's pid" {
	set_args sleep 600
	create_container "$ID" --pid-file "$TEST_TMP/pidfile"
	pid=$(pid_of "$ID")
	assert_equal "$(tr -d '\n' <"$TEST_TMP/pidfile")" "$pid"
	process_alive "$pid"
}

@test "lifecycle: start of a running or stopped container fails and does not disturb it" {
	wait_for_go_args
	create_container
	pid=$(pid_of "$ID")
	run_nook start "$ID"
	assert_success
	wait_for_file "$HOSTDIR/started"

	run_nook start "$ID"
	assert_failure
	assert_equal "$(status_of "$ID")" running
	assert_equal "$(pid_of "$ID")" "$pid"

	touch "$HOSTDIR/go"
	wait_for_status "$ID" stopped
	run_nook start "$ID"
	assert_failure
	assert_equal "$(status_of "$ID")" stopped
}

@test "lifecycle: run prints the container's output and returns its exit status" {
	set_args sh -c 'echo "to stdout"; echo "to stderr" >&2; exit 3'
	run nook run --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure 3
	assert_line "to stdout"
	assert_line "to stderr"
	# A foreground run deletes the container once it has exited.
	run_nook state "$ID"
	assert_failure
}

@test "lifecycle: run returns 0 for a process that exits 0" {
	set_args sh -c 'echo fine'
	run nook run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_output fine
}

@test "lifecycle: run returns 128+N for a process killed by signal N" {
	set_args sh -c 'echo started >/host/started; exec sleep 600'
	nook run --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/run.out" 2>&1 &
	runner=$!
	wait_for_file "$HOSTDIR/started"
	run_nook kill "$ID" KILL
	assert_success
	status=0
	wait "$runner" || status=$?
	assert_equal "$status" 137
}

@test "lifecycle: run passes stdin to the process" {
	set_args sh -c 'read line; echo "got: $line"'
	run nook run --bundle "$BUNDLE" "$ID" <<<"hello stdin"
	assert_success
	assert_output "got: hello stdin"
}

@test "lifecycle: run -d returns at once and leaves the container running" {
	set_args sh -c 'echo "detached output"; exec sleep 600'
	run_nook run -d --bundle "$BUNDLE" "$ID"
	assert_success
	assert_equal "$(status_of "$ID")" running
	pid=$(pid_of "$ID")
	run cmdline_of "$pid"
	assert_output --partial sleep
	# The container writes to the stdout it inherited.
	for _ in $(seq 100); do
		grep -q "detached output" "$TEST_TMP/run.out" && break
		sleep 0.05
	done
	run cat "$TEST_TMP/run.out"
	assert_output "detached output"
}

@test "lifecycle: run --pid-file and the pid in state agree" {
	set_args sleep 600
	run_nook run -d --pid-file "$TEST_TMP/pidfile" --bundle "$BUNDLE" "$ID"
	assert_success
	assert_equal "$(tr -d '\n' <"$TEST_TMP/pidfile")" "$(pid_of "$ID")"
}

@test "lifecycle: --preserve-fds passes extra fds; other fds are not passed" {
	echo "through fd 3" >"$TEST_TMP/data"
	echo "through fd 7" >"$TEST_TMP/data7"
	set_args sh -c 'cat <&3; if [ -e /proc/self/fd/7 ]; then echo "fd 7 leaked"; fi'
	run timeout 60 "$NOOK_BINARY" --root "$ROOT" run --preserve-fds 1 \
		--bundle "$BUNDLE" "$ID" 3<"$TEST_TMP/data" 7<"$TEST_TMP/data7" </dev/null
	assert_success
	assert_output "through fd 3"
}

@test "lifecycle: a container started by create+start and one by run coexist" {
	set_args sleep 600
	create_container "$ID-a"
	set_cgroup "$ID-b"
	run_nook run -d --bundle "$BUNDLE" "$ID-b"
	assert_success
	assert_equal "$(status_of "$ID-a")" created
	assert_equal "$(status_of "$ID-b")" running
	[ "$(pid_of "$ID-a")" != "$(pid_of "$ID-b")" ]
}

# keyring-id (a static helper built by `make check`) prints the caller's
# session keyring serial.
keyring_id_helper() {
	local helper=${NOOK_BUILDDIR:?}/tests/integration/keyring-id
	[ -x "$helper" ] || fail "$helper is missing: build it with make check"
	cp "$helper" "$BUNDLE/rootfs/bin/keyring-id"
	echo "$helper"
}

@test "lifecycle: the container gets a session keyring of its own" {
	helper=$(keyring_id_helper)
	host=$("$helper")
	set_args /bin/keyring-id
	run nook run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	[[ $output =~ ^[0-9]+$ ]] || fail "no keyring id: $output"
	[ "$output" != "$host" ] || fail "the container shares the caller's session keyring $host"
}

@test "lifecycle: run --no-new-keyring keeps the caller's session keyring" {
	helper=$(keyring_id_helper)
	host=$("$helper")
	set_args /bin/keyring-id
	run nook run --no-new-keyring --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_output "$host"
}

@test "lifecycle: systemd's LISTEN_FDS pass into the container with LISTEN_PID=1" {
	echo "socket one" >"$TEST_TMP/data"
	echo "socket two" >"$TEST_TMP/data4"
	set_args sh -c 'echo $LISTEN_FDS $LISTEN_PID; cat <&3; cat <&4'
	LISTEN_FDS=2 LISTEN_PID=$$ run timeout 60 "$NOOK_BINARY" --root "$ROOT" run \
		--bundle "$BUNDLE" "$ID" 3<"$TEST_TMP/data" 4<"$TEST_TMP/data4" </dev/null
	assert_success
	assert_output "2 1
socket one
socket two"
}
