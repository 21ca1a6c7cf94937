#!/usr/bin/env bats
# nook run by an unprivileged user: its own uid mapped to root in a new user
# namespace, state in the user's runtime dir, no cgroup unless a subtree is
# delegated to the user, and a cgroup with limits when one is.  Runs on the
# hybrid host and, through tests/vm/run, on pure cgroup v2.

load helpers

RL_USER=nook-rootless

setup_file() {
	# The cgroup v2 VM's /etc/passwd and /etc/sub[ug]id have the user.
	local f
	if ! id -u "$RL_USER" >/dev/null 2>&1; then
		# useradd gives a new user /etc/subuid and /etc/subgid ranges
		# (Debian's login.defs), which newuidmap reads, only when those
		# files exist (Debian's passwd package makes them empty).
		for f in /etc/subuid /etc/subgid; do
			if [ ! -e "$f" ]; then
				touch "$f"
				echo "$f" >>"$BATS_FILE_TMPDIR/created-files"
			fi
		done
		# -M: no home
		useradd -M -s /usr/sbin/nologin "$RL_USER"
		touch "$BATS_FILE_TMPDIR/created-user"
	fi
}

teardown_file() {
	local f
	if [ -f "$BATS_FILE_TMPDIR/created-user" ]; then
		userdel "$RL_USER"
	fi
	if [ -f "$BATS_FILE_TMPDIR/created-files" ]; then
		while read -r f; do
			[ -s "$f" ] || rm -f "$f"
		done <"$BATS_FILE_TMPDIR/created-files"
	fi
}

setup() {
	nook_setup
	RL_UID=$(id -u "$RL_USER")
	RL_GID=$(id -g "$RL_USER")
	# The user runs its own copy of nook (the build dir may sit below a
	# directory it cannot enter) and owns its state dir and bundle.
	cp "$NOOK_BINARY" "$TEST_TMP/nook"
	chmod 0755 "$TEST_TMP/nook"
	mkdir -p "$ROOT" "$TEST_TMP/xdg"
	chown "$RL_USER" "$ROOT" "$TEST_TMP/xdg"
	chmod 0700 "$TEST_TMP/xdg"
	# The user's own spec: its uid and gid mapped to 0, no uid=/gid= mount
	# options it could not honour; then the suite's usual changes.
	rm "$BUNDLE/config.json"
	mkdir -p "$BUNDLE/rootfs/host"
	chown -R "$RL_USER" "$BUNDLE"
	as_user sh -c "cd '$BUNDLE' && '$TEST_TMP/nook' spec --rootless"
	update_config '.process.terminal = false | .process.args = ["true"]
		| .linux.cgroupsPath = $cg
		| .mounts += [{"destination": "/host", "type": "bind", "source": $host,
		               "options": ["rbind", "rw"]}]' \
		--arg cg "/$NOOK_CGROUP_PARENT/$ID" --arg host "$HOSTDIR"
	DELEGATED=
}

teardown() {
	local id h
	# Containers first, then the delegated subtree (it carries $ID in its
	# name, so nook_teardown would report it).
	for id in $(nook_test_ids); do
		nook delete --force "$id" </dev/null >/dev/null 2>&1 || true
	done
	if [ -n "$DELEGATED" ]; then
		for h in $(hierarchies); do
			h=$h/$NOOK_CGROUP_PARENT/$ID
			[ -d "$h" ] && find "$h" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	fi
	nook_teardown
}

# as_user CMD...: CMD as the unprivileged user, in the user's environment.
as_user() {
	setpriv --reuid="$RL_UID" --regid="$RL_GID" --clear-groups -- \
		env XDG_RUNTIME_DIR="$TEST_TMP/xdg" "$@" 3>&-
}

v2() {
	[ -f /sys/fs/cgroup/cgroup.controllers ]
}

