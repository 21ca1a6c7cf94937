#!/usr/bin/env bats
# The real podman (Debian's 4.3) checkpointing and restoring containers with
# nook as the runtime (CRIU >= 4.1): podman calls `nook checkpoint` and
# conmon calls `nook restore`.  The container's process keeps a counter only
# in its shell's memory and writes it to its log and to /c in its rootfs:
# after a restore it goes on from where it was, not from 1.  The private
# podman world, the call log and the leftover checks are podman-helpers.bash's.

bats_require_minimum_version 1.5.0
load podman-helpers

setup_file() {
	command -v criu >/dev/null || fail "criu is not installed (contrib/install-criu.sh)"
	podman_setup_file
}

teardown_file() {
	podman_teardown_file
}

setup() {
	podman_setup
	EXPORT=$BATS_TEST_TMPDIR/checkpoint.tar.gz
}

teardown() {
	local r=0
	podman_teardown || r=$?
	# A restore that hung (see the truncated-images test) keeps nook's
	# restore helper and CRIU in the container's cgroup: ours, killed by
	# pid.
	kill_container_cgroup_procs
	return "$r"
}

# kill_container_cgroup_procs: SIGKILL what still runs in this file's
# container cgroups (libpod-* under $PODMAN_CGROUP), then remove them.
kill_container_cgroup_procs() {
	local pid d pat=$BATS_TEST_TMPDIR/kill.pat
	printf '%s\n' "/$PODMAN_CGROUP/libpod-" >"$pat"
	for pid in $(grep -l -F -f "$pat" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3); do
		kill -9 "$pid" 2>/dev/null || true
	done
	# A killed CRIU may take a while to exit (it closes a huge log): its
	# cgroups can be removed once their cgroup.procs are empty.
	wait_until 60 container_cgroups_empty || true
	for d in "$PODMAN_NOOK_ROOT"/*; do
		if [ -d "$d" ]; then nook_direct delete --force "$(basename "$d")" >/dev/null 2>&1 || true; fi
	done
	for d in /sys/fs/cgroup/*/"$PODMAN_CGROUP"/libpod-* /sys/fs/cgroup/"$PODMAN_CGROUP"/libpod-*; do
		if [ -d "$d" ]; then rmdir "$d" 2>/dev/null || true; fi
	done
}

container_cgroups_empty() {
	local f
	for f in /sys/fs/cgroup/*/"$PODMAN_CGROUP"/libpod-*/cgroup.procs \
		/sys/fs/cgroup/"$PODMAN_CGROUP"/libpod-*/cgroup.procs; do
		if [ -n "$(cat "$f" 2>/dev/null)" ]; then return 1; fi
	done
	return 0
}

# run_counter NAME: a detached container counting in its shell's memory.
run_counter() {
	local name=$1
	run prun -d --name "$name" "$BUSYBOX" sh -c \
		'trap "exit 0" TERM; i=0; while :; do i=$((i+1)); echo $i; echo $i >/c.new; mv /c.new /c; sleep 0.1; done'
	assert_success
	assert_nook_runs "$name"
	wait_counter_above "$name" 5
}

# counter NAME: the value the container last wrote to /c.
counter() {
	pnook exec "$1" cat /c
}

counter_above() { # NAME N
	local v
	v=$(counter "$1" 2>/dev/null) || return 1
	[ -n "$v" ] && [ "$v" -gt "$2" ]
}

wait_counter_above() { # NAME N
	wait_until 10 counter_above "$1" "$2" ||
		fail "counter of $1 is '$(counter "$1" 2>&1)', expected more than $2"
}

# assert_counted_on NAME AT: the container restored from a checkpoint taken
# at AT keeps counting from there: /c passes AT and its log has each value
# once (a process started afresh would log 1 again).
assert_counted_on() {
	local name=$1 at=$2
	wait_counter_above "$name" "$at"
	run pnook logs "$name"
	assert_success
	[ "$(grep -cx 1 <<<"$output")" -eq 1 ] ||
		fail "the log of $name starts over: $(head -n 3 <<<"$output" | tr '\n' ' ')"
	grep -qx "$((at + 1))" <<<"$output" || fail "the log of $name lacks $((at + 1)): $(tr '\n' ' ' <<<"$output")"
}

# assert_nook_restored ID: podman (through conmon) called `nook restore`
# for the container, and nook has it running.
assert_nook_restored() {
	local id=$1
	grep -Eq "(^| )restore .*--image-path .* $id\$" "$PODMAN_DIR/calls.log" ||
		fail "nook restore was not called for $id; calls: $(tail -n 5 "$PODMAN_DIR/calls.log")"
	run nook_direct state "$id"
	assert_success
	assert_equal "$(jq -r .status <<<"$output")" running
}

