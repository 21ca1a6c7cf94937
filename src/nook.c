/* nook - global options and command dispatch. */
#include <config.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nook.h"
#include "error.h"
#include "reexec.h"

static const struct nook_command commands[] = {
  { "create", nook_cmd_create, "create a container (the process waits for `start`)" },
  { "start", nook_cmd_start, "start the user process of a created container" },
  { "run", nook_cmd_run, "create and start a container" },
  { "exec", nook_cmd_exec, "run a new process in a container" },
  { "state", nook_cmd_state, "print the state of a container as JSON" },
  { "kill", nook_cmd_kill, "send a signal to a container's process" },
  { "delete", nook_cmd_delete, "delete a stopped container (or any, with --force)" },
  { "list", nook_cmd_list, "list containers" },
  { "pause", nook_cmd_pause, "freeze every process of a container" },
  { "resume", nook_cmd_resume, "thaw a paused container" },
  { "ps", nook_cmd_ps, "list the processes of a container" },
  { "events", nook_cmd_events, "print a container's OOM events and resource stats" },
  { "update", nook_cmd_update, "change the cgroup limits of a container" },
  { "checkpoint", nook_cmd_checkpoint, "checkpoint a running container with CRIU" },
  { "restore", nook_cmd_restore, "restore a container from a checkpoint" },
  { "spec", nook_cmd_spec, "write a default config.json" },
  { "features", nook_cmd_features, "print the features document of this runtime" },
};

static void
print_help (FILE *out)
{
  size_t i;
  fprintf (out, "Usage: nook [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n\n"
                "nook is an OCI container runtime for AI-agent sandboxes.\n\n"
                "Commands:\n");
  for (i = 0; i < sizeof (commands) / sizeof (commands[0]); i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nGlobal options:\n"
                "  --root DIR            state directory (default /run/nook; for a non-root\n"
                "                        user $XDG_RUNTIME_DIR/nook, else /run/user/UID/nook)\n"
                "  --log FILE            also write errors and logs to FILE\n"
                "  --log-format FORMAT   text (default) or json\n"
                "  --debug               log debug messages\n"
                "  --systemd-cgroup      use the systemd cgroup driver (needs systemd as PID 1)\n"
                "  -v, --version         print the version\n"
                "  -h, --help            print this help\n\n"
                "`nook COMMAND --help` describes a command; see also nook(1).\n");
}

static void
print_version (void)
{
  printf ("nook version %s\ncommit: %s\nspec: %s\n", PACKAGE_VERSION, GIT_COMMIT,
          OCI_SPEC_VERSION);
}

enum
{
  OPT_ROOT = 1000,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_DEBUG,
  OPT_SYSTEMD_CGROUP,
};

static const struct option global_options[] = {
  { "root", required_argument, NULL, OPT_ROOT },
  { "log", required_argument, NULL, OPT_LOG },
  { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
  { "debug", no_argument, NULL, OPT_DEBUG },
  { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP },
  { "version", no_argument, NULL, 'v' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* Returns -1 to go on, or an exit status; *bad gets an unknown option,
 * reported once logging is set up. */
static int
parse_global (int argc, char **argv, struct nook_global_opts *g, const char **bad)
{
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "+vh", global_options, NULL)) != -1)
    switch (c)
      {
      case OPT_ROOT: g->root = optarg; break;
      case OPT_LOG: g->log = optarg; break;
      case OPT_LOG_FORMAT: g->log_format = optarg; break;
      case OPT_DEBUG: g->debug = true; break;
      case OPT_SYSTEMD_CGROUP: g->systemd_cgroup = true; break;
      case 'v': print_version (); return 0;
      case 'h': print_help (stdout); return 0;
      default:
        *bad = argv[optind - 1];
        return 1;
      }
  return -1;
}

static int
init_logging (const struct nook_global_opts *g)
{
  enum nook_log_format fmt = NOOK_LOG_TEXT;
  nook_error_t err = NULL;

  if (strcmp (g->log_format, "json") == 0)
    fmt = NOOK_LOG_JSON;
  else if (strcmp (g->log_format, "text") != 0)
    return nook_usage_error (NULL, "--log-format must be `text` or `json`, not `%s`",
                             g->log_format);
  if (nook_log_init (g->log, fmt, g->debug, &err) < 0)
    return nook_fail (&err);
  return 0;
}

/* As runc: an unprivileged user keeps its state in its own runtime dir. */
static const char *
default_root (char *buf, size_t size)
{
  const char *xdg = getenv ("XDG_RUNTIME_DIR");

  if (geteuid () == 0)
    return "/run/nook";
  if (xdg && xdg[0] == '/')
    snprintf (buf, size, "%s/nook", xdg);
  else
    snprintf (buf, size, "/run/user/%u/nook", (unsigned) geteuid ());
  return buf;
}

int
main (int argc, char **argv)
{
  char rootbuf[4096];
  struct nook_global_opts g = { .root = default_root (rootbuf, sizeof rootbuf),
                                .log_format = "text" };
  const char *bad = NULL;
  size_t i;
  int r;

  nook_reexec_init (argv);
  r = parse_global (argc, argv, &g, &bad);
  /* Logging first, so even a usage error reaches --log. */
  if (init_logging (&g) != 0)
    return 1;
  if (bad)
    return nook_usage_error (NULL, "unknown global option `%s` (see nook --help)", bad);
  if (r >= 0)
    return r;
  if (optind >= argc)
    {
      print_help (stderr);
      return 1;
    }
  for (i = 0; i < sizeof (commands) / sizeof (commands[0]); i++)
    if (strcmp (commands[i].name, argv[optind]) == 0)
      {
        char **cmd_argv = argv + optind;
        int cmd_argc = argc - optind;
        optind = 0; /* the command parses its own options from cmd_argv[1] */
        opterr = 0;
        return commands[i].run (&g, cmd_argc, cmd_argv);
      }
  return nook_usage_error (NULL, "unknown command `%s` (see nook --help)", argv[optind]);
}