# The hierarchies: every v1 one (and a hybrid host's cgroup2 mount), or the
# one of a pure v2 host.
hierarchies() {
	if v2; then
		echo /sys/fs/cgroup
	else
		find /sys/fs/cgroup -mindepth 1 -maxdepth 1 -type d
	fi
}

# limit_file memory|pids [CGROUP]: the host's file with that limit
# (CGROUP relative to the hierarchy, default the delegated container's).
limit_file() {
	local cg=${2:-$NOOK_CGROUP_PARENT/$ID/c}
	case $1 in
	memory) v2 && echo "/sys/fs/cgroup/$cg/memory.max" ||
		echo "/sys/fs/cgroup/memory/$cg/memory.limit_in_bytes" ;;
	pids) v2 && echo "/sys/fs/cgroup/$cg/pids.max" || echo "/sys/fs/cgroup/pids/$cg/pids.max" ;;
	esac
}

# What the container sees at its cgroup root, for the same limits.
inside_limit_file() {
	case $1 in
	memory) v2 && echo /sys/fs/cgroup/memory.max || echo /sys/fs/cgroup/memory/memory.limit_in_bytes ;;
	pids) v2 && echo /sys/fs/cgroup/pids.max || echo /sys/fs/cgroup/pids/pids.max ;;
	esac
}

# unook ARGS...: nook as the user, with this test's --root.
unook() {
	as_user timeout -k 5 "$NOOK_TIMEOUT" "$TEST_TMP/nook" --root "$ROOT" "$@"
}

# run_unook ARGS...: run_nook's capture (see helpers.bash) for unook.
run_unook() {
	run_captured unook "$@"
}

# delegate: give the user $NOOK_CGROUP_PARENT/$ID in every hierarchy, as a
# delegating manager (systemd's Delegate=) does: the directory and its
# cgroup.procs (v2 moves need write access to the common ancestor) and
# cgroup.subtree_control.  The caller's own processes go to .../caller;
# containers below, in .../c.
delegate() {
	local h d f
	DELEGATED=1
	for h in $(hierarchies); do
		d=$h/$NOOK_CGROUP_PARENT/$ID
		if v2; then
			mkdir -p "$h/$NOOK_CGROUP_PARENT"
			echo "+memory +pids" >"$h/$NOOK_CGROUP_PARENT/cgroup.subtree_control"
		fi
		mkdir -p "$d/caller"
		if [ -f "$h/cpuset.cpus" ]; then
			for f in "$h/$NOOK_CGROUP_PARENT" "$d" "$d/caller"; do
				cat "$h/cpuset.cpus" >"$f/cpuset.cpus"
				cat "$h/cpuset.mems" >"$f/cpuset.mems"
			done
		fi
		chown "$RL_USER" "$d" "$d/caller"
		for f in cgroup.procs tasks cgroup.subtree_control; do
			[ -e "$d/$f" ] && chown "$RL_USER" "$d/$f"
			[ -e "$d/caller/$f" ] && chown "$RL_USER" "$d/caller/$f"
		done
	done
	update_config '.linux.cgroupsPath = $cg' --arg cg "/$NOOK_CGROUP_PARENT/$ID/c"
}

# run_delegated ARGS...: run_unook from a shell that first moves itself into
# the delegated .../caller cgroup (as a user session inside its slice is).
run_delegated() {
	local out=$TEST_TMP/run.out err=$TEST_TMP/run.err
	status=0
	# shellcheck disable=SC2016 # expanded by the inner shell
	bash -c 'for h in $1; do echo $$ >"$h/$0/caller/cgroup.procs"; done
		exec setpriv --reuid="$2" --regid="$3" --clear-groups -- env XDG_RUNTIME_DIR="$4" "${@:5}"' \
		"$NOOK_CGROUP_PARENT/$ID" "$(hierarchies)" "$RL_UID" "$RL_GID" "$TEST_TMP/xdg" \
		timeout -k 5 "$NOOK_TIMEOUT" "$TEST_TMP/nook" --root "$ROOT" "$@" \
		</dev/null >"$out" 2>"$err" 3>&- || status=$?
	output=$(cat "$out")
	stderr=$(cat "$err")
	mapfile -t lines <"$out"
}

