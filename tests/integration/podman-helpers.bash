# Helpers for podman.bats: the real podman (Debian's 4.3) driving nook.
#
# setup_file (once per file) makes a private podman world in $PODMAN_DIR:
#
#   containers.conf  contrib/podman/containers.conf (the text users copy) with
#                    its nook path pointing at $PODMAN_DIR/bin/nook, plus this
#                    run's private settings (cgroupfs, file events, no network,
#                    no default ulimits, tmp_dir), merged into its tables
#   storage.conf     overlay graphroot/runroot under $PODMAN_DIR
#   bin/nook         a wrapper that logs every call to $PODMAN_DIR/calls.log
#                    and execs $NOOK_BINARY --root $PODMAN_NOOK_ROOT: podman
#                    passes `--runtime-flag`s to the runtime it calls, but not
#                    to the `podman container cleanup` it leaves to conmon,
#                    whose `nook delete` would then look in /run/nook
#   images           localhost/busybox:latest and localhost/python:latest,
#                    built by tests/mkimage.sh and loaded with `podman load`
#
# Containers go under the cgroup parent /$PODMAN_CGROUP (conmon's cgroup
# too: /$PODMAN_CGROUP/conmon), never podman's shared libpod_parent.
# teardown (per test) removes the test's containers and fails the test if a
# container's nook state, cgroup or process is left; teardown_file removes
# the images, the storage, the cgroups, conmon processes (by PID, found by
# their command line naming $PODMAN_DIR) and $PODMAN_DIR.

NOOK_BATS_LIB=${NOOK_BATS_LIB:-/usr/lib/bats}
load "$NOOK_BATS_LIB/bats-support/load"
load "$NOOK_BATS_LIB/bats-assert/load"
# shellcheck source=tests/integration/pids.bash
. "$(dirname "${BASH_SOURCE[0]}")/pids.bash"

: "${NOOK_BINARY:?set NOOK_BINARY to the nook binary under test (tests/integration/run does)}"
PODMAN_TIMEOUT=${PODMAN_TIMEOUT:-120}
BUSYBOX=localhost/busybox:latest
PYTHON=localhost/python:latest

podman_srcdir() {
	echo "${NOOK_SRCDIR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
}

# podman_config: writes containers.conf and storage.conf to $PODMAN_DIR.
# The private [engine] keys go right after the snippet's [engine] header (a
# TOML table may be opened once); the other tables follow it.
podman_config() {
	local snippet d=$PODMAN_DIR
	snippet=$(podman_srcdir)/contrib/podman/containers.conf
	grep -q '^\[engine\]$' "$snippet" || fail "$snippet has no [engine] table"
	grep -q '"/usr/local/bin/nook"' "$snippet" || fail "$snippet does not name /usr/local/bin/nook"
	awk -v bin="$d/bin/nook" -v engine="cgroup_manager = \"cgroupfs\"
events_logger = \"file\"
events_logfile_path = \"$d/events.log\"
tmp_dir = \"$d/tmp\"" '
		{ gsub("\"/usr/local/bin/nook\"", "\"" bin "\""); print }
		/^\[engine\]$/ { print engine }
	' "$snippet" >"$d/containers.conf"
	cat >>"$d/containers.conf" <<EOF

[containers]
# Any ulimit makes podman also set RLIMIT_NPROC to 1048576: above the hard
# limit here, which needs CAP_SYS_RESOURCE.
default_ulimits = []
netns = "none"
log_driver = "k8s-file"

[network]
network_backend = "cni"
network_config_dir = "$d/cni"
EOF
	cat >"$d/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$d/storage"
runroot = "$d/runroot"
EOF
}

podman_wrapper() {
	mkdir -p "$PODMAN_DIR/bin"
	cat >"$PODMAN_DIR/bin/nook" <<EOF
#!/bin/sh
echo "\$*" >>"$PODMAN_DIR/calls.log"
exec "$NOOK_BINARY" --root "$PODMAN_NOOK_ROOT" "\$@"
EOF
	chmod 0755 "$PODMAN_DIR/bin/nook"
}

podman_images() {
	local src d=$PODMAN_DIR
	src=$(podman_srcdir)
	"$src/tests/mkrootfs.sh" "$d/busybox" >&2
	"$src/tests/mkimage.sh" "$d/busybox.tar" busybox:latest "$d/busybox/rootfs" sh >&2
	"$src/tests/mkrootfs-python.sh" "$d/python" >&2
	"$src/tests/mkimage.sh" "$d/python.tar" python:latest "$d/python/rootfs" python3 >&2
	rm -rf "$d/busybox" "$d/python"
	podman load -q -i "$d/busybox.tar" >&2
	podman load -q -i "$d/python.tar" >&2
}

podman_setup_file() {
	command -v podman >/dev/null || fail "podman not found: install the Debian package podman"
	command -v conmon >/dev/null || fail "conmon not found: install the Debian package conmon"
	PODMAN_DIR=$(mktemp -d /tmp/nook-podman.XXXXXX)
	chmod 0755 "$PODMAN_DIR"
	PODMAN_NOOK_ROOT=$PODMAN_DIR/nook-state
	PODMAN_CGROUP=nook-podman-$$-$RANDOM
	CONTAINERS_CONF=$PODMAN_DIR/containers.conf
	CONTAINERS_STORAGE_CONF=$PODMAN_DIR/storage.conf
	export PODMAN_DIR PODMAN_NOOK_ROOT PODMAN_CGROUP CONTAINERS_CONF CONTAINERS_STORAGE_CONF
	podman_wrapper
	podman_config
	podman_images
}

# podman ARGS...: with a timeout; fd 3 (bats' output) closed so that conmon
# never holds it.
podman() {
	timeout -k 5 "$PODMAN_TIMEOUT" /usr/bin/podman "$@" 3>&-
}

