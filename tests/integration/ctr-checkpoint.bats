#!/usr/bin/env bats
# nook checkpointing and restoring under a real containerd (Debian's 1.6),
# driven by `ctr`, with nook as the runc shim's runtime binary
# (--runc-binary: the runtime options BinaryName and Root, which a
# checkpoint image records and a restore reuses).  containerd keeps
# checkpoints as images in its content store:
#
#   ctr tasks checkpoint ID         the task's CRIU images (criu.tar) and spec
#   ctr containers checkpoint --task --rw --image ID REF
#                                   all a restore needs: runtime, image, rw
#                                   layer, the task's CRIU images
#   ctr containers restore --live --rw NEWID REF
#                                   a new container from REF whose task is
#                                   restored by `nook restore` (the shim
#                                   creates the task from the checkpoint)
#
# containerd pauses the task around a checkpoint (`nook pause`, then
# `nook checkpoint --leave-running`, then `nook resume`).  The container's
# process keeps a random token and a counter only in its shell's memory
# and writes "TOKEN COUNT" to /c: a restored task shows the same token and
# goes on counting; a fresh start would show another token.  One private
# containerd for the file (containerd-helpers.bash); nook is called through
# a wrapper that logs each call.

load containerd-helpers

IMAGE=localhost/nook-busybox:1

setup_file() {
	command -v criu >/dev/null || fail "criu is not installed (contrib/install-criu.sh)"
	ctrd_start
	ctrd_busybox_rootfs "$CTRD_TMP/busybox"
	ctrd_oci_archive "$CTRD_TMP/busybox.tar" "$IMAGE" "$CTRD_TMP/busybox/rootfs" /bin/sh
	ctrd_import "$CTRD_NS" "$CTRD_TMP/busybox.tar" "$IMAGE"
	# nook through a wrapper that logs its arguments: the runtime binary
	# containerd's shim runs (and a restore runs again, from the image).
	mkdir -p "$CTRD_TMP/bin"
	cat >"$CTRD_TMP/bin/nook" <<EOF
#!/bin/sh
echo "\$*" >>"$CTRD_TMP/calls.log"
exec "$NOOK_BINARY" "\$@"
EOF
	chmod 0755 "$CTRD_TMP/bin/nook"
}

teardown_file() {
	ctrd_teardown_file
}

setup() {
	CID=nook-cpr-$BATS_TEST_NUMBER-$RANDOM
	REF=localhost/nook-checkpoint/$CID:1
}

