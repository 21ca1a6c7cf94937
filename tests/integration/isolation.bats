#!/usr/bin/env bats
# What the process inside sees: namespaces (new or joined by path), its
# rootfs (pivot_root and --no-pivot, read-only), mounts, devices, /dev
# symlinks, masked and read-only paths, hostname.  Runtime-spec /
# runc-compatible unless marked.

load helpers

NETNS=

teardown() {
	# Deleting the name first is harmless: a container in it keeps it alive.
	if [ -n "$NETNS" ]; then
		ip netns del "$NETNS" || true
	fi
	nook_teardown
}

@test "isolation: the hostname comes from config.json" {
	update_config '.hostname = "nook-box"'
	run_in_container hostname
	assert_success
	assert_output nook-box
	# ... and the host's is untouched.
	[ "$(hostname)" != nook-box ]
}

# runc deviates: runc 1.1.5 ignores domainname (runtime-spec 1.1 added it).
@test "isolation: the domainname comes from config.json" {
	update_config '.domainname = "sandbox.test"'
	run_in_container cat /proc/sys/kernel/domainname
	assert_success
	assert_output sandbox.test
}

@test "isolation: the process is pid 1 of its own pid namespace and sees only its own processes" {
	run_in_container sh -c 'echo $$; cd /proc && echo [0-9]*'
	assert_success
	assert_line --index 0 1
	# sh (1) and the subshell of the glob at most.
	[ "$(echo "${lines[1]}" | wc -w)" -le 2 ]
}

@test "isolation: new uts, ipc, network, mount, pid and cgroup namespaces differ from the host's" {
	update_config 'if (.linux.namespaces | map(.type) | index("cgroup")) == null
		then .linux.namespaces += [{"type": "cgroup"}] else . end'
	run_in_container sh -c 'for ns in uts ipc net mnt pid cgroup; do echo "$(readlink /proc/self/ns/$ns)"; done'
	assert_success
	i=0
	for ns in uts ipc net mnt pid cgroup; do
		host=$(readlink "/proc/self/ns/$ns")
		[ -n "${lines[$i]}" ] || fail "no $ns namespace link inside"
		[ "${lines[$i]}" != "$host" ] || fail "$ns namespace is the host's ($host)"
		i=$((i + 1))
	done
}

@test "isolation: a namespace left out of config.json is the runtime's own" {
	update_config '.hostname = null
		| .linux.namespaces |= map(select(.type != "network" and .type != "uts"))'
	run_in_container sh -c 'readlink /proc/self/ns/net; readlink /proc/self/ns/uts; hostname'
	assert_success
	assert_line --index 0 "$(readlink /proc/self/ns/net)"
	assert_line --index 1 "$(readlink /proc/self/ns/uts)"
	assert_line --index 2 "$(hostname)"
}

