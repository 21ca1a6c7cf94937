#!/usr/bin/env bats
# checkpoint and restore (CRIU >= 4.1 through libcriu): round trips that keep
# a process's memory, runc's flags, one image restored many times at once,
# and bad input that must leave nothing behind.

load checkpoint-helpers

setup() {
	checkpoint_setup
}

teardown() {
	nook_teardown
	if [ -n "${TEST_NETNS:-}" ]; then
		ip netns del "$TEST_NETNS" 2>/dev/null || true
		ip netns del "$TEST_NETNS-b" 2>/dev/null || true
	fi
}

@test "checkpoint stops and removes the container; restore goes on from its memory" {
	checkpointed_counter
	[ -f "$IMG/inventory.img" ]
	[ -f "$IMG/descriptors.json" ]
	jq -e 'length == 3' "$IMG/descriptors.json"
	run_nook state "$ID"
	assert_failure
	local at=$(counter)
	sleep 0.3
	[ "$(counter)" = "$at" ] || fail "the counter moved after the checkpoint"

	set_cgroup "$ID-r"
	run_nook restore -d --image-path "$IMG" --work-path "$TEST_TMP/work" \
		--bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" "$ID-r"
	assert_success
	[ -s "$TEST_TMP/work/restore.log" ]
	wait_counter_above "$at"
	[ "$(status_of "$ID-r")" = running ]
	[ "$(cat "$TEST_TMP/pid")" = "$(pid_of "$ID-r")" ]
	# the restored container is an ordinary one: exec, its cgroup, kill, delete
	run nook exec "$ID-r" sh -c 'cat /host/c >/dev/null && echo ok'
	assert_output ok
	grep -q "^$(pid_of "$ID-r")\$" "$(cgroup_dir memory "$ID-r")/cgroup.procs"
	run_nook kill "$ID-r" KILL
	assert_success
	wait_for_status "$ID-r" stopped
	run_nook delete "$ID-r"
	assert_success
}

@test "checkpoint --leave-running keeps the container; its copy runs beside it" {
	start_counter
	checkpoint_for_copies copy
	[ "$(status_of "$ID")" = running ]
	local at=$(counter "$TEST_TMP/copy.host")
	wait_counter_above "$at"

	run_nook restore -d --image-path "$IMG" --work-path "$TEST_TMP/work" \
		--bundle "$TEST_TMP/copy" "$ID-copy"
	[ "$status" -eq 0 ] || fail "restore: $stderr"
	wait_counter_above "$at" "$TEST_TMP/copy.host"
	[ "$(status_of "$ID")" = running ]
	[ "$(status_of "$ID-copy")" = running ]
	[ "$(readlink /proc/"$(pid_of "$ID")"/ns/pid)" != "$(readlink /proc/"$(pid_of "$ID-copy")"/ns/pid)" ]
}

@test "restore in the foreground waits, exits with the container's status and deletes it" {
	set_args sh -c 'i=0; while [ $i -lt 40 ]; do i=$((i+1)); echo $i >/host/c.new; mv /host/c.new /host/c; sleep 0.05; done; exit 7'
	run_nook run -d --bundle "$BUNDLE" "$ID"
	assert_success
	wait_counter_above 3
	run_nook checkpoint --image-path "$IMG" "$ID"
	assert_success
	local at=$(counter)
	set_cgroup "$ID-r"
	run_nook restore --image-path "$IMG" --bundle "$BUNDLE" "$ID-r"
	[ "$status" -eq 7 ] || fail "restore exited $status, expected 7: $stderr"
	[ "$(counter)" = 40 ] || fail "counter is $(counter), expected 40 (was $at at the checkpoint)"
	run_nook state "$ID-r"
	assert_failure
}

@test "one image restored four times at once: each copy runs with its own state" {
	checkpointed_counter
	local at=$(counter) n pids=()
	for n in 1 2 3 4; do
		copy_bundle "c$n"
	done
	for n in 1 2 3 4; do
		nook restore -d --image-path "$IMG" --work-path "$TEST_TMP/w$n" \
			--bundle "$TEST_TMP/c$n" "$ID-c$n" </dev/null >"$TEST_TMP/out$n" 2>"$TEST_TMP/err$n" &
		pids+=($!)
	done
	for n in 1 2 3 4; do
		wait "${pids[$((n - 1))]}" || fail "restore $n failed: $(cat "$TEST_TMP/err$n")"
	done
	for n in 1 2 3 4; do
		wait_counter_above "$at" "$TEST_TMP/c$n.host"
		[ "$(status_of "$ID-c$n")" = running ]
	done
	# Each copy's memory is its own: stop one, the others go on.
	run_nook kill "$ID-c1" KILL
	assert_success
	wait_for_status "$ID-c1" stopped
	local c1=$(counter "$TEST_TMP/c1.host") c2=$(counter "$TEST_TMP/c2.host")
	wait_counter_above "$c2" "$TEST_TMP/c2.host"
	[ "$(counter "$TEST_TMP/c1.host")" = "$c1" ]
	# four pid namespaces, four inits
	run bash -c "for n in 1 2 3 4; do readlink /proc/\$($NOOK_BINARY --root $ROOT state $ID-c\$n | jq .pid)/ns/pid; done | sort -u | wc -l"
	[ "$output" = 3 ] || [ "$output" = 4 ]
}

