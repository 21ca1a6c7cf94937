#!/usr/bin/env bats
# checkpoint and restore flags that change what CRIU does: each test shows
# the flag reaching CRIU (what fails without it works with it, or what CRIU
# logs and leaves differs), not only that it is accepted.

load checkpoint-helpers

setup() {
	checkpoint_setup
	TEST_NETNS=
	LISTENER=
	TERMINAL=
}

teardown() {
	if [ -n "$TERMINAL" ]; then
		# shellcheck disable=SC2046
		kill $(descendants_of "$TERMINAL") "$TERMINAL" 2>/dev/null || true
		wait "$TERMINAL" 2>/dev/null || true
	fi
	if [ -n "$LISTENER" ]; then
		kill "$LISTENER" 2>/dev/null || true
		wait "$LISTENER" 2>/dev/null || true
	fi
	nook_teardown
	if [ -n "$TEST_NETNS" ]; then
		ip netns del "$TEST_NETNS" 2>/dev/null || true
	fi
}

# ---- checkpoint --work-path ----

@test "checkpoint --work-path: CRIU's dump.log goes there, not into the image dir" {
	start_counter
	run_nook checkpoint --image-path "$IMG" --work-path "$TEST_TMP/work" "$ID"
	[ "$status" -eq 0 ] || fail "checkpoint: $stderr"
	[ -s "$TEST_TMP/work/dump.log" ] || fail "no dump.log in the work dir: $(ls "$TEST_TMP/work" 2>&1)"
	grep -q "Dumping finished successfully" "$TEST_TMP/work/dump.log"
	[ ! -e "$IMG/dump.log" ] || fail "dump.log in the image dir too"
	[ -f "$IMG/inventory.img" ]
	# A failed dump names the log where it is.
	start_counter
	run_nook checkpoint --image-path "$IMG.2" --work-path "$TEST_TMP/work2" --parent-path ../nowhere "$ID"
	assert_failure
	[[ $stderr == *"$TEST_TMP/work2/dump.log"* ]] || fail "$stderr"
}

# ---- --ext-unix-sk ----

# A datagram socket connected to a peer outside the container: CRIU sees
# both ends only in one network namespace, so the container joins one by
# path and the peer (a Python listener on the host) lives in it too.
# ext_unix_listener NAME: runs the listener (its pid in LISTENER) on
# $HOSTDIR/NAME, whatever it receives appended to $HOSTDIR/NAME.got.
ext_unix_listener() {
	local ready=$TEST_TMP/listener.ready
	/usr/bin/python3 - "/run/netns/$TEST_NETNS" "$HOSTDIR/$1" "$ready" <<'EOF' 3>&- &
import ctypes, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.setns(os.open(sys.argv[1], os.O_RDONLY), 0x40000000) != 0:
    raise OSError(ctypes.get_errno(), "setns")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[2])
open(sys.argv[3], "w").close()
while True:
    data = s.recv(4096)
    with open(sys.argv[2] + ".got", "ab") as f:
        f.write(data)
EOF
	LISTENER=$!
	wait_for_file "$ready"
}

# with_socket_fd3 PATH CMD...: CMD with fd 3 a datagram socket made in the
# test's network namespace and connected to PATH.
with_socket_fd3() {
	/usr/bin/python3 -c '
import ctypes, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.setns(os.open(sys.argv[1], os.O_RDONLY), 0x40000000) != 0:
    raise OSError(ctypes.get_errno(), "setns")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(sys.argv[2])
os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.execvp(sys.argv[3], sys.argv[3:])' "/run/netns/$TEST_NETNS" "$@"
}

