#!/usr/bin/env bats
# config.json's process: args, env, cwd, user, capabilities,
# noNewPrivileges, rlimits, as the process itself reports them.
# Runtime-spec / runc-compatible unless marked.

load helpers

@test "process: args are passed exactly, including spaces and empty ones" {
	run_in_container sh -c 'for a in "$@"; do echo "[$a]"; done' argv0 one "two words" "" '$HOME' "-x"
	assert_success
	assert_equal "${#lines[@]}" 5
	assert_line --index 0 "[one]"
	assert_line --index 1 "[two words]"
	assert_line --index 2 "[]"
	assert_line --index 3 '[$HOME]'
	assert_line --index 4 "[-x]"
}

@test "process: args[0] is looked up in the configured PATH" {
	update_config '.process.env = ["PATH=/usr/sbin:/sbin"]'
	# `ifconfig` lives in /sbin in the busybox rootfs; `sh` would not be found.
	run_in_container ifconfig -a
	assert_success
	assert_output --partial lo
}

@test "process: the environment is the configured one, not the runtime's" {
	export NOOK_HOST_ONLY_VAR=leaked
	update_config '.process.env = ["PATH=/bin:/usr/bin", "GREETING=hello world", "EMPTY="]'
	run_in_container env
	assert_success
	assert_line "GREETING=hello world"
	assert_line "PATH=/bin:/usr/bin"
	assert_line "EMPTY="
	refute_line --partial NOOK_HOST_ONLY_VAR
	refute_line --partial BATS_
}

@test "process: cwd" {
	update_config '.process.cwd = "/home/agent"'
	run_in_container pwd
	assert_success
	assert_output /home/agent
}

@test "process: uid, gid and additionalGids" {
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20]}'
	run_in_container sh -c 'id -u; id -g; grep -E "^(Uid|Gid|Groups):" /proc/self/status'
	assert_success
	assert_line --index 0 1000
	assert_line --index 1 1000
	assert_line --regexp '^Uid:\s+1000\s+1000\s+1000\s+1000$'
	assert_line --regexp '^Gid:\s+1000\s+1000\s+1000\s+1000$'
	assert_line --regexp '^Groups:\s+10 20\s*$'
}

@test "process: a uid without a passwd entry" {
	update_config '.process.user = {"uid": 4242, "gid": 4343}'
	run_in_container sh -c 'id -u; id -g'
	assert_success
	assert_line --index 0 4242
	assert_line --index 1 4343
}

# Capability masks: CAP_CHOWN=0 CAP_KILL=5 CAP_NET_BIND_SERVICE=10 CAP_NET_RAW=13
# CAP_SYS_ADMIN=21 CAP_AUDIT_WRITE=29.
cap_line() { # NAME HEXMASK: the /proc/self/status line
	printf '%s:\t%016x\n' "$1" "$2"
}

@test "process: capabilities as root with noNewPrivileges: all five sets as configured" {
	update_config '.process.noNewPrivileges = true | .process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"effective": ["CAP_CHOWN", "CAP_KILL"],
		"permitted": ["CAP_CHOWN", "CAP_KILL"],
		"inheritable": ["CAP_KILL"],
		"ambient": ["CAP_KILL"]}'
	run_in_container grep ^Cap /proc/self/status
	assert_success
	assert_line "$(cap_line CapBnd $(((1 << 0) | (1 << 5) | (1 << 10))))"
	assert_line "$(cap_line CapPrm $(((1 << 0) | (1 << 5))))"
	assert_line "$(cap_line CapEff $(((1 << 0) | (1 << 5))))"
	assert_line "$(cap_line CapInh $((1 << 5)))"
	assert_line "$(cap_line CapAmb $((1 << 5)))"
}

@test "process: capabilities as root without noNewPrivileges: execve makes permitted = bounding | inheritable" {
	update_config '.process.noNewPrivileges = false | .process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"effective": ["CAP_CHOWN", "CAP_KILL"],
		"permitted": ["CAP_CHOWN", "CAP_KILL"],
		"inheritable": ["CAP_KILL"],
		"ambient": ["CAP_KILL"]}'
	run_in_container grep ^Cap /proc/self/status
	assert_success
	# capabilities(7), "Capabilities and execution of programs by root".
	assert_line "$(cap_line CapBnd $(((1 << 0) | (1 << 5) | (1 << 10))))"
	assert_line "$(cap_line CapPrm $(((1 << 0) | (1 << 5) | (1 << 10))))"
	assert_line "$(cap_line CapEff $(((1 << 0) | (1 << 5) | (1 << 10))))"
	assert_line "$(cap_line CapInh $((1 << 5)))"
	assert_line "$(cap_line CapAmb $((1 << 5)))"
}

