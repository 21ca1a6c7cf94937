# Common setup for nook's integration tests.  Every test gets:
#
#   $ID        a container id unique to the test (more: "$ID-2", "$ID-b", ...:
#              teardown cleans up every id that starts with $ID)
#   $ROOT      a private --root state directory (not created: nook makes it)
#   $BUNDLE    a fresh copy of the busybox bundle, its config.json with
#              terminal off, args ["true"], linux.cgroupsPath /nook-test/$ID
#              and the host directory $HOSTDIR bind-mounted read-write at /host
#   $HOSTDIR   where the container can leave files for the test to read
#
# and a teardown that deletes (--force) what the test created, then FAILS the
# test if anything is left: a state directory, a cgroup directory, a mount, a
# process.  Leftovers are cleaned up after being reported, so one bad test
# does not spoil the next.
#
# Output capture: bats' `run` reads the command's stdout through a pipe until
# every writer has closed it.  A container started with `create` or `run -d`
# inherits nook's stdout, so `run nook create ...` would wait for the
# container to exit.  Use `run_nook create ...` (output through files) for
# anything that leaves a container behind; `run nook run ...` (foreground) is
# fine.
#
# Expectations marked "nook-specific" (usually the wording of an error) are
# nook's own choices; everything else is runtime-spec or runc-compatible
# behaviour, and passes with NOOK_BINARY=/usr/sbin/runc unless marked
# "runc deviates".

NOOK_BATS_LIB=${NOOK_BATS_LIB:-/usr/lib/bats}
load "$NOOK_BATS_LIB/bats-support/load"
load "$NOOK_BATS_LIB/bats-assert/load"
# shellcheck source=tests/integration/pids.bash
. "$(dirname "${BASH_SOURCE[0]}")/pids.bash"

: "${NOOK_BINARY:?set NOOK_BINARY to the nook binary under test (tests/integration/run does)}"
# A nook command that hangs must not hang the suite.
NOOK_TIMEOUT=${NOOK_TIMEOUT:-60}
NOOK_CGROUP_PARENT=nook-test

# ---- the pristine bundle, built once per test run ----

# tests/integration/run builds it and exports NOOK_TEST_PRISTINE; when bats is
# started by hand, the first test file builds one in the run's temp dir.
nook_pristine_bundle() {
	if [ -n "${NOOK_TEST_PRISTINE:-}" ] && [ -f "$NOOK_TEST_PRISTINE/config.json" ]; then
		return 0
	fi
	NOOK_TEST_PRISTINE=${BATS_RUN_TMPDIR:?}/pristine
	(
		flock 9
		[ -f "$NOOK_TEST_PRISTINE/config.json" ] && exit 0
		nook_build_pristine "$NOOK_TEST_PRISTINE"
	) 9>"$BATS_RUN_TMPDIR/pristine.lock"
	export NOOK_TEST_PRISTINE
}