@test "--ext-unix-sk: a socket connected outside dumps only with it; restored, it reaches its peer" {
	TEST_NETNS=nook-test-$$-$BATS_TEST_NUMBER
	ip netns add "$TEST_NETNS"
	# CRIU reconnects the restored socket to the peer's name, a host
	# path: the container sees the host dir at that path too.
	update_config '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)
		| .mounts += [{"destination": $h, "type": "bind", "source": $h, "options": ["rbind", "rw"]}]' \
		--arg p "/run/netns/$TEST_NETNS" --arg h "$HOSTDIR"
	# Each value also goes to fd 3, the socket.
	set_args sh -c 'i=0; while :; do i=$((i+1)); echo $i >/host/c.new; mv /host/c.new /host/c; echo $i >&3; sleep 0.05; done'
	ext_unix_listener ext.sock
	run_captured with_socket_fd3 "$HOSTDIR/ext.sock" \
		"$NOOK_BINARY" --root "$ROOT" run -d --preserve-fds 1 --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || fail "run: $stderr"
	wait_counter_above 5
	run_nook checkpoint --image-path "$IMG" "$ID"
	assert_failure
	[[ $stderr == *"--ext-unix-sk"* ]] || fail "$stderr"
	[ "$(status_of "$ID")" = running ]
	run_nook checkpoint --ext-unix-sk --image-path "$IMG" "$ID"
	[ "$status" -eq 0 ] || fail "checkpoint --ext-unix-sk: $stderr"
	local at=$(counter)
	set_cgroup "$ID-r"
	run_nook restore -d --ext-unix-sk --image-path "$IMG" --work-path "$TEST_TMP/work" \
		--bundle "$BUNDLE" "$ID-r"
	[ "$status" -eq 0 ] || fail "restore --ext-unix-sk: $stderr"
	wait_counter_above "$at"
	# The restored socket still reaches the listener: values past the dump.
	local tries=200 got=0
	while [ "$tries" -gt 0 ]; do
		got=$(tail -n1 "$HOSTDIR/ext.sock.got")
		[ "${got:-0}" -gt "$at" ] && break
		sleep 0.05
		tries=$((tries - 1))
	done
	[ "${got:-0}" -gt "$at" ] || fail "the listener got $got last, nothing past $at"
}

# ---- --file-locks ----

# flock(1) from the host (and the libraries it needs) in the rootfs.
add_flock() {
	local f
	for f in /usr/bin/flock $(ldd /usr/bin/flock | grep -o '/[^ ]*'); do
		mkdir -p "$BUNDLE/rootfs$(dirname "$f")"
		cp -L "$f" "$BUNDLE/rootfs$f"
	done
}

# lock_is_held: someone holds the flock of $HOSTDIR/lockfile.
lock_is_held() {
	! flock -n -x "$HOSTDIR/lockfile" true
}

@test "--file-locks: a container holding a flock dumps only with it; restore takes the lock again" {
	add_flock
	set_args sh -c "exec 9>>/host/lockfile; flock -x 9 || exit 9; $COUNTER"
	start_counter
	lock_is_held || fail "the container does not hold the lock"
	run_nook checkpoint --image-path "$IMG" "$ID"
	assert_failure
	[[ $stderr == *"--file-locks"* ]] || fail "$stderr"
	[ "$(status_of "$ID")" = running ]
	lock_is_held || fail "the failed dump dropped the lock"
	run_nook checkpoint --file-locks --image-path "$IMG" "$ID"
	[ "$status" -eq 0 ] || fail "checkpoint --file-locks: $stderr"
	! lock_is_held || fail "the lock outlived the checkpointed container"
	local at=$(counter)
	set_cgroup "$ID-r"
	run_nook restore -d --file-locks --image-path "$IMG" --work-path "$TEST_TMP/work" \
		--bundle "$BUNDLE" "$ID-r"
	[ "$status" -eq 0 ] || fail "restore --file-locks: $stderr"
	wait_counter_above "$at"
	lock_is_held || fail "the restored container does not hold the lock"
	run nook exec "$ID-r" sh -c 'grep "^lock:" /proc/1/fdinfo/9'
	assert_output --partial "FLOCK"
}

# ---- --tcp-established ----