# console_socket NAME: the receiving end of a --console-socket at
# $TEST_TMP/NAME.sock (tests/integration/console-socket, daemonized): what
# it learns of the message in NAME.meta, what the terminal says in NAME.out.
console_socket() {
	"$NOOK_BUILDDIR/tests/integration/console-socket" -d -t 60 -o "$TEST_TMP/$1.out" \
		-m "$TEST_TMP/$1.meta" "$TEST_TMP/$1.sock" 3>&- >/dev/null ||
		fail "console-socket did not start"
}

# console_says_above NAME N: the terminal said "tick M" with M > N (20 s).
console_says_above() {
	local tries=400 m
	while [ "$tries" -gt 0 ]; do
		m=$(tr -d '\r' <"$TEST_TMP/$1.out" | sed -n 's/^tick \([0-9][0-9]*\)$/\1/p' | tail -n1)
		[ "${m:-0}" -gt "$2" ] && return 0
		sleep 0.05
		tries=$((tries - 1))
	done
	fail "terminal $1 said no tick above $2: $(tail -c 200 "$TEST_TMP/$1.out")"
}

@test "restore with --console-socket sends the new terminal's master" {
	update_config '.process.terminal = true'
	# The counter also says each value on its terminal.
	set_args sh -c 'i=0; while :; do i=$((i+1)); echo $i >/host/c.new; mv /host/c.new /host/c; echo "tick $i"; sleep 0.05; done'
	console_socket first
	run_nook run -d --console-socket "$TEST_TMP/first.sock" --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || fail "run: $stderr"
	wait_counter_above 5
	console_says_above first 0
	run_nook checkpoint --image-path "$IMG" "$ID"
	[ "$status" -eq 0 ] || fail "checkpoint: $stderr"
	wait_console_eof "$TEST_TMP/first.meta"
	local at=$(counter)

	console_socket second
	set_cgroup "$ID-r"
	run_nook restore -d --image-path "$IMG" --console-socket "$TEST_TMP/second.sock" \
		--bundle "$BUNDLE" "$ID-r"
	[ "$status" -eq 0 ] || fail "restore: $stderr"
	# One message with one fd, a terminal (runc's name for it), and the
	# restored process writes on its slave: values past the checkpoint.
	grep -qx 'name /dev/ptmx' "$TEST_TMP/second.meta" || fail "$(cat "$TEST_TMP/second.meta")"
	grep -qx 'tty 1' "$TEST_TMP/second.meta" || fail "$(cat "$TEST_TMP/second.meta")"
	wait_counter_above "$at"
	console_says_above second "$at"
	run nook exec "$ID-r" sh -c 'readlink /proc/1/fd/1'
	assert_output /dev/pts/0
	run_nook kill "$ID-r" KILL
	assert_success
	wait_for_status "$ID-r" stopped
	wait_console_eof "$TEST_TMP/second.meta"
}

@test "without a cgroup namespace, the restored copy's cgroup mounts are its own cgroups" {
	# As runc spec's config: the container sees its cgroups as binds of
	# the host's hierarchies, which CRIU only takes as external mounts.
	update_config '.linux.namespaces |= map(select(.type != "cgroup"))'
	checkpointed_counter
	[ -s "$IMG/nook-cgroup-mounts" ] || fail "no cgroup mounts recorded"
	grep -q '^/sys/fs/cgroup/memory memory$' "$IMG/nook-cgroup-mounts"
	local at=$(counter)
	set_cgroup "$ID-r"
	run_nook restore -d --image-path "$IMG" --work-path "$TEST_TMP/work" --bundle "$BUNDLE" "$ID-r"
	assert_success
	wait_counter_above "$at"
	run nook exec "$ID-r" cat /proc/self/mountinfo
	assert_success
	local line
	line=$(grep ' /sys/fs/cgroup/memory ' <<<"$output") || fail "no memory cgroup mount: $output"
	[[ $line == *"/$ID-r "* ]] || fail "the memory mount is not the copy's cgroup: $line"
	run nook exec "$ID-r" cat /sys/fs/cgroup/memory/cgroup.procs
	assert_success
	[ -n "$output" ]
}

