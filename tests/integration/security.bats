#!/usr/bin/env bats
# The runtime's own safety: its binary cannot be overwritten from inside, no
# host fd leaks into the container, symlinks in the rootfs cannot redirect a
# mount to the host.

load helpers

@test "security: a container process cannot open nook's binary through the waiting init" {
	set_args sleep 600
	create_container
	# The init still is nook (it waits for start); it is not dumpable.
	run_nook exec "$ID" sh -c 'cat /proc/1/exe >/dev/null && echo READ; readlink /proc/1/exe || echo NOLINK'
	refute_output --partial READ
	assert_output --partial NOLINK
}

@test "security: with CAP_SYS_PTRACE the init runs from a sealed copy that cannot be written" {
	update_config '.process.capabilities.bounding += ["CAP_SYS_PTRACE"]
		| .process.capabilities.effective += ["CAP_SYS_PTRACE"]
		| .process.capabilities.permitted += ["CAP_SYS_PTRACE"]'
	set_args sleep 600
	sum=$(sha256sum "$NOOK_BINARY")
	create_container
	run_nook exec "$ID" sh -c 'readlink /proc/1/exe; echo garbage >>/proc/1/exe && echo WROTE'
	assert_line --regexp '^/memfd:nook'
	refute_output --partial WROTE
	assert_equal "$(sha256sum "$NOOK_BINARY")" "$sum"
}

@test "security: exec with CAP_SYS_PTRACE into a created container whose init is the host binary is refused" {
	set_args sleep 600
	create_container
	run_nook exec --cap CAP_SYS_PTRACE "$ID" true
	assert_failure
	assert_one_error_line
	[[ $stderr == *CAP_SYS_PTRACE* ]] || fail "$stderr" # nook-specific
}

@test "security: the exec'd process runs from a sealed copy of nook until it execs" {
	set_args sleep 600
	run_nook run -d --bundle "$BUNDLE" "$ID"
	assert_success
	# exec of a program that prints its parent's... itself: /proc/self/exe
	# is the program by then; the nook side is checked through a process
	# that stays nook: a missing program makes exec fail before execve.
	run_nook --debug exec "$ID" sh -c 'readlink /proc/self/exe'
	assert_success
	assert_output /bin/busybox
}

@test "security: no fd of nook reaches the container, beyond stdio and --preserve-fds" {
	set_args sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "'
	# An fd the caller left open without close-on-exec must not pass.
	exec 7</etc/hostname
	run nook run --bundle "$BUNDLE" "$ID" </dev/null
	exec 7<&-
	assert_success
	# 0 1 2 and the fd of ls's own directory listing.
	assert_output --regexp '^0 1 2 [0-9]+ $'
	refute_output --regexp ' 7 '
}

@test "security: the container's cwd is inside the container, not a host directory" {
	set_args sh -c 'readlink /proc/self/cwd; ls -l /proc/self/root'
	run_in_container sh -c 'readlink /proc/self/cwd; cd ..; pwd; ls /'
	assert_success
	assert_line --index 0 /
	refute_output --partial "$BUNDLE"
}

@test "security: a symlink planted in the rootfs cannot send a mount to the host" {
	target=$TEST_TMP/host-target
	mkdir -p "$target"
	ln -s "$target" "$BUNDLE/rootfs/evil"
	update_config '.mounts += [{"destination": "/evil", "type": "tmpfs", "source": "tmpfs"}]'
	run_in_container sh -c 'grep " /evil " /proc/self/mountinfo || grep "host-target" /proc/self/mountinfo'
	assert_success
	# Nothing was mounted on the host's directory.
	run grep -F "$target" /proc/self/mountinfo
	assert_failure
	[ -z "$(ls -A "$target")" ]
}