# assert_nook_checkpointed ID: podman called `nook checkpoint` for it.
assert_nook_checkpointed() {
	grep -Eq "(^| )checkpoint .*--image-path .* $1\$" "$PODMAN_DIR/calls.log" ||
		fail "nook checkpoint was not called for $1; calls: $(tail -n 5 "$PODMAN_DIR/calls.log")"
}

# assert_gone ID: nothing of the container is left in nook's state, in our
# cgroups or as a process.
assert_gone() {
	local left
	run nook_direct state "$1"
	assert_failure
	left=$(podman_leftovers | grep -F "$1" || true)
	[ -z "$left" ] || fail "left behind: $left"
}

@test "podman container checkpoint and restore: the process goes on from its memory" {
	NAME=counter-$BATS_TEST_NUMBER
	run_counter "$NAME"
	id=$(id_of "$NAME")

	run pnook container checkpoint "$NAME"
	assert_success
	assert_nook_checkpointed "$id"
	assert_equal "$(podman inspect --format '{{.State.Status}} {{.State.Checkpointed}}' "$NAME")" "exited true"
	# checkpointed: nook no longer has it, its process is gone
	assert_gone "$id"
	at=$(podman logs "$NAME" | tail -n 1)
	[ "$at" -gt 5 ] || fail "the log ends with '$at' at the checkpoint"

	run pnook container restore "$NAME"
	assert_success
	assert_nook_restored "$id"
	assert_equal "$(podman inspect --format '{{.State.Status}} {{.State.Restored}}' "$NAME")" "running true"
	assert_counted_on "$NAME" "$at"

	# an ordinary container again: it stops on SIGTERM and is removed
	run pnook stop --time 10 "$NAME"
	assert_success
	assert_equal "$(podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$NAME")" "exited 0"
	run pnook rm "$NAME"
	assert_success
	assert_gone "$id"
}

@test "podman container checkpoint --leave-running: the container keeps counting" {
	NAME=leave-$BATS_TEST_NUMBER
	run_counter "$NAME"
	id=$(id_of "$NAME")
	pid=$(nook_direct state "$id" | jq -r .pid)

	run pnook container checkpoint --leave-running "$NAME"
	assert_success
	grep -Eq "(^| )checkpoint .*--leave-running.* $id\$" "$PODMAN_DIR/calls.log" ||
		fail "podman did not pass --leave-running: $(grep checkpoint "$PODMAN_DIR/calls.log")"
	assert_nook_runs "$NAME"
	assert_equal "$(nook_direct state "$id" | jq -r .pid)" "$pid"
	at=$(counter "$NAME")
	wait_counter_above "$NAME" "$at"
}

@test "podman container checkpoint --export, rm, restore --import: the process goes on" {
	NAME=export-$BATS_TEST_NUMBER
	run_counter "$NAME"
	id=$(id_of "$NAME")

	run pnook container checkpoint --compress gzip --export "$EXPORT" "$NAME"
	assert_success
	assert_nook_checkpointed "$id"
	[ -s "$EXPORT" ]
	tar -tzf "$EXPORT" | grep -qx 'checkpoint/inventory.img' ||
		fail "no checkpoint/inventory.img in the export: $(tar -tzf "$EXPORT" | head)"
	at=$(podman logs "$NAME" | tail -n 1)
	run pnook rm "$NAME"
	assert_success
	assert_gone "$id"

	run pnook container restore --import "$EXPORT"
	assert_success
	# the same container (name and id) again, restored by nook
	assert_equal "$(id_of "$NAME")" "$id"
	assert_nook_restored "$id"
	# the exported log, continued from where the checkpoint left off
	assert_counted_on "$NAME" "$at"
}

@test "podman container restore --import --name: a second copy beside the first" {
	NAME=orig-$BATS_TEST_NUMBER
	run_counter "$NAME"
	id=$(id_of "$NAME")

	run pnook container checkpoint --leave-running --compress gzip --export "$EXPORT" "$NAME"
	assert_success
	assert_nook_runs "$NAME"
	# the value in the exported rootfs: /c at the checkpoint
	at=$(tar -xzOf "$EXPORT" rootfs-diff.tar | tar -xOf - c)
	[ -n "$at" ] || fail "no /c in the export's rootfs-diff.tar"

	run pnook container restore --import "$EXPORT" --name "$NAME-copy"
	assert_success
	copy=$(id_of "$NAME-copy")
	[ "$copy" != "$id" ] || fail "the copy has the original's id"
	assert_nook_restored "$copy"
	assert_nook_runs "$NAME"
	# the copy goes on from the checkpoint (its log is the exported one,
	# continued), the original goes on too, each in its own PID namespace
	assert_counted_on "$NAME-copy" "$at"
	o=$(counter "$NAME")
	wait_counter_above "$NAME" "$o"
	p1=$(nook_direct state "$id" | jq -r .pid)
	p2=$(nook_direct state "$copy" | jq -r .pid)
	[ "$(readlink "/proc/$p1/ns/pid")" != "$(readlink "/proc/$p2/ns/pid")" ] ||
		fail "the copy shares the original's PID namespace"
	[ "$(podman inspect --format '{{.State.Restored}}' "$NAME-copy")" = true ]
}

