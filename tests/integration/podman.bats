#!/usr/bin/env bats
# The real podman (Debian's 4.3) with `--runtime nook`, configured by
# contrib/podman/containers.conf: everything a user does with runc keeps
# working.  Each test checks that nook really ran the container (podman's
# inspect names it, and the call log of the nook wrapper has its create and
# start; see podman-helpers.bash), and teardown checks that nothing of it is
# left.  Images are built offline (tests/mkimage.sh) and loaded once per
# file.

bats_require_minimum_version 1.5.0
load podman-helpers

setup_file() {
	podman_setup_file
}

teardown_file() {
	podman_teardown_file
}

setup() {
	podman_setup
}

teardown() {
	podman_teardown
}

# A detached container that keeps running and stops at once on SIGTERM.
run_detached() { # NAME [RUN OPTIONS...]
	local name=$1
	shift
	run prun -d --name "$name" "$@" "$BUSYBOX" \
		sh -c 'trap "exit 0" TERM; echo started; while :; do sleep 0.1; done'
	assert_success
	assert_nook_runs "$name"
}

# cgroup_value CONTROLLER V1_FILE V2_FILE: the value the container itself
# reads from its cgroup (podman mounts the container's own cgroup).
cgroup_value() {
	pnook exec "$NAME" sh -c "
		if [ -f /sys/fs/cgroup/cgroup.controllers ]; then cat /sys/fs/cgroup/$3
		else cat /sys/fs/cgroup/$1/$2; fi"
}

# host_cgroup_value CONTROLLER V1_FILE V2_FILE: the same, read on the host
# in the cgroup nook made for the container.
host_cgroup_value() {
	local id
	id=$(id_of "$NAME")
	if [ -d "/sys/fs/cgroup/$1" ]; then
		cat "/sys/fs/cgroup/$1/$PODMAN_CGROUP/libpod-$id/$2"
	else
		cat "/sys/fs/cgroup/$PODMAN_CGROUP/libpod-$id/$3"
	fi
}

@test "podman info: the snippet's runtime is nook, its --version parsed" {
	run pnook info --format '{{.Host.OCIRuntime.Name}}|{{.Host.OCIRuntime.Path}}|{{.Host.OCIRuntime.Version}}'
	assert_success
	assert_line --index 0 "nook|$PODMAN_DIR/bin/nook|nook version $("$NOOK_BINARY" --version | head -n1 | awk '{print $3}')"
}

@test "podman run: output captured, stdout and stderr apart, exit status passed on" {
	run --separate-stderr prun --rm --cidfile "$CIDFILE" "$BUSYBOX" \
		sh -c 'echo to-stdout; echo to-stderr >&2; exit 7'
	assert_equal "$status" 7
	assert_equal "$output" to-stdout
	assert_equal "$stderr" to-stderr
	assert_nook_ran "$(cid)"
	# podman asked for JSON errors (runtime_supports_json in the snippet).
	grep -q -- "^--log-format=json --log .* create .*$(cid)\$" "$PODMAN_DIR/calls.log"
}

@test "podman run -i: stdin reaches the container" {
	run prun --rm -i --cidfile "$CIDFILE" "$BUSYBOX" sh -c 'read line; echo "got: $line"' <<<"hello nook"
	assert_success
	assert_output "got: hello nook"
	assert_nook_ran "$(cid)"
}

@test "podman run -d, exec, stop, rm" {
	NAME=detached-$BATS_TEST_NUMBER
	run_detached "$NAME"
	id=$(id_of "$NAME")

	run pnook exec "$NAME" sh -c 'echo "exec: $(id -u) $(cat /proc/1/cmdline | tr "\0" " ")"'
	assert_success
	assert_output --partial "exec: 0 sh -c trap"
	grep -q " exec .*$id\$" "$PODMAN_DIR/calls.log"
	run pnook exec "$NAME" sh -c 'exit 3'
	assert_equal "$status" 3
	run pnook exec -i "$NAME" cat <<<"exec stdin"
	assert_success
	assert_output "exec stdin"

	run pnook stop --time 10 "$NAME"
	assert_success
	assert_equal "$(podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$NAME")" "exited 0"
	run pnook rm "$NAME"
	assert_success
	run nook_direct state "$id"
	assert_failure
}

@test "podman stop: a process that ignores SIGTERM is killed after the timeout" {
	NAME=stubborn-$BATS_TEST_NUMBER
	run prun -d --name "$NAME" "$BUSYBOX" sh -c 'while :; do sleep 0.1; done'
	assert_success
	assert_nook_runs "$NAME"
	run pnook stop --time 1 "$NAME"
	assert_success
	assert_equal "$(podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$NAME")" "exited 137"
}

