# Helpers for the tests that drive nook through a real containerd (Debian's
# 1.6): containerd.bats (ctr) and cri.bats (the CRI plugin, as the kubelet
# uses it, through tests/integration/cri-client.py).
#
# Each test file starts its own containerd in setup_file (ctrd_start) with
# everything private under $CTRD_TMP: root, state, the grpc/ttrpc/debug
# sockets, the opt dir, an empty CNI config dir, and nook's --root (the
# runtime entries' options.Root).  teardown_file (ctrd_stop) removes what
# the file made, also after failures, in this order: tasks and containers
# (through containerd), whatever nook still knows (`nook delete --force`),
# the shims (found by their -address argument, which is our socket) and the
# containerd we started (by its pid), mounts under $CTRD_TMP, cgroups under
# the file's cgroup parents, the shims' sockets in /run/containerd/s (and
# /run/containerd itself when it was not there before), then $CTRD_TMP.
# Everything that had to be removed by force after containerd was stopped
# is a failure of teardown_file (ctrd_teardown_file).
#
# The runtime entry under test is contrib/containerd/config.toml itself,
# with BinaryName replaced by $NOOK_BINARY and a private Root added (the
# text a user appends to /etc/containerd/config.toml).
#
# Variables after ctrd_start: CTRD_TMP, CTRD_SOCK, CTRD_NS (the namespace the
# ctr tests use), CTRD_CGROUP (cgroup parent of every container), CTRD_PID,
# NOOK_ROOT (nook's --root for the runtime entry `nook`; the shim adds
# /<namespace>).

NOOK_BATS_LIB=${NOOK_BATS_LIB:-/usr/lib/bats}
load "$NOOK_BATS_LIB/bats-support/load"
load "$NOOK_BATS_LIB/bats-assert/load"
# shellcheck source=tests/integration/pids.bash
. "$(dirname "${BASH_SOURCE[0]}")/pids.bash"

