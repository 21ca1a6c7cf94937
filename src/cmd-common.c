/* nook - CLI helpers shared by the command files. */
#include <config.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nook.h"
#include "container.h"
#include "utils.h"

int
nook_usage_error (const char *cmd, const char *fmt, ...)
{
  nook_error_t err = NULL;
  char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  if (cmd)
    nook_make_error (&err, 0, "%s: %s", cmd, msg);
  else
    nook_make_error (&err, 0, "%s", msg);
  free (msg);
  nook_log_error (&err);
  return 1;
}

int
nook_fail (nook_error_t *err)
{
  nook_log_error (err);
  return 1;
}

int
nook_check_positional (const char *cmd, int argc, char **argv, int want, const char *what)
{
  int have = argc - optind;
  if (have < want)
    return nook_usage_error (cmd, "missing %s (see nook %s --help)", what, cmd);
  if (have > want)
    return nook_usage_error (cmd, "unexpected argument `%s` (see nook %s --help)",
                             argv[optind + want], cmd);
  return 0;
}

int
nook_option_error (const char *cmd, int c, char **argv)
{
  /* A short option's letter is in optopt (optind may still be on its
   * word); a long one is the word before optind. */
  char letter[3] = { '-', (char) optopt, '\0' };
  const char *prev = optind > 0 ? argv[optind - 1] : "";
  const char *opt = strncmp (prev, "--", 2) != 0 && optopt > 0 && optopt < 256 ? letter : prev;
  if (c == ':')
    return nook_usage_error (cmd, "option `%s` needs a value", opt);
  return nook_usage_error (cmd, "unknown option `%s` (see nook %s --help)", opt, cmd);
}

enum
{
  OPT_PID_FILE = 1000,
  OPT_CONSOLE_SOCKET,
  OPT_PRESERVE_FDS,
  OPT_NO_PIVOT,
  OPT_NO_NEW_KEYRING,
};

static const struct option create_options[] = {
  { "bundle", required_argument, NULL, 'b' },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
  { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
  { "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
  { "detach", no_argument, NULL, 'd' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static void
create_usage (const char *cmd, bool run)
{
  printf ("Usage: nook %s [OPTIONS] CONTAINER-ID\n\n"
          "%s\n\n"
          "Options:\n"
          "  -b, --bundle DIR         the bundle (config.json + rootfs); default: current directory\n"
          "      --pid-file FILE      write the container process's pid to FILE\n"
          "      --console-socket P   send the terminal's master to this unix socket\n"
          "      --preserve-fds N     pass N extra fds (from 3) into the container\n"
          "      --no-pivot           chroot instead of pivot_root (rootfs on a ramdisk)\n"
          "      --no-new-keyring     keep the caller's session keyring\n"
          "%s"
          "  -h, --help               print this help\n",
          cmd,
          run ? "Create and start a container. In the foreground, wait for it, forward signals\n"
                "to it, delete it and exit with its status."
              : "Create a container: everything is set up and the process waits for `nook start`.",
          run ? "  -d, --detach             return once the container is started\n" : "");
}

int
nook_parse_create_opts (int argc, char **argv, const struct nook_global_opts *g,
                        struct nook_create_opts *o, bool *detach)
{
  const char *cmd = argv[0];
  int64_t n;
  int c;

  memset (o, 0, sizeof (*o));
  o->root = g->root;
  o->systemd_cgroup = g->systemd_cgroup;
  while ((c = getopt_long (argc, argv, detach ? "+:b:dh" : "+:b:h", create_options, NULL)) != -1)
    switch (c)
      {
      case 'b': o->bundle = optarg; break;
      case OPT_PID_FILE: o->pid_file = optarg; break;
      case OPT_CONSOLE_SOCKET: o->console_socket = optarg; break;
      case OPT_NO_PIVOT: o->no_pivot = true; break;
      case OPT_NO_NEW_KEYRING: o->no_new_keyring = true; break;
      case OPT_PRESERVE_FDS:
        if (parse_int64 (optarg, &n) < 0 || n < 0 || n > 65536)
          return nook_usage_error (cmd, "--preserve-fds: `%s` is not a count of fds", optarg);
        o->preserve_fds = n;
        break;
      case 'd':
        if (detach == NULL)
          return nook_option_error (cmd, '?', argv);
        *detach = true;
        break;
      case 'h': create_usage (cmd, detach != NULL); return 0;
      default: return nook_option_error (cmd, c, argv);
      }
  if (nook_check_positional (cmd, argc, argv, 1, "container id") != 0)
    return 1;
  o->id = argv[optind];
  return -1;
}