@test "--tcp-established: a container with a TCP connection dumps only with it; restored, it goes on" {
	local port=$((42000 + RANDOM % 1000))
	# A listener and a client on lo, both in the container: the
	# connection is established inside its network namespace.
	set_args sh -c "sleep 1000 | nc -l -p $port >/host/tcp.out & sleep 0.5
		(while :; do echo tick; sleep 0.05; done) | nc 127.0.0.1 $port & $COUNTER"
	start_counter
	local tries=100
	while [ ! -s "$HOSTDIR/tcp.out" ] && [ "$tries" -gt 0 ]; do
		sleep 0.05
		tries=$((tries - 1))
	done
	[ -s "$HOSTDIR/tcp.out" ] || fail "no TCP connection in the container"
	run_nook checkpoint --image-path "$IMG" "$ID"
	assert_failure
	[[ $stderr == *"--tcp-established"* ]] || fail "$stderr"
	[ "$(status_of "$ID")" = running ]
	run_nook checkpoint --tcp-established --image-path "$IMG" "$ID"
	if [ "$status" -ne 0 ]; then
		# The flag reached CRIU (it no longer asks for it); CRIU 4.1.1
		# cannot read SO_PASSSEC (1:34) of an inet socket on kernels
		# that return EOPNOTSUPP for it, as 6.18 here does.
		[[ $stderr != *"consider using --tcp-established"* ]] || fail "$stderr"
		[[ $stderr == *"Can't get 1:34 opt"* ]] || fail "checkpoint --tcp-established: $stderr"
		[ "$(status_of "$ID")" = running ]
		skip "CRIU cannot dump TCP sockets on this kernel: $stderr"
	fi
	local at=$(counter) size
	size=$(stat -c %s "$HOSTDIR/tcp.out")
	set_cgroup "$ID-r"
	run_nook restore -d --tcp-established --image-path "$IMG" --work-path "$TEST_TMP/work" \
		--bundle "$BUNDLE" "$ID-r"
	[ "$status" -eq 0 ] || fail "restore --tcp-established: $stderr"
	wait_counter_above "$at"
	tries=200
	while [ "$(stat -c %s "$HOSTDIR/tcp.out")" -le "$size" ] && [ "$tries" -gt 0 ]; do
		sleep 0.05
		tries=$((tries - 1))
	done
	[ "$(stat -c %s "$HOSTDIR/tcp.out")" -gt "$size" ] || fail "nothing came over the restored connection"
}

# ---- --shell-job ----

# in_terminal CMD: CMD (a shell string) on a terminal of its own (script).
in_terminal() {
	SHELL=/bin/sh timeout -k 5 "$NOOK_TIMEOUT" script -qfec "$1" /dev/null </dev/null \
		>"$TEST_TMP/script.out" 2>&1 3>&-
}