: "${NOOK_BINARY:?set NOOK_BINARY to the nook binary under test (tests/integration/run does)}"
NOOK_SRCDIR=${NOOK_SRCDIR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
CTRD_TIMEOUT=${CTRD_TIMEOUT:-60}
# Debian's python3 has python3-grpcio and python3-protobuf (a python3 earlier
# on PATH, e.g. pyenv's, may not).
CTRD_PYTHON=${CTRD_PYTHON:-/usr/bin/python3}

# ctrd_require: every tool these tests need, or a failure naming the package.
ctrd_require() {
	local missing=
	command -v containerd >/dev/null || missing="$missing containerd"
	command -v ctr >/dev/null || missing="$missing containerd(ctr)"
	command -v containerd-shim-runc-v2 >/dev/null || missing="$missing containerd(shim)"
	command -v script >/dev/null || missing="$missing bsdutils"
	command -v sha256sum >/dev/null || missing="$missing coreutils"
	command -v gzip >/dev/null || missing="$missing gzip"
	if [ "${1:-}" = cri ]; then
		command -v protoc >/dev/null || missing="$missing protobuf-compiler"
		[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] ||
			missing="$missing containernetworking-plugins"
		"$CTRD_PYTHON" -c 'import grpc, google.protobuf, websocket' 2>/dev/null ||
			missing="$missing python3-grpcio python3-protobuf python3-websocket"
	fi
	[ -z "$missing" ] || fail "missing tools; install the Debian packages:$missing"
}

# ---- images ----

# ctrd_busybox_rootfs DIR: a busybox rootfs (tests/mkrootfs.sh, no config).
ctrd_busybox_rootfs() {
	"$NOOK_SRCDIR/tests/mkrootfs.sh" "$1" >/dev/null
}

# ctrd_oci_archive OUT.tar NAME:TAG ROOTFS [CMD ARG...]: an OCI image
# archive that `ctr images import` loads as NAME:TAG (tests/mkimage.sh; NAME
# starts with localhost/ so both clients name it the same).
ctrd_oci_archive() {
	"$NOOK_SRCDIR/tests/mkimage.sh" "$@" >/dev/null
}

# ctrd_import NAMESPACE ARCHIVE NAME: `ctr images import` the archive as NAME.
ctrd_import() {
	local ns=$1 archive=$2 name=$3
	ctr_ns "$ns" images import --base-name "${name%:*}" --digests "$archive" >/dev/null ||
		fail "ctr images import $archive into $ns failed"
	ctr_ns "$ns" images ls -q | grep -qxF "$name" ||
		fail "image $name not in namespace $ns after import: $(ctr_ns "$ns" images ls -q)"
}

# ---- the daemon ----

# ctrd_runtime_entry NAME BINARY: contrib/containerd/config.toml turned into
# an entry NAME for BINARY with a private Root: the user's snippet, tested.
ctrd_runtime_entry() {
	local name=$1 bin=$2 snippet=$NOOK_SRCDIR/contrib/containerd/config.toml
	grep -q '^ *BinaryName = "/usr/local/bin/nook"$' "$snippet" ||
		fail "$snippet has no BinaryName line to substitute"
	sed -e "s|runtimes\\.nook\\]|runtimes.$name]|; s|runtimes\\.nook\\.options\\]|runtimes.$name.options]|" \
		-e "s|^\\( *\\)BinaryName = \"/usr/local/bin/nook\"\$|\\1BinaryName = \"$bin\"\\n\\1Root = \"$CTRD_TMP/rt-$name\"|" \
		"$snippet"
}

# ctrd_write_config: $CTRD_TMP/config.toml (containerd config version 2).
# Extra runtime entries: CTRD_RUNTIMES="name=binary ..." (nook's is always
# there, from the contrib snippet; runc's too: the CRI plugin's default).
ctrd_write_config() {
	local t=$CTRD_TMP entry
	mkdir -p "$t/cni-conf" "$t/opt"
	cat >"$t/config.toml" <<EOF
version = 2
root = "$t/root"
state = "$t/state"
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$t/containerd-ttrpc.sock"
[debug]
  address = "$t/debug.sock"
  level = "debug"
[plugins."io.containerd.internal.v1.opt"]
  path = "$t/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$CTRD_PAUSE_IMAGE"
  # root here lacks CAP_SYS_RESOURCE: never lower oom_score_adj
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # pods with their own network: the netns files go under our state dir
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$t/cni-conf"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
    BinaryName = "/usr/sbin/runc"
    Root = "$t/rt-runc"
EOF
	echo >>"$t/config.toml"
	ctrd_runtime_entry nook "$NOOK_BINARY" >>"$t/config.toml"
	ctrd_write_cni
	for entry in ${CTRD_RUNTIMES:-}; do
		echo >>"$t/config.toml"
		ctrd_runtime_entry "${entry%%=*}" "${entry#*=}" >>"$t/config.toml"
	done
}

# ctrd_write_cni: the CNI network of pods that do not use the node's: a
# bridge of our own ($CTRD_BRIDGE, not a gateway: no address or route on
# the host) with host-local addresses from $CTRD_SUBNET, kept under $CTRD_TMP.
# ctrd_stop deletes the bridge (CNI's DEL leaves it, by design).
ctrd_write_cni() {
	cat >"$CTRD_TMP/cni-conf/10-nook-test.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "nook-test-$$",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CTRD_BRIDGE",
      "isGateway": false,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$CTRD_SUBNET"}]],
        "dataDir": "$CTRD_TMP/cni-ipam"
      }
    }
  ]
}
EOF
}

