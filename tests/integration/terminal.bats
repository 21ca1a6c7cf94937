#!/usr/bin/env bats
# process.terminal: the pty made inside the container, sent to a
# --console-socket (runc's message: data "/dev/ptmx", one SCM_RIGHTS fd, as
# containerd's go-runc and conmon read it) or relayed by `run` in the
# foreground.  runc-compatible unless marked.
#
# console-socket (a static helper built by `make check`) plays containerd:
# it listens, receives the master, types its input and records what the
# terminal says.  script(1) (util-linux) gives `nook run` a terminal of its
# own.

load helpers

setup() {
	nook_setup
	CONSOLE_HELPER=${NOOK_BUILDDIR:?}/tests/integration/console-socket
	[ -x "$CONSOLE_HELPER" ] ||
		fail "$CONSOLE_HELPER is missing: build it with \`make check\`"
	command -v script >/dev/null || fail "script(1) is missing: install util-linux (bsdutils)"
	SOCK=$TEST_TMP/console.sock
	CONSOLE_PID=
	update_config '.process.terminal = true | .process.consoleSize = {"height": 30, "width": 100}'
}

teardown() {
	# A helper still waiting (a failed test) would count as a leftover.
	if [ -n "$CONSOLE_PID" ]; then
		kill "$CONSOLE_PID" 2>/dev/null || true
	fi
	nook_teardown
}

# start_console_socket [-i INPUT]: listen on $SOCK in the background.
start_console_socket() {
	CONSOLE_PID=$("$CONSOLE_HELPER" -d -t 30 -o "$TEST_TMP/console.out" \
		-m "$TEST_TMP/console.meta" "$@" "$SOCK" 3>&-) ||
		fail "console-socket did not start"
}

# console_meta: what the helper learnt of the message so far.
console_meta() {
	cat "$TEST_TMP/console.meta"
}

# wait_console_end: until every holder of the pty slave is gone (the master
# reads EIO); then $output is what the terminal said, without \r.
wait_console_end() {
	wait_console_eof "$TEST_TMP/console.meta"
	CONSOLE_PID=
	output=$(tr -d '\r' <"$TEST_TMP/console.out")
	mapfile -t lines <<<"$output"
}

# stop_console_socket: the helper is not needed any more (nothing connected).
stop_console_socket() {
	local tries=100
	kill "$CONSOLE_PID"
	while [ "$tries" -gt 0 ] && process_alive "$CONSOLE_PID"; do
		sleep 0.05
		tries=$((tries - 1))
	done
	CONSOLE_PID=
}

# run_in_script COMMAND [INPUT]: COMMAND (a shell string) on a terminal of
# its own, INPUT typed on it; sets $status and $output (without \r).
# script's input stays open until COMMAND ends: at its end script would
# type ^D, which a terminal not yet raw turns into a NUL byte.
run_in_script() {
	local fifo=$TEST_TMP/script.in.$BASHPID pid in
	mkfifo "$fifo"
	timeout -k 5 "$NOOK_TIMEOUT" script -qfec "$1" /dev/null <"$fifo" \
		>"$TEST_TMP/script.out" 2>&1 3>&- &
	pid=$!
	exec {in}>"$fifo"
	printf '%s' "${2:-}" >&"$in"
	status=0
	wait "$pid" || status=$?
	exec {in}>&-
	rm -f "$fifo"
	output=$(tr -d '\r' <"$TEST_TMP/script.out")
	mapfile -t lines <<<"$output"
}

# The nook command line, for a shell string.
nook_cmd() {
	printf '%q ' "$NOOK_BINARY" --root "$ROOT" "$@"
}

# What the process checks of its terminal (the container's sh is pid 1).
TTY_REPORT='tty; stty size
for f in 0 1 2; do echo "fd$f: $(readlink /proc/$$/fd/$f)"; done
ls -1 /proc/$$/fd
echo x >/dev/tty && echo ctty:ok
read -r _ _ _ _ _ sid _ </proc/$$/stat; [ "$sid" = "$$" ] && echo session:leader
[ "$(stat -c %t:%T /dev/console)" = "$(stat -c %t:%T "$(tty)")" ] && echo console:same'

# ---- --console-socket ----

