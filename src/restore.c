/* nook restore */
#include <config.h>
#include <getopt.h>
#include <stdio.h>
#include "nook.h"
#include "criu.h"

enum
{
  OPT_IMAGE_PATH = 1000,
  OPT_WORK_PATH,
  OPT_PID_FILE,
  OPT_CONSOLE_SOCKET,
  OPT_NO_SUBREAPER,
  OPT_NO_PIVOT,
  OPT_TCP_ESTABLISHED,
  OPT_EXT_UNIX_SK,
  OPT_SHELL_JOB,
  OPT_FILE_LOCKS,
  OPT_MANAGE_CGROUPS_MODE,
  OPT_LAZY_PAGES,
};

static const struct option options[] = {
  { "image-path", required_argument, NULL, OPT_IMAGE_PATH },
  { "work-path", required_argument, NULL, OPT_WORK_PATH },
  { "bundle", required_argument, NULL, 'b' },
  { "detach", no_argument, NULL, 'd' },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
  { "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
  { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
  { "tcp-established", no_argument, NULL, OPT_TCP_ESTABLISHED },
  { "ext-unix-sk", no_argument, NULL, OPT_EXT_UNIX_SK },
  { "shell-job", no_argument, NULL, OPT_SHELL_JOB },
  { "file-locks", no_argument, NULL, OPT_FILE_LOCKS },
  { "manage-cgroups-mode", required_argument, NULL, OPT_MANAGE_CGROUPS_MODE },
  { "lazy-pages", no_argument, NULL, OPT_LAZY_PAGES },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static void
usage (void)
{
  printf ("Usage: nook restore [OPTIONS] CONTAINER-ID\n\n"
          "Restore a container from a checkpoint with CRIU (>= 4.1), under a new id,\n"
          "in the bundle's rootfs and cgroup.  One image can be restored many times at\n"
          "once (give each restore its own --work-path and bundle rootfs).\n\n"
          "Options:\n"
          "  --image-path DIR           the checkpoint images (default ./checkpoint)\n"
          "  --work-path DIR            where CRIU writes restore.log (default: image path)\n"
          "  -b, --bundle DIR           the bundle (default: the current directory)\n"
          "  -d, --detach               do not wait for the restored container\n"
          "  --pid-file FILE            write the container's pid to FILE\n"
          "  --console-socket PATH      send the new terminal's master to this socket\n"
          "  --no-subreaper             do not adopt the restored process (its exit\n"
          "                             status then goes to nook's own parent)\n"
          "  --no-pivot                 refused: CRIU always pivot_roots\n"
          "  --tcp-established          restore established TCP connections\n"
          "  --ext-unix-sk              allow unix sockets connected outside the container\n"
          "  --shell-job                the checkpoint was made with --shell-job\n"
          "  --file-locks               restore file locks\n"
          "  --manage-cgroups-mode MODE soft (default), full, strict or ignore\n"
          "  --lazy-pages               fetch memory on demand from `criu lazy-pages` (work dir)\n"
          "  -h, --help                 print this help\n\n"
          "Without --detach, nook waits, exits with the container's status and deletes it.\n");
}

int
nook_cmd_restore (struct nook_global_opts *g, int argc, char **argv)
{
  struct nook_restore_opts o = { .root = g->root, .systemd_cgroup = g->systemd_cgroup };
  nook_error_t err = NULL;
  int c, status = 0;

  /* long_only: containerd's runc shim (go-runc) passes "-no-subreaper"
   * and "-pid-file", which runc's flag parser takes as long options. */
  while ((c = getopt_long_only (argc, argv, "+:b:dh", options, NULL)) != -1)
    switch (c)
      {
      case OPT_IMAGE_PATH: o.image_path = optarg; break;
      case OPT_WORK_PATH: o.work_path = optarg; break;
      case 'b': o.bundle = optarg; break;
      case 'd': o.detach = true; break;
      case OPT_PID_FILE: o.pid_file = optarg; break;
      case OPT_CONSOLE_SOCKET: o.console_socket = optarg; break;
      case OPT_NO_SUBREAPER: o.no_subreaper = true; break;
      case OPT_NO_PIVOT: o.no_pivot = true; break;
      case OPT_TCP_ESTABLISHED: o.tcp_established = true; break;
      case OPT_EXT_UNIX_SK: o.ext_unix_sk = true; break;
      case OPT_SHELL_JOB: o.shell_job = true; break;
      case OPT_FILE_LOCKS: o.file_locks = true; break;
      case OPT_MANAGE_CGROUPS_MODE: o.manage_cgroups_mode = optarg; break;
      case OPT_LAZY_PAGES: o.lazy_pages = true; break;
      case 'h': usage (); return 0;
      default: return nook_option_error ("restore", c, argv);
      }
  if (nook_check_positional ("restore", argc, argv, 1, "container id") != 0)
    return 1;
  o.id = argv[optind];
  if (nook_container_restore (&o, &status, &err) < 0)
    return nook_fail (&err);
  return status;
}
