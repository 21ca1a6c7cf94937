#!/usr/bin/env bats
# Idmapped bind mounts (runtime-spec 1.2: mount uidMappings/gidMappings and
# the `idmap`/`ridmap` options), as the process inside and the host see them.
#
# The direction, as the kernel, runc and crun have it: in a mount mapping
# {containerID: C, hostID: H}, C is the id stored on the filesystem and H
# the id the container's processes are shown (then translated by the
# container's own user namespace, if it has one).  A file owned by host uid
# 1000 appears as root in a container without a user namespace through
# {containerID: 1000, hostID: 0}; what that root creates lands as 1000.

load helpers

OVERFLOW_UID=$(cat /proc/sys/kernel/overflowuid)

setup() {
	nook_setup
	SRC=$TEST_TMP/src
	mkdir -m 0755 "$SRC"
	echo one >"$SRC/by-1000"
	echo two >"$SRC/by-root"
	chown 1000:1000 "$SRC" "$SRC/by-1000"
	# The container's root in a user namespace cannot create mount points
	# in the host-owned rootfs.
	mkdir -p "$BUNDLE/rootfs/host" "$BUNDLE/rootfs/data" "$BUNDLE/rootfs/data2"
}

teardown() {
	if [ -n "${SUBMOUNT:-}" ]; then
		umount "$SUBMOUNT" 2>/dev/null || true
	fi
	if [ -n "${SUBSRC:-}" ]; then
		rm -rf --one-file-system "$SUBSRC"
	fi
	nook_teardown
}

USERNS_MAP='.linux.namespaces += [{"type": "user"}]
	| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
	| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'

# idmap_mount DEST SOURCE OPTIONS_JSON [UIDMAP GIDMAP]: add a mount; a map
# is "containerID:hostID:size" (none: no uidMappings/gidMappings).
idmap_mount() {
	local dest=$1 src=$2 opts=$3 um=${4:-} gm=${5:-}
	update_config '.mounts += [{"destination": $d, "type": "bind", "source": $s, "options": $o}
		+ (if $um == "" then {} else
		   {"uidMappings": [$um | split(":") | map(tonumber) | {containerID: .[0], hostID: .[1], size: .[2]}],
		    "gidMappings": [$gm | split(":") | map(tonumber) | {containerID: .[0], hostID: .[1], size: .[2]}]}
		   end)]' \
		--arg d "$dest" --arg s "$src" --argjson o "$opts" --arg um "$um" --arg gm "$gm"
}

# a tmpfs on $SRC/sub with a file owned by 1000 (teardown unmounts it)
add_submount() {
	mkdir "$SRC/sub"
	SUBMOUNT=$SRC/sub
	mount -t tmpfs -o mode=0755 tmpfs "$SUBMOUNT"
	echo three >"$SUBMOUNT/f"
	chown 1000:1000 "$SUBMOUNT/f"
}

@test "idmap: a host dir owned by 1000 is root's inside, and root's files land as 1000" {
	idmap_mount /data "$SRC" '["bind"]' 1000:0:1 1000:0:1
	run_in_container sh -c 'stat -c "%n %u %g" /data/by-1000 /data/by-root /data; echo new >/data/made-inside'
	assert_success
	assert_line "/data/by-1000 0 0"
	assert_line "/data/by-root $OVERFLOW_UID $OVERFLOW_UID"
	assert_line "/data 0 0"
	run stat -c '%u %g' "$SRC/made-inside"
	assert_output "1000 1000"
	# The source itself is not changed.
	run stat -c '%u %g' "$SRC/by-1000"
	assert_output "1000 1000"
}

@test "idmap: containerID is the id on the filesystem, hostID the id shown" {
	idmap_mount /data "$SRC" '["bind"]' 0:1000:1 0:1000:1
	run_in_container sh -c 'stat -c "%n %u %g" /data/by-root /data/by-1000; touch /data/x'
	# Root (0 is shown here, not stored) has no id on this mount to write as.
	assert_failure
	assert_line "/data/by-root 1000 1000"
	assert_line "/data/by-1000 $OVERFLOW_UID $OVERFLOW_UID"
	assert_output --partial "Value too large"
	[ ! -e "$SRC/x" ]
}