@test "isolation: joins a network namespace by path" {
	NETNS=nook-${ID#nook-test-}
	ip netns add "$NETNS"
	ip -n "$NETNS" link set lo up
	inode=$(stat -L -c %i "/var/run/netns/$NETNS")
	update_config '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' \
		--arg p "/var/run/netns/$NETNS"
	# lo is up in that namespace (a new one starts with it down).
	run_in_container sh -c 'readlink /proc/self/ns/net; cat /sys/class/net/lo/flags'
	assert_success
	assert_line --index 0 "net:[$inode]"
	assert_line --index 1 0x9
}

@test "isolation: joins another container's uts namespace by path" {
	update_config '.hostname = "first-box"'
	set_args sleep 600
	create_container "$ID-a"
	pid=$(pid_of "$ID-a")
	update_config '.hostname = null | .linux.namespaces |= map(if .type == "uts" then .path = $p else . end)' \
		--arg p "/proc/$pid/ns/uts"
	run_in_container sh -c 'hostname; readlink /proc/self/ns/uts'
	assert_success
	assert_line --index 0 first-box
	assert_line --index 1 "$(readlink "/proc/$pid/ns/uts")"
}

@test "isolation: a read-only root cannot be written" {
	update_config '.root.readonly = true'
	run_in_container sh -c 'touch /newfile && echo wrote; grep " / " /proc/mounts'
	assert_success
	refute_line wrote
	assert_line --partial "Read-only file system"
	[ ! -e "$BUNDLE/rootfs/newfile" ]
}

@test "isolation: a writable root is the bundle's rootfs" {
	update_config '.root.readonly = false'
	run_in_container sh -c 'echo from-inside >/newfile'
	assert_success
	assert_equal "$(cat "$BUNDLE/rootfs/newfile")" from-inside
}

@test "isolation: its mount table holds only what config.json asks for, and the host's does not change" {
	set_args sh -c 'cat /proc/self/mountinfo >/host/mountinfo; while [ ! -e /host/go ]; do sleep 0.05; done'
	create_container
	run_nook start "$ID"
	assert_success
	wait_for_file "$HOSTDIR/mountinfo"
	# While it runs, the host sees none of its mounts.
	run grep -F "$BUNDLE" /proc/self/mountinfo
	assert_failure
	touch "$HOSTDIR/go"
	allowed=$(jq -r '"/", .mounts[].destination, .linux.maskedPaths[]?, .linux.readonlyPaths[]?' \
		"$BUNDLE/config.json")
	has_cgroup_mount=$(jq -r 'any(.mounts[]; .destination == "/sys/fs/cgroup")' "$BUNDLE/config.json")
	while read -r mp; do
		grep -qxF -- "$mp" <<<"$allowed" && continue
		[ "$has_cgroup_mount" = true ] && [[ $mp == /sys/fs/cgroup/* ]] && continue
		fail "unexpected mount point inside the container: $mp"
	done < <(awk '{print $5}' "$HOSTDIR/mountinfo")
	# The root is the bundle's rootfs: mountinfo gives its path inside the
	# host filesystem that holds it, a suffix of $BUNDLE/rootfs.
	root_src=$(awk '$5 == "/" {print $4}' "$HOSTDIR/mountinfo")
	[[ $root_src == */bundle/rootfs && $BUNDLE/rootfs == *"$root_src" ]] ||
		fail "the container's / is $root_src, not $BUNDLE/rootfs"
}

@test "isolation: the spec's default mounts are there with their types and options" {
	run_in_container cat /proc/mounts
	assert_success
	assert_line --regexp '^[^ ]+ /proc proc '
	assert_line --regexp '^[^ ]+ /dev tmpfs [^ ]*nosuid'
	assert_line --regexp '^[^ ]+ /dev/pts devpts [^ ]*nosuid,noexec'
	assert_line --regexp '^[^ ]+ /dev/shm tmpfs [^ ]*nosuid,nodev,noexec'
	assert_line --regexp '^[^ ]+ /dev/mqueue mqueue '
	assert_line --regexp '^[^ ]+ /sys sysfs ro,'
	# cgroup v1 on this hybrid host: read-only controller mounts.
	assert_line --regexp '^[^ ]+ /sys/fs/cgroup/memory cgroup ro,'
}

@test "isolation: a tmpfs mount with size and mode options" {
	update_config '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
		"options": ["nosuid", "nodev", "size=1m", "mode=1777"]}]'
	run_in_container sh -c 'grep " /scratch " /proc/mounts; stat -c %a /scratch
		dd if=/dev/zero of=/scratch/big bs=1k count=2048 2>/dev/null || echo full
		wc -c </scratch/big'
	assert_success
	assert_line --index 0 --regexp '^tmpfs /scratch tmpfs rw,nosuid,nodev,.*size=1024k'
	assert_line --index 1 1777
	assert_line --index 2 full
	assert_line --index 3 1048576
}

@test "isolation: a bind mount shows the host directory, both ways; a read-only one cannot be written" {
	echo from-host >"$HOSTDIR/in"
	mkdir "$TEST_TMP/ro"
	echo read-only >"$TEST_TMP/ro/file"
	update_config '.mounts += [{"destination": "/ro", "type": "bind", "source": $src,
		"options": ["bind", "ro"]}]' --arg src "$TEST_TMP/ro"
	run_in_container sh -c 'cat /host/in; echo from-container >/host/out; cat /ro/file
		touch /ro/x 2>/dev/null && echo wrote-ro; true'
	assert_success
	assert_line --index 0 from-host
	assert_line --index 1 read-only
	refute_line wrote-ro
	assert_equal "$(cat "$HOSTDIR/out")" from-container
	[ ! -e "$TEST_TMP/ro/x" ]
}