@test "rootless: the user's own uid is root inside, and the user outside" {
	set_args sh -c 'id -u; cat /proc/self/uid_map /proc/self/gid_map; sleep 600'
	run_unook run -d --bundle "$BUNDLE" "$ID"
	assert_success
	pid=$(pid_of "$ID")
	run awk '/^Uid:/ {print $2} /^Gid:/ {print $2}' "/proc/$pid/status"
	assert_output "$RL_UID
$RL_GID"
	run cat "/proc/$pid/uid_map"
	assert_output --regexp "^ +0 +$RL_UID +1$"
	run cat "/proc/$pid/gid_map"
	assert_output --regexp "^ +0 +$RL_GID +1$"
	# Only the own gid is mapped: setgroups is denied in the namespace.
	run cat "/proc/$pid/setgroups"
	assert_output deny
}

@test "rootless: without --root, state goes to \$XDG_RUNTIME_DIR/nook" {
	set_args sleep 600
	# Output through a file: the detached container keeps its stdout open.
	as_user "$TEST_TMP/nook" run -d --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/out" 2>&1 ||
		fail "run -d: $(cat "$TEST_TMP/out")"
	[ -f "$TEST_TMP/xdg/nook/$ID/status.json" ] || fail "no state in $TEST_TMP/xdg/nook"
	run as_user "$TEST_TMP/nook" state "$ID"
	assert_success
	[ "$(jq -r .status <<<"$output")" = running ]
	run as_user "$TEST_TMP/nook" delete --force "$ID"
	assert_success
	[ ! -e "$TEST_TMP/xdg/nook/$ID" ]
}

@test "rootless: create, start, exec, kill and delete as the user" {
	set_args sh -c 'echo started >/host/started; sleep 600'
	run_unook create --bundle "$BUNDLE" "$ID"
	assert_success
	[ "$(jq -r .status <<<"$(unook state "$ID")")" = created ]
	run_unook start "$ID"
	assert_success
	wait_for_file "$HOSTDIR/started"
	run unook exec "$ID" sh -c 'id -u; echo $$ >/dev/null; cat /proc/1/cmdline | tr "\0" " "'
	assert_success
	assert_line --index 0 0
	assert_line --index 1 --partial 'sleep 600'
	run_unook kill "$ID" KILL
	assert_success
	wait_for_status "$ID" stopped
	run_unook delete "$ID"
	assert_success
	[ ! -e "$ROOT/$ID" ]
}

@test "rootless: no delegated cgroup: the container runs without one" {
	set_args sh -c 'cat /proc/self/cgroup; sleep 600'
	run_unook run -d --bundle "$BUNDLE" "$ID"
	assert_success
	for d in $(hierarchies); do
		[ ! -e "$d/$NOOK_CGROUP_PARENT/$ID" ] || fail "a cgroup was made: $d/$NOOK_CGROUP_PARENT/$ID"
	done
	# The state records none, and cgroup commands say why they cannot work.
	[ "$(jq -r '.cgroupPath // "none"' "$ROOT/$ID/status.json")" = none ]
	run_unook pause "$ID"
	assert_failure
	[[ $stderr == *"has no cgroup"*"delegated"* ]] || fail "$stderr"
	run_unook kill --all "$ID" TERM
	assert_failure
	[[ $stderr == *"has no cgroup"* ]] || fail "$stderr"
	# The container is untouched by the refused commands.
	[ "$(jq -r .status <<<"$(unook state "$ID")")" = running ]
}

@test "rootless: limits without a delegated cgroup are refused, nothing left" {
	update_config '.linux.resources.memory = {"limit": 67108864}'
	run_unook create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"linux.resources"*"delegated"*"not writable"* ]] || fail "$stderr"
	assert_nothing_left
	[ -z "$(ls -A "$ROOT" | grep -vx .cache)" ]
}