@test "terminal: create --console-socket sends the pty master; the process runs on the container's /dev/pts/0" {
	set_args sh -c "$TTY_REPORT"'
read x; echo "got:$x"'
	start_console_socket -i $'hello\n'
	create_container "$ID" --console-socket "$SOCK"
	# Sent by create, as runc sends it, with consoleSize already applied.
	run console_meta
	assert_line 'name /dev/ptmx'
	assert_line 'tty 1'
	assert_line 'size 30 100'

	run_nook start "$ID"
	assert_success
	wait_console_end
	assert_line /dev/pts/0
	assert_line '30 100'
	# stdin, stdout and stderr are the pty, and nothing else is open: the
	# master never stays in the container.
	assert_line 'fd0: /dev/pts/0'
	assert_line 'fd1: /dev/pts/0'
	assert_line 'fd2: /dev/pts/0'
	assert_equal "$(grep -x '[0-9][0-9]*' <<<"$output" | tr '\n' ' ')" "0 1 2 "
	assert_line ctty:ok
	assert_line session:leader
	assert_line console:same
	# Typed input reaches the process (echoed by the terminal, too).
	assert_line got:hello
	wait_for_status "$ID" stopped
}

@test "terminal: the pty belongs to process.user's uid" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_args sh -c 'stat -c "owner:%u" "$(tty)"'
	start_console_socket
	create_container "$ID" --console-socket "$SOCK"
	run_nook start "$ID"
	assert_success
	wait_console_end
	assert_line owner:1000
}

@test "terminal: run -d --console-socket" {
	set_args sh -c 'tty; stty size; read x; echo "got:$x"'
	start_console_socket -i $'hello\n'
	run_nook run -d --bundle "$BUNDLE" --console-socket "$SOCK" "$ID"
	assert_success
	wait_console_end
	assert_line /dev/pts/0
	assert_line '30 100'
	assert_line got:hello
	wait_for_status "$ID" stopped
}

@test "terminal: without consoleSize the pty keeps the kernel's default size" {
	update_config 'del(.process.consoleSize)'
	set_args sh -c 'stty size'
	start_console_socket
	create_container "$ID" --console-socket "$SOCK"
	run console_meta
	assert_line 'size 0 0'
	run_nook start "$ID"
	wait_console_end
}

# nook-specific: runc refuses a console socket in the foreground ("cannot
# use console socket if runc will not detach or allocate tty").
@test "terminal: run in the foreground with --console-socket sends the terminal and waits (runc deviates: refuses)" {
	set_args sh -c 'read x; echo "got:$x"; exit 3'
	start_console_socket -i $'hello\n'
	run_nook run --bundle "$BUNDLE" --console-socket "$SOCK" "$ID"
	assert_equal "$status" 3
	wait_console_end
	assert_line got:hello
}

# ---- run in the foreground: nook relays the terminal ----

@test "terminal: run in the foreground relays the terminal and returns the exit status" {
	set_args sh -c 'tty; read x; echo "got:$x"; exit 3'
	run_in_script "$(nook_cmd run --bundle "$BUNDLE" "$ID")" $'hello\r'
	assert_equal "$status" 3
	assert_line /dev/pts/0
	assert_line got:hello
}

# nook-specific: runc copies a terminal of no size (0x0) over consoleSize.
@test "terminal: run in the foreground keeps consoleSize when its own terminal has no size" {
	set_args sh -c 'stty size'
	run_in_script "stty rows 0 cols 0; $(nook_cmd run --bundle "$BUNDLE" "$ID")"
	assert_success
	assert_line '30 100'
}