@test "isolation: the default devices exist and work" {
	run_in_container sh -c 'for d in null zero full random urandom tty; do
			stat -c "%n %F %t:%T" /dev/$d; done
		echo discard >/dev/null && echo null-ok
		head -c 4 /dev/zero | wc -c
		head -c 4 /dev/urandom | wc -c'
	assert_success
	assert_line "/dev/null character special file 1:3"
	assert_line "/dev/zero character special file 1:5"
	assert_line "/dev/full character special file 1:7"
	assert_line "/dev/random character special file 1:8"
	assert_line "/dev/urandom character special file 1:9"
	assert_line "/dev/tty character special file 5:0"
	assert_line null-ok
	assert_equal "$(printf '%s\n' "${lines[@]}" | grep -cx 4)" 2
}

@test "isolation: a device from linux.devices is created with its mode and owner" {
	update_config '.linux.devices = [{"path": "/dev/mydev", "type": "c", "major": 1, "minor": 3,
		"fileMode": 384, "uid": 1000, "gid": 1000}]
		| .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]'
	run_in_container stat -c '%F %t:%T %a %u:%g' /dev/mydev
	assert_success
	assert_output "character special file 1:3 600 1000:1000"
}

@test "isolation: the /dev symlinks" {
	run_in_container sh -c 'for l in fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done'
	assert_success
	assert_line "fd -> /proc/self/fd"
	assert_line "stdin -> /proc/self/fd/0"
	assert_line "stdout -> /proc/self/fd/1"
	assert_line "stderr -> /proc/self/fd/2"
}

@test "isolation: masked paths read as empty" {
	echo "secret" >"$BUNDLE/rootfs/etc/secret"
	mkdir "$BUNDLE/rootfs/secretdir"
	echo "secret" >"$BUNDLE/rootfs/secretdir/file"
	update_config '.linux.maskedPaths += ["/etc/secret", "/secretdir", "/proc/keys"]'
	run_in_container sh -c 'echo "file: [$(cat /etc/secret)]"; echo "dir: [$(ls /secretdir)]"
		echo "keys: [$(cat /proc/keys)]"; echo "firmware: [$(ls /sys/firmware)]"'
	assert_success
	assert_line "file: []"
	assert_line "dir: []"
	assert_line "keys: []"
	assert_line "firmware: []"
}

@test "isolation: read-only paths cannot be written" {
	update_config '.linux.readonlyPaths += ["/host"]'
	run_in_container sh -c '(echo 1 >/proc/sys/kernel/ns_last_pid) 2>/dev/null || echo proc-sys-ro
		touch /host/x 2>/dev/null || echo host-ro; grep " /proc/sys " /proc/mounts'
	assert_success
	assert_line proc-sys-ro
	assert_line host-ro
	assert_line --regexp ' /proc/sys proc ro,'
	[ ! -e "$HOSTDIR/x" ]
}

@test "isolation: --no-pivot runs in the rootfs too" {
	update_config '.root.readonly = true'
	set_args sh -c 'echo $$; cat /etc/hostname; touch /x 2>/dev/null || echo ro; readlink /proc/self/ns/mnt'
	run nook run --no-pivot --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_line --index 0 1
	assert_line --index 1 nook
	assert_line --index 2 ro
	[ "${lines[3]}" != "$(readlink /proc/self/ns/mnt)" ]
}

# podman always lists /proc/sys in readonlyPaths: sysctls must be written
# before it turns read-only (runc's order).
@test "isolation: linux.sysctl is applied although /proc/sys is a read-only path" {
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "8192"}
		| .linux.readonlyPaths += ["/proc/sys"]'
	run_in_container sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax; echo 0 >/proc/sys/kernel/msgmax && echo WRITABLE; true'
	assert_success
	assert_line --index 0 1
	assert_line --index 1 8192
	refute_output --partial WRITABLE
}
