#!/usr/bin/env bats
# exec: a new process in a created or running container.

load helpers

start_sleeper() {
	set_args sleep 600
	run_nook run -d --bundle "$BUNDLE" "$ID"
	assert_success
}

@test "exec: joins every namespace and the cgroup of the container" {
	update_config '.hostname = "inside"'
	start_sleeper
	pid=$(pid_of "$ID")
	run_nook exec "$ID" sh -c 'hostname; for n in mnt uts ipc net pid cgroup; do readlink /proc/self/ns/$n; done; ps -o pid,args'
	assert_success
	assert_line --index 0 inside
	for n in mnt uts ipc net pid cgroup; do
		assert_line "$(readlink "/proc/$pid/ns/$n")"
	done
	assert_line --regexp '^ +1 sleep 600$'
}

@test "exec: the process is in the container's cgroup on the host" {
	start_sleeper
	set +e
	nook exec -d --pid-file "$TEST_TMP/exec.pid" "$ID" sleep 600 </dev/null >/dev/null 2>&1
	set -e
	epid=$(cat "$TEST_TMP/exec.pid")
	run grep -c "$(cgroup_dir memory | sed 's|/sys/fs/cgroup/memory||')" "/proc/$epid/cgroup"
	[ "$output" -ge 1 ] || fail "the exec'd process is not in the container's cgroup: $(cat /proc/$epid/cgroup)"
	grep -qx "$epid" "$(cgroup_dir memory)/cgroup.procs"
}

@test "exec: returns the process's exit status and output" {
	start_sleeper
	run_nook exec "$ID" sh -c 'echo out; exit 7'
	assert_equal "$status" 7
	assert_output out
}

@test "exec: --env, --cwd and --user change the process" {
	update_config '.process.env += ["KEEP=1", "FOO=old"]'
	start_sleeper
	run_nook exec -e FOO=new -e BAR=2 --cwd /tmp -u 1000:1001 "$ID" sh -c 'echo $KEEP $FOO $BAR; pwd; id -u; id -g'
	assert_success
	assert_output "1 new 2
/tmp
1000
1001"
}

@test "exec: --cap adds a capability; the container's capabilities otherwise" {
	start_sleeper
	run_nook exec "$ID" grep CapEff /proc/self/status
	assert_output --regexp '0000000020000420$'
	run_nook exec --cap CAP_NET_RAW "$ID" grep CapEff /proc/self/status
	assert_output --regexp '0000000020002420$'
}

@test "exec: the container's seccomp filter applies" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	start_sleeper
	run_nook exec "$ID" sh -c 'mkdir /tmp/x 2>&1; grep ^Seccomp: /proc/self/status'
	assert_output --partial "Operation not permitted"
	assert_line --regexp '^Seccomp:\s+2$'
}

@test "exec: --process runs a process.json" {
	start_sleeper
	cat >"$TEST_TMP/process.json" <<-'JSON'
	{"args": ["sh", "-c", "echo $P; id -u; pwd"], "env": ["P=from-json", "PATH=/bin"],
	 "cwd": "/etc", "user": {"uid": 2, "gid": 2}}
	JSON
	run_nook exec --process "$TEST_TMP/process.json" "$ID"
	assert_success
	assert_output "from-json
2
/etc"
}

@test "exec: --no-new-privs and noNewPrivileges" {
	update_config '.process.noNewPrivileges = false'
	start_sleeper
	run_nook exec "$ID" grep NoNewPrivs /proc/self/status
	assert_output --regexp '0$'
	run_nook exec --no-new-privs "$ID" grep NoNewPrivs /proc/self/status
	assert_output --regexp '1$'
}

@test "exec: -t with --console-socket hands the terminal over" {
	start_sleeper
	helper=${NOOK_BUILDDIR:?}/tests/integration/console-socket
	[ -x "$helper" ] || fail "$helper is missing: build it with make check"
	sock=$TEST_TMP/console.sock
	"$helper" --help >/dev/null 2>&1 || true
	timeout 20 "$helper" "$sock" >"$TEST_TMP/console.out" 2>&1 &
	helper_pid=$!
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	run_nook exec -t -d --console-socket "$sock" "$ID" sh -c 'tty; echo done-tty'
	assert_success
	wait "$helper_pid" || true
	run cat "$TEST_TMP/console.out"
	assert_output --partial /dev/pts/
	assert_output --partial done-tty
}

@test "exec: bad input: no such container, a stopped one, no program, unknown capability" {
	run_nook exec "$ID" true
	assert_failure
	[[ $stderr == *"does not exist"* ]] || fail "$stderr"
	set_args true
	create_container
	run_nook start "$ID"
	wait_for_status "$ID" stopped
	run_nook exec "$ID" true
	assert_failure
	assert_one_error_line
	[[ $stderr == *stopped* ]] || fail "$stderr"
	run_nook delete "$ID"
	start_sleeper
	run_nook exec "$ID" no-such-program
	assert_failure
	[[ $stderr == *no-such-program* ]] || fail "$stderr"
	run_nook exec --cap CAP_BOGUS "$ID" true
	assert_failure
	[[ $stderr == *CAP_BOGUS* ]] || fail "$stderr"
	run_nook exec --process "$TEST_TMP/missing.json" "$ID"
	assert_failure
	[[ $stderr == *missing.json* ]] || fail "$stderr"
	# The container itself is unaffected.
	assert_equal "$(status_of "$ID")" running
}
