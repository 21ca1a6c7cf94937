#!/usr/bin/env bats
# delete [--force] ID.  runtime-spec runtime.md, "Delete": "Attempting to
# delete a container that is not stopped MUST have no effect on the container
# and MUST generate an error."  --force kills it first.

load helpers

# What a container leaves on the host while it exists, checked gone.
assert_container_gone() { # ID PID
	run_nook state "$1"
	assert_failure
	[ ! -e "$ROOT/$1" ]
	local c
	for c in memory pids cpu devices freezer; do
		[ ! -e "$(cgroup_dir "$c" "$1")" ] || fail "cgroup $(cgroup_dir "$c" "$1") still there"
	done
	if [ -n "${2:-}" ]; then
		run process_alive "$2"
		assert_failure
	fi
}

@test "delete: a stopped container; its state and cgroups go" {
	create_container
	[ -d "$(cgroup_dir memory)" ]
	run_nook start "$ID"
	assert_success
	wait_for_status "$ID" stopped
	run_nook delete "$ID"
	assert_success
	assert_container_gone "$ID"
}

# runc deviates: runc 1.1.5 deletes a created container without --force
# (it kills it), contrary to the runtime-spec.
@test "delete: a created container without --force is an error and leaves it created" {
	set_args sh -c 'echo ran >/host/ran'
	create_container
	pid=$(pid_of "$ID")
	run_nook delete "$ID"
	assert_failure
	[ -n "$stderr" ]
	assert_equal "$(status_of "$ID")" created
	assert_equal "$(pid_of "$ID")" "$pid"
	process_alive "$pid"
	# ... and it can still be started.
	run_nook start "$ID"
	assert_success
	wait_for_file "$HOSTDIR/ran"
}

@test "delete: a running container without --force is an error and leaves it running" {
	set_args sleep 600
	create_container
	run_nook start "$ID"
	assert_success
	pid=$(pid_of "$ID")
	run_nook delete "$ID"
	assert_failure
	[ -n "$stderr" ]
	assert_equal "$(status_of "$ID")" running
	process_alive "$pid"
	[ -d "$(cgroup_dir memory)" ]
}

@test "delete --force: a running container is killed and everything goes" {
	set_args sh -c 'sleep 600 & exec sleep 600'
	create_container
	run_nook start "$ID"
	assert_success
	pid=$(pid_of "$ID")
	run_nook delete --force "$ID"
	assert_success
	assert_container_gone "$ID" "$pid"
}

@test "delete --force: a created container is killed and everything goes" {
	create_container
	pid=$(pid_of "$ID")
	run_nook delete --force "$ID"
	assert_success
	assert_container_gone "$ID" "$pid"
}

@test "delete: a container that does not exist is an error" {
	run_nook delete "$ID-nothere"
	assert_failure
	[ -n "$stderr" ]
}

@test "delete: deleting one container leaves the others alone" {
	set_args sleep 600
	create_container "$ID-a"
	set_cgroup "$ID-b"
	create_container "$ID-b"
	run_nook delete --force "$ID-a"
	assert_success
	assert_equal "$(status_of "$ID-b")" created
	[ -d "$(cgroup_dir memory "$ID-b")" ]
}

# A create killed after it made the cgroup, before it wrote its state (here
# while a createRuntime hook runs): the container stays "creating", and
# delete finds and removes its cgroups from the record create wrote first.
@test "delete: a create killed after making its cgroup leaves nothing once deleted" {
	update_config '.hooks.createRuntime = [{"path": "/bin/sh",
		"args": ["sh", "-c", "echo $$ >\($dir)/hook.pid; exec sleep 600"]}]' --arg dir "$HOSTDIR"
	"$NOOK_BINARY" --root "$ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 3>&- &
	local create=$!
	wait_for_file "$HOSTDIR/hook.pid"
	local hook
	hook=$(cat "$HOSTDIR/hook.pid")
	[ -d "$(cgroup_dir memory)" ] || fail "no cgroup while the hook runs"
	kill -KILL "$create"
	wait "$create" || true
	kill -KILL "$hook"
	assert_equal "$(status_of "$ID")" creating
	[ -d "$(cgroup_dir memory)" ]
	run_nook delete "$ID"
	assert_success
	assert_container_gone "$ID"
}