@test "a blank network namespace is made anew on restore with lo up; a changeable one is dumped" {
	start_counter
	checkpoint_for_copies copy
	# no CAP_NET_ADMIN, /proc/sys read-only, only lo: nothing to dump
	[ -f "$IMG/nook-blank-netns" ] || fail "the default container's netns was not taken as blank"
	run_nook restore -d --image-path "$IMG" --bundle "$TEST_TMP/copy" "$ID-copy"
	assert_success
	run nook exec "$ID-copy" cat /sys/class/net/lo/flags
	assert_success
	(( output & 1 )) || fail "lo is down in the restored copy (flags $output)"
	[ "$(readlink /proc/"$(pid_of "$ID")"/ns/net)" != "$(readlink /proc/"$(pid_of "$ID-copy")"/ns/net)" ]
	run_nook kill "$ID-copy" KILL
	wait_for_status "$ID-copy" stopped
	run_nook delete "$ID-copy"
	run_nook kill "$ID" KILL
	wait_for_status "$ID" stopped
	run_nook delete "$ID"

	# With CAP_NET_ADMIN the container could have changed it: CRIU dumps it.
	with_caps CAP_NET_ADMIN
	start_counter
	run_nook checkpoint --image-path "$IMG.2" "$ID"
	assert_success
	[ ! -e "$IMG.2/nook-blank-netns" ] || fail "a netns the container can change was taken as blank"
	set_cgroup "$ID-r"
	run_nook restore -d --image-path "$IMG.2" --bundle "$BUNDLE" "$ID-r"
	assert_success
	run nook exec "$ID-r" cat /sys/class/net/lo/flags
	(( output & 1 )) || fail "lo is down after a full netns restore (flags $output)"
}

# The CRI path: a pod's containers join the pod's network namespace by
# path.  An image whose netns was blank (not dumped) restored into such a
# bundle joins that namespace, as a fresh container would.
@test "a blank-netns image restored into a bundle that joins a netns by path runs in that netns" {
	local ns=nook-test-$$-$BATS_TEST_NUMBER
	ip netns add "$ns"
	TEST_NETNS=$ns
	ip -n "$ns" link add nookpod0 type veth peer name nookpod1
	local want
	want="net:[$(stat -L -c %i "/run/netns/$ns")]"
	start_counter
	checkpoint_for_copies copy
	[ -f "$IMG/nook-blank-netns" ] || fail "the default container's netns was not taken as blank"
	join_netns "/run/netns/$ns" "$TEST_TMP/copy/config.json"
	run_nook restore -d --image-path "$IMG" --bundle "$TEST_TMP/copy" "$ID-copy"
	local st=$status err=$stderr got= links=
	if [ "$st" -eq 0 ]; then
		got=$(readlink /proc/"$(pid_of "$ID-copy")"/ns/net)
		links=$(nook exec "$ID-copy" cat /proc/net/dev)
		nook delete --force "$ID-copy" >/dev/null 2>&1 || true
	fi
	[ "$st" -eq 0 ] || fail "restore: $err"
	assert_equal "$got" "$want"
	[[ $links == *nookpod0* ]] || fail "the pod's link is not seen: $links"
	assert_counter_goes_on
}

# join_netns PATH [CONFIG]: the bundle's network namespace is PATH.
join_netns() {
	CONFIG=${2:-$BUNDLE/config.json} update_config \
		'.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' --arg p "$1"
}

# A netns joined by path at checkpoint stays outside the image: the copy
# goes into the namespace its own bundle names (a pod's, on another node);
# a bundle without one is refused, as is a netns dumped in full going into
# a namespace that exists (CRIU would make a new one and ignore the path).
@test "a joined netns is restored into the bundle's path; mismatched netns requests are refused" {
	TEST_NETNS=nook-test-$$-$BATS_TEST_NUMBER
	ip netns add "$TEST_NETNS"
	ip netns add "$TEST_NETNS-b"
	join_netns "/run/netns/$TEST_NETNS"
	start_counter
	checkpoint_for_copies copy own
	[ -f "$IMG/nook-external-netns" ] || fail "the joined netns was not taken as external"
	join_netns "/run/netns/$TEST_NETNS-b" "$TEST_TMP/copy/config.json"
	CONFIG=$TEST_TMP/own/config.json update_config \
		'.linux.namespaces |= map(if .type == "network" then del(.path) else . end)'
	run_nook restore -d --image-path "$IMG" --bundle "$TEST_TMP/own" "$ID-own"
	local own_st=$status own_err=$stderr
	run_nook restore -d --image-path "$IMG" --bundle "$TEST_TMP/copy" "$ID-copy"
	local st=$status err=$stderr got=
	[ "$st" -ne 0 ] || got=$(readlink /proc/"$(pid_of "$ID-copy")"/ns/net)
	local want
	want="net:[$(stat -L -c %i "/run/netns/$TEST_NETNS-b")]"
	nook delete --force "$ID-copy" >/dev/null 2>&1 || true
	[ "$st" -eq 0 ] || fail "restore into the other netns: $err"
	assert_equal "$got" "$want"
	[ "$own_st" -ne 0 ] || fail "a bundle with its own netns was accepted for an external one"
	[[ $own_err == *"the bundle must join one by path too"* ]] || fail "$own_err"
	assert_nothing_left_of "$ID-own"
}