# ctrd_start [cri]: a private containerd (plain: without the CRI plugin).
ctrd_start() {
	ctrd_require "${1:-}"
	CTRD_TMP=$(mktemp -d /tmp/nook-ctrd.XXXXXX)
	chmod 0755 "$CTRD_TMP"
	CTRD_SOCK=$CTRD_TMP/containerd.sock
	CTRD_NS=nook-ctr-$$
	CTRD_CGROUP=nook-ctrd-$$
	CTRD_PAUSE_IMAGE=localhost/nook-test-pause:$$
	NOOK_ROOT=$CTRD_TMP/rt-nook
	CTRD_BRIDGE=nookbr$$
	CTRD_BRIDGE=${CTRD_BRIDGE:0:15}
	CTRD_SUBNET=10.$((200 + $$ % 50)).$(($$ / 50 % 250)).0/24
	export CTRD_TMP CTRD_SOCK CTRD_NS CTRD_CGROUP CTRD_PAUSE_IMAGE NOOK_ROOT CTRD_BRIDGE CTRD_SUBNET
	# Remember what /run/containerd held: the shims' sockets go there
	# (containerd 1.6 does not let us move them).
	[ -d /run/containerd ] || touch "$CTRD_TMP/made-run-containerd"
	ctrd_write_config
	if [ "${1:-}" = cri ]; then
		touch "$CTRD_TMP/cri"
	else
		echo 'disabled_plugins = ["io.containerd.grpc.v1.cri"]' >"$CTRD_TMP/head.toml"
		cat "$CTRD_TMP/head.toml" "$CTRD_TMP/config.toml" >"$CTRD_TMP/c.toml"
		mv "$CTRD_TMP/c.toml" "$CTRD_TMP/config.toml"
	fi
	containerd --config "$CTRD_TMP/config.toml" </dev/null >"$CTRD_TMP/containerd.log" 2>&1 3>&- &
	CTRD_PID=$!
	echo "$CTRD_PID" >"$CTRD_TMP/containerd.pid"
	export CTRD_PID
	local tries=200
	while ! ctr --address "$CTRD_SOCK" version >/dev/null 2>&1; do
		tries=$((tries - 1))
		if [ "$tries" -le 0 ] || ! kill -0 "$CTRD_PID" 2>/dev/null; then
			fail "containerd did not start: $(tail -n 20 "$CTRD_TMP/containerd.log")"
		fi
		sleep 0.05
	done
	if [ "${1:-}" = cri ] && grep -q 'failed to load plugin io.containerd.grpc.v1.cri' "$CTRD_TMP/containerd.log"; then
		fail "containerd's CRI plugin did not load: $(grep 'io.containerd.grpc.v1.cri' "$CTRD_TMP/containerd.log" | tail -n 3)"
	fi
}

# ctr_ns NAMESPACE ARGS...: ctr against our containerd; fd 3 (bats') closed.
ctr_ns() {
	local ns=$1
	shift
	timeout -k 5 "$CTRD_TIMEOUT" ctr --address "$CTRD_SOCK" --namespace "$ns" "$@" 3>&-
}

# ctr_in_tty: the start of a ctr command line for script(1) to run on its
# terminal.  timeout runs with --foreground: by default it moves itself into
# a process group of its own, which is a background group of the terminal
# when the shell script(1) starts (dash) forks it, and ctr's tcsetattr (raw
# mode for -t) then stops it with SIGTTOU until the timeout kills it.
ctr_in_tty() {
	echo "timeout --foreground -k 5 $CTRD_TIMEOUT ctr --address $CTRD_SOCK --namespace $CTRD_NS"
}

# ctrd ARGS...: ctr in the tests' namespace.
ctrd() {
	ctr_ns "$CTRD_NS" "$@"
}

# ctrd_shim_pids: the shims serving our containerd (their -address is our
# socket), one pid per line.
ctrd_shim_pids() {
	local f pid
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		if tr '\0' '\n' 2>/dev/null <"$f" | grep -qxF -- "$CTRD_SOCK"; then
			[ "$pid" = "$CTRD_PID" ] || echo "$pid"
		fi
	done
}

# ctrd_leftovers: what our containerd left behind (after ctrd_stop), one
# line each.
ctrd_leftovers() {
	local d pid
	# The parents stay (runtimes remove only the container's own cgroup);
	# a cgroup below them is a leftover.
	find /sys/fs/cgroup/*/"$CTRD_CGROUP" /sys/fs/cgroup/*/"$CTRD_NS" \
		-mindepth 1 -type d -printf 'cgroup: %p\n' 2>/dev/null
	grep -F "$CTRD_TMP" /proc/self/mountinfo | awk '{print "mount: " $5}'
	for pid in $(ctrd_shim_pids); do echo "process: $pid (shim)"; done
	if [ -n "${CTRD_PID:-}" ] && kill -0 "$CTRD_PID" 2>/dev/null; then
		echo "process: $CTRD_PID (containerd)"
	fi
	for d in ${CTRD_SOCKETS:-}; do
		[ -e "$d" ] && echo "socket: $d"
	done
	if [ -f "$CTRD_TMP/made-run-containerd" ] && [ -d /run/containerd ]; then
		find /run/containerd -mindepth 1 ! -type d -printf 'file: %p\n'
	fi
	return 0
}