@test "idmap: the mount is idmapped, not the rest of the container" {
	idmap_mount /data "$SRC" '["bind"]' 1000:0:1 1000:0:1
	idmap_mount /data2 "$SRC" '["bind"]'
	run_in_container sh -c 'stat -c "%n %u" /data/by-1000 /data2/by-1000; grep -E " /data2? " /proc/self/mountinfo'
	assert_success
	assert_line "/data/by-1000 0"
	assert_line "/data2/by-1000 1000"
	assert_line --regexp ' /data [^ ]*idmapped'
	refute_line --regexp ' /data2 [^ ]*idmapped'
}

@test "idmap: in a user namespace, the container's root writes a host dir owned by 1000" {
	update_config "$USERNS_MAP"
	# Files of 1000 are shown as 100000/200000: root inside the container.
	idmap_mount /data "$SRC" '["bind", "idmap"]' 1000:100000:1 1000:200000:1
	run_in_container sh -c 'id -u; stat -c "%n %u %g" /data/by-1000 /data; echo new >/data/made-inside'
	assert_success
	assert_line --index 0 0
	assert_line "/data/by-1000 0 0"
	assert_line "/data 0 0"
	run stat -c '%u %g' "$SRC/made-inside"
	assert_output "1000 1000"
}

@test "idmap: without a mapping of its own, idmap takes the container's user namespace mapping" {
	update_config "$USERNS_MAP"
	idmap_mount /data "$SRC" '["bind", "idmap"]'
	# Each id shows as itself inside, as on a host without user namespaces.
	run_in_container sh -c 'stat -c "%n %u %g" /data/by-1000 /data/by-root'
	assert_success
	assert_line "/data/by-1000 1000 1000"
	assert_line "/data/by-root 0 0"
}

@test "idmap: mappings without an idmap option make an idmapped mount too" {
	update_config "$USERNS_MAP"
	idmap_mount /data "$SRC" '["rbind", "rw"]' 1000:100000:1 1000:200000:1
	run_in_container stat -c "%n %u" /data/by-1000
	assert_success
	assert_output "/data/by-1000 0"
}

@test "idmap: ridmap maps the submounts of an rbind, idmap only its top" {
	add_submount
	idmap_mount /data "$SRC" '["rbind", "ridmap"]' 1000:0:1 1000:0:1
	idmap_mount /data2 "$SRC" '["rbind", "idmap"]' 1000:0:1 1000:0:1
	run_in_container stat -c "%n %u" /data/by-1000 /data/sub/f /data2/by-1000 /data2/sub/f
	assert_success
	assert_line "/data/by-1000 0"
	assert_line "/data/sub/f 0"
	assert_line "/data2/by-1000 0"
	assert_line "/data2/sub/f 1000"
}

@test "idmap: a plain bind with ridmap brings no submounts" {
	add_submount
	idmap_mount /data "$SRC" '["bind", "ridmap"]' 1000:0:1 1000:0:1
	run_in_container sh -c 'stat -c "%n %u" /data/by-1000; ls -A /data/sub | wc -l'
	assert_success
	assert_line "/data/by-1000 0"
	assert_line 0
}

@test "idmap: mount flags and propagation still apply to an idmapped mount" {
	idmap_mount /data "$SRC" '["rbind", "ro", "nosuid", "rprivate", "idmap"]' 1000:0:1 1000:0:1
	run_in_container sh -c 'stat -c "%u" /data/by-1000; grep " /data " /proc/self/mountinfo; touch /data/x'
	assert_failure
	assert_line --index 0 0
	assert_line --regexp ' /data ro,nosuid,[^ ]*idmapped'
	assert_output --partial "Read-only file system"
	[ ! -e "$SRC/x" ]
}

@test "idmap: a relative source is taken from the bundle, a file source works too" {
	mkdir "$BUNDLE/rel"
	echo four >"$BUNDLE/rel/file"
	chown -R 1000:1000 "$BUNDLE/rel"
	idmap_mount /data rel '["bind"]' 1000:0:1 1000:0:1
	idmap_mount /etc/idmapped-file "$SRC/by-1000" '["bind"]' 1000:0:1 1000:0:1
	run_in_container sh -c 'stat -c "%n %u" /data/file /etc/idmapped-file; cat /etc/idmapped-file'
	assert_success
	assert_line "/data/file 0"
	assert_line "/etc/idmapped-file 0"
	assert_line one
}

