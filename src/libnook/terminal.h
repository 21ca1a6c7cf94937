/* nook - terminals: the pty for process.terminal, the console socket. */
#ifndef NOOK_TERMINAL_H
#define NOOK_TERMINAL_H

#include <sys/types.h>
#include "oci.h"
#include "error.h"

/* Child (container init or exec'd process), inside the container after
 * pivot_root and with /dev/pts mounted: open a new pty from the
 * container's /dev/ptmx, apply consoleSize, make the slave the
 * controlling terminal and stdin/stdout/stderr (setsid, TIOCSCTTY), bind
 * it on /dev/console when console_path is not NULL.  *master gets the
 * master fd (CLOEXEC). */
int nook_terminal_setup (const oci_console_size *size, const char *console_path, int *master,
                         nook_error_t *err);

/* Child, after nook_terminal_setup and before giving up root: the pty
 * (fd 0) goes to the process's uid, as runc does, so the process may
 * chmod it (mesg, write).  An unmapped uid or a read-only /dev is not an
 * error. */
int nook_terminal_chown (uid_t uid, nook_error_t *err);

/* Send the master to a --console-socket (a unix stream socket path) with
 * SCM_RIGHTS, as runc does (so containerd and conmon can use it): one
 * message whose data is "/dev/ptmx" and whose only control message carries
 * the one fd.  = connect_socket + send_master. */
int nook_terminal_send_to_socket (const char *socket_path, int master, nook_error_t *err);

/* The two halves, so that create can connect before it spawns anything
 * (as runc: nothing to undo when nobody listens) and send later.  *sock is
 * CLOEXEC. */
int nook_terminal_connect_socket (const char *socket_path, int *sock, nook_error_t *err);
int nook_terminal_send_master (int sock, int master, nook_error_t *err);

/* `run` in the foreground with a terminal and no console socket: relay
 * between our stdin/stdout and master until the container exits (pid),
 * putting our own terminal in raw mode meanwhile and forwarding window
 * size changes (SIGWINCH).  Returns when master hangs up, or shortly after
 * pid exits (pid <= 0: only the hang-up counts).  Stdin may be a pipe or a
 * file: when it ends, a terminal in canonical mode gets ^D (end-of-file).
 * SIGWINCH and SIGPIPE are blocked meanwhile; our terminal is restored
 * before it returns, also on error.  pid is not reaped; master is not
 * closed.  = relay_prepare + relay_run. */
int nook_terminal_relay (int master, pid_t pid, nook_error_t *err);

/* The same in two steps, so that the terminal is ready before the process
 * runs (as runc): prepare after create (raw mode, ONLCR cleared on the
 * pty, our window size copied, signals blocked), then start, then run.
 * run and free restore everything and free the relay; free alone is for a
 * start that failed. */
struct nook_terminal_relay;
int nook_terminal_relay_prepare (int master, struct nook_terminal_relay **relay,
                                 nook_error_t *err);
int nook_terminal_relay_run (struct nook_terminal_relay *relay, pid_t pid, nook_error_t *err);
void nook_terminal_relay_free (struct nook_terminal_relay *relay);

#endif