@test "an image whose netns was dumped in full is not restored into a netns given by path" {
	TEST_NETNS=nook-test-$$-$BATS_TEST_NUMBER
	ip netns add "$TEST_NETNS"
	with_caps CAP_NET_ADMIN
	checkpointed_counter
	[ ! -e "$IMG/nook-blank-netns" ] || fail "a netns the container can change was taken as blank"
	join_netns "/run/netns/$TEST_NETNS"
	run_nook restore -d --image-path "$IMG" --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"dumped in full: it cannot be restored into \`/run/netns/$TEST_NETNS\`"* ]] || fail "$stderr"
	assert_nothing_left_of "$ID"
}

@test "checkpoint --empty-ns network leaves the netns out even when the container could change it" {
	# With CAP_NET_ADMIN nook would dump the namespace in full (above);
	# --empty-ns network says it may be left out: restore makes a new one.
	with_caps CAP_NET_ADMIN
	start_counter
	run_nook checkpoint --empty-ns network --image-path "$IMG" "$ID"
	assert_success
	[ -f "$IMG/nook-blank-netns" ] || fail "the netns was dumped despite --empty-ns network"
	local at=$(counter)
	set_cgroup "$ID-r"
	run_nook restore -d --image-path "$IMG" --work-path "$TEST_TMP/work" --bundle "$BUNDLE" "$ID-r"
	assert_success
	wait_counter_above "$at"
	run nook exec "$ID-r" cat /sys/class/net/lo/flags
	assert_success
	(( output & 1 )) || fail "lo is down in the new netns (flags $output)"
}

@test "each restored copy gets the hostname of its own bundle" {
	update_config '.hostname = "original"'
	start_counter
	checkpoint_for_copies copy
	CONFIG=$TEST_TMP/copy/config.json update_config '.hostname = "copy-1"'
	run_nook restore -d --image-path "$IMG" --bundle "$TEST_TMP/copy" "$ID-copy"
	assert_success
	run nook exec "$ID-copy" hostname
	assert_output copy-1
	run nook exec "$ID" hostname
	assert_output original
}

@test "CRIU's version and kernel probes are asked once and kept in the state root" {
	start_counter
	checkpoint_for_copies c1 c2
	[ -f "$ROOT/.criu-version" ] || fail "no version cache in $ROOT"
	# CRIU caches its kernel probes only on a tmpfs /run; where /run is not
	# one, nook keeps the cache for the restore helper.
	local n
	for n in 1 2; do
		run_nook restore -d --image-path "$IMG" --work-path "$TEST_TMP/w$n" \
			--bundle "$TEST_TMP/c$n" "$ID-c$n"
		[ "$status" -eq 0 ] || fail "restore $n: $stderr"
	done
	if [ "$(stat -f -c %T /run)" != tmpfs ]; then
		[ -s "$ROOT/.criu-kdat" ] || fail "no kdat cache in $ROOT"
		grep -q "Loaded kdat cache" "$TEST_TMP/w2/restore.log" ||
			fail "the second restore probed the kernel again"
	fi
	grep -q "^$(command -v criu) " "$ROOT/.criu-version"
	# A cache for another binary (or an older one) is not believed.
	echo "/nonexistent/criu 1 2 3 4.0 5.0 99999" >"$ROOT/.criu-version"
	NOOK_CRIU=$TEST_TMP/no-criu run_nook checkpoint --leave-running --image-path "$IMG" "$ID"
	assert_failure
	[[ $stderr == *"missing"* ]]
	[ "$(status_of "$ID")" = running ]
}

# ---- bad input: a clear error, nothing left, the original untouched ----

@test "restore from a missing image dir fails and leaves nothing" {
	run_nook restore -d --image-path "$TEST_TMP/nothing" --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	assert_nothing_left
	[[ $stderr == *"nothing"* ]]
}

@test "restore from a dir that holds no checkpoint fails and leaves nothing" {
	mkdir "$IMG"
	run_nook restore -d --image-path "$IMG" --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	assert_nothing_left
	[[ $stderr == *"no inventory.img"* ]]
}

@test "restore from a corrupt image fails with CRIU's reason and leaves nothing" {
	checkpointed_counter
	head -c 100 /dev/urandom >"$IMG/pstree.img"
	set_cgroup "$ID-r"
	run_nook restore -d --image-path "$IMG" --bundle "$BUNDLE" "$ID-r"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"CRIU failed"* ]] || fail "no CRIU reason: $stderr"
	[[ $stderr == *"Error"* ]] || fail "no CRIU log line: $stderr"
	assert_nothing_left
}