@test "idmap: many idmapped mounts leave no fd in the container" {
	for i in 1 2 3 4 5 6; do
		idmap_mount "/data$i" "$SRC" '["bind"]' 1000:0:1 1000:0:1
	done
	run_in_container sh -c 'ls /proc/self/fd | wc -l; stat -c %u /data6/by-1000'
	assert_success
	# 0 1 2 and the fd ls reads the directory with
	assert_line --index 0 4
	assert_line --index 1 0
}

@test "idmap: create --preserve-fds passes no idmapped tree on" {
	idmap_mount /data "$SRC" '["bind"]' 1000:0:1 1000:0:1
	set_args sh -c 'ls -l /proc/self/fd/ >/host/fds'
	# fds 3..7 declared preserved, only 3 open: nook's own fds land on 4+.
	run_nook run --preserve-fds 5 --bundle "$BUNDLE" "$ID" 3</dev/null
	assert_success
	# A leaked tree shows as a link to its mount point.
	run grep -c ' -> /data' "$HOSTDIR/fds"
	assert_output 0
}

@test "features: idmapped mounts are reported, with the idmap and ridmap options" {
	run nook features
	assert_success
	echo "$output" | jq -e '.linux.mountExtensions.idmap.enabled == true'
	echo "$output" | jq -e '.mountOptions | index("idmap") != null and index("ridmap") != null'
}

# ---- bad input: one error line, nothing left behind (expect_create_error) ----


@test "idmap bad input: mappings on a tmpfs mount" {
	update_config '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs",
		"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
		"gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]'
	expect_create_error "must be bind mounts" # nook-specific wording
}

@test "idmap bad input: idmap without mappings or a user namespace" {
	idmap_mount /data "$SRC" '["bind", "idmap"]'
	expect_create_error "needs the container's own user namespace" # nook-specific wording
}

@test "idmap bad input: uidMappings without gidMappings" {
	update_config '.mounts += [{"destination": "/data", "type": "bind", "source": $s, "options": ["bind"],
		"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]' --arg s "$SRC"
	expect_create_error "must be given together" # nook-specific wording
}

@test "idmap bad input: a source filesystem that cannot be idmapped (procfs)" {
	idmap_mount /data /proc '["rbind"]' 0:1000:1 0:1000:1
	expect_create_error "does not support idmapped mounts: Invalid argument" # nook-specific wording
	[[ $stderr == *"mounts["*"]: idmapped mount of \`/proc\` on \`/data\`"* ]] || fail "$stderr"
}

@test "idmap bad input: ridmap over a submount that cannot be idmapped" {
	# Outside $TEST_TMP: the leftover check is for nook's mounts, not ours.
	SUBSRC=$(mktemp -d /tmp/nook-idmap-src.XXXXXX)
	mkdir "$SUBSRC/proc"
	SUBMOUNT=$SUBSRC/proc
	mount -t proc proc "$SUBMOUNT"
	idmap_mount /data "$SUBSRC" '["rbind", "ridmap"]' 1000:0:1 1000:0:1
	expect_create_error "does not support idmapped mounts" # nook-specific wording
}

@test "idmap bad input: a missing source" {
	idmap_mount /data "$TEST_TMP/nope" '["bind"]' 1000:0:1 1000:0:1
	expect_create_error "No such file or directory"
}

@test "idmap bad input: overlapping mappings are refused by the kernel" {
	update_config '.mounts += [{"destination": "/data", "type": "bind", "source": $s, "options": ["bind"],
		"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 10},
		                {"containerID": 5, "hostID": 3000, "size": 10}],
		"gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]' --arg s "$SRC"
	expect_create_error "uid_map" # nook-specific wording
	[[ $stderr == *"Invalid argument"* ]] || fail "$stderr"
}

@test "idmap bad input: a failure in the container init after the trees were made" {
	idmap_mount /data "$SRC" '["bind"]' 1000:0:1 1000:0:1
	# A destination under a file: the init cannot attach the prepared tree.
	idmap_mount /etc/passwd/sub "$SRC" '["bind"]' 1000:0:1 1000:0:1
	expect_create_error "/etc/passwd/sub"
}
