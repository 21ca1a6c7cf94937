/* nook checkpoint */
#include <config.h>
#include <getopt.h>
#include <stdio.h>
#include <stdint.h>
#include "nook.h"
#include "criu.h"
#include "utils.h"

enum
{
  OPT_IMAGE_PATH = 1000,
  OPT_WORK_PATH,
  OPT_PARENT_PATH,
  OPT_LEAVE_RUNNING,
  OPT_TCP_ESTABLISHED,
  OPT_EXT_UNIX_SK,
  OPT_SHELL_JOB,
  OPT_FILE_LOCKS,
  OPT_PRE_DUMP,
  OPT_MANAGE_CGROUPS_MODE,
  OPT_EMPTY_NS,
  OPT_AUTO_DEDUP,
  OPT_LAZY_PAGES,
  OPT_PAGE_SERVER,
  OPT_STATUS_FD,
};

static const struct option options[] = {
  { "image-path", required_argument, NULL, OPT_IMAGE_PATH },
  { "work-path", required_argument, NULL, OPT_WORK_PATH },
  { "parent-path", required_argument, NULL, OPT_PARENT_PATH },
  { "leave-running", no_argument, NULL, OPT_LEAVE_RUNNING },
  { "tcp-established", no_argument, NULL, OPT_TCP_ESTABLISHED },
  { "ext-unix-sk", no_argument, NULL, OPT_EXT_UNIX_SK },
  { "shell-job", no_argument, NULL, OPT_SHELL_JOB },
  { "file-locks", no_argument, NULL, OPT_FILE_LOCKS },
  { "pre-dump", no_argument, NULL, OPT_PRE_DUMP },
  { "manage-cgroups-mode", required_argument, NULL, OPT_MANAGE_CGROUPS_MODE },
  { "empty-ns", required_argument, NULL, OPT_EMPTY_NS },
  { "auto-dedup", no_argument, NULL, OPT_AUTO_DEDUP },
  { "lazy-pages", no_argument, NULL, OPT_LAZY_PAGES },
  { "page-server", required_argument, NULL, OPT_PAGE_SERVER },
  { "status-fd", required_argument, NULL, OPT_STATUS_FD },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static void
usage (void)
{
  printf ("Usage: nook checkpoint [OPTIONS] CONTAINER-ID\n\n"
          "Checkpoint a running container with CRIU (>= 4.1).  Without --leave-running\n"
          "the container stops and is deleted, as with runc.\n\n"
          "Options:\n"
          "  --image-path DIR           where to write the images (default ./checkpoint)\n"
          "  --work-path DIR            where CRIU writes dump.log (default: image path)\n"
          "  --parent-path DIR          previous pre-dump, relative to the image path\n"
          "  --leave-running            keep the container running after the dump\n"
          "  --pre-dump                 dump only memory, keep it running (see --parent-path)\n"
          "  --tcp-established          dump established TCP connections\n"
          "  --ext-unix-sk              allow unix sockets connected outside the container\n"
          "  --shell-job                allow a terminal or session from outside\n"
          "  --file-locks               dump file locks\n"
          "  --manage-cgroups-mode MODE soft (default), full, strict or ignore\n"
          "  --empty-ns network         do not dump the network namespace's contents\n"
          "  --auto-dedup               free image pages already in the parent\n"
          "  --lazy-pages               serve the memory from --page-server to `criu lazy-pages`\n"
          "  --page-server ADDR:PORT    send memory pages to a CRIU page server\n"
          "  --status-fd FD             with --lazy-pages: a byte is written when pages are served\n"
          "  -h, --help                 print this help\n\n"
          "The CRIU binary is `criu` on PATH, or $NOOK_CRIU.\n");
}

int
nook_cmd_checkpoint (struct nook_global_opts *g, int argc, char **argv)
{
  struct nook_checkpoint_opts o = { .root = g->root, .status_fd = -1 };
  nook_error_t err = NULL;
  int64_t n;
  int c;

  while ((c = getopt_long (argc, argv, "+:h", options, NULL)) != -1)
    switch (c)
      {
      case OPT_IMAGE_PATH: o.image_path = optarg; break;
      case OPT_WORK_PATH: o.work_path = optarg; break;
      case OPT_PARENT_PATH: o.parent_path = optarg; break;
      case OPT_LEAVE_RUNNING: o.leave_running = true; break;
      case OPT_TCP_ESTABLISHED: o.tcp_established = true; break;
      case OPT_EXT_UNIX_SK: o.ext_unix_sk = true; break;
      case OPT_SHELL_JOB: o.shell_job = true; break;
      case OPT_FILE_LOCKS: o.file_locks = true; break;
      case OPT_PRE_DUMP: o.pre_dump = true; break;
      case OPT_MANAGE_CGROUPS_MODE: o.manage_cgroups_mode = optarg; break;
      case OPT_EMPTY_NS: o.empty_ns = optarg; break;
      case OPT_AUTO_DEDUP: o.auto_dedup = true; break;
      case OPT_LAZY_PAGES: o.lazy_pages = true; break;
      case OPT_PAGE_SERVER: o.page_server = optarg; break;
      case OPT_STATUS_FD:
        if (parse_int64 (optarg, &n) < 0 || n < 0 || n > 65535)
          return nook_usage_error ("checkpoint", "--status-fd: `%s` is not an fd", optarg);
        o.status_fd = n;
        break;
      case 'h': usage (); return 0;
      default: return nook_option_error ("checkpoint", c, argv);
      }
  if (nook_check_positional ("checkpoint", argc, argv, 1, "container id") != 0)
    return 1;
  o.id = argv[optind];
  if (nook_container_checkpoint (&o, &err) < 0)
    return nook_fail (&err);
  return 0;
}