@test "terminal: run in the foreground: its terminal's size, resizes, raw mode, restored after" {
	set_args sh -c 'stty size; touch /host/ready; i=0
while [ "$(stty size)" = "50 132" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
stty size'
	(
		run_in_script "stty rows 50 cols 132; tty >$TEST_TMP/tty; stty -g >$TEST_TMP/before
$(nook_cmd run --bundle "$BUNDLE" "$ID"); echo rc=\$?; stty -g >$TEST_TMP/after"
		echo "$output" >"$TEST_TMP/fg.out"
	) 3>&- &
	bg=$!
	wait_for_file "$HOSTDIR/ready"
	tty=$(cat "$TEST_TMP/tty")
	# While nook relays, its terminal is raw (keys go to the container),
	# output processing on.
	run stty -F "$tty" -a
	assert_output --regexp '(^|[[:space:]])-icanon([[:space:]]|$)'
	assert_output --regexp '(^|[[:space:]])-echo([[:space:]]|$)'
	assert_output --regexp '(^|[[:space:]])-isig([[:space:]]|$)'
	assert_output --regexp '(^|[[:space:]])opost([[:space:]]|$)'
	# The kernel sends nook SIGWINCH; nook resizes the container's pty.
	stty -F "$tty" rows 40 cols 120
	wait "$bg"
	output=$(cat "$TEST_TMP/fg.out")
	mapfile -t lines <<<"$output"
	assert_line '50 132'
	assert_line '40 120'
	assert_line rc=0
	assert_equal "$(cat "$TEST_TMP/after")" "$(cat "$TEST_TMP/before")"
}

# nook-specific: runc needs a terminal of its own ("open /dev/tty: no such
# device or address"); nook relays pipes and files too.
@test "terminal: run in the foreground from pipes: output without \\r, input, end of input" {
	set_args sh -c 'tty; read x; echo "got:$x"; exit 3'
	printf 'hello\n' >"$TEST_TMP/in"
	run nook run --bundle "$BUNDLE" "$ID" <"$TEST_TMP/in"
	assert_equal "$status" 3
	assert_line /dev/pts/0
	assert_line got:hello
	[[ $output != *$'\r'* ]] || fail "output has \\r: $output"

	# The end of the input is end-of-file on the terminal, even after a
	# partial line: cat ends.
	set_args cat
	set_cgroup "$ID-2"
	run bash -c 'printf "one\ntwo" | "$@"' _ timeout -k 5 "$NOOK_TIMEOUT" \
		"$NOOK_BINARY" --root "$ROOT" run --bundle "$BUNDLE" "$ID-2"
	assert_success
	assert_output --partial one
	assert_output --partial two
}

# nook-specific, as the test above (its stdout is a pipe).
@test "terminal: run in the foreground survives its reader going away" {
	set_args seq 1 200000
	run bash -c '"$@" | head -n 1; echo "rc=${PIPESTATUS[0]}"' _ timeout -k 5 "$NOOK_TIMEOUT" \
		"$NOOK_BINARY" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
	assert_line 1
	# The output is dropped, the container runs to its end, nook cleans up.
	assert_line rc=0
}

# ---- bad input ----

@test "terminal: create with process.terminal and no --console-socket fails" {
	run_nook create --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	# nook-specific wording
	[[ $stderr == *console-socket* ]] || fail "error does not mention --console-socket: $stderr"
	assert_nothing_left
}

@test "terminal: run -d with process.terminal and no --console-socket fails" {
	run_nook run -d --bundle "$BUNDLE" "$ID"
	assert_failure
	assert_one_error_line
	assert_nothing_left
}

@test "terminal: --console-socket where nothing listens fails and leaves nothing" {
	run_nook create --bundle "$BUNDLE" --console-socket "$SOCK" "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *"$SOCK"* ]] || fail "error does not name the socket: $stderr"
	assert_nothing_left

	: >"$TEST_TMP/not-a-socket"
	run_nook run -d --bundle "$BUNDLE" --console-socket "$TEST_TMP/not-a-socket" "$ID"
	assert_failure
	assert_one_error_line
	assert_nothing_left
}

@test "terminal: --console-socket with process.terminal false fails" {
	update_config '.process.terminal = false'
	start_console_socket
	run_nook create --bundle "$BUNDLE" --console-socket "$SOCK" "$ID"
	assert_failure
	assert_one_error_line
	stop_console_socket
	assert_nothing_left
}

# nook-specific: runc truncates the size to 16 bits.
@test "terminal: process.consoleSize out of range fails" {
	update_config '.process.consoleSize = {"height": 70000, "width": 80}'
	start_console_socket
	run_nook create --bundle "$BUNDLE" --console-socket "$SOCK" "$ID"
	assert_failure
	assert_one_error_line
	[[ $stderr == *consoleSize* ]] || fail "error does not name consoleSize: $stderr"
	stop_console_socket
	assert_nothing_left
}