@test "rootless: a delegated subtree gets the container's cgroup and its limits" {
	delegate
	update_config '.linux.resources.memory = {"limit": 67108864}
		| .linux.resources.pids = {"limit": 40}'
	set_args sleep 600
	run_delegated run -d --bundle "$BUNDLE" "$ID"
	assert_success
	c=$(dirname "$(limit_file memory)")
	[ "$(cat "$(limit_file memory)")" = 67108864 ]
	[ "$(cat "$(limit_file pids)")" = 40 ]
	pid=$(pid_of "$ID")
	grep -qx "$pid" "$c/cgroup.procs" || fail "init $pid is not in $c"
	# The cgroup commands work on it, as the user.
	run_unook update --pids-limit 30 "$ID"
	assert_success
	[ "$(cat "$(limit_file pids)")" = 30 ]
	run_unook pause "$ID"
	assert_success
	[ "$(jq -r .status <<<"$(unook state "$ID")")" = paused ]
	run_unook resume "$ID"
	assert_success
	run_unook ps --format json "$ID"
	assert_success
	[ "$(jq -r '.[0]' <<<"$output")" = "$pid" ]
	run_unook delete --force "$ID"
	assert_success
	[ ! -e "$c" ] || fail "delete left $c"
	[ -d "$(dirname "$c")" ] || fail "delete removed the delegated parent"
}

@test "rootless: inside a delegated cgroup the process sees its limits" {
	delegate
	update_config '.linux.resources.memory = {"limit": 67108864}'
	set_args cat "$(inside_limit_file memory)"
	run_delegated run --bundle "$BUNDLE" "$ID"
	assert_success
	assert_output 67108864
}

@test "rootless: the systemd cgroup driver is refused with the reason" {
	run_unook --systemd-cgroup create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"systemd cgroup driver needs root"* ]] || fail "$stderr"
	assert_nothing_left
}

@test "rootless: additionalGids with only the own gid mapped are a clear error" {
	update_config '.process.user.additionalGids = [5]'
	run_unook run --bundle "$BUNDLE" "$ID"
	assert_failure
	[[ $stderr == *additionalGids*"setgroups is denied"* ]] || fail "$stderr"
	assert_nothing_left
}

@test "rootless: mapping more ids goes through newuidmap and /etc/subuid" {
	command -v newuidmap >/dev/null || fail "newuidmap missing (Debian package uidmap)"
	read -r sub_uid sub_n < <(awk -F: -v u="$RL_USER" '$1 == u {print $2, $3}' /etc/subuid)
	read -r sub_gid sub_gn < <(awk -F: -v u="$RL_USER" '$1 == u {print $2, $3}' /etc/subgid)
	[ -n "$sub_uid" ] && [ -n "$sub_gid" ] || fail "no /etc/subuid or /etc/subgid range for $RL_USER"
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1},
			{"containerID": 1, "hostID": $su, "size": 1000}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": $g, "size": 1},
			{"containerID": 1, "hostID": $sg, "size": 1000}]
		| .process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5]}' \
		--argjson u "$RL_UID" --argjson g "$RL_GID" \
		--argjson su "$sub_uid" --argjson sg "$sub_gid"
	set_args sh -c 'id -u; id -G; sleep 600'
	run_unook run -d --bundle "$BUNDLE" "$ID"
	assert_success
	pid=$(pid_of "$ID")
	run awk '/^Uid:/ {print $2}' "/proc/$pid/status"
	assert_output $((sub_uid + 999))
	run cat "/proc/$pid/setgroups"
	assert_output allow
}

@test "rootless: ids outside the user's subordinate ranges are refused by newuidmap" {
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]'
	run_unook create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"uidMappings"*"newuidmap"*"failed"* ]] || fail "$stderr"
	assert_nothing_left
}