# ctrd_shim_sockets: where containerd 1.6 puts each shim's socket:
# /run/containerd/s/sha256(<grpc address>/<namespace>/<id>), for every task
# dir our containerd made.
ctrd_shim_sockets() {
	local d ns id
	for d in "$CTRD_TMP"/state/io.containerd.runtime.v2.task/*/*; do
		[ -d "$d" ] || continue
		id=${d##*/}
		ns=${d%/*}
		ns=${ns##*/}
		echo "/run/containerd/s/$(printf '%s' "$CTRD_SOCK/$ns/$id" | sha256sum | cut -d' ' -f1)"
	done
}

# cri ARGS...: tests/integration/cri-client.py against our containerd.
cri() {
	timeout -k 5 $((CTRD_TIMEOUT + 30)) "$CTRD_PYTHON" "$NOOK_SRCDIR/tests/integration/cri-client.py" \
		--address "$CTRD_SOCK" --gen-dir "$CTRD_TMP/gen" --timeout "$CTRD_TIMEOUT" "$@" 3>&-
}

# ctrd_cri_remove_all: stop and remove every CRI container and pod.
ctrd_cri_remove_all() {
	local p c
	for p in $(cri pods 2>/dev/null); do
		for c in $(cri ps --pod "$p" 2>/dev/null); do
			cri stop --timeout 0 "$c" >/dev/null 2>&1 || true
			cri rm "$c" >/dev/null 2>&1 || true
		done
		cri stopp "$p" >/dev/null 2>&1 || true
		cri rmp "$p" >/dev/null 2>&1 || true
	done
}