@test "restore into a bundle whose rootfs does not match fails and leaves nothing" {
	checkpointed_counter
	copy_bundle other
	# The image's programs are gone from this rootfs.
	rm -f "$TEST_TMP/other/rootfs/bin/"*
	run_nook restore -d --image-path "$IMG" --bundle "$TEST_TMP/other" "$ID-other"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"CRIU failed"* ]] || fail "no CRIU reason: $stderr"
	assert_nothing_left
}

@test "restore to an id that exists fails and leaves that container as it was" {
	start_counter
	run_nook checkpoint --leave-running --image-path "$IMG" "$ID"
	assert_success
	local pid=$(pid_of "$ID")
	run_nook restore -d --image-path "$IMG" --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"already exists"* ]]
	[ "$(status_of "$ID")" = running ]
	[ "$(pid_of "$ID")" = "$pid" ]
}

@test "checkpoint of a container that is not running fails and leaves it as it was" {
	create_container
	run_nook checkpoint --image-path "$IMG" "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"not running"* ]]
	[ "$(status_of "$ID")" = created ]
	run_nook checkpoint --image-path "$IMG" "$ID-none"
	assert_failure
	[[ $stderr == *"does not exist"* ]]
}

@test "a CRIU that is missing or too old is a clear error; the container keeps running" {
	start_counter
	NOOK_CRIU=$TEST_TMP/no-criu run_nook checkpoint --image-path "$IMG" "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"missing"* ]]
	[ "$(status_of "$ID")" = running ]
	# A good image: restore fails for the CRIU alone, and leaves nothing.
	run_nook checkpoint --leave-running --image-path "$IMG" "$ID"
	assert_success
	set_cgroup "$ID-r"
	NOOK_CRIU=/nonexistent run_nook restore -d --image-path "$IMG" --bundle "$BUNDLE" "$ID-r"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"missing"* ]] || fail "$stderr"
	assert_nothing_left_of "$ID-r"
	if [ -x /usr/sbin/criu ] && ! /usr/sbin/criu --version | grep -q 'Version: 4\.[1-9]'; then
		NOOK_CRIU=/usr/sbin/criu run_nook checkpoint --image-path "$IMG.old" "$ID"
		assert_failure
		assert_one_error_line
		[[ $stderr == *"too old"* ]]
		[ "$(status_of "$ID")" = running ]
		NOOK_CRIU=/usr/sbin/criu run_nook restore -d --image-path "$IMG" --bundle "$BUNDLE" "$ID-r"
		assert_failure
		assert_one_error_line
		[[ $stderr == *"too old"* ]]
		assert_nothing_left_of "$ID-r"
	fi
	assert_counter_goes_on
}

# A restore killed after it made the cgroup (here while CRIU starts, through
# a wrapper that waits when run from the container's cgroup): the copy stays
# "creating", and delete kills what is in that cgroup and removes it.
@test "a restore killed after making its cgroup leaves nothing once deleted" {
	checkpointed_counter
	cat >"$TEST_TMP/slow-criu" <<EOS
#!/bin/sh
if grep -q "/$ID\$" /proc/self/cgroup; then echo \$\$ >"$TEST_TMP/criu.pid"; exec sleep 600; fi
exec $(command -v criu) "\$@"
EOS
	chmod +x "$TEST_TMP/slow-criu"
	NOOK_CRIU=$TEST_TMP/slow-criu "$NOOK_BINARY" --root "$ROOT" restore -d --image-path "$IMG" \
		--bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/restore.out" 2>"$TEST_TMP/restore.err" 3>&- &
	local restore=$!
	wait_for_file "$TEST_TMP/criu.pid" || fail "restore: $(cat "$TEST_TMP/restore.err")"
	[ -d "$(cgroup_dir memory)" ] || fail "no cgroup while CRIU starts"
	kill -KILL "$restore"
	wait "$restore" || true
	assert_equal "$(status_of "$ID")" creating
	run_nook delete "$ID"
	assert_success
	run process_alive "$(cat "$TEST_TMP/criu.pid")"
	assert_failure
	assert_nothing_left_of "$ID"
}

# As runc: prestart and createRuntime hooks run on restore once CRIU has
# made the namespaces, with the restored init's pid; nook runs them from the
# restoring process, outside the container's cgroup.  Hooks about starting
# the program do not apply to a resumed one: a warning, not silence.
@test "restore runs prestart and createRuntime hooks with the restored pid, outside its cgroup" {
	checkpointed_counter
	local hook='k=$0; cat >"$d/$k.json"; cat /proc/self/cgroup >"$d/$k.cgroup"; echo "$k" >>"$d/order"'
	update_config '.hooks = {
		"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", $h, "prestart"], "env": ["d=\($d)"]}],
		"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", $h, "createRuntime"], "env": ["d=\($d)"]}],
		"startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "touch /host/startContainer-ran"]}]}' \
		--arg h "$hook" --arg d "$TEST_TMP"
	run_nook restore -d --image-path "$IMG" --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || fail "restore: $stderr"
	[[ $stderr == *"startContainer hooks are not run"* ]] || fail "no warning: $stderr"
	assert_equal "$(cat "$TEST_TMP/order")" "prestart