@test "podman run -t: a terminal through the console socket" {
	run in_tty /usr/bin/podman --runtime nook run --pull never --cgroup-parent "/$PODMAN_CGROUP" --rm -t \
		--cidfile "$CIDFILE" "$BUSYBOX" sh -c 'tty; stty size; [ -t 0 ] && echo stdin-is-tty'
	assert_success
	assert_line --index 0 /dev/pts/0
	assert_line --index 1 "30 100"
	assert_line --index 2 stdin-is-tty
	assert_nook_ran "$(cid)"
	grep -q -- "create .*--console-socket .*$(cid)\$" "$PODMAN_DIR/calls.log"
}

@test "podman exec -t: a terminal for the exec'd process" {
	NAME=exectty-$BATS_TEST_NUMBER
	run_detached "$NAME"
	run in_tty /usr/bin/podman --runtime nook exec -t "$NAME" sh -c 'tty; stty size'
	assert_success
	assert_line --index 0 --regexp '^/dev/pts/[0-9]+$'
	assert_line --index 1 "30 100"
	grep -q -- " exec .*--console-socket .*$(id_of "$NAME")\$" "$PODMAN_DIR/calls.log"
}

@test "podman run --memory: the limit is set in the container's cgroup" {
	NAME=memory-$BATS_TEST_NUMBER
	run_detached "$NAME" --memory 64m
	assert_equal "$(cgroup_value memory memory.limit_in_bytes memory.max)" 67108864
	assert_equal "$(host_cgroup_value memory memory.limit_in_bytes memory.max)" 67108864
}

@test "podman run --pids-limit: the limit is set and forks beyond it fail" {
	NAME=pids-$BATS_TEST_NUMBER
	run_detached "$NAME" --pids-limit 12
	assert_equal "$(cgroup_value pids pids.max pids.max)" 12
	assert_equal "$(host_cgroup_value pids pids.max pids.max)" 12
	# sh, its sleep and the exec'd sh already count: 20 more cannot all start.
	run pnook exec "$NAME" sh -c 'for i in $(seq 20); do sleep 2 & done; wait'
	assert_output --partial "can't fork"
}

@test "podman run --cpus: the CFS quota is set, read inside the container" {
	NAME=cpus-$BATS_TEST_NUMBER
	run_detached "$NAME" --cpus 0.5
	run cgroup_value cpu cpu.cfs_quota_us cpu.max
	assert_success
	if [ -d /sys/fs/cgroup/cpu ]; then
		assert_output 50000
		assert_equal "$(cgroup_value cpu cpu.cfs_period_us cpu.max)" 100000
	else
		assert_output "50000 100000"
	fi
	assert_equal "$(host_cgroup_value cpu cpu.cfs_quota_us cpu.max)" "$output"
}

@test "podman run --cap-drop: the capabilities are gone from CapEff" {
	run prun --rm --cidfile "$CIDFILE" --cap-drop all "$BUSYBOX" grep CapEff /proc/self/status
	assert_success
	assert_output --regexp '^CapEff:[[:space:]]+0000000000000000$'
	assert_nook_ran "$(cid)"
	rm -f "$CIDFILE"

	# Only CAP_CHOWN (bit 0) kept; and CAP_CHOWN dropped, chown fails.
	run prun --rm --cidfile "$CIDFILE" --cap-drop all --cap-add chown "$BUSYBOX" grep CapEff /proc/self/status
	assert_success
	assert_output --regexp '^CapEff:[[:space:]]+0000000000000001$'
	assert_nook_ran "$(cid)"
	run prun --rm --cap-drop chown "$BUSYBOX" sh -c 'touch /tmp/f; chown 1000 /tmp/f'
	assert_failure
	assert_output --partial "Operation not permitted"
}

@test "podman run --read-only: the root filesystem is read-only, /tmp is not" {
	run prun --rm --cidfile "$CIDFILE" --read-only "$BUSYBOX" \
		sh -c 'touch /probe 2>&1; touch /tmp/probe && echo tmp-writable'
	assert_success
	assert_line --index 0 --partial "Read-only file system"
	assert_line --index 1 tmp-writable
	assert_nook_ran "$(cid)"
}

@test "podman run --user: numeric and by name from the image's /etc/passwd" {
	run prun --rm --cidfile "$CIDFILE" --user 1000:1000 "$BUSYBOX" id
	assert_success
	assert_output "uid=1000(agent) gid=1000(agent) groups=1000(agent)"
	assert_nook_ran "$(cid)"
	run prun --rm --user nobody "$BUSYBOX" sh -c 'id -u; id -g'
	assert_success
	assert_equal "${lines[*]}" "65534 65534"
}

