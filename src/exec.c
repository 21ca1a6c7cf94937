/* nook exec */
#include <config.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include "nook.h"
#include "exec.h"
#include "utils.h"

enum
{
  OPT_CONSOLE_SOCKET = 1000,
  OPT_CWD,
  OPT_PID_FILE,
  OPT_NO_NEW_PRIVS,
  OPT_PRESERVE_FDS,
};

static const struct option options[] = {
  { "process", required_argument, NULL, 'p' },
  { "tty", no_argument, NULL, 't' },
  { "detach", no_argument, NULL, 'd' },
  { "env", required_argument, NULL, 'e' },
  { "user", required_argument, NULL, 'u' },
  { "cap", required_argument, NULL, 'c' },
  { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
  { "cwd", required_argument, NULL, OPT_CWD },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static void
usage (void)
{
  printf ("Usage: nook exec [OPTIONS] CONTAINER-ID [COMMAND [ARG...]]\n\n"
          "Run a new process in a created or running container: it joins the container's\n"
          "namespaces and cgroup and gets its seccomp filter, capabilities and limits.\n\n"
          "Options:\n"
          "  -p, --process FILE       the process as a runtime-spec process.json\n"
          "  -t, --tty                allocate a terminal\n"
          "      --console-socket P   send the terminal to this unix socket\n"
          "  -d, --detach             do not wait for the process\n"
          "      --pid-file FILE      write the process's pid to FILE\n"
          "  -e, --env KEY=VALUE      set an environment variable (repeatable)\n"
          "      --cwd DIR            working directory inside the container\n"
          "  -u, --user UID[:GID]     run as this user\n"
          "  -c, --cap CAP_X          add a capability (repeatable)\n"
          "      --no-new-privs       set no_new_privs\n"
          "      --preserve-fds N     pass N extra fds (from 3)\n"
          "  -h, --help               print this help\n\n"
          "Without --detach, nook waits and exits with the process's status.\n");
}

int
nook_cmd_exec (struct nook_global_opts *g, int argc, char **argv)
{
  struct nook_exec_opts o = { .root = g->root };
  nook_error_t err = NULL;
  int64_t n;
  int c, status = 0, ret;

  while ((c = getopt_long (argc, argv, "+:p:tde:u:c:h", options, NULL)) != -1)
    switch (c)
      {
      case 'p': o.process_file = optarg; break;
      case 't': o.tty = true; break;
      case 'd': o.detach = true; break;
      case 'e': strv_append (&o.env, &o.env_len, optarg); break;
      case 'u': o.user = optarg; break;
      case 'c': strv_append (&o.caps, &o.caps_len, optarg); break;
      case OPT_CONSOLE_SOCKET: o.console_socket = optarg; break;
      case OPT_CWD: o.cwd = optarg; break;
      case OPT_PID_FILE: o.pid_file = optarg; break;
      case OPT_NO_NEW_PRIVS: o.no_new_privs = true; break;
      case OPT_PRESERVE_FDS:
        if (parse_int64 (optarg, &n) < 0 || n < 0 || n > 65536)
          return nook_usage_error ("exec", "--preserve-fds: `%s` is not a count of fds", optarg);
        o.preserve_fds = n;
        break;
      case 'h': usage (); return 0;
      default: return nook_option_error ("exec", c, argv);
      }
  if (optind >= argc)
    return nook_usage_error ("exec", "missing container id (see nook exec --help)");
  o.id = argv[optind];
  o.args = argv + optind + 1;
  o.args_len = argc - optind - 1;
  ret = nook_container_exec (&o, &status, &err);
  free (o.env);
  free (o.caps);
  if (ret < 0)
    return nook_fail (&err);
  return status;
}
