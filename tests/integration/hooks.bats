#!/usr/bin/env bats
# Hooks: runtime-spec config.md "POSIX-platform Hooks" and runtime.md
# "Lifecycle".  Each kind runs at its step, in its namespaces, with the state
# of that moment on stdin, its args and env, under its timeout; a failing
# prestart/createRuntime/createContainer/startContainer hook stops the
# container, a failing poststart/poststop hook is a warning (runtime-spec
# 1.2).  Runtime-spec / runc-compatible unless marked.

load helpers

# The recorder: a busybox sh script the hooks run as
#   sh REC NAME OUTDIR [ARGS...]
# It leaves in OUTDIR, under NAME, what the hook saw, and appends NAME to
# OUTDIR/order.  /proc/self (not /proc/$$) because createContainer hooks run
# in the container's pid namespace while /proc is still the host's.
write_recorder() {
	cat >"$1" <<'EOF'
name=$1 out=$2
shift 2
cat >"$out/$name.state"
printf '[%s]\n' "$@" >"$out/$name.args"
tr '\0' '\n' </proc/$$/environ >"$out/$name.env"
for ns in mnt pid net; do readlink /proc/self/ns/$ns; done >"$out/$name.ns"
ls /proc/self/fd | tr '\n' ' ' >"$out/$name.fds"
cat /proc/self/mountinfo >"$out/$name.mountinfo"
tr '\0' ' ' </proc/1/cmdline >"$out/$name.cmdline1"
pid=$(sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' "$out/$name.state")
id=$(sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' "$out/$name.state")
if [ -n "$pid" ] && [ -e "/proc/$pid" ]; then
	readlink /proc/$pid/ns/mnt >"$out/$name.pidmnt"
	cat /proc/$pid/mountinfo >"$out/$name.pidmountinfo"
	tr '\0' ' ' </proc/$pid/cmdline >"$out/$name.pidcmdline"
fi
ls -d /sys/fs/cgroup/*/nook-test/"$id" >"$out/$name.cgroups" 2>/dev/null
if [ -e "$(dirname "$0")/state/$id" ]; then echo yes >"$out/$name.statedir"; fi
echo "$name" >>"$out/order"
EOF
}

setup() {
	nook_setup
	write_recorder "$TEST_TMP/rec"
	write_recorder "$BUNDLE/rootfs/rec"
	update_config '.annotations = {"org.nook.test": "hooks"}'
	HOST_MNT=$(readlink /proc/self/ns/mnt)
	HOST_PID=$(readlink /proc/self/ns/pid)
	HOST_NET=$(readlink /proc/self/ns/net)
}

# hook PATH [ARG...]: a hook object; "args" only when ARGs are given.
hook() {
	local path=$1
	shift
	if [ $# -eq 0 ]; then
		jq -nc --arg p "$path" '{path: $p}'
	else
		jq -nc --arg p "$path" --argjson a "$(json_array "$@")" '{path: $p, args: $a}'
	fi
}

# add_hook KIND HOOK [JQ_FILTER_ON_THE_HOOK]: append HOOK to hooks.KIND.
add_hook() {
	update_config ".hooks[\$k] += [\$h | ${3:-.}]" --arg k "$1" --argjson h "$2"
}

# rec_hook NAME [ARG...]: the recorder from the host's files, writing to
# $HOSTDIR.  Also fine for createContainer: before pivot_root the container's
# mount namespace still shows the host's paths.
rec_hook() {
	hook /bin/busybox sh "$TEST_TMP/rec" "$1" "$HOSTDIR" "${@:2}"
}

# rec_hook_in_container NAME: the recorder as the container sees it (for
# startContainer, after pivot_root): the rootfs's busybox and /rec, /host.
rec_hook_in_container() {
	hook /bin/busybox sh /rec "$1" /host
}

# sh_hook SCRIPT: a hook running `sh -c SCRIPT` (host busybox).
sh_hook() {
	hook /bin/busybox sh -c "$1"
}

# add_every_kind: one recorder per kind, named after it.
add_every_kind() {
	local k
	for k in prestart createRuntime createContainer poststart poststop; do
		add_hook "$k" "$(rec_hook "$k")"
	done
	add_hook startContainer "$(rec_hook_in_container startContainer)"
}

# recorded NAME EXT: what the recorder left (empty if nothing).
recorded() {
	cat "$HOSTDIR/$1.$2" 2>/dev/null || true
}

order() {
	tr '\n' ' ' <"$HOSTDIR/order" 2>/dev/null | sed 's/ $//'
}

# state_is NAME JQ_EXPR [jq options]: the state NAME got on stdin satisfies it.
state_is() {
	local name=$1 expr=$2
	shift 2
	[ -s "$HOSTDIR/$name.state" ] || fail "hook $name got no state on stdin"
	jq -e "$@" "$expr" "$HOSTDIR/$name.state" >/dev/null ||
		fail "state given to $name does not satisfy $expr: $(cat "$HOSTDIR/$name.state")"
}

# has_mount_at FILE PATH: mountinfo FILE has a mount whose mount point is PATH.
has_mount_at() {
	awk -v p="$2" '$5 == p { found = 1 } END { exit !found }' "$1"
}

# A full life with every kind of hook: create, start, kill, delete.
full_lifecycle() {
	add_every_kind
	set_args sleep 600
	create_container
	PID=$(pid_of "$ID")
	CONTAINER_MNT=$(readlink "/proc/$PID/ns/mnt")
	CONTAINER_PID=$(readlink "/proc/$PID/ns/pid")
	CONTAINER_NET=$(readlink "/proc/$PID/ns/net")
	AFTER_CREATE=$(order)
	run_nook start "$ID"
	assert_success
	AFTER_START=$(order)
	run_nook kill "$ID" KILL
	assert_success
	wait_for_status "$ID" stopped
	run_nook delete "$ID"
	assert_success
	AFTER_DELETE=$(order)
}

# ---- when and where ----

# runc deviates: runc 1.1.5 runs poststart hooks during create.
@test "hooks: each kind runs once, in the lifecycle's order: prestart, createRuntime, createContainer in create; startContainer, poststart in start; poststop in delete" {
	full_lifecycle
	assert_equal "$AFTER_CREATE" "prestart createRuntime createContainer"
	# poststart "before the start operation returns", poststop "before the
	# delete operation returns": no waiting needed.
	assert_equal "$AFTER_START" "prestart createRuntime createContainer startContainer poststart"
	assert_equal "$AFTER_DELETE" "prestart createRuntime createContainer startContainer poststart poststop"
}

@test "hooks: prestart, createRuntime, poststart and poststop run in the runtime's namespaces; createContainer and startContainer in the container's" {
	full_lifecycle
	[ "$CONTAINER_MNT" != "$HOST_MNT" ] && [ "$CONTAINER_PID" != "$HOST_PID" ]
	local k
	for k in prestart createRuntime poststart poststop; do
		assert_equal "$(recorded "$k" ns)" "$HOST_MNT
$HOST_PID
$HOST_NET"
	done
	for k in createContainer startContainer; do
		assert_equal "$(recorded "$k" ns)" "$CONTAINER_MNT
$CONTAINER_PID
$CONTAINER_NET"
	done
}

# runtime.md "State": the pid is the one seen from the hook's namespace.
# runc deviates: runc 1.1.5 gives poststart the state "created" (it runs
# poststart during create).
@test "hooks: the state on stdin is the container's at that moment: creating, created, running, stopped; pid as seen from the hook's pid namespace" {
	full_lifecycle
	local k common='.id == $id and .bundle == $bundle and (.ociVersion | type == "string")
		and .annotations == {"org.nook.test": "hooks"}'
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		state_is "$k" "$common" --arg id "$ID" --arg bundle "$BUNDLE"
	done
	# prestart is part of create since runtime-spec 1.0.2: the container is
	# still "creating" (runtime-tools' hooks_stdin, older, expects "created").
	state_is prestart '.status == "creating" and .pid == $pid' --argjson pid "$PID"
	state_is createRuntime '.status == "creating" and .pid == $pid' --argjson pid "$PID"
	state_is createContainer '.status == "creating" and .pid == 1'
	state_is startContainer '.status == "created" and .pid == 1'
	state_is poststart '.status == "running" and .pid == $pid' --argjson pid "$PID"
	state_is poststop '.status == "stopped"'
}

@test "hooks: prestart and createRuntime run once the container's namespaces and mounts exist, before pivot_root" {
	add_hook prestart "$(rec_hook prestart)"
	add_hook createRuntime "$(rec_hook createRuntime)"
	set_args sleep 600
	create_container
	PID=$(pid_of "$ID")
	local k
	for k in prestart createRuntime; do
		# The hook saw the container's process in the container's mount
		# namespace ...
		assert_equal "$(recorded "$k" pidmnt)" "$(readlink "/proc/$PID/ns/mnt")"
		# ... with its /proc mounted, still under the rootfs's host path.
		has_mount_at "$HOSTDIR/$k.pidmountinfo" "$BUNDLE/rootfs/proc" ||
			fail "$k: no mount at $BUNDLE/rootfs/proc in the container's mount namespace yet"
	done
}

@test "hooks: createContainer runs after the container's mounts, before pivot_root; startContainer after pivot_root, before the user's program" {
	add_hook createContainer "$(rec_hook createContainer)"
	add_hook startContainer "$(rec_hook_in_container startContainer)"
	set_args sleep 600
	create_container
	# createContainer: the mounts are there, at the rootfs's host path.
	has_mount_at "$HOSTDIR/createContainer.mountinfo" "$BUNDLE/rootfs/proc" ||
		fail "createContainer: no mount at $BUNDLE/rootfs/proc"
	has_mount_at "$HOSTDIR/createContainer.mountinfo" "$BUNDLE/rootfs/host" ||
		fail "createContainer: no mount at $BUNDLE/rootfs/host"
	run_nook start "$ID"
	assert_success
	# startContainer: / is the rootfs ...
	has_mount_at "$HOSTDIR/startContainer.mountinfo" /proc
	run awk -v b="$BUNDLE" 'index($5, b) == 1' "$HOSTDIR/startContainer.mountinfo"
	assert_output ""
	# ... and pid 1 of the container was not the user's program yet.
	run recorded startContainer cmdline1
	refute_output --partial "sleep 600"
	assert [ -n "$output" ]
}

# runc deviates: runc 1.1.5 runs poststart hooks during create.
@test "hooks: poststart runs after the user's program started; poststop after the container is gone (process, cgroups, state)" {
	add_hook poststart "$(rec_hook poststart)"
	add_hook poststop "$(rec_hook poststop)"
	set_args sleep 600
	create_container
	PID=$(pid_of "$ID")
	run_nook start "$ID"
	assert_success
	assert_equal "$(recorded poststart pidcmdline)" "sleep 600 "
	run_nook kill "$ID" KILL
	assert_success
	wait_for_status "$ID" stopped
	run_nook delete "$ID"
	assert_success
	[ -e "$HOSTDIR/poststop.state" ]
	assert_equal "$(recorded poststop cgroups)" ""
	assert_equal "$(recorded poststop statedir)" ""
}

@test "hooks: a createContainer path resolves in the runtime namespace, a startContainer path in the container's" {
	# Only on the host ...
	printf '#!/bin/sh\necho ran >%s/cc-ran\n' "$HOSTDIR" >"$TEST_TMP/host-only-hook"
	chmod 0755 "$TEST_TMP/host-only-hook"
	# ... only in the rootfs.
	printf '#!/bin/sh\necho ran >/host/sc-ran\n' >"$BUNDLE/rootfs/rootfs-only-hook"
	chmod 0755 "$BUNDLE/rootfs/rootfs-only-hook"
	add_hook createContainer "$(hook "$TEST_TMP/host-only-hook")"
	add_hook startContainer "$(hook /rootfs-only-hook)"
	set_args sleep 600
	create_container
	assert_equal "$(cat "$HOSTDIR/cc-ran")" ran
	run_nook start "$ID"
	assert_success
	assert_equal "$(cat "$HOSTDIR/sc-ran")" ran
}

# runc deviates: runc 1.1.5 runs poststart hooks during create.
@test "hooks: run in the foreground runs every kind too" {
	add_every_kind
	set_args true
	run nook run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_equal "$(order)" "prestart createRuntime createContainer startContainer poststart poststop"
}

# ---- what a hook gets ----

@test "hooks: hooks of one kind run in the listed order" {
	local i
	for i in 1 2 3; do
		add_hook createRuntime "$(rec_hook "createRuntime$i")"
		add_hook poststop "$(rec_hook "poststop$i")"
	done
	create_container
	run_nook delete --force "$ID"
	assert_success
	assert_equal "$(order)" "createRuntime1 createRuntime2 createRuntime3 poststop1 poststop2 poststop3"
}

@test "hooks: path is what runs, args is its argv (args[0] included), env is its environment" {
	add_hook prestart "$(rec_hook prestart "one two" -x "")" '.env = ["A=1", "B=two words", "EMPTY="]'
	# Without args, argv is [path]: busybox picks its applet by argv[0].
	mkdir "$TEST_TMP/bin"
	ln -s /bin/busybox "$TEST_TMP/bin/true"
	add_hook createRuntime "$(hook "$TEST_TMP/bin/true")"
	create_container
	# busybox ran `sh` because args[0] was "sh"; the rest reached the script.
	assert_equal "$(recorded prestart args)" "[one two]
[-x]
[]"
	assert_equal "$(recorded prestart env)" "A=1
B=two words
EMPTY="
}

@test "hooks: args[0] need not name the file that runs" {
	mkdir "$TEST_TMP/bin"
	ln -s /bin/busybox "$TEST_TMP/bin/true"
	add_hook createRuntime "$(hook "$TEST_TMP/bin/true" false)"
	run_nook create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_nothing_left
}

# nook-specific: runc 1.1.5 gives a hook without env its own environment.
@test "hooks: a hook without env gets an empty environment" {
	add_hook prestart "$(rec_hook prestart)"
	create_container
	[ -e "$HOSTDIR/prestart.env" ]
	assert_equal "$(recorded prestart env)" ""
}

@test "hooks: a hook that does not read its stdin does not block create; one that does gets all of a large state" {
	# Far more than a pipe holds (64 KiB).
	update_config '.annotations.big = "a" * 400000'
	add_hook prestart "$(sh_hook 'exit 0')"
	add_hook createRuntime "$(sh_hook 'head -c 100 >/dev/null')"
	add_hook createContainer "$(rec_hook createContainer)"
	create_container
	state_is createContainer '.annotations.big | length == 400000'
}

@test "hooks: a hook inherits no file descriptor but stdin, stdout and stderr" {
	add_hook createRuntime "$(rec_hook createRuntime)"
	add_hook startContainer "$(rec_hook_in_container startContainer)"
	set_args sleep 600
	create_container
	run_nook start "$ID"
	assert_success
	# ls's own directory fd is 3.
	assert_equal "$(recorded createRuntime fds)" "0 1 2 3 "
	assert_equal "$(recorded startContainer fds)" "0 1 2 3 "
}

# ---- failures ----

# check_create_hook_failure KIND: a failing KIND hook (the second of three)
# makes create fail with the hook's own message, stops the hooks that would
# follow, and leaves nothing behind; poststop hooks still run (runtime.md,
# Lifecycle: "continue the lifecycle at step 12").
check_create_hook_failure() {
	local kind=$1 k
	add_hook "$kind" "$(rec_hook "${kind}0")"
	add_hook "$kind" "$(sh_hook 'echo "setting up went wrong" >&2; echo more >&2; exit 3')"
	add_hook "$kind" "$(rec_hook "${kind}2")"
	for k in prestart createRuntime createContainer; do
		[ "$k" = "$kind" ] || add_hook "$k" "$(rec_hook "$k")"
	done
	add_hook poststop "$(rec_hook poststop)"
	run_nook create --bundle "$BUNDLE" "$ID"
	assert_failure
	[ "$status" -ne 124 ] || fail "create hung"
	assert_nothing_left
	[[ $stderr == *"setting up went wrong"* ]] || fail "the hook's stderr is not in the error: $stderr"
	run order
	assert_output --partial "${kind}0"
	refute_output --partial "${kind}2"
	assert_equal "$(recorded poststop state | jq -r .id)" "$ID"
	[[ $stderr == *"hook $kind[1]"*"exited with status 3"* ]] || fail "$stderr" # nook-specific
}

@test "hooks: a failing prestart hook fails create and leaves nothing" {
	check_create_hook_failure prestart
	run order
	refute_output --partial createRuntime
}

@test "hooks: a failing createRuntime hook fails create and leaves nothing" {
	check_create_hook_failure createRuntime
	run order
	refute_output --partial createContainer
}

@test "hooks: a failing createContainer hook fails create and leaves nothing" {
	check_create_hook_failure createContainer
}

# runc deviates: runc 1.1.5's start succeeds (the container init dies).
@test "hooks: a failing startContainer hook fails start, the user's program never runs, the container is stopped and poststop runs" {
	add_hook startContainer "$(hook /bin/busybox sh -c 'echo "no ldconfig here" >&2; exit 7')"
	add_hook poststop "$(rec_hook poststop)"
	set_args sh -c 'echo ran >/host/ran; sleep 600'
	create_container
	PID=$(pid_of "$ID")
	run_nook start "$ID"
	assert_failure
	[[ $stderr == *"no ldconfig here"* ]] || fail "the hook's stderr is not in the error: $stderr"
	[[ $stderr == *"hook startContainer[0]"*"exited with status 7"* ]] || fail "$stderr" # nook-specific
	[ ! -e "$HOSTDIR/ran" ]
	run process_alive "$PID"
	assert_failure
	# Destroyed by start itself, or left stopped for delete to destroy.
	run_nook state "$ID"
	if [ "$status" -eq 0 ]; then
		assert_equal "$(echo "$output" | jq -r .status)" stopped
		run_nook delete "$ID"
		assert_success
	fi
	assert_nothing_left
	assert_equal "$(order)" poststop
}

# runc deviates: runc fails start and kills the container (runtime-spec 1.3
# does that too); runtime-spec 1.2 says warn and go on.
@test "hooks: a failing poststart hook is a warning: start succeeds, the next poststart hook runs" {
	add_hook poststart "$(sh_hook 'echo "cannot notify" >&2; exit 1')"
	add_hook poststart "$(rec_hook poststart1)"
	set_args sleep 600
	create_container
	run_nook start "$ID"
	assert_success
	[[ $stderr == *"cannot notify"* ]] || fail "no warning quoting the hook: $stderr"
	[[ $stderr == *"hook poststart[0]"* ]] || fail "$stderr" # nook-specific
	assert_equal "$(status_of "$ID")" running
	assert_equal "$(order)" poststart1
}

# runc deviates: runc 1.1.5 stops at the first failing poststop hook.
@test "hooks: a failing poststop hook is a warning: delete succeeds, removes everything, the next poststop hook runs" {
	add_hook poststop "$(sh_hook 'echo "cleanup failed" >&2; exit 2')"
	add_hook poststop "$(rec_hook poststop1)"
	create_container
	run_nook delete --force "$ID"
	assert_success
	[[ $stderr == *"cleanup failed"* ]] || fail "no warning quoting the hook: $stderr"
	[[ $stderr == *"hook poststop[0]"* ]] || fail "$stderr" # nook-specific
	assert_nothing_left
	assert_equal "$(order)" poststop1
}

@test "hooks: a hook past its timeout is killed and fails create" {
	add_hook createRuntime "$(sh_hook "echo \$\$ >$HOSTDIR/hook-pid; exec sleep 600")" '.timeout = 1'
	run_nook create --bundle "$BUNDLE" "$ID"
	assert_failure
	[ "$status" -ne 124 ] || fail "create hung on the hook"
	assert_nothing_left
	run process_alive "$(cat "$HOSTDIR/hook-pid")"
	assert_failure
	[[ $stderr == *"hook createRuntime[0]"*"timed out after 1 s"* ]] || fail "$stderr" # nook-specific
}

# nook-specific: runc kills the hook's process only.
@test "hooks: a timed out hook's own children are killed with it" {
	add_hook createRuntime "$(sh_hook "sleep 600 & echo \$! >$HOSTDIR/child-pid; wait")" '.timeout = 1'
	run_nook create --bundle "$BUNDLE" "$ID"
	assert_failure
	[ "$status" -ne 124 ] || fail "create hung on the hook"
	child=$(cat "$HOSTDIR/child-pid")
	if process_alive "$child"; then
		kill -9 "$child"
		fail "the hook's child $child survived the timeout"
	fi
	assert_nothing_left
}

@test "hooks: a hook whose path does not exist fails create and leaves nothing" {
	add_hook createRuntime "$(hook "$TEST_TMP/no-such-hook")"
	run_nook create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_nothing_left
	[[ ${stderr,,} == *"no such file or directory"* ]] || fail "$stderr"
	[[ $stderr == *"hook createRuntime[0] \`$TEST_TMP/no-such-hook\`: cannot execute"* ]] || fail "$stderr" # nook-specific
}

@test "hooks: a hook killed by a signal fails create" {
	add_hook prestart "$(sh_hook 'kill -9 $$')"
	run_nook create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_nothing_left
	[[ $stderr == *"hook prestart[0]"*"killed by signal 9"* ]] || fail "$stderr" # nook-specific
}

# runc deviates: runc 1.1.5 checks neither and runs the hooks before them.
@test "hooks: a relative path or a timeout of 0 is refused before anything runs" {
	add_hook prestart "$(rec_hook prestart)"
	add_hook poststart "$(hook bin/true)"
	run_nook create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_nothing_left
	[[ $stderr == *"hooks.poststart[0].path"* ]] || fail "$stderr" # nook-specific
	update_config '.hooks.poststart = [] | .hooks.createRuntime = [{"path": "/bin/true", "timeout": 0}]'
	run_nook create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_nothing_left
	[[ $stderr == *"hooks.createRuntime[0].timeout"* ]] || fail "$stderr" # nook-specific
	[ ! -e "$HOSTDIR/order" ]
}