@test "podman container restore of a container never checkpointed: an error, nothing started" {
	NAME=never-$BATS_TEST_NUMBER
	run pnook create --pull never --cgroup-parent "/$PODMAN_CGROUP" --name "$NAME" "$BUSYBOX" sleep 100
	assert_success
	id=$(id_of "$NAME")
	run pnook container restore "$NAME"
	assert_failure
	[[ $output == *checkpoint* ]] || fail "the error does not say why: $output"
	! grep -Eq "(^| )restore .* $id\$" "$PODMAN_DIR/calls.log" ||
		fail "podman called nook restore for a container with no checkpoint"
	assert_gone "$id"
	assert_equal "$(podman inspect --format '{{.State.Status}}' "$NAME")" created
}

@test "podman container restore --import of a corrupt tarball: an error, nothing left" {
	printf 'this is not a checkpoint\n' | gzip >"$EXPORT"
	run pnook container restore --import "$EXPORT"
	assert_failure
	[ -n "$output" ] || fail "no error message"
	run podman ps -a --format '{{.ID}}'
	assert_output ""
	[ -z "$(podman_leftovers)" ] || fail "left behind: $(podman_leftovers)"
}

# damage_export HOW: unpacks $EXPORT, damages its CRIU images, packs it again.
damage_export() {
	local x=$BATS_TEST_TMPDIR/x f
	mkdir "$x"
	tar -C "$x" -xzf "$EXPORT"
	[ -f "$x/checkpoint/core-1.img" ] || fail "no checkpoint/core-1.img in the export"
	case $1 in
	core)
		# the init's registers and state: garbage CRIU cannot parse
		head -c 2476 /dev/urandom >"$x/checkpoint/core-1.img"
		;;
	pages)
		for f in "$x"/checkpoint/pages-*.img; do truncate -s 100 "$f"; done
		;;
	esac
	tar -C "$x" -czf "$EXPORT" .
	rm -rf "$x"
}

# checkpoint_export NAME: a counter checkpointed to $EXPORT, then removed.
checkpoint_export() {
	run_counter "$1"
	id=$(id_of "$1")
	run pnook container checkpoint --compress gzip --export "$EXPORT" "$1"
	assert_success
	run pnook rm "$1"
	assert_success
	assert_gone "$id"
}

@test "podman container restore --import of damaged CRIU images: nook's error, nothing left" {
	NAME=damaged-$BATS_TEST_NUMBER
	checkpoint_export "$NAME"
	# A well-formed export whose images are damaged: podman accepts it,
	# and it is nook (and CRIU) that must fail.
	damage_export core

	run pnook container restore --import "$EXPORT"
	assert_failure
	grep -Eq "(^| )restore .* $id\$" "$PODMAN_DIR/calls.log" ||
		fail "podman did not call nook restore: $output"
	# nook's message (through --log-format=json) reaches podman's output
	[[ $output == *"nook: restore container"*"CRIU failed"* ]] ||
		fail "the error is not nook's restore error: $output"
	# nothing half-restored: no nook state, cgroup or process
	assert_gone "$id"
	[ -z "$(podman_leftovers)" ] || fail "left behind: $(podman_leftovers)"
}

@test "podman container restore --import of truncated memory images: an error, not a hang" {
	# CRIU 4.1.1's restorer loops forever when a pages-N.img is shorter
	# than its pagemap says ("Advanced iov 0 bytes" written to restore.log
	# without end: gigabytes in seconds); nook stops a restore whose log
	# passes 256 MiB and says the image is damaged.
	NAME=truncated-$BATS_TEST_NUMBER
	checkpoint_export "$NAME"
	damage_export pages
	PODMAN_TIMEOUT=20 run pnook container restore --import "$EXPORT"
	assert_failure
	[ "$status" -ne 124 ] || fail "podman container restore hung (timeout)"
	assert_output --partial "the image is damaged"
	assert_gone "$id"
}