@test "--shell-job: a container whose stdio is the host's terminal dumps only with it; restore inherits a terminal" {
	local n
	n=$(printf '%q ' "$NOOK_BINARY" --root "$ROOT")
	# process.terminal false: the container's stdio is the terminal
	# `nook run` was started on, a session from outside the container;
	# that terminal stays (script goes on until the test ends).
	SHELL=/bin/sh script -qfec "$n run -d --bundle $BUNDLE $ID; exec sleep 600" /dev/null </dev/null \
		>"$TEST_TMP/term.out" 2>&1 3>&- &
	TERMINAL=$!
	wait_counter_above 5
	[[ $(readlink "/proc/$(pid_of "$ID")/fd/1") == /dev/pts/* ]] || fail "stdout is not a terminal"
	run_nook checkpoint --image-path "$IMG" "$ID"
	assert_failure
	[ "$(status_of "$ID")" = running ]
	run_nook checkpoint --shell-job --image-path "$IMG" "$ID"
	[ "$status" -eq 0 ] || fail "checkpoint --shell-job: $stderr"
	# Restore from a terminal: CRIU gives the restored process its own
	# (its log: "Inherit terminal") only with --shell-job.
	set_cgroup "$ID-r"
	local st=0
	in_terminal "$n restore -d --image-path $IMG --work-path $TEST_TMP/w1 --bundle $BUNDLE $ID-r" || st=$?
	[ "$st" -ne 0 ] || fail "restore without --shell-job worked: $(cat "$TEST_TMP/script.out")"
	! grep -q "tty: Inherit terminal" "$TEST_TMP/w1/restore.log"
	assert_nothing_left_of "$ID-r"
	st=0
	in_terminal "$n restore -d --shell-job --image-path $IMG --work-path $TEST_TMP/w2 --bundle $BUNDLE $ID-r" || st=$?
	grep -q "tty: Inherit terminal" "$TEST_TMP/w2/restore.log" ||
		fail "--shell-job did not reach CRIU: $(cat "$TEST_TMP/script.out")"
	if [ "$st" -eq 0 ]; then
		[ "$(status_of "$ID-r")" = running ]
		return 0
	fi
	# CRIU 4.1.1 then fails on a terminal that is not on a mount of the
	# container ("mnt: BUG"); nook must still leave nothing.
	grep -q "CRIU failed" "$TEST_TMP/script.out" || fail "$(cat "$TEST_TMP/script.out")"
	assert_nothing_left_of "$ID-r"
}

# ---- restore --no-subreaper ----

@test "restore --no-subreaper: the restored init is not nook's child; nook waits and exits 0" {
	set_args sh -c 'i=0; while [ $i -lt 60 ]; do i=$((i+1)); echo $i >/host/c.new; mv /host/c.new /host/c; sleep 0.05; done; exit 7'
	start_counter
	run_nook checkpoint --image-path "$IMG" "$ID"
	[ "$status" -eq 0 ] || fail "checkpoint: $stderr"
	set_cgroup "$ID-r"
	"$NOOK_BINARY" --root "$ROOT" restore --no-subreaper --image-path "$IMG" --bundle "$BUNDLE" \
		"$ID-r" </dev/null >"$TEST_TMP/restore.out" 2>"$TEST_TMP/restore.err" 3>&- &
	local restore=$! st=0 pid ppid
	wait_for_status "$ID-r" running 20
	pid=$(pid_of "$ID-r")
	ppid=$(awk '$1 == "PPid:" {print $2}' "/proc/$pid/status")
	[ "$ppid" != "$restore" ] || fail "the restored init $pid is nook's child"
	# It exits 7 to its real parent; nook still waits for it, exits 0
	# (it cannot know the status) and deletes it.
	wait "$restore" || st=$?
	[ "$st" -eq 0 ] || fail "restore exited $st: $(cat "$TEST_TMP/restore.err")"
	[ "$(counter)" = 60 ] || fail "nook returned before the container ended (counter $(counter))"
	run_nook state "$ID-r"
	assert_failure
	assert_nothing_left_of "$ID-r"
}

# ---- --manage-cgroups-mode ----

@test "checkpoint --manage-cgroups-mode ignore dumps no cgroup properties; soft does" {
	start_counter
	local m
	for m in soft ignore; do
		run_nook checkpoint --leave-running --manage-cgroups-mode "$m" --image-path "$IMG.$m" "$ID"
		[ "$status" -eq 0 ] || fail "checkpoint $m: $stderr"
	done
	grep -q "cg: Dumping value .* from .*/memory.limit_in_bytes" "$IMG.soft/dump.log" ||
		fail "soft dumped no memory properties"
	! grep -q "cg: Dumping value" "$IMG.ignore/dump.log" || fail "ignore dumped cgroup properties"
}

# The image's cgroups had other limits than the bundle's: soft (the default)
# keeps the bundle's on the cgroup nook made, full puts the image's back,
# strict refuses a cgroup that exists, ignore leaves cgroups to nook.
@test "restore --manage-cgroups-mode: soft, full, strict and ignore each reach CRIU" {
	update_config '.linux.resources = {"memory": {"limit": 134217728}, "pids": {"limit": 100}}'
	start_counter
	# Not a copy of a paused container (checkpoint.bats's
	# checkpoint_for_copies): that image holds a frozen freezer cgroup,
	# which full restores, and the restored tasks hang frozen.
	run_nook checkpoint --image-path "$IMG" "$ID"
	[ "$status" -eq 0 ] || fail "checkpoint: $stderr"
	local m
	for m in soft full strict ignore default; do
		copy_bundle "$m"
		CONFIG=$TEST_TMP/$m/config.json update_config \
			'.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 50}}'
	done
	for m in soft full strict ignore default; do
		local opt=(--manage-cgroups-mode "$m")
		[ "$m" != default ] || opt=()
		run_nook restore -d "${opt[@]}" --image-path "$IMG" --work-path "$TEST_TMP/w-$m" \
			--bundle "$TEST_TMP/$m" "$ID-$m"
		if [ "$m" = strict ]; then
			assert_failure
			assert_one_error_line
			[[ $stderr == *"Abort restore of existing cgroups"* ]] || fail "strict: $stderr"
			assert_nothing_left_of "$ID-strict"
		else
			[ "$status" -eq 0 ] || fail "restore $m: $stderr"
		fi
	done
	grep -q "cgroups restore mode 0x4)" "$TEST_TMP/w-soft/restore.log"
	grep -q "cgroups restore mode 0x4)" "$TEST_TMP/w-default/restore.log"
	grep -q "cgroups restore mode 0x8)" "$TEST_TMP/w-full/restore.log"
	grep -q "cgroups restore mode 0x10)" "$TEST_TMP/w-strict/restore.log"
	! grep -q "Preparing cgroups yard" "$TEST_TMP/w-ignore/restore.log"
	local want
	for m in soft full ignore default; do
		want="67108864 50"
		[ "$m" != full ] || want="134217728 100"
		assert_equal "$m: $(cat "$(cgroup_dir memory "$ID-$m")/memory.limit_in_bytes") $(cat "$(cgroup_dir pids "$ID-$m")/pids.max")" \
			"$m: $want"
		grep -qx "$(pid_of "$ID-$m")" "$(cgroup_dir memory "$ID-$m")/cgroup.procs" ||
			fail "$m: the init is not in its cgroup"
	done
}

@test "restore --manage-cgroups-mode full or strict of a paused container's image is refused, not hung" {
	start_counter
	run_nook pause "$ID"
	assert_success
	run_nook checkpoint --leave-running --image-path "$IMG" "$ID"
	[ "$status" -eq 0 ] || fail "checkpoint: $stderr"
	[ -e "$IMG/nook-paused" ] || fail "no nook-paused marker in the image"
	local m
	for m in full strict; do
		copy_bundle "$m"
		run_nook restore -d --manage-cgroups-mode "$m" --image-path "$IMG" \
			--work-path "$TEST_TMP/w-$m" --bundle "$TEST_TMP/$m" "$ID-$m"
		assert_failure
		assert_one_error_line
		[[ $stderr == *"--manage-cgroups-mode $m: the image was taken while the container was paused"* ]] ||
			fail "$m: $stderr"
		assert_nothing_left_of "$ID-$m"
	done
	# soft (the default) restores it, running
	copy_bundle soft
	run_nook restore -d --image-path "$IMG" --work-path "$TEST_TMP/w-soft" \
		--bundle "$TEST_TMP/soft" "$ID-soft"
	[ "$status" -eq 0 ] || fail "restore: $stderr"
	run_nook state "$ID-soft"
	assert_equal "$(jq -r .status <<<"$output")" running
}

# ---- --auto-dedup ----

# blocks_of DIR: the disk blocks the memory pages in DIR take.
blocks_of() {
	du -k -c "$1"/pages-*.img | tail -n1 | cut -f1
}

# The parent of a dump must be a pre-dump, which needs the kernel to track
# memory changes (soft-dirty pages): where it cannot, --auto-dedup has
# nothing to act on and is not testable.
@test "checkpoint --auto-dedup on a pre-dump punches the parent's pages the dump holds" {
	criu check --feature mem_dirty_track >/dev/null 2>&1 ||
		skip "no soft-dirty memory tracking on this kernel: no pre-dump, no parent to dedup"
	start_counter
	run_nook checkpoint --pre-dump --image-path "$IMG/pre" "$ID"
	[ "$status" -eq 0 ] || fail "pre-dump: $stderr"
	local before after
	before=$(blocks_of "$IMG/pre")
	run_nook checkpoint --auto-dedup --parent-path ../pre --image-path "$IMG/final" "$ID"
	[ "$status" -eq 0 ] || fail "checkpoint --auto-dedup: $stderr"
	after=$(blocks_of "$IMG/pre")
	[ "$after" -lt "$before" ] || fail "the parent's pages still take $after KiB (were $before)"
	local at=$(counter)
	set_cgroup "$ID-r"
	run_nook restore -d --image-path "$IMG/final" --work-path "$TEST_TMP/work" --bundle "$BUNDLE" "$ID-r"
	[ "$status" -eq 0 ] || fail "restore: $stderr"
	wait_counter_above "$at"
}
