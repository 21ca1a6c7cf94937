#!/usr/bin/env bats
# The path Kubernetes takes: containerd's CRI plugin with a runtime handler
# `nook` (the entry of contrib/containerd/config.toml, which a RuntimeClass
# with `handler: nook` selects), driven over the CRI socket by
# tests/integration/cri-client.py as the kubelet would.  One private
# containerd for the file (containerd-helpers.bash).  Pods use the node's
# network namespace, so no CNI plugin is needed (the CNI config dir is
# empty); everything else about them is what the kubelet asks for.

bats_require_minimum_version 1.5.0
load containerd-helpers

IMAGE=localhost/nook-busybox:1

setup_file() {
	ctrd_start cri
	ctrd_busybox_rootfs "$CTRD_TMP/busybox"
	ctrd_oci_archive "$CTRD_TMP/busybox.tar" "$IMAGE" "$CTRD_TMP/busybox/rootfs" /bin/sh
	# The pod sandbox ("pause") image: busybox's sleep until killed.
	ctrd_oci_archive "$CTRD_TMP/pause.tar" "$CTRD_PAUSE_IMAGE" "$CTRD_TMP/busybox/rootfs" \
		/bin/sleep infinity
	ctrd_import k8s.io "$CTRD_TMP/busybox.tar" "$IMAGE"
	ctrd_import k8s.io "$CTRD_TMP/pause.tar" "$CTRD_PAUSE_IMAGE"
}

teardown_file() {
	ctrd_teardown_file
}

setup() {
	POD_NAME=nook-pod-$BATS_TEST_NUMBER-$RANDOM
	POD_CONFIG=$CTRD_TMP/$POD_NAME.json
	LOG_DIR=$CTRD_TMP/logs/$POD_NAME
}