# pnook ARGS...: podman with the runtime named the way the snippet names it.
pnook() {
	podman --runtime nook "$@"
}

# prun ARGS...: `podman --runtime nook run` in our cgroup parent, never
# pulling.
prun() {
	pnook run --pull never --cgroup-parent "/$PODMAN_CGROUP" "$@"
}

# nook_direct ARGS...: nook itself on the state podman's containers use.
nook_direct() {
	timeout -k 5 60 "$NOOK_BINARY" --root "$PODMAN_NOOK_ROOT" "$@" 3>&-
}

# id_of NAME: the full container id.
id_of() {
	podman inspect --format '{{.ID}}' "$1"
}

# assert_nook_ran ID: podman called nook to create and start that container.
assert_nook_ran() {
	local id=$1
	[ -n "$id" ] || fail "no container id"
	grep -Eq "(^| )create .*--bundle .* $id\$" "$PODMAN_DIR/calls.log" ||
		fail "podman did not call nook create for $id; calls: $(tail -n 5 "$PODMAN_DIR/calls.log")"
	grep -Eq "^start $id\$" "$PODMAN_DIR/calls.log" ||
		fail "podman did not call nook start for $id"
}

# assert_nook_runs NAME: a live container of nook's, as podman and nook see it.
assert_nook_runs() {
	local id
	id=$(id_of "$1")
	assert_equal "$(podman inspect --format '{{.OCIRuntime}}' "$1")" nook
	assert_nook_ran "$id"
	run nook_direct state "$id"
	assert_success
	assert_equal "$(jq -r .status <<<"$output")" running
}

# $CIDFILE: a --cidfile path for the test's `run --rm`; cid reads it.
podman_setup() {
	CIDFILE=$BATS_TEST_TMPDIR/cid
}
cid() {
	cat "$CIDFILE"
}

# in_tty CMD...: runs CMD (a program: script runs it through a shell, which
# knows none of these functions) with a pseudo-terminal of 30 rows and 100
# columns as its stdin/stdout (script from bsdutils); CR-LF become LF.
in_tty() {
	local cmd
	printf -v cmd '%q ' "$@"
	timeout -k 5 "$PODMAN_TIMEOUT" script -qec "stty rows 30 cols 100; $cmd" /dev/null </dev/null 3>&- |
		tr -d '\r'
	return "${PIPESTATUS[0]}"
}

# wait_until SECONDS CMD...: polls until CMD succeeds.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# ---- leftovers ----

# Lines naming what a container left behind: nook state entries, container
# cgroups under our parent, live processes in them.  conmon's own cgroup
# (/$PODMAN_CGROUP/conmon) is podman's, shared by all containers: removed in
# teardown_file.
podman_leftovers() {
	local e d pat=$BATS_TEST_TMPDIR/leftover.pat
	if [ -d "$PODMAN_NOOK_ROOT" ]; then
		for e in "$PODMAN_NOOK_ROOT"/*; do
			if [ -d "$e" ]; then echo "nook state: $e"; fi
		done
	fi
	for d in /sys/fs/cgroup/*/"$PODMAN_CGROUP"/libpod-* /sys/fs/cgroup/"$PODMAN_CGROUP"/libpod-*; do
		if [ -d "$d" ]; then echo "cgroup: $d"; fi
	done
	printf '%s\n' "/$PODMAN_CGROUP/libpod-" >"$pat"
	grep -l -F -f "$pat" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3 |
		nook_describe_pids "process (cgroup)"
}

# conmon processes of this file's containers: their command line names
# $PODMAN_DIR.  The pattern comes from a file so that grep's own command
# line does not match.
podman_conmon_pids() {
	local pat=$PODMAN_DIR/conmon.pat
	printf '%s\n' "$PODMAN_DIR/" >"$pat"
	grep -l -a -F -f "$pat" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 |
		while read -r pid; do
			if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = conmon ]; then echo "$pid"; fi
		done
}

podman_teardown() {
	local left e
	[ -n "${PODMAN_DIR:-}" ] || return 0
	podman rm --all --force --time 0 >/dev/null 2>&1 || true
	# The cleanup podman leaves to conmon may still be deleting.
	wait_until 10 test -z "$(podman_leftovers)" || true
	left=$(podman_leftovers)
	[ -n "$left" ] || return 0
	# Report, then clean so one failure does not spoil the next test.
	for e in "$PODMAN_NOOK_ROOT"/*; do
		if [ -d "$e" ]; then nook_direct delete --force "$(basename "$e")" >/dev/null 2>&1 || true; fi
	done
	fail "left behind after podman rm --force:
$left"
}

podman_teardown_file() {
	local pid m d
	[ -n "${PODMAN_DIR:-}" ] && [ -d "$PODMAN_DIR" ] || return 0
	podman rm --all --force --time 0 >/dev/null 2>&1 || true
	podman rmi --all --force >/dev/null 2>&1 || true
	for d in "$PODMAN_NOOK_ROOT"/*; do
		if [ -d "$d" ]; then nook_direct delete --force "$(basename "$d")" >/dev/null 2>&1 || true; fi
	done
	for pid in $(podman_conmon_pids); do
		kill -9 "$pid" 2>/dev/null || true
	done
	grep -F " $PODMAN_DIR/" /proc/self/mountinfo | awk '{print $5}' | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done || true
	for d in /sys/fs/cgroup/*/"$PODMAN_CGROUP" /sys/fs/cgroup/"$PODMAN_CGROUP"; do
		if [ -d "$d" ]; then find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
	done
	if ! grep -qF " $PODMAN_DIR/" /proc/self/mountinfo; then
		rm -rf --one-file-system "$PODMAN_DIR"
	fi
	return 0
}