@test "process: capabilities as a user: the ambient set survives execve, nothing else" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}
		| .process.capabilities = {
		"bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
		"effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
		"permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
		"inheritable": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"ambient": ["CAP_KILL", "CAP_NET_BIND_SERVICE"]}'
	run_in_container grep ^Cap /proc/self/status
	assert_success
	assert_line "$(cap_line CapBnd $(((1 << 5) | (1 << 10) | (1 << 13))))"
	assert_line "$(cap_line CapInh $(((1 << 5) | (1 << 10))))"
	assert_line "$(cap_line CapAmb $(((1 << 5) | (1 << 10))))"
	assert_line "$(cap_line CapPrm $(((1 << 5) | (1 << 10))))"
	assert_line "$(cap_line CapEff $(((1 << 5) | (1 << 10))))"
}

@test "process: a dropped capability is gone: no CAP_CHOWN, chown fails" {
	update_config '.process.capabilities = {
		"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}
		| .root.readonly = false'
	run_in_container sh -c 'grep ^CapBnd /proc/self/status; touch /tmp/f; chown 1000 /tmp/f 2>/dev/null || echo chown-denied'
	assert_success
	assert_line "$(cap_line CapBnd $((1 << 5)))"
	assert_line chown-denied
}

@test "process: no capabilities at all" {
	update_config '.process.capabilities = {}'
	run_in_container grep -E '^Cap(Bnd|Eff|Prm)' /proc/self/status
	assert_success
	assert_line "$(cap_line CapBnd 0)"
	assert_line "$(cap_line CapEff 0)"
	assert_line "$(cap_line CapPrm 0)"
}

@test "process: noNewPrivileges true" {
	update_config '.process.noNewPrivileges = true'
	run_in_container grep ^NoNewPrivs /proc/self/status
	assert_success
	assert_output --regexp '^NoNewPrivs:\s+1$'
}

@test "process: noNewPrivileges false" {
	update_config '.process.noNewPrivileges = false'
	run_in_container grep ^NoNewPrivs /proc/self/status
	assert_success
	assert_output --regexp '^NoNewPrivs:\s+0$'
}

@test "process: rlimits below the current hard limit" {
	update_config '.process.rlimits = [
		{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200},
		{"type": "RLIMIT_NPROC", "soft": 300, "hard": 400},
		{"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]'
	run_in_container sh -c 'ulimit -n; ulimit -Hn; grep -E "^Max (open files|processes|core)" /proc/self/limits'
	assert_success
	assert_line --index 0 100
	assert_line --index 1 200
	assert_line --regexp '^Max open files\s+100\s+200\s'
	assert_line --regexp '^Max processes\s+300\s+400\s'
	assert_line --regexp '^Max core file size\s+0\s+0\s'
}

# The error's wording is nook-specific: it must name the rlimit.  (This host
# lacks CAP_SYS_RESOURCE, so no process may raise a hard limit.)
@test "process: an rlimit above the current hard limit fails clearly and leaves nothing" {
	hard=$(ulimit -Hn)
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": ($h + 1)}]' \
		--argjson h "$hard"
	run_nook run --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_nothing_left
	# nook-specific:
	[[ $stderr == *RLIMIT_NOFILE* ]] || fail "the error does not name RLIMIT_NOFILE: $stderr"
	assert_one_error_line
}

@test "process: umask" {
	update_config '.process.user.umask = 63 | .root.readonly = false'
	run_in_container sh -c 'umask; touch /tmp/f; stat -c %a /tmp/f'
	assert_success
	assert_line --index 0 0077
	assert_line --index 1 600
}

@test "process: only stdio reaches the process: no other fd of the runtime leaks" {
	# (`; true`: a lone command would be exec'd in place of sh, and ls would
	# list its own directory fd.)
	set_args sh -c 'ls /proc/$$/fd; true'
	run nook run --bundle "$BUNDLE" "$ID" </dev/null 5<"$BUNDLE/config.json" 6>"$TEST_TMP/fd6"
	assert_success
	# sh's own fds: 0 1 2 and possibly one it opened itself (>= 10).
	for fd in $output; do
		[ "$fd" -le 2 ] || [ "$fd" -ge 10 ] || fail "fd $fd leaked into the container: $output"
	done
}
