/* nook - CLI plumbing shared by the command files.
 *
 * Each command is a thin file: parse its own options into its own struct,
 * make one library call, report errors through nook_log_error. */
#ifndef NOOK_CLI_H
#define NOOK_CLI_H

#include <stdbool.h>
#include "error.h"

struct nook_global_opts
{
  const char *root;      /* --root, default /run/nook */
  const char *log;       /* --log FILE */
  const char *log_format; /* --log-format text|json */
  bool debug;            /* --debug */
  bool systemd_cgroup;   /* --systemd-cgroup */
};

struct nook_command
{
  const char *name;
  int (*run) (struct nook_global_opts *g, int argc, char **argv);
  const char *summary; /* one line for `nook --help` */
};

/* The commands (one file each). argv[0] is the command name; they return
 * the process exit status. */
int nook_cmd_create (struct nook_global_opts *g, int argc, char **argv);
int nook_cmd_start (struct nook_global_opts *g, int argc, char **argv);
int nook_cmd_run (struct nook_global_opts *g, int argc, char **argv);
int nook_cmd_state (struct nook_global_opts *g, int argc, char **argv);
int nook_cmd_kill (struct nook_global_opts *g, int argc, char **argv);
int nook_cmd_delete (struct nook_global_opts *g, int argc, char **argv);
int nook_cmd_list (struct nook_global_opts *g, int argc, char **argv);
int nook_cmd_spec (struct nook_global_opts *g, int argc, char **argv);
int nook_cmd_features (struct nook_global_opts *g, int argc, char **argv);
int nook_cmd_exec (struct nook_global_opts *g, int argc, char **argv);
int nook_cmd_pause (struct nook_global_opts *g, int argc, char **argv);
int nook_cmd_resume (struct nook_global_opts *g, int argc, char **argv);
int nook_cmd_ps (struct nook_global_opts *g, int argc, char **argv);
int nook_cmd_events (struct nook_global_opts *g, int argc, char **argv);
int nook_cmd_update (struct nook_global_opts *g, int argc, char **argv);
int nook_cmd_checkpoint (struct nook_global_opts *g, int argc, char **argv);
int nook_cmd_restore (struct nook_global_opts *g, int argc, char **argv);

/* cmd-common.c */
/* Report a usage error ("nook kill: unknown signal ...") like any other
 * error (stderr + --log) and return the exit status for it (1). */
int nook_usage_error (const char *cmd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Print err (stderr + log) and return 1. */
int nook_fail (nook_error_t *err);
/* Report getopt's '?' (unknown option) or ':' (missing value; use a
 * leading ':' in optstring) and return 1. */
int nook_option_error (const char *cmd, int c, char **argv);
/* Expect exactly `want` positional args after getopt; else usage error. */
int nook_check_positional (const char *cmd, int argc, char **argv, int want, const char *what);

/* create and run share their options (runc's).  detach is NULL for
 * create.  Returns -1 to go on, or an exit status (help, usage error). */
struct nook_create_opts;
int nook_parse_create_opts (int argc, char **argv, const struct nook_global_opts *g,
                            struct nook_create_opts *o, bool *detach);

#endif