createRuntime"
	local pid k
	pid=$(pid_of "$ID")
	for k in prestart createRuntime; do
		assert_equal "$(jq -r '.pid, .status, .id' "$TEST_TMP/$k.json" | paste -sd ' ')" "$pid creating $ID"
		! grep -q "/$ID\$" "$TEST_TMP/$k.cgroup" || fail "$k ran in the container's cgroup"
	done
	[ ! -e "$HOSTDIR/startContainer-ran" ]
	assert_counter_goes_on
}

@test "a failing createRuntime hook fails the restore with its error and leaves nothing" {
	checkpointed_counter
	update_config '.hooks.createRuntime = [{"path": "/bin/sh",
		"args": ["sh", "-c", "echo no network for you >&2; exit 3"]}]'
	run_nook restore -d --image-path "$IMG" --bundle "$BUNDLE" "$ID"
	assert_failure
	# the hook's own stderr, then nook's error naming the hook
	[[ ${stderr_lines[-1]} == "nook: restore container \`$ID\`: restore: hook createRuntime[0] \`/bin/sh\`: exited with status 3: no network for you" ]] ||
		fail "$stderr"
	assert_nothing_left_of "$ID"
}

@test "a failed dump leaves the container running" {
	start_counter
	# A pre-dump's parent that does not exist: CRIU refuses.
	run_nook checkpoint --image-path "$IMG" --parent-path ../nowhere "$ID"
	assert_failure
	assert_one_error_line
	[ "$(status_of "$ID")" = running ]
	assert_counter_goes_on
}

@test "flags nook cannot honour here are named errors, not ignored" {
	start_counter
	run_nook checkpoint --image-path "$IMG" --manage-cgroups-mode bogus "$ID"
	assert_failure
	[[ $stderr == *"--manage-cgroups-mode"* ]]
	# Without --page-server CRIU would serve on a port it tells no one.
	run_nook checkpoint --image-path "$IMG" --lazy-pages "$ID"
	assert_failure
	[[ $stderr == *"--lazy-pages: needs --page-server"* ]] || fail "$stderr"
	run_nook checkpoint --image-path "$IMG" --status-fd 1 "$ID"
	assert_failure
	[[ $stderr == *"--status-fd"* ]]
	run_nook checkpoint --image-path "$IMG" --lazy-pages --page-server 127.0.0.1:1 --status-fd 0 "$ID"
	assert_failure
	[[ $stderr == *"--status-fd 0: not open for writing"* ]] || fail "$stderr"
	run_nook checkpoint --image-path "$IMG" --empty-ns pid "$ID"
	assert_failure
	[[ $stderr == *"--empty-ns"* ]]
	[ "$(status_of "$ID")" = running ]
	run_nook checkpoint --image-path "$IMG" --leave-running "$ID"
	assert_success
	run_nook restore -d --no-pivot --image-path "$IMG" --bundle "$BUNDLE" "$ID-r"
	assert_failure
	[[ $stderr == *"--no-pivot"* ]]
	assert_nothing_left_of "$ID-r"
	# No `criu lazy-pages` daemon in the work dir: CRIU fails at once.
	run_nook restore -d --lazy-pages --image-path "$IMG" --bundle "$BUNDLE" "$ID-r"
	assert_failure
	[[ $stderr == *"lazy-pages.socket"* ]] || fail "$stderr"
	assert_nothing_left_of "$ID-r"
}

# CRIU's lazy page server needs a pipe of 819 pages (4 MiB once rounded):
# see set_pipe_max_size (helpers.bash).
@test "checkpoint --lazy-pages is refused, named, where CRIU could not serve the pages" {
	start_counter
	set_pipe_max_size 1048576
	# without CAP_SYS_RESOURCE, as here, whatever the host gives root
	run_captured setpriv --inh-caps -sys_resource --bounding-set -sys_resource \
		"$NOOK_BINARY" --root "$ROOT" checkpoint --image-path "$IMG" --lazy-pages \
		--page-server 127.0.0.1:1 "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"--lazy-pages: CRIU's lazy page server needs a pipe of"*"fs.pipe-max-size is 1048576"* ]] ||
		fail "$stderr"
	[ "$(status_of "$ID")" = running ]
	assert_counter_goes_on
}

