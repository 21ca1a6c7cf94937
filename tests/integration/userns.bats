#!/usr/bin/env bats
# User and time namespaces (linux.uidMappings/gidMappings, linux.timeOffsets)
# and joining namespaces by path, as the process inside sees them.

load helpers

# The container's root is an unprivileged id on the host: it cannot create
# mount points in the (host-owned) rootfs, so /host must exist already.
setup() {
	nook_setup
	mkdir -p "$BUNDLE/rootfs/host"
}

USERNS_MAP='.linux.namespaces += [{"type": "user"}]
	| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
	| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'

@test "userns: the process is root inside and an unprivileged id outside" {
	update_config "$USERNS_MAP"
	set_args sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; sleep 600'
	run_nook run -d --bundle "$BUNDLE" "$ID"
	assert_success
	pid=$(pid_of "$ID")
	# The host sees the mapped ids.
	run awk '/^Uid:/ {print $2} /^Gid:/ {print $2}' "/proc/$pid/status"
	assert_output "100000
200000"
	[ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ]
}

@test "userns: uid 0 and the mappings inside" {
	update_config "$USERNS_MAP"
	run_in_container sh -c 'id -u; cat /proc/self/uid_map; cat /proc/self/gid_map'
	assert_success
	assert_line --index 0 0
	assert_line --regexp '^ +0 +100000 +65536$'
	assert_line --regexp '^ +0 +200000 +65536$'
}

@test "userns: process.user is interpreted inside the namespace" {
	update_config "$USERNS_MAP | .process.user = {\"uid\": 1000, \"gid\": 1000}"
	set_args sh -c 'id; sleep 600'
	run_nook run -d --bundle "$BUNDLE" "$ID"
	assert_success
	pid=$(pid_of "$ID")
	run awk '/^Uid:/ {print $2}' "/proc/$pid/status"
	assert_output 101000
}

@test "userns: a new user namespace without mappings is an error" {
	update_config '.linux.namespaces += [{"type": "user"}]'
	run_nook create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *uidMappings* ]] || fail "$stderr"
	assert_nothing_left
}

@test "userns: mappings without a user namespace are an error" {
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 1}]'
	run_nook create --bundle "$BUNDLE" "$ID"
	assert_failure
	[[ $stderr == *"need a new user namespace"* ]] || fail "$stderr" # nook-specific
	assert_nothing_left
}

@test "userns: overlapping mappings are refused by the kernel, clearly, and leave nothing" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 10},
		                        {"containerID": 5, "hostID": 300000, "size": 10}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 10}]'
	run_nook create --bundle "$BUNDLE" "$ID"
	assert_failure
	[[ $stderr == *linux.uidMappings* ]] || fail "$stderr" # nook-specific
	[[ $stderr == *"Invalid argument"* ]] || fail "$stderr"
	assert_nothing_left
}

# nook-specific: the namespaces created for the container would have to be
# owned by the joined user namespace; refused clearly until that is done.
@test "userns: joining a user namespace by path is refused clearly" {
	update_config '.linux.namespaces += [{"type": "user", "path": "/proc/1/ns/user"}]'
	run_nook create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"joining a user namespace by path is not supported yet"* ]] || fail "$stderr"
	assert_nothing_left
}

@test "timens: timeOffsets shift the container's monotonic and boot clocks" {
	update_config '.linux.namespaces += [{"type": "time"}]
		| .linux.timeOffsets = {"boottime": {"secs": 864000}, "monotonic": {"secs": 3600, "nanosecs": 5}}'
	run_in_container sh -c 'cat /proc/self/timens_offsets; cut -d. -f1 /proc/uptime'
	assert_success
	assert_line --regexp '^monotonic +3600 +5$'
	assert_line --regexp '^boottime +864000 +0$'
	host=$(cut -d. -f1 /proc/uptime)
	inside=${lines[2]}
	[ "$inside" -ge $((host + 864000 - 5)) ] || fail "uptime $inside is not the host's $host + 10 days"
}

@test "timens: offsets without a time namespace, or an unknown clock, are errors" {
	update_config '.linux.timeOffsets = {"boottime": {"secs": 1}}'
	run_nook create --bundle "$BUNDLE" "$ID"
	assert_failure
	[[ $stderr == *"time namespace"* ]] || fail "$stderr" # nook-specific
	assert_nothing_left
	update_config '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"realtime": {"secs": 1}}'
	run_nook create --bundle "$BUNDLE" "$ID"
	assert_failure
	[[ $stderr == *realtime* ]] || fail "$stderr" # nook-specific
	assert_nothing_left
}

@test "rootfsPropagation unbindable: the rootfs cannot be bound elsewhere" {
	update_config '.linux.rootfsPropagation = "unbindable"'
	run_in_container awk '$5 == "/"' /proc/self/mountinfo
	assert_success
	assert_output --partial unbindable
}

@test "userns: exec joins the container's user namespace" {
	update_config "$USERNS_MAP"
	set_args sleep 600
	run_nook run -d --bundle "$BUNDLE" "$ID"
	assert_success
	run_nook exec "$ID" sh -c 'id -u; cat /proc/self/uid_map'
	assert_success
	assert_line --index 0 0
	assert_line --regexp '^ +0 +100000 +65536$'
	run_nook exec -d --pid-file "$TEST_TMP/exec.pid" "$ID" sleep 600
	assert_success
	run awk '/^Uid:/ {print $2}' "/proc/$(cat "$TEST_TMP/exec.pid")/status"
	assert_output 100000
}