teardown() {
	local id img f
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		ctrd_dump
		echo "--- nook calls (last 5)"
		tail -n 5 "$CTRD_TMP/calls.log" 2>/dev/null | sed 's/^--root [^ ]* --log [^ ]* --log-format json //' || true
	fi
	for id in $(ctrd containers ls -q 2>/dev/null | grep "^$CID"); do
		ctrd tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
		ctrd tasks delete -f "$id" >/dev/null 2>&1 || true
		ctrd containers delete "$id" >/dev/null 2>&1 || true
	done
	for img in $(ctrd images ls -q 2>/dev/null | grep -F -e "/$CID:" -e "checkpoint/$CID"); do
		ctrd images rm "$img" >/dev/null 2>&1 || true
	done
	# `ctr containers restore` leaves the task's FIFOs (ctr's default fifo
	# dir, named after the container) when it returns at once.
	for f in /run/containerd/fifo/*/"$CID"*-std*; do
		if [ -p "$f" ]; then rm -f "$f"; rmdir "${f%/*}" 2>/dev/null || true; fi
	done
}

# run_counter ID: a detached task (nook through the wrapper) counting in
# its shell's memory.
run_counter() {
	ctrd run -d --runc-binary "$CTRD_TMP/bin/nook" --runc-root "$NOOK_ROOT" \
		--fifo-dir "$CTRD_TMP/fifo" "$IMAGE" "$1" \
		sh -c 't=$RANDOM$RANDOM; i=0; while :; do i=$((i+1)); echo "$t $i" >/c.new; mv /c.new /c; sleep 0.1; done' \
		</dev/null >/dev/null || fail "ctr run $1 failed"
	wait_task_status "$1" RUNNING
	wait_count_above "$1" 10
}

# rootfs ID: the task's root filesystem as the shim mounted it.
rootfs() {
	echo "$CTRD_TMP/state/io.containerd.runtime.v2.task/$CTRD_NS/$1/rootfs"
}

# token ID, count ID: what the task last wrote to /c.
token() {
	cut -d' ' -f1 "$(rootfs "$1")/c" 2>/dev/null
}
count() {
	cut -d' ' -f2 "$(rootfs "$1")/c" 2>/dev/null
}

wait_count_above() { # ID N
	local tries=100 v=
	while [ "$tries" -gt 0 ]; do
		v=$(count "$1")
		[ -n "$v" ] && [ "$v" -gt "$2" ] && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	fail "task $1: count is '$v', expected more than $2"
}

task_pid() {
	ctrd tasks ls | awk -v id="$1" '$1 == id {print $2}'
}

# nook_state ID: nook's own view of the task, in the root the shim gives
# it (--runc-root + /namespace).
nook_state() {
	"$NOOK_BINARY" --root "$NOOK_ROOT/$CTRD_NS" state "$1"
}

# called PATTERN: the wrapper logged a nook call matching the ERE.
called() {
	grep -Eq -- "$1" "$CTRD_TMP/calls.log" ||
		fail "no nook call matches '$1'; last calls: $(tail -n 5 "$CTRD_TMP/calls.log")"
}

# index_media_types REF: the media types in a checkpoint image's index.
index_media_types() {
	local digest
	digest=$(ctrd images ls | awk -v r="$1" '$1 == r {print $3}')
	[ -n "$digest" ] || fail "no image $1"
	ctrd content get "$digest" | jq -r '.manifests[].mediaType'
}

# assert_restored_from ID TOKEN AT: the task runs under nook and goes on
# from the checkpoint: the same token, counting past AT.
assert_restored_from() {
	local id=$1 tok=$2 at=$3
	wait_task_status "$id" RUNNING
	called " restore .*--image-path .* $id\$"
	run nook_state "$id"
	[ "$status" -eq 0 ] || fail "nook state $id failed: $output"
	[ "$(jq -r .status <<<"$output")" = running ] || fail "nook says $id is: $output"
	[ "$(jq -r .pid <<<"$output")" = "$(task_pid "$id")" ] || fail "nook's pid of $id is not containerd's"
	wait_count_above "$id" "$at"
	[ "$(token "$id")" = "$tok" ] || fail "task $id has token '$(token "$id")', not the checkpoint's '$tok': a fresh start"
}

@test "ctr tasks checkpoint: nook dumps the paused task into containerd's content store, the task runs on" {
	run_counter "$CID"
	tok=$(token "$CID")
	run ctrd tasks checkpoint "$CID"
	[ "$status" -eq 0 ] || fail "ctr tasks checkpoint failed: $output"
	img=$output
	[[ $img == containerd.io/checkpoint/$CID:* ]] || fail "unexpected image name: $img"
	# containerd paused the task, nook dumped it and left it running
	called " pause $CID\$"
	called " checkpoint --image-path .*--leave-running $CID\$"
	called " resume $CID\$"
	run index_media_types "$img"
	assert_line application/vnd.containerd.container.criu.checkpoint.criu.tar
	assert_line application/vnd.containerd.container.checkpoint.config.v1+proto
	wait_task_status "$CID" RUNNING
	[ "$(nook_state "$CID" | jq -r .status)" = running ]
	at=$(count "$CID")
	wait_count_above "$CID" "$at"
	[ "$(token "$CID")" = "$tok" ]
}

@test "ctr tasks checkpoint --exit: the task is dumped and stops" {
	run_counter "$CID"
	run ctrd tasks checkpoint --exit "$CID"
	[ "$status" -eq 0 ] || fail "ctr tasks checkpoint --exit failed: $output"
	grep -E " checkpoint .* $CID\$" "$CTRD_TMP/calls.log" | tail -n 1 | grep -vq -- --leave-running ||
		fail "containerd asked nook to leave the task running"
	wait_task_status "$CID" STOPPED
	run index_media_types "$output"
	assert_line application/vnd.containerd.container.criu.checkpoint.criu.tar
}

@test "ctr containers checkpoint + delete + containers restore --live: the task goes on from its memory" {
	run_counter "$CID"
	tok=$(token "$CID")
	at=$(count "$CID")
	run ctrd containers checkpoint --task --rw --image "$CID" "$REF"
	[ "$status" -eq 0 ] || fail "ctr containers checkpoint failed: $output"
	run index_media_types "$REF"
	assert_line application/vnd.containerd.container.criu.checkpoint.criu.tar
	assert_line application/vnd.containerd.container.checkpoint.runtime.options+proto
	# the original goes away, with its task and its state in nook
	kill_task "$CID"
	ctrd containers delete "$CID"
	run nook_state "$CID"
	[ "$status" -ne 0 ] || fail "nook still has $CID"

	run ctrd containers restore --live --rw "$CID" "$REF" </dev/null
	[ "$status" -eq 0 ] || fail "ctr containers restore failed: $output"
	assert_restored_from "$CID" "$tok" "$at"
	# an ordinary task again: exec, kill, delete
	run ctrd tasks exec --exec-id "e$RANDOM" "$CID" sh -c 'cut -d" " -f1 /c'
	assert_success
	assert_output "$tok"
	kill_task "$CID"
	run nook_state "$CID"
	[ "$status" -ne 0 ] || fail "nook still has $CID after the task was deleted"
}

@test "ctr containers restore --live: one checkpoint restored twice beside the running original" {
	run_counter "$CID"
	tok=$(token "$CID")
	at=$(count "$CID")
	run ctrd containers checkpoint --task --rw --image "$CID" "$REF"
	[ "$status" -eq 0 ] || fail "ctr containers checkpoint failed: $output"
	wait_task_status "$CID" RUNNING

	for c in a b; do
		run ctrd containers restore --live --rw "$CID-$c" "$REF" </dev/null
		[ "$status" -eq 0 ] || fail "ctr containers restore $CID-$c failed: $output"
	done
	for c in a b; do
		assert_restored_from "$CID-$c" "$tok" "$at"
	done
	# three tasks, each counting on its own in its own PID namespace
	wait_count_above "$CID" "$(count "$CID")"
	ns=$(for c in "$CID" "$CID-a" "$CID-b"; do readlink "/proc/$(task_pid "$c")/ns/pid"; done | sort -u | wc -l)
	[ "$ns" -eq 3 ] || fail "the tasks share PID namespaces ($ns distinct)"
	[ "$(count "$CID-a")" != "" ] && [ "$(count "$CID-b")" != "" ]
}

@test "ctr tasks checkpoint of a task that has exited: an error, nothing changed" {
	ctrd run -d --runc-binary "$CTRD_TMP/bin/nook" --runc-root "$NOOK_ROOT" \
		--fifo-dir "$CTRD_TMP/fifo" "$IMAGE" "$CID" true </dev/null >/dev/null
	wait_task_status "$CID" STOPPED
	run ctrd tasks checkpoint "$CID"
	[ "$status" -ne 0 ] || fail "checkpoint of a stopped task succeeded: $output"
	run ctrd images ls -q
	[[ $output != *"checkpoint/$CID"* ]] || fail "a checkpoint image was made: $output"
	wait_task_status "$CID" STOPPED
}
