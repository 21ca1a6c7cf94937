# What the tests share about processes (helpers.bash, podman-helpers.bash,
# containerd-helpers.bash): leftover checks, process trees.
# shellcheck shell=bash

# Reads pids, prints "WHAT: PID (COMMAND LINE)" for those still alive and not
# this shell.  Zombies are dead: a killed container's process waits for the
# host's init to reap it, which nook cannot hurry.
nook_describe_pids() {
	local pid cmd stat
	while read -r pid; do
		[ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ] && continue
		stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
		stat=${stat##*) }
		# Zombies and processes on their way out (state X, or their
		# memory already gone: an empty command line) are not leftovers.
		case ${stat%% *} in Z | X) continue ;; esac
		cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
		[ -n "$cmd" ] || continue
		echo "$1: $pid ($cmd)"
	done
}

# descendants_of PID: every descendant of PID, parents first.
descendants_of() {
	local child
	for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		echo "$child"
		descendants_of "$child"
	done
}
