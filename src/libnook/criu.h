/* nook - checkpoint and restore through CRIU (libcriu).
 *
 * criu.c wraps libcriu: one CRIU request (options, image and work dirs,
 * CRIU's own log, the version check).  container-criu.c checkpoints and
 * restores containers with it (runc's `checkpoint` / `restore`).
 *
 * libcriu only talks to a `criu` binary (`criu swrk`, over RPC): the
 * binary is `criu` on PATH, or $NOOK_CRIU.  It must be at least
 * NOOK_CRIU_MIN_VERSION: older ones cannot parse the vDSO of current
 * kernels ([vvar_vclock]; Debian bookworm's 3.17 fails `criu check`).
 */
#ifndef NOOK_CRIU_H
#define NOOK_CRIU_H

#include <stdbool.h>
#include <sys/types.h>
#include "error.h"

#define NOOK_CRIU_MIN_VERSION 40100 /* 4.1.0, as major * 10000 + minor * 100 + sublevel */
#define NOOK_CRIU_DUMP_LOG "dump.log"
#define NOOK_CRIU_RESTORE_LOG "restore.log"
/* runc's: the targets of the init's fds 0-2 at checkpoint, a JSON array. */
#define NOOK_CRIU_DESCRIPTORS "descriptors.json"
/* nook's: "FD KEY" lines, the stdio fds CRIU dumped as external files. */
#define NOOK_CRIU_EXTERNAL_FDS "nook-external-fds"
/* nook's: "MOUNTPOINT CONTROLLERS" lines, the cgroup mounts CRIU dumped as
 * external mounts ("-": cgroup2). */
#define NOOK_CRIU_CGROUP_MOUNTS "nook-cgroup-mounts"
/* nook's: present when the network namespace was dumped as CRIU's "empty"
 * one (blank: only lo); restore makes a new one and brings lo up. */
#define NOOK_CRIU_BLANK_NETNS "nook-blank-netns"
/* In an image: the network namespace was joined by path at checkpoint and
 * left out as CRIU's external "extRootNetNS": restore needs a bundle that
 * joins one by path too. */
#define NOOK_CRIU_EXTERNAL_NETNS "nook-external-netns"
/* In an image: the container was paused at checkpoint, so CRIU recorded
 * its freezer FROZEN; restored in cgroup mode full or strict, CRIU 4.1.1
 * writes that back and hangs waiting for the frozen tasks. */
#define NOOK_CRIU_PAUSED "nook-paused"

struct nook_criu;
struct CriuOpts;

/* A request on images (mkdir'ed when create_images) and work (NULL: the
 * images dir; mkdir'ed when missing); CRIU logs to log_name in work.
 * Fails when CRIU is missing or older than NOOK_CRIU_MIN_VERSION.  The
 * binary's version is cached in cache_dir (nook's --root; NULL: none). */
int nook_criu_new (const char *images, bool create_images, const char *work, const char *log_name,
                   const char *cache_dir, struct nook_criu **out, nook_error_t *err);
void nook_criu_free (struct nook_criu *c);
/* How large CRIU's log in the work dir is now (0 when it is not there),
 * and its path (for messages). */
long long nook_criu_log_size (const struct nook_criu *c);
/* Is `needle` in the last KiB of CRIU's log? */
bool nook_criu_log_tail_has (const struct nook_criu *c, const char *needle);
const char *nook_criu_work_dir (const struct nook_criu *c);

/* The libcriu handle (criu_local_* calls) and its RPC message, for the
 * options this libcriu has no setter for (empty_ns, lazy_pages, ...). */
struct criu_opts *nook_criu_opts (struct nook_criu *c);
struct CriuOpts *nook_criu_rpc (struct nook_criu *c);
int nook_criu_images_fd (const struct nook_criu *c);

/* After unshare (CLONE_NEWNS): open the dirs again, so CRIU (which
 * chdir()s to them) works in the caller's new mount namespace. */
int nook_criu_reopen_dirs (struct nook_criu *c, nook_error_t *err);

/* In a private mount namespace where /run is not a tmpfs: a private
 * tmpfs on /run holding nook's copy (in cache_dir) of CRIU's kernel-feature
 * cache, so CRIU skips its probes.  0: /run left as it was; 1: /run is
 * that tmpfs, no cache yet (nook_criu_kdat_store keeps what CRIU writes
 * there); 2: the cache is in place.  The caller must need nothing else
 * under /run. */
int nook_criu_kdat_load (const char *cache_dir);
void nook_criu_kdat_store (const char *cache_dir);

/* call (criu_local_dump, ...) with CRIU's stderr captured for
 * nook_criu_fail (nook's fd 2 is left as it was); returns call's result. */
int nook_criu_run (struct nook_criu *c, int (*call) (struct criu_opts *), nook_error_t *err);

/* CRIU's answer r (< 0) to `what`: the error, with the last error lines of
 * CRIU's log ("... (CRIU log /w/dump.log: Error ...; Error ...)"). */
int nook_criu_fail (struct nook_criu *c, int r, const char *what, nook_error_t *err);

/* "soft" | "full" | "strict" | "ignore" -> enum criu_cg_mode. */
int nook_criu_cg_mode (const char *name, int *mode, nook_error_t *err);

/* Can CRIU's lazy page server have the pipe it needs?  The error names
 * fs.pipe-max-size. */
int nook_criu_lazy_pipe_check (nook_error_t *err);

/* The version of the criu binary (major * 10000 + ...), whether `criu
 * check` passes, and CRIU's lazy-pages and memory-tracking features.
 * *version 0: no usable criu. */
int nook_criu_probe (int *version, bool *check_ok, bool *lazy_pages, bool *mem_track,
                     nook_error_t *err);

/* ---- container operations (container-criu.c) ---- */

struct nook_checkpoint_opts
{
  const char *root;
  const char *id;
  const char *image_path;  /* NULL: ./checkpoint */
  const char *work_path;   /* NULL: image_path */
  const char *parent_path; /* previous (pre-)dump, relative to image_path */
  const char *manage_cgroups_mode; /* NULL: soft */
  const char *page_server; /* ADDR:PORT */
  const char *empty_ns;    /* "network" */
  int status_fd;           /* -1: none */
  bool leave_running;
  bool tcp_established;
  bool ext_unix_sk;
  bool shell_job;
  bool file_locks;
  bool pre_dump;
  bool auto_dedup;
  bool lazy_pages;
};

int nook_container_checkpoint (const struct nook_checkpoint_opts *o, nook_error_t *err);

struct nook_restore_opts
{
  const char *root;
  const char *id;
  const char *image_path; /* NULL: ./checkpoint */
  const char *work_path;  /* NULL: image_path */
  const char *bundle;     /* NULL: . */
  const char *pid_file;
  const char *console_socket;
  const char *manage_cgroups_mode;
  bool detach;
  bool no_subreaper;
  bool no_pivot;
  bool tcp_established;
  bool ext_unix_sk;
  bool shell_job;
  bool file_locks;
  bool lazy_pages;
  bool systemd_cgroup;
};

/* Without detach: wait for the restored container, forward signals, delete
 * it and return its exit status in *exit_status. */
int nook_container_restore (const struct nook_restore_opts *o, int *exit_status,
                            nook_error_t *err);

#endif