# lazy_checkpoint PORT DIR: a lazy checkpoint of $ID serving on PORT, in the
# background (its pid in CK); once its status byte says the page server
# listens, the images are copied to DIR (the migration) and `criu
# lazy-pages` is started there (its pid in LP), its socket in DIR (restore's
# work dir is its image dir).
lazy_checkpoint() {
	local port=$1 dst=$2 st=$TEST_TMP/status byte
	set_pipe_max_size 4194304
	mkdir -p "$dst"
	mkfifo "$st"
	# The dump runs until the restore has fetched every page.
	nook checkpoint --image-path "$IMG" --lazy-pages --page-server "127.0.0.1:$port" \
		--status-fd 9 "$ID" 9>"$st" >"$TEST_TMP/ck.out" 2>&1 &
	CK=$!
	byte=$(timeout 30 head -c1 "$st" | od -An -tx1 | tr -d ' ')
	[ "$byte" = 00 ] || fail "no status byte from checkpoint: $(cat "$TEST_TMP/ck.out")"
	cp -a "$IMG/." "$dst/"
	timeout -k 5 "$NOOK_TIMEOUT" criu lazy-pages --page-server --address 127.0.0.1 \
		--port "$port" --images-dir "$dst" --work-dir "$dst" -v4 -o lazy-pages.log 3>&- &
	LP=$!
	wait_for_file "$dst/lazy-pages.socket" 10
}

@test "lazy migration: the dump serves its memory to criu lazy-pages; restore faults it in" {
	local dst=$TEST_TMP/dst at
	start_counter
	lazy_checkpoint $((20000 + RANDOM % 20000)) "$dst"
	# The container is frozen now: the value restore must go on from.
	at=$(counter)
	set_cgroup "$ID-r"
	run_nook restore -d --lazy-pages --image-path "$dst" --bundle "$BUNDLE" "$ID-r"
	assert_success
	wait "$LP" || fail "criu lazy-pages failed: $(tail -5 "$dst/lazy-pages.log")"
	wait "$CK" || fail "checkpoint failed: $(cat "$TEST_TMP/ck.out")"
	grep -q "UFFD transferred pages" "$dst/lazy-pages.log" || fail "no page went lazily"
	assert_nothing_left_of "$ID"
	[ "$(status_of "$ID-r")" = running ]
	wait_counter_above "$at"
}

@test "a lazy restore whose page server is gone fails with CRIU's reason and leaves nothing" {
	local dst=$TEST_TMP/dst
	start_counter
	lazy_checkpoint $((20000 + RANDOM % 20000)) "$dst"
	# The source goes, page server and all (a migration whose source host
	# died): CRIU 4.1.1's restore then fails late and hangs killing the
	# restored tree; nook stops it.
	# shellcheck disable=SC2046
	kill -KILL $(descendants_of "$CK") "$CK" 2>/dev/null
	wait "$CK" || true
	set_cgroup "$ID-r"
	run_nook restore -d --lazy-pages --image-path "$dst" --bundle "$BUNDLE" "$ID-r"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"CRIU hung killing the restored processes"*"restore finished indication"* ]] ||
		fail "$stderr"
	wait "$LP" || true
	assert_nothing_left_of "$ID-r"
	# nor the CRIU that hung
	local left
	left=$(grep -laF -- "$dst" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 | nook_describe_pids left)
	[ -z "$left" ] || fail "$left"
}

@test "checkpoint --page-server sends the memory to a CRIU page server; merged, it restores" {
	local pages=$TEST_TMP/pages port=$((20000 + RANDOM % 20000)) ps
	mkdir -p "$pages"
	start_counter
	criu page-server --images-dir "$pages" --port "$port" -o "$pages/ps.log" 3>&- &
	ps=$!
	# until it listens
	for _ in $(seq 50); do
		grep -q ":$(printf '%04X' "$port") " /proc/net/tcp 2>/dev/null && break
		sleep 0.1
	done
	run_nook checkpoint --image-path "$IMG" --page-server "127.0.0.1:$port" "$ID"
	wait "$ps" || true
	assert_success
	# The memory went to the page server, the rest to the image dir.
	ls "$pages"/pages-*.img >/dev/null || fail "no pages at the page server"
	! ls "$IMG"/pages-*.img >/dev/null 2>&1 || fail "pages in the image dir too"
	local at=$(counter)
	cp "$pages"/pagemap-*.img "$pages"/pages-*.img "$IMG/"
	set_cgroup "$ID-r"
	run_nook restore -d --image-path "$IMG" --work-path "$TEST_TMP/work" --bundle "$BUNDLE" "$ID-r"
	assert_success
	wait_counter_above "$at"
}

@test "checkpoint --page-server with nothing listening fails and leaves the container running" {
	start_counter
	run_nook checkpoint --image-path "$IMG" --page-server "127.0.0.1:1" "$ID"
	assert_failure
	[ "$(status_of "$ID")" = running ]
	run_nook checkpoint --image-path "$IMG" --page-server "no-port" "$ID"
	assert_failure
	[[ $stderr == *"--page-server must be ADDRESS:PORT"* ]] || fail "$stderr"
}