teardown() {
	[ -n "${BATS_TEST_COMPLETED:-}" ] || ctrd_dump
	ctrd_cri_remove_all
	# nothing of this test may be left in nook's state or the cgroups
	local left
	left=$(nook_list -q; find /sys/fs/cgroup/*/"$CTRD_CGROUP" -mindepth 1 -type d 2>/dev/null)
	[ -z "$left" ] || fail "left after the pods were removed: $left"
}

# nook_list ARGS...: nook's containers under the CRI namespace's --root.
nook_list() {
	"$NOOK_BINARY" --root "$NOOK_ROOT/k8s.io" list "$@"
}

# nook_status ID: nook's status of a container ("" when nook has none).
nook_status() {
	nook_list --format json | jq -r --arg id "$1" '.[] | select(.id == $id) | .status'
}

# run_pod [HANDLER [runp options]]: a pod sandbox with the runtime handler
# (default nook); sets POD.
run_pod() {
	local handler=${1:-nook}
	shift || true
	run cri runp --name "$POD_NAME" --handler "$handler" --cgroup-parent "/$CTRD_CGROUP" \
		--log-dir "$LOG_DIR" --config-out "$POD_CONFIG" "$@"
	assert_success
	POD=$output
}

# create_in_pod NAME [create options] -- CMD...: sets CTR.
create_in_pod() {
	local name=$1
	shift
	run cri create "$POD" --pod-config "$POD_CONFIG" --name "$name" --image "$IMAGE" "$@"
	assert_success
	CTR=$output
}

@test "cri: the CRI plugin answers and sees the imported images" {
	run cri version
	assert_success
	assert_equal "$(jq -r .runtime_name <<<"$output")" containerd
	assert_equal "$(jq -r .runtime_api_version <<<"$output")" v1
	run cri images
	assert_success
	assert_line "$IMAGE"
	assert_line "$CTRD_PAUSE_IMAGE"
}

@test "cri: a pod sandbox with runtime handler nook is run by nook" {
	run_pod nook
	run cri inspectp "$POD"
	assert_success
	assert_equal "$(jq -r .state <<<"$output")" SANDBOX_READY
	assert_equal "$(jq -r .runtime_handler <<<"$output")" nook
	assert_equal "$(jq -r .info.runtimeOptions.binary_name <<<"$output")" "$NOOK_BINARY"
	local pid
	pid=$(jq -r .info.pid <<<"$output")
	# nook created the sandbox container and knows its process
	assert_equal "$(nook_status "$POD")" running
	assert_equal "$(nook_list --format json | jq -r --arg id "$POD" '.[] | select(.id == $id) | .pid')" "$pid"
	# the shim logged nook's own --log lines in JSON
	local log=$CTRD_TMP/state/io.containerd.runtime.v2.task/k8s.io/$POD/log.json
	[ -f "$log" ] || fail "no runtime log $log"
	run cri stopp "$POD"
	assert_success
	run cri inspectp "$POD"
	assert_equal "$(jq -r .state <<<"$output")" SANDBOX_NOTREADY
	run cri rmp "$POD"
	assert_success
	assert_equal "$(nook_status "$POD")" ""
}

# Most pods have their own network namespace: the CRI plugin makes it
# (under its state dir), CNI gives it an address, and the runtime joins it
# by path for the sandbox; the pod's containers join the sandbox's.
@test "cri: a pod with its own network namespace (CNI): nook joins it, containers share it" {
	run_pod nook --network pod
	run cri inspectp "$POD"
	assert_success
	local ip netns pid
	ip=$(jq -r .ip <<<"$output")
	netns=$(jq -r '.info.runtimeSpec.linux.namespaces[] | select(.type == "network") | .path' <<<"$output")
	pid=$(jq -r .info.pid <<<"$output")
	[[ $ip == "${CTRD_SUBNET%.0/24}".* ]] || fail "pod address '$ip' is not in $CTRD_SUBNET"
	[[ $netns == "$CTRD_TMP"/state/*/netns/* ]] || fail "network namespace path '$netns'"
	# the sandbox process is in that namespace, not the host's
	assert_equal "$(readlink /proc/"$pid"/ns/net)" "net:[$(stat -L -c %i "$netns")]"
	[ "$(readlink /proc/"$pid"/ns/net)" != "$(readlink /proc/self/ns/net)" ]

	create_in_pod work -- sleep 1000
	run cri start "$CTR"
	assert_success
	run cri exec "$CTR" -- sh -c 'ip -4 -o addr show dev eth0; readlink /proc/self/ns/net'
	assert_success
	assert_output --partial "inet $ip/"
	local cpid
	cpid=$(nook_list --format json | jq -r --arg id "$CTR" '.[] | select(.id == $id) | .pid')
	assert_equal "$(readlink /proc/"$cpid"/ns/net)" "$(readlink /proc/"$pid"/ns/net)"

	ctrd_cri_remove_all
	[ ! -e "$netns" ] || fail "$netns left after the pod was removed"
	assert_equal "$(nook_list -q)" ""
}

@test "cri: a pod whose sandbox process died stops and is removed" {
	run_pod nook
	local pid
	pid=$(nook_list --format json | jq -r --arg id "$POD" '.[] | select(.id == $id) | .pid')
	kill -KILL "$pid"
	# containerd sees the exit and asks nook to kill the stopped sandbox:
	# nook must answer as runc does ("container not running"), or the
	# CRI plugin never finishes stopping the pod
	local tries=100
	while [ "$(nook_status "$POD")" = running ] && [ "$tries" -gt 0 ]; do
		sleep 0.05
		tries=$((tries - 1))
	done
	run cri --timeout 20 stopp "$POD"
	assert_success
	run cri rmp "$POD"
	assert_success
	assert_equal "$(nook_status "$POD")" ""
}

@test "cri: a container in a nook pod: create, start, exec, logs, stop, remove" {
	run_pod nook
	create_in_pod work -- sh -c 'echo hello-out; echo hello-err >&2; trap "echo bye; exit 0" TERM; sleep 1000 & wait'
	assert_equal "$(nook_status "$CTR")" ""   # CRI creates the task at start
	run cri start "$CTR"
	assert_success
	run cri inspect "$CTR"
	assert_equal "$(jq -r .state <<<"$output")" CONTAINER_RUNNING
	assert_equal "$(jq -r .runtime_options.binary_name <<<"$output")" "$NOOK_BINARY"
	assert_equal "$(nook_status "$CTR")" running

	# ExecSync: output, exit status, and the exec shares the container
	run cri exec "$CTR" -- sh -c 'echo "in $(cat /proc/1/cmdline | tr "\0" " ")"; echo to-err >&2; exit 3'
	assert_equal "$status" 3
	assert_line --partial "in sh -c echo hello-out"
	assert_line to-err
	# the pod's containers share the sandbox's IPC namespace
	local ipc_pod ipc_ctr
	ipc_pod=$(readlink "/proc/$(nook_list --format json | jq -r --arg id "$POD" '.[] | select(.id == $id) | .pid')/ns/ipc")
	ipc_ctr=$(readlink "/proc/$(nook_list --format json | jq -r --arg id "$CTR" '.[] | select(.id == $id) | .pid')/ns/ipc")
	assert_equal "$ipc_ctr" "$ipc_pod"

	run cri stop --timeout 10 "$CTR"
	assert_success
	run cri inspect "$CTR"
	assert_equal "$(jq -r .state <<<"$output")" CONTAINER_EXITED
	assert_equal "$(jq -r .exit_code <<<"$output")" 0
	assert_equal "$(jq -r .log_path <<<"$output")" "$LOG_DIR/work.log"
	run cri logs "$CTR"
	assert_success
	assert_line hello-out
	assert_line hello-err
	assert_line bye
	run cri rm "$CTR"
	assert_success
	assert_equal "$(nook_status "$CTR")" ""
	run cri stopp "$POD"
	assert_success
	run cri rmp "$POD"
	assert_success
}

@test "cri: streaming Exec (kubectl exec's path): streams, stdin, exit status, a terminal" {
	run_pod nook
	create_in_pod work -- sleep 1000
	run cri start "$CTR"
	assert_success
	assert_equal "$(nook_status "$CTR")" running

	# stdout and stderr on their own channels; the exit status in the
	# stream's closing status message
	run --separate-stderr cri exec-stream "$CTR" -- sh -c 'echo to-out; echo to-err >&2; exit 6'
	assert_equal "$status" 6
	assert_equal "$output" to-out
	assert_equal "$stderr" to-err
	# stdin reaches the process
	run cri exec-stream --stdin $'hello-in\n' "$CTR" -- head -n 1
	assert_success
	assert_output hello-in
	# a terminal: the exec's own pty, through nook's console socket.  It
	# waits for a reply to its output before it exits: containerd 1.6 can
	# drop what a terminal exec wrote when the exec ends at once (seen with
	# runc as well as nook).
	run cri exec-stream --tty --reply $'go\r' "$CTR" -- \
		sh -c 'echo "$(tty) $([ -t 0 ] && echo stdin-is-tty)"; read -r line; exit 4'
	assert_equal "$status" 4
	assert_output --regexp '/dev/pts/[0-9]+'
	assert_output --partial stdin-is-tty
	# nook's refusal reaches the client
	run cri exec-stream "$CTR" -- /no/such/program
	assert_failure
	assert_output --partial 'executable `/no/such/program`'
	assert_equal "$(nook_status "$CTR")" running
}

@test "cri: a memory limit from the pod spec is applied by nook" {
	run_pod nook
	create_in_pod limited --memory 33554432 -- sleep 1000
	run cri start "$CTR"
	assert_success
	# the CRI plugin mounts the container's cgroups at /sys/fs/cgroup
	run cri exec "$CTR" -- cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	assert_success
	assert_output 33554432
	run cri exec "$CTR" -- dd if=/dev/zero of=/dev/null bs=64M count=1
	assert_equal "$status" 137
}

@test "cri: a Python program from an image built from the host's files" {
	local py=localhost/nook-python:1
	"$NOOK_SRCDIR/tests/mkrootfs-python.sh" "$CTRD_TMP/python" >/dev/null
	ctrd_oci_archive "$CTRD_TMP/python.tar" "$py" "$CTRD_TMP/python/rootfs" python3 >/dev/null
	ctrd_import k8s.io "$CTRD_TMP/python.tar" "$py"
	rm -rf "$CTRD_TMP/python" "$CTRD_TMP/python.tar"
	run_pod nook
	run cri create "$POD" --pod-config "$POD_CONFIG" --name py --image "$py" -- \
		python3 -c 'import os, platform, sys; print("python", platform.python_version(), "pid", os.getpid()); sys.exit(4)'
	assert_success
	CTR=$output
	run cri start "$CTR"
	assert_success
	wait_container_state "$CTR" CONTAINER_EXITED
	run cri inspect "$CTR"
	assert_equal "$(jq -r .exit_code <<<"$output")" 4
	run cri logs "$CTR"
	assert_success
	# its own PID namespace: the program is pid 1
	assert_output --regexp '^python 3\.[0-9]+\.[0-9]+ pid 1$'
}

# wait_container_state ID STATE: poll ContainerStatus until STATE.
wait_container_state() {
	local tries=100 got=
	while [ "$tries" -gt 0 ]; do
		got=$(cri inspect "$1" | jq -r .state)
		[ "$got" = "$2" ] && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	fail "container $1: state $got, expected $2"
}

@test "cri: a container nook refuses fails StartContainer with nook's error" {
	run_pod nook
	# containerd passes the name on as CAP_NOT_A_THING without checking it
	create_in_pod refused --cap-add NOT_A_THING -- true
	run cri start "$CTR"
	assert_failure
	assert_output --partial 'unknown capability `CAP_NOT_A_THING`'
	run cri inspect "$CTR"
	assert_equal "$(jq -r .state <<<"$output")" CONTAINER_EXITED
	assert_equal "$(jq -r .reason <<<"$output")" StartError
	assert_equal "$(nook_status "$CTR")" ""
}

@test "cri: the RuntimeClass handler names the containerd runtime entry" {
	local rc=$NOOK_SRCDIR/contrib/kubernetes/runtimeclass.yaml handler
	grep -qx 'apiVersion: node.k8s.io/v1' "$rc" || fail "$rc: not node.k8s.io/v1"
	grep -qx 'kind: RuntimeClass' "$rc" || fail "$rc: not a RuntimeClass"
	handler=$(sed -n 's/^handler: *//p' "$rc")
	assert_equal "$handler" nook
	# the handler is the entry the CRI plugin loaded from the contrib text
	grep -qF "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.$handler]" \
		"$NOOK_SRCDIR/contrib/containerd/config.toml" || fail "no runtimes.$handler in the contrib snippet"
	grep -q "Runtimes:map\\[.*$handler:{Type:io.containerd.runc.v2 .*BinaryName:$NOOK_BINARY" \
		"$CTRD_TMP/containerd.log" || fail "containerd did not load runtimes.$handler with BinaryName $NOOK_BINARY"
}