# ctrd_stop: stop our containerd and remove everything it and the tests
# made.  Prints leftovers it had to remove by force (none expected).
ctrd_stop() {
	local ns id pid m d rt bin
	[ -n "${CTRD_TMP:-}" ] && [ -d "$CTRD_TMP" ] || return 0
	cd /
	CTRD_SOCKETS=$(ctrd_shim_sockets)
	if [ -n "${CTRD_PID:-}" ] && kill -0 "$CTRD_PID" 2>/dev/null; then
		# pods through the CRI first: it also unmounts their /dev/shm
		[ ! -f "$CTRD_TMP/cri" ] || ctrd_cri_remove_all
		for ns in $(ctr --address "$CTRD_SOCK" namespaces ls -q 2>/dev/null); do
			for id in $(ctr_ns "$ns" tasks ls -q 2>/dev/null); do
				ctr_ns "$ns" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
				ctr_ns "$ns" tasks delete -f "$id" >/dev/null 2>&1 || true
			done
			for id in $(ctr_ns "$ns" containers ls -q 2>/dev/null); do
				ctr_ns "$ns" containers delete "$id" >/dev/null 2>&1 || true
			done
		done
	fi
	# What a runtime still knows about (a shim that died early).
	for rt in "$CTRD_TMP"/rt-*/*; do
		[ -d "$rt" ] || continue
		# the BinaryName of the entry whose Root this is
		bin=$(awk -v root="\"${rt%/*}\"" '$1 == "BinaryName" {b = $3}
			$1 == "Root" && $3 == root {gsub(/"/, "", b); print b}' "$CTRD_TMP/config.toml")
		[ -n "$bin" ] || bin=$NOOK_BINARY # ctr --runc-root
		[ -x "$bin" ] || continue
		for id in $("$bin" --root "$rt" list -q 2>/dev/null); do
			"$bin" --root "$rt" delete --force "$id" >/dev/null 2>&1 || true
		done
	done
	if [ -n "${CTRD_PID:-}" ]; then
		kill -TERM "$CTRD_PID" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$CTRD_PID" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$CTRD_PID" 2>/dev/null || true
		wait "$CTRD_PID" 2>/dev/null || true
	fi
	# Every task is deleted and the daemon is gone: anything still here
	# now is a leftover (reported by ctrd_teardown_file), removed below.
	sleep 0.2
	CTRD_LEFT=$(ctrd_leftovers)
	for pid in $(ctrd_shim_pids); do kill -TERM "$pid" 2>/dev/null || true; done
	sleep 0.2
	for pid in $(ctrd_shim_pids); do kill -KILL "$pid" 2>/dev/null || true; done
	ip link del "$CTRD_BRIDGE" 2>/dev/null || true
	grep -F "$CTRD_TMP" /proc/self/mountinfo | awk '{print $5}' | sort -r |
		while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
	for d in /sys/fs/cgroup/*/"$CTRD_CGROUP" /sys/fs/cgroup/*/"$CTRD_NS"; do
		[ ! -d "$d" ] || find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
	for d in $CTRD_SOCKETS; do rm -f "$d"; done
	# containerd 1.6 makes /run/containerd/{s,fifo,runc/default} whatever
	# the config says; if it was not there before, it is ours.
	if [ -f "$CTRD_TMP/made-run-containerd" ]; then
		find /run/containerd -depth -type d -empty -delete 2>/dev/null || true
	fi
	if ! grep -qF "$CTRD_TMP" /proc/self/mountinfo; then
		rm -rf --one-file-system "$CTRD_TMP"
	fi
}

# ctrd_teardown_file: ctrd_stop, and fail when something had to be removed
# by force.
ctrd_teardown_file() {
	CTRD_LEFT=
	ctrd_stop
	[ -z "$CTRD_LEFT" ] || fail "left behind by containerd and nook after every task was deleted:
$CTRD_LEFT"
}

# ctrd_dump: for a failing test, before anything is cleaned: every process
# under our shims with the kernel function it waits in (a hung runtime call
# shows here), what nook knows, the runtime's own log lines, and the end of
# the daemon's log.
ctrd_dump() {
	local shim pid
	echo "--- processes under the shims (pid ppid state wchan elapsed args)"
	for shim in $(ctrd_shim_pids); do
		for pid in $shim $(descendants_of "$shim"); do
			ps -o pid=,ppid=,stat=,wchan:24=,etime=,args= -p "$pid" 2>/dev/null || true
		done
	done
	echo "--- containerd's containers and tasks"
	ctrd containers ls 2>&1 | tail -n +2
	ctrd tasks ls 2>&1 | tail -n +2
	echo "--- nook list (every namespace's root)"
	for d in "$NOOK_ROOT"/*/; do
		[ -d "$d" ] && "$NOOK_BINARY" --root "$d" list 2>&1
	done
	echo "--- the runtime's log lines (last 20)"
	cat "$CTRD_TMP"/state/io.containerd.runtime.v2.task/*/*/log.json 2>/dev/null | tail -n 20
	echo "--- containerd log (last 30 lines, without its garbage collector's)"
	grep -vE 'msg="(garbage collected|snapshot garbage collected|schedule snapshotter cleanup|removed snapshot)"' \
		"$CTRD_TMP/containerd.log" | tail -n 30
}

# wait_task_status ID STATUS: until `ctr tasks ls` shows STATUS.
wait_task_status() {
	local tries=200 got=
	while [ "$tries" -gt 0 ]; do
		got=$(ctrd tasks ls | awk -v id="$1" '$1 == id {print $3}')
		[ "$got" = "$2" ] && return 0
		sleep 0.05
		tries=$((tries - 1))
	done
	fail "task $1: status '$got', expected '$2'"
}

# kill_task ID: SIGKILL the task, wait until containerd sees it STOPPED,
# delete the task (not the container).
kill_task() {
	ctrd tasks kill -s SIGKILL "$1"
	wait_task_status "$1" STOPPED
	ctrd tasks delete "$1" >/dev/null
}