@test "pre-dump, then a dump on top of it, restores (or a named error without soft-dirty)" {
	start_counter
	run_nook checkpoint --pre-dump --image-path "$IMG/pre" "$ID"
	if ! criu check --feature mem_dirty_track >/dev/null 2>&1; then
		# This kernel cannot track memory changes: CRIU cannot pre-dump.
		assert_failure
		assert_one_error_line
		[[ $stderr == *"--pre-dump"* ]]
		[ "$(status_of "$ID")" = running ]
		return 0
	fi
	assert_success
	[ "$(status_of "$ID")" = running ]
	run_nook checkpoint --parent-path ../pre --image-path "$IMG/final" "$ID"
	assert_success
	local at=$(counter)
	set_cgroup "$ID-r"
	run_nook restore -d --image-path "$IMG/final" --work-path "$TEST_TMP/work" --bundle "$BUNDLE" "$ID-r"
	assert_success
	wait_counter_above "$at"
}

@test "a restored copy gets the cgroup limits of its own bundle, not the image's" {
	update_config '.linux.resources = {"memory": {"limit": 134217728}, "pids": {"limit": 100}}'
	checkpointed_counter
	local at=$(counter)
	set_cgroup "$ID-r"
	update_config '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 50}}'
	run_nook restore -d --image-path "$IMG" --work-path "$TEST_TMP/work" --bundle "$BUNDLE" "$ID-r"
	[ "$status" -eq 0 ] || fail "restore: $stderr"
	wait_counter_above "$at"
	local pid c
	pid=$(pid_of "$ID-r")
	assert_equal "$(cat "$(cgroup_dir memory "$ID-r")/memory.limit_in_bytes")" 67108864
	assert_equal "$(cat "$(cgroup_dir pids "$ID-r")/pids.max")" 50
	for c in memory pids; do
		grep -qx "$pid" "$(cgroup_dir "$c" "$ID-r")/cgroup.procs" || fail "the init is not in its $c cgroup"
	done
}

# The namespaces of another container: its ipc and uts are joined by path;
# pid, mount and cgroup namespaces given by path are refused (CRIU makes
# its own).  CRIU writes the image's hostname into a joined uts namespace;
# nook puts the namespace's own back.  (It writes the image's IPC state
# into a joined ipc namespace too: not undone, not checked here.)
@test "restore into a bundle that joins ipc and uts namespaces by path runs in them; other paths are refused" {
	local other=$TEST_TMP/other opid pid ns
	cp -a "$BUNDLE" "$other"
	CONFIG=$other/config.json update_config '.process.args = ["sleep", "1000"]
		| .hostname = "ns-owner" | .linux.cgroupsPath = $cg' --arg cg "/$NOOK_CGROUP_PARENT/$ID-ns"
	run_nook run -d --bundle "$other" "$ID-ns"
	[ "$status" -eq 0 ] || fail "run: $stderr"
	opid=$(pid_of "$ID-ns")
	update_config '.hostname = "original"'
	checkpointed_counter
	local at=$(counter)
	set_cgroup "$ID-r"
	for ns in pid mnt cgroup; do
		cp "$BUNDLE/config.json" "$TEST_TMP/config.saved"
		update_config '.linux.namespaces |= map(if .type == $t then .path = $p else . end)' \
			--arg t "$([ "$ns" = mnt ] && echo mount || echo "$ns")" --arg p "/proc/$opid/ns/$ns"
		run_nook restore -d --image-path "$IMG" --bundle "$BUNDLE" "$ID-r"
		assert_failure
		assert_one_error_line
		[[ $stderr == *"namespace \`/proc/$opid/ns/$ns\`: a restore cannot"* ]] || fail "$ns: $stderr"
		assert_nothing_left_of "$ID-r"
		mv "$TEST_TMP/config.saved" "$BUNDLE/config.json"
	done
	update_config 'del(.hostname) | .linux.namespaces |= map(if .type == "ipc" or .type == "uts"
		then .path = "/proc/\($p)/ns/\(.type)" else . end)' --arg p "$opid"
	run_nook restore -d --image-path "$IMG" --work-path "$TEST_TMP/work" --bundle "$BUNDLE" "$ID-r"
	[ "$status" -eq 0 ] || fail "restore: $stderr"
	wait_counter_above "$at"
	pid=$(pid_of "$ID-r")
	for ns in ipc uts; do
		assert_equal "$(readlink "/proc/$pid/ns/$ns")" "$(readlink "/proc/$opid/ns/$ns")"
	done
	[ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink "/proc/$opid/ns/pid")" ]
	# the joined namespace keeps its own name, not the image's
	assert_equal "$(nsenter -u -t "$opid" hostname)" ns-owner
}