@test "podman pause and unpause: the container is frozen, then runs again" {
	NAME=pause-$BATS_TEST_NUMBER
	mkdir "$BATS_TEST_TMPDIR/host"
	run prun -d --name "$NAME" -v "$BATS_TEST_TMPDIR/host:/host" "$BUSYBOX" \
		sh -c 'trap "exit 0" TERM; while :; do echo tick >>/host/counter; sleep 0.01; done'
	assert_success
	assert_nook_runs "$NAME"
	id=$(id_of "$NAME")
	wait_until 10 test -s "$BATS_TEST_TMPDIR/host/counter"

	run pnook pause "$NAME"
	assert_success
	assert_equal "$(podman inspect --format '{{.State.Status}} {{.State.Paused}}' "$NAME")" "paused true"
	assert_equal "$(nook_direct state "$id" | jq -r .status)" paused
	grep -q "^pause $id\$" "$PODMAN_DIR/calls.log"
	before=$(wc -l <"$BATS_TEST_TMPDIR/host/counter")
	sleep 0.5
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/host/counter")" "$before"

	run pnook unpause "$NAME"
	assert_success
	assert_equal "$(podman inspect --format '{{.State.Status}} {{.State.Paused}}' "$NAME")" "running false"
	assert_equal "$(nook_direct state "$id" | jq -r .status)" running
	wait_until 10 test "$(wc -l <"$BATS_TEST_TMPDIR/host/counter")" -gt "$before"
}

@test "podman top: the container's processes" {
	NAME=top-$BATS_TEST_NUMBER
	run_detached "$NAME"
	run pnook top "$NAME" pid user args
	assert_success
	assert_line --index 0 --regexp '^PID +USER +COMMAND'
	assert_line --regexp '^1 +root +sh -c trap "exit 0" TERM'
}

@test "podman ps: a running container, then an exited one" {
	NAME=ps-$BATS_TEST_NUMBER
	run_detached "$NAME"
	run pnook ps --format '{{.Names}} {{.Status}}'
	assert_success
	assert_line --regexp "^$NAME Up "
	run pnook stop "$NAME"
	assert_success
	run pnook ps --format '{{.Names}}'
	assert_success
	refute_output --partial "$NAME"
	run pnook ps --all --format '{{.Names}} {{.Status}}'
	assert_line --regexp "^$NAME Exited \(0\) "
}

@test "podman logs: what the container wrote" {
	NAME=logs-$BATS_TEST_NUMBER
	run prun --name "$NAME" "$BUSYBOX" sh -c 'echo line-1; echo line-2 >&2; echo line-3'
	assert_success
	assert_nook_ran "$(id_of "$NAME")"
	run pnook logs "$NAME"
	assert_success
	assert_line line-1
	assert_line line-2
	assert_line line-3
	run --separate-stderr pnook logs "$NAME"
	assert_equal "$output" "line-1
line-3"
	assert_equal "$stderr" line-2
}

@test "podman run: a Python image made from the host's interpreter" {
	run prun --rm --cidfile "$CIDFILE" "$PYTHON" python3 -c '
import hashlib, json, os, sqlite3, sys
db = sqlite3.connect(":memory:")
db.execute("create table t (n integer)")
db.executemany("insert into t values (?)", [(i,) for i in range(10)])
print(json.dumps({
    "python": "%d.%d" % sys.version_info[:2],
    "pid": os.getpid(),
    "sum": db.execute("select sum(n) from t").fetchone()[0],
    "sha": hashlib.sha256(b"nook").hexdigest()[:12],
}, sort_keys=True))'
	assert_success
	expected_sha=$(printf nook | sha256sum | cut -c1-12)
	assert_output "{\"pid\": 1, \"python\": \"3.11\", \"sha\": \"$expected_sha\", \"sum\": 45}"
	assert_nook_ran "$(cid)"
}

@test "podman run: nook's error reaches podman's output (no such executable)" {
	run -127 prun --rm --cidfile "$CIDFILE" "$BUSYBOX" /no/such/binary
	assert_output --partial "nook: create container \`$(cid)\`: executable \`/no/such/binary\`"
	assert_output --partial "No such file or directory"
}

@test "podman run --ulimit: an rlimit nook cannot raise is named in the error" {
	# Raising a hard limit needs CAP_SYS_RESOURCE (bit 24), which this
	# machine's root lacks; with it, the container simply runs.
	hard=$(ulimit -Hn)
	want=$((hard * 2))
	run prun --rm --cidfile "$CIDFILE" --ulimit "nofile=$want:$want" "$BUSYBOX" sh -c 'ulimit -Hn'
	if (($(grep CapBnd /proc/self/status | awk '{print "0x" $2}') & (1 << 24))); then
		assert_success
		assert_output "$want"
	else
		assert_failure
		assert_output --partial "nook: create container \`$(cid)\`: set RLIMIT_NOFILE to soft $want hard $want"
		assert_output --partial CAP_SYS_RESOURCE
	fi
}