nook_build_pristine() {
	local srcdir
	srcdir=${NOOK_SRCDIR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
	"$srcdir/tests/mkrootfs.sh" "$1" "$NOOK_BINARY" >&2
}

# expect_create_error [SUBSTRING...]: `create` of $BUNDLE fails with one
# error line that contains every SUBSTRING (nook-specific wording) and
# leaves nothing behind.
expect_create_error() {
	local s
	run_nook create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	assert_nothing_left
	for s in "$@"; do
		[[ $stderr == *"$s"* ]] || fail "error does not mention '$s': $stderr"
	done
}

# with_caps CAP...: the container's process also gets these capabilities.
with_caps() {
	update_config '.process.capabilities |= with_entries(.value += $c)' \
		--argjson c "$(json_array "$@")"
}

# probe_script TYPE MAJOR MINOR: a container script that makes the node
# /dev/probe (the container needs CAP_MKNOD: with_caps) and tries it:
# prints "read: ok" or "read: <error>", the same for "write:".  A number no
# driver has fails to open with "No such device or address" once the device
# cgroup (v1) or program (v2) lets the open through, with "Operation not permitted" before.
probe_script() {
	cat <<EOF
mknod /dev/probe $1 $2 $3 || exit 3
if e=\$(head -c 1 /dev/probe 2>&1 >/dev/null); then echo 'read: ok'; else echo "read: \$e"; fi
if e=\$( (printf x >/dev/probe) 2>&1); then echo 'write: ok'; else echo "write: \$e"; fi
EOF
}

# ---- per test ----

# set_pipe_max_size BYTES: the host's fs.pipe-max-size for this test (CRIU's
# lazy page server needs a 4 MiB pipe; root without CAP_SYS_RESOURCE, as here
# and on CI, gets pipes only up to it).  nook_teardown puts it back.
set_pipe_max_size() {
	PIPE_MAX_SIZE_WAS=${PIPE_MAX_SIZE_WAS:-$(cat /proc/sys/fs/pipe-max-size)}
	echo "$1" >/proc/sys/fs/pipe-max-size
}

setup() {
	nook_setup
}

teardown() {
	nook_teardown
}

nook_setup() {
	nook_pristine_bundle
	ID=nook-test-$$-${BATS_TEST_NUMBER}-$RANDOM
	TEST_TMP=$(mktemp -d /tmp/nook-test.XXXXXX)
	chmod 0755 "$TEST_TMP"
	ROOT=$TEST_TMP/state
	BUNDLE=$TEST_TMP/bundle
	HOSTDIR=$TEST_TMP/host
	cp -a "$NOOK_TEST_PRISTINE" "$BUNDLE"
	mkdir -m 0777 "$HOSTDIR"
	# The tests' starting point: the spec's defaults, minus the terminal
	# (stdio is a pipe or a file here), running `true`.
	update_config '.process.terminal = false | .process.args = ["true"]
		| .linux.cgroupsPath = $cg
		| .mounts += [{"destination": "/host", "type": "bind", "source": $host,
		               "options": ["rbind", "rw"]}]' \
		--arg cg "/$NOOK_CGROUP_PARENT/$ID" --arg host "$HOSTDIR"
}

# nook ARGS...: the binary under test with this test's --root.  fd 3 is bats'
# own output channel: a container holding it open would hang bats.
nook() {
	timeout -k 5 "$NOOK_TIMEOUT" "$NOOK_BINARY" --root "$ROOT" "$@" 3>&-
}

# run_nook ARGS...: like `run nook ARGS...`, but stdin is /dev/null and
# stdout/stderr go through files, so a container left running does not keep
# the test waiting.  Sets $status, $output (stdout), $stderr, and the arrays
# $lines and $stderr_lines.
run_nook() {
	run_captured nook "$@"
}

# run_captured CMD...: run_nook's capture for any command.
run_captured() {
	local out=$TEST_TMP/run.out err=$TEST_TMP/run.err
	status=0
	"$@" </dev/null >"$out" 2>"$err" || status=$?
	output=$(cat "$out")
	stderr=$(cat "$err")
	mapfile -t lines <"$out"
	mapfile -t stderr_lines <"$err"
	# A nook that hung is never the behaviour a test wants.
	if [ "$status" -eq 124 ]; then
		echo "$* timed out after ${NOOK_TIMEOUT}s" >&2
	fi
}

# update_config JQ_FILTER [jq options...]: edit $BUNDLE/config.json in place
# (CONFIG=path to edit another file).
update_config() {
	local filter=$1 file=${CONFIG:-$BUNDLE/config.json}
	shift
	jq "$@" "$filter" "$file" >"$file.tmp"
	mv "$file.tmp" "$file"
}

# json_array ARG...: the arguments as a JSON array of strings (any bytes
# but NUL, leading dashes included).
json_array() {
	local i=0 a opts=()
	for a in "$@"; do
		opts+=(--arg "$i" "$a")
		i=$((i + 1))
	done
	jq -nc '[$ARGS.named | to_entries | sort_by(.key | tonumber) | .[].value]' "${opts[@]}"
}

# set_args ARG...: the container's process.args.
set_args() {
	update_config '.process.args = $a' --argjson a "$(json_array "$@")"
}

# set_cgroup ID: give the next container created from $BUNDLE its own cgroup.
set_cgroup() {
	update_config '.linux.cgroupsPath = $cg' --arg cg "/$NOOK_CGROUP_PARENT/$1"
}

# create_container [ID] [create options...]: create and assert it worked.
create_container() {
	local id=${1:-$ID}
	shift || true
	run_nook create --bundle "$BUNDLE" "$@" "$id"
	if [ "$status" -ne 0 ]; then
		fail "nook create $id failed ($status): $stderr"
	fi
}

# state_of ID: the state JSON (fails the test if `state` fails).
state_of() {
	nook state "$1"
}

# status_of ID: "created", "running", "stopped"...
status_of() {
	nook state "$1" | jq -r .status
}

# pid_of ID: the container's pid from `state`.
pid_of() {
	nook state "$1" | jq -r .pid
}

# wait_for_status ID STATUS [SECONDS]: poll `state` until it says STATUS.
wait_for_status() {
	local id=$1 want=$2 tries=$((${3:-10} * 20)) got=
	while [ "$tries" -gt 0 ]; do
		got=$(status_of "$id" 2>/dev/null) || got="(state failed)"
		[ "$got" = "$want" ] && return 0
		sleep 0.05
		tries=$((tries - 1))
	done
	fail "container $id: status is '$got', expected '$want'"
}

# wait_for_file PATH [SECONDS]
wait_for_file() {
	local tries=$((${2:-10} * 20))
	while [ "$tries" -gt 0 ]; do
		[ -e "$1" ] && return 0
		sleep 0.05
		tries=$((tries - 1))
	done
	fail "$1 did not appear"
}

# run_in_container ARG...: `nook run` a fresh container ($ID-r<n>) with the
# given process args in $BUNDLE; sets $status/$output like bats' run.
RUN_COUNT=0
run_in_container() {
	RUN_COUNT=$((RUN_COUNT + 1))
	local id=$ID-r$RUN_COUNT
	set_args "$@"
	set_cgroup "$id"
	run nook run --bundle "$BUNDLE" "$id" </dev/null
}

# process_alive PID: true while PID runs (a zombie is dead already).
process_alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# cmdline_of PID: the process's arguments, separated by spaces.
cmdline_of() {
	tr '\0' ' ' <"/proc/$1/cmdline"
}

# cgroup_dir CONTROLLER [ID]: the host's cgroup v1 directory of a container.
cgroup_dir() {
	echo "/sys/fs/cgroup/$1/$NOOK_CGROUP_PARENT/${2:-$ID}"
}

# blkio_weight_file DIR: where a blkio weight goes in the blkio cgroup DIR:
# CFQ's blkio.weight, else BFQ's blkio.bfq.weight; nothing with neither.
blkio_weight_file() {
	local f
	for f in blkio.weight blkio.bfq.weight; do
		[ -e "$1/$f" ] && echo "$f" && return 0
	done
	return 0
}

# wait_console_eof META: until the console-socket helper whose -m file is
# META saw every holder of the pty slave go (its master read EIO).
wait_console_eof() {
	local tries=400
	while [ "$tries" -gt 0 ] && ! grep -q '^eof ' "$1"; do
		sleep 0.05
		tries=$((tries - 1))
	done
	grep -qx 'eof eio' "$1" || fail "the terminal did not end: $(cat "$1")"
}

# assert_one_error_line: a failed command printed exactly one non-empty line
# on stderr and nothing on stdout (nook-specific: runc prints usage text for
# some errors).
assert_one_error_line() {
	if [ "${#stderr_lines[@]}" -ne 1 ] || [ -z "${stderr_lines[0]}" ]; then
		fail "expected exactly one error line on stderr, got ${#stderr_lines[@]}:
$stderr"
	fi
	if [ -n "$output" ]; then
		fail "expected nothing on stdout, got: $output"
	fi
}

# ---- leftovers ----

# Every id of this test that may have state: $ID, $ID-*, and whatever the
# state directory holds.
nook_test_ids() {
	{
		echo "$ID"
		if [ -d "$ROOT" ]; then
			find "$ROOT" -mindepth 1 -maxdepth 1 -printf '%f\n'
		fi
	} | sort -u
}

# Lists what is left behind by this test, one line each; empty when clean.
nook_leftovers() {
	local e d pat
	# Outside $TEST_TMP: grep's own command line names the pattern file.
	pat=$(mktemp /tmp/nook-leftover.XXXXXX)
	# State: a runtime may keep a lock file at the top of --root, and nook
	# its cache of compiled seccomp filters (.cache), but no per-container
	# entry may survive `delete`.
	if [ -d "$ROOT" ]; then
		for e in "$ROOT"/* "$ROOT"/.[!.]*; do
			[ -e "$e" ] || [ -L "$e" ] || continue
			[ "$e" = "$ROOT/.cache" ] && continue
			if [ -d "$e" ] || [[ $(basename "$e") == "$ID"* ]]; then
				echo "state: $e"
			fi
		done
	fi
	# cgroups: our parent on every hierarchy, and a runtime's default
	# (/<id>) for containers created without cgroupsPath.
	for d in /sys/fs/cgroup/*/"$NOOK_CGROUP_PARENT"/"$ID"* /sys/fs/cgroup/*/"$ID"* \
		/sys/fs/cgroup/"$NOOK_CGROUP_PARENT"/"$ID"* /sys/fs/cgroup/"$ID"*; do
		[ -d "$d" ] && echo "cgroup: $d"
	done
	# mounts in the host's mount namespace that point into this test's files
	grep -F "$TEST_TMP" /proc/self/mountinfo | awk '{print "mount: " $5}'
	# processes: in one of the test's cgroups, or running with a command
	# line or a working directory in the test's files.  The patterns come
	# from a file so grep's own command line does not match.
	printf '%s\n' "/$NOOK_CGROUP_PARENT/$ID" ":/$ID" >"$pat"
	grep -l -F -f "$pat" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3 |
		nook_describe_pids "process (cgroup)"
	printf '%s\n' "$TEST_TMP" >"$pat"
	grep -l -a -F -f "$pat" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 |
		nook_describe_pids "process (cmdline)"
	find /proc -mindepth 2 -maxdepth 2 -name cwd -lname "$TEST_TMP*" -printf '%h\n' 2>/dev/null |
		cut -d/ -f3 | nook_describe_pids "process (cwd)"
	rm -f "$pat"
}

# assert_nothing_left: right after a failed command, before any cleanup: no
# state, cgroup, mount or process of this test exists.
assert_nothing_left() {
	local left
	left=$(nook_leftovers)
	[ -z "$left" ] || fail "left behind by the failed command:
$left"
}

# Removes leftovers the runtime failed to remove.  Processes killed here are
# this test's own containers (found by their cgroup, command line or cwd).
nook_force_cleanup() {
	local what rest pid m d
	while read -r what rest; do
		case $what in
		process*)
			pid=${rest#*: }
			pid=${pid%% *}
			kill -9 "$pid" 2>/dev/null || true
			;;
		esac
	done <<<"$1"
	sleep 0.2
	grep -F "$TEST_TMP" /proc/self/mountinfo | awk '{print $5}' | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	for d in $(echo "$1" | awk '$1 == "cgroup:" {print $2}' | sort -r); do
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
}

nook_teardown() {
	local id left
	if [ -n "${PIPE_MAX_SIZE_WAS:-}" ]; then
		echo "$PIPE_MAX_SIZE_WAS" >/proc/sys/fs/pipe-max-size
	fi
	[ -n "${TEST_TMP:-}" ] || return 0
	# A test may have left us in its files; the cwd check would see us.
	cd /
	for id in $(nook_test_ids); do
		nook delete --force "$id" </dev/null >/dev/null 2>&1 || true
	done
	left=$(nook_leftovers)
	if [ -n "$left" ]; then
		nook_force_cleanup "$left"
	fi
	if ! grep -qF "$TEST_TMP" /proc/self/mountinfo; then
		rm -rf --one-file-system "$TEST_TMP"
	fi
	if [ -n "$left" ]; then
		fail "left behind after delete --force:
$left"
	fi
}
