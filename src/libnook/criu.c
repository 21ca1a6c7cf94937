/* nook - one CRIU request through libcriu: its dirs, its log, the version.
 *
 * libcriu (bookworm's 3.17) only knows the options its setters cover, but
 * the request it sends is CRIU's RPC message (rpc.proto), which newer
 * binaries extend: nook_criu_rpc gives that message for the rest
 * (empty_ns, lazy_pages, status_fd, the network lock "skip").  The handle
 * struct criu_opts starts with its CriuOpts pointer in every libcriu
 * since 2014 (lib/c/criu.c); nook relies on that one field. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "libcriu.h"
#include "criu.h"
#include "utils.h"

struct nook_criu
{
  criu_opts *opts;
  int images_fd;
  int work_fd;
  int stderr_fd; /* a memfd: what CRIU printed */
  char *images;
  char *work; /* for the log's path in errors */
  const char *log_name;
};

struct criu_opts *
nook_criu_opts (struct nook_criu *c)
{
  return c->opts;
}

struct CriuOpts *
nook_criu_rpc (struct nook_criu *c)
{
  return *(CriuOpts **) c->opts;
}

int
nook_criu_images_fd (const struct nook_criu *c)
{
  return c->images_fd;
}

void
nook_criu_free (struct nook_criu *c)
{
  if (c == NULL)
    return;
  if (c->opts)
    criu_local_free_opts (c->opts);
  if (c->images_fd >= 0)
    close (c->images_fd);
  if (c->work_fd >= 0)
    close (c->work_fd);
  if (c->stderr_fd >= 0)
    close (c->stderr_fd);
  free (c->images);
  free (c->work);
  free (c);
}

static const char *
criu_binary (void)
{
  const char *b = getenv ("NOOK_CRIU");
  return b && *b ? b : "criu";
}

static int
version_string (int v, char *buf, size_t size)
{
  return snprintf (buf, size, "%d.%d.%d", v / 10000, (v / 100) % 100, v % 100);
}

/* The path exec would run for name (searching PATH), or NULL: libcriu's
 * child prints its own lines when the exec fails, so look first. */
static char *
binary_path (const char *name)
{
  char *path = NULL;
  const char *dirs = getenv ("PATH"), *p, *end;

  if (strchr (name, '/'))
    return access (name, X_OK) == 0 ? xstrdup (name) : NULL;
  for (p = dirs ? dirs : "/usr/bin:/bin"; *p; p = *end ? end + 1 : end)
    {
      end = strchrnul (p, ':');
      free (path);
      xasprintf (&path, "%.*s/%s", (int) (end - p), p, name);
      if (access (path, X_OK) == 0)
        return path;
    }
  free (path);
  return NULL;
}

static bool
binary_exists (const char *name)
{
  cleanup_free char *path = binary_path (name);
  return path != NULL;
}

/* Asking CRIU its version costs a `criu swrk` (fork, exec, ~3 ms): the
 * answer is kept in cache_dir/NOOK_CRIU_VERSION_CACHE, keyed by the
 * binary's path, inode, size and change times, so it is asked again when
 * the binary changes. */
#define NOOK_CRIU_VERSION_CACHE ".criu-version"

static char *
version_cache_key (const char *binary)
{
  cleanup_free char *path = binary_path (binary);
  struct stat st;
  char *key = NULL;

  if (path == NULL || stat (path, &st) < 0)
    return NULL;
  xasprintf (&key, "%s %lu %lu %lld %lld.%09ld %lld.%09ld", path, (unsigned long) st.st_dev,
             (unsigned long) st.st_ino, (long long) st.st_size, (long long) st.st_mtim.tv_sec,
             st.st_mtim.tv_nsec, (long long) st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
  return key;
}

/* The file is one line: the key, a space, the version. */
static int
cached_version (int dirfd, const char *key)
{
  cleanup_free char *prefix = NULL, *data = NULL;
  size_t len;
  int64_t v;

  xasprintf (&prefix, "%s ", key);
  if (dirfd < 0
      || !nook_cache_read (dirfd, NOOK_CRIU_VERSION_CACHE, prefix, strlen (prefix), &data, &len))
    return 0;
  data[strcspn (data, "\n")] = '\0';
  return parse_int64 (data, &v) == 0 && v > 0 && v < INT32_MAX ? (int) v : 0;
}

static void
cache_version (int dirfd, const char *key, int v)
{
  cleanup_free char *prefix = NULL, *value = NULL;
  nook_error_t ignored = NULL;

  if (dirfd < 0)
    return;
  xasprintf (&prefix, "%s ", key);
  xasprintf (&value, "%d\n", v);
  if (nook_cache_write (dirfd, NOOK_CRIU_VERSION_CACHE, prefix, strlen (prefix), value,
                        strlen (value), &ignored)
      < 0)
    nook_error_release (&ignored); /* a cache: asked again next time */
}

static int
criu_version (criu_opts *opts, const char *cache_dir)
{
  cleanup_free char *key = version_cache_key (criu_binary ());
  cleanup_close int dirfd = -1;
  int v;

  if (key == NULL)
    return -ENOENT;
  if (cache_dir)
    dirfd = open (cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  v = cached_version (dirfd, key);
  if (v >= NOOK_CRIU_MIN_VERSION)
    return v;
  v = criu_local_get_version (opts);
  if (v >= NOOK_CRIU_MIN_VERSION)
    cache_version (dirfd, key, v);
  return v;
}

/* The binary answers the VERSION request; anything else is "missing". */
static int
check_version (criu_opts *opts, const char *cache_dir, nook_error_t *err)
{
  char have[32], need[32];
  int v = criu_version (opts, cache_dir);

  version_string (NOOK_CRIU_MIN_VERSION, need, sizeof need);
  if (v <= 0)
    return nook_make_error (err, 0,
                            "CRIU binary `%s` is missing or does not answer (checkpoint/restore "
                            "need CRIU >= %s: contrib/install-criu.sh installs one)",
                            criu_binary (), need);
  if (v < NOOK_CRIU_MIN_VERSION)
    {
      version_string (v, have, sizeof have);
      return nook_make_error (err, 0,
                              "CRIU `%s` is version %s, too old: nook needs CRIU >= %s "
                              "(contrib/install-criu.sh installs one)",
                              criu_binary (), have, need);
    }
  return 0;
}

static int
open_dir (const char *path, bool create, const char *what, nook_error_t *err)
{
  int fd;

  if (create && mkdir_p (path, 0700, err) < 0)
    return nook_error_wrap (err, "create %s", what);
  fd = open (path, O_RDONLY | O_DIRECTORY);
  if (fd < 0)
    return nook_make_error (err, errno, "open %s `%s`", what, path);
  return fd;
}

static int
new_opts (criu_opts **out, nook_error_t *err)
{
  if (nook_libcriu_load (err) < 0)
    return -1;
  if (criu_local_init_opts (out) < 0)
    return nook_make_error (err, ENOMEM, "libcriu: init options");
  if (criu_local_set_service_binary (*out, criu_binary ()) < 0)
    return nook_make_error (err, ENOMEM, "libcriu: set the criu binary");
  return 0;
}

long long
nook_criu_log_size (const struct nook_criu *c)
{
  struct stat st;

  if (c->work_fd < 0 || fstatat (c->work_fd, c->log_name, &st, 0) < 0)
    return 0;
  return (long long) st.st_size;
}

bool
nook_criu_log_tail_has (const struct nook_criu *c, const char *needle)
{
  char tail[1025];
  cleanup_close int fd = -1;
  long long size = nook_criu_log_size (c);
  off_t from = size > 1024 ? (off_t) (size - 1024) : 0;
  ssize_t n;

  if (size == 0 || (fd = openat (c->work_fd, c->log_name, O_RDONLY | O_CLOEXEC)) < 0)
    return false;
  n = pread (fd, tail, sizeof tail - 1, from);
  if (n <= 0)
    return false;
  tail[n] = '\0';
  return strstr (tail, needle) != NULL;
}

const char *
nook_criu_work_dir (const struct nook_criu *c)
{
  return c->work;
}

int
nook_criu_new (const char *images, bool create_images, const char *work, const char *log_name,
               const char *cache_dir, struct nook_criu **out, nook_error_t *err)
{
  struct nook_criu *c = xmalloc0 (sizeof (*c));

  c->images_fd = c->work_fd = c->stderr_fd = -1;
  c->log_name = log_name;
  c->images = xstrdup (images);
  c->work = xstrdup (work ? work : images);
  if (new_opts (&c->opts, err) < 0 || check_version (c->opts, cache_dir, err) < 0)
    goto fail;
  c->images_fd = open_dir (images, create_images, "checkpoint image dir", err);
  if (c->images_fd < 0)
    goto fail;
  c->work_fd = open_dir (c->work, true, "CRIU work dir", err);
  if (c->work_fd < 0)
    goto fail;
  criu_local_set_images_dir_fd (c->opts, c->images_fd);
  criu_local_set_work_dir_fd (c->opts, c->work_fd);
  criu_local_set_log_level (c->opts, CRIU_LOG_DEBUG);
  if (criu_local_set_log_file (c->opts, log_name) < 0)
    {
      nook_make_error (err, ENOMEM, "libcriu: set the log file");
      goto fail;
    }
  *out = c;
  return 0;
fail:
  nook_criu_free (c);
  return -1;
}

/* ---- CRIU's kernel-feature cache (criu.kdat) ----
 *
 * CRIU probes the kernel on every run (~13 ms here: vDSO, pagemap, netns,
 * netfilter) unless it finds /run/criu.kdat, which it only writes on a
 * tmpfs.  Where /run is not one, the restore helper (in a mount namespace
 * of its own) mounts a private tmpfs on /run, puts nook's copy of the
 * cache there, and keeps what CRIU writes: in cache_dir/NOOK_CRIU_KDAT,
 * after a line with the boot id and the binary's key, so a reboot or
 * another criu binary makes CRIU probe again. */
#define NOOK_CRIU_KDAT ".criu-kdat"
#define RUN_KDAT "/run/criu.kdat"

static char *
kdat_header (void)
{
  cleanup_free char *key = version_cache_key (criu_binary ()), *boot = NULL;
  nook_error_t ignored = NULL;
  char *h = NULL;
  size_t len;

  if (key == NULL
      || read_all_file ("/proc/sys/kernel/random/boot_id", &boot, &len, &ignored) < 0)
    {
      nook_error_release (&ignored);
      return NULL;
    }
  boot[strcspn (boot, "\n")] = '\0';
  xasprintf (&h, "%s %s\n", boot, key);
  return h;
}

/* `criu check` in /run (the private tmpfs): CRIU writes criu.kdat. */
static int
probe_kdat (void)
{
  criu_opts *opts = NULL;
  nook_error_t ignored = NULL;
  cleanup_close int fd = open ("/run", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r = -1;

  if (fd >= 0 && new_opts (&opts, &ignored) == 0)
    {
      criu_local_set_work_dir_fd (opts, fd);
      criu_local_set_images_dir_fd (opts, fd);
      criu_local_set_log_file (opts, "criu-check.log");
      r = criu_local_check (opts);
    }
  nook_error_release (&ignored);
  if (opts)
    criu_local_free_opts (opts);
  return r;
}

int
nook_criu_kdat_load (const char *cache_dir)
{
  cleanup_free char *header = NULL, *data = NULL, *path = NULL;
  nook_error_t ignored = NULL;
  struct statfs sf;
  size_t len;

  if (cache_dir == NULL || statfs ("/run", &sf) < 0 || sf.f_type == TMPFS_MAGIC)
    return 0; /* CRIU keeps its own cache there */
  header = kdat_header ();
  if (header == NULL
      || mount ("nook-criu-run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0)
    return 0;
  xasprintf (&path, "%s/" NOOK_CRIU_KDAT, cache_dir);
  if (nook_cache_read (AT_FDCWD, path, header, strlen (header), &data, &len) && len > 0
      && write_file_at (AT_FDCWD, RUN_KDAT, data, len, 0600, &ignored) == 0)
    return 2;
  nook_error_release (&ignored);
  /* No cache yet: `criu check` makes one (once per boot and binary).  The
   * restore itself then starts from the cache, as every later one does:
   * a restore that probed and wrote the cache itself left the restored
   * tasks asleep for seconds now and then here (CRIU 4.1.1). */
  if (probe_kdat () == 0 && access (RUN_KDAT, F_OK) == 0)
    {
      nook_criu_kdat_store (cache_dir);
      return 2;
    }
  return 1;
}

void
nook_criu_kdat_store (const char *cache_dir)
{
  cleanup_free char *header = NULL, *data = NULL;
  nook_error_t ignored = NULL;
  cleanup_close int dirfd = -1;
  size_t len;

  header = kdat_header ();
  if (header == NULL || read_all_file (RUN_KDAT, &data, &len, &ignored) < 0)
    {
      nook_error_release (&ignored);
      return;
    }
  dirfd = open (cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0
      || nook_cache_write (dirfd, NOOK_CRIU_KDAT, header, strlen (header), data, len, &ignored)
           < 0)
    nook_error_release (&ignored); /* a cache: CRIU probes again next time */
}

/* Open path again at the same fd number. */
static int
reopen_at (const char *path, int fd, nook_error_t *err)
{
  int nfd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (nfd < 0)
    return nook_make_error (err, errno, "open `%s`", path);
  if (dup3 (nfd, fd, O_CLOEXEC) < 0)
    {
      close (nfd);
      return nook_make_error (err, errno, "dup `%s`", path);
    }
  close (nfd);
  return 0;
}

int
nook_criu_reopen_dirs (struct nook_criu *c, nook_error_t *err)
{
  if (reopen_at (c->images, c->images_fd, err) < 0)
    return -1;
  return reopen_at (c->work, c->work_fd, err);
}

/* CRIU prints this one on every run without CAP_SYS_RESOURCE; it is not
 * why anything failed. */
static bool
relevant_error_line (const char *line)
{
  return strstr (line, "Error") != NULL && strstr (line, "RLIMIT_NOFILE") == NULL;
}

/* The last few "Error" lines of CRIU's log, joined by "; ". */
static char *
log_errors (struct nook_criu *c)
{
  enum { KEEP = 3 };
  cleanup_free char *data = NULL;
  nook_error_t ignored = NULL;
  const char *keep[KEEP] = { NULL };
  size_t len, n = 0, i;
  char *line, *save = NULL, *out = NULL;

  if (read_all_file_at (c->work_fd, c->log_name, &data, &len, &ignored) < 0)
    {
      nook_error_release (&ignored);
      return NULL;
    }
  for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (relevant_error_line (line))
      keep[n++ % KEEP] = line;
  if (n == 0)
    return NULL;
  for (i = n > KEEP ? n - KEEP : 0; i < n; i++)
    {
      char *prev = out;
      const char *l = keep[i % KEEP];
      /* "(00.123) Error (criu/x.c:12): msg" -> "Error (criu/x.c:12): msg" */
      const char *e = strstr (l, "Error");
      xasprintf (&out, "%s%s%s", prev ? prev : "", prev ? "; " : "", e ? e : l);
      free (prev);
    }
  return out;
}

/* What CRIU printed on stderr before its log was open, on one line. */
static char *
stderr_lines (struct nook_criu *c)
{
  cleanup_free char *data = NULL;
  nook_error_t ignored = NULL;
  size_t len, i;

  if (c->stderr_fd < 0 || lseek (c->stderr_fd, 0, SEEK_SET) < 0
      || read_all_fd (c->stderr_fd, "CRIU's stderr", &data, &len, &ignored) < 0)
    {
      nook_error_release (&ignored);
      return NULL;
    }
  while (len > 0 && data[len - 1] == '\n')
    data[--len] = '\0';
  if (len == 0)
    return NULL;
  for (i = 0; i < len; i++)
    if (data[i] == '\n')
      data[i] = ';';
  return steal_pointer (&data);
}

/* CRIU (swrk) inherits nook's fd 2: point it at fd (if >= 0) for a call;
 * the saved fd 2 for stderr_back, or -1. */
static int
stderr_to (int fd)
{
  int saved = fd >= 0 ? fcntl (2, F_DUPFD_CLOEXEC, 3) : -1;

  if (saved >= 0)
    dup2 (fd, 2);
  return saved;
}

static void
stderr_back (int saved)
{
  if (saved >= 0)
    {
      dup2 (saved, 2);
      close (saved);
    }
}

int
nook_criu_run (struct nook_criu *c, int (*call) (criu_opts *), nook_error_t *err)
{
  int saved, r;

  if (c->stderr_fd < 0)
    c->stderr_fd = memfd_create ("criu-stderr", MFD_CLOEXEC);
  saved = stderr_to (c->stderr_fd);
  r = call (c->opts);
  stderr_back (saved);
  return r;
}

int
nook_criu_fail (struct nook_criu *c, int r, const char *what, nook_error_t *err)
{
  cleanup_free char *lines = log_errors (c);
  int e = r < 0 ? -r : 0;

  if (lines == NULL)
    lines = stderr_lines (c);

  /* -EBADE (52) is "CRIU said no": the log has the reason, not errno. */
  if (e == EBADE)
    e = 0;
  if (lines)
    return nook_make_error (err, 0, "%s: CRIU failed (log %s/%s): %s", what, c->work, c->log_name,
                            lines);
  return nook_make_error (err, e, "%s: CRIU failed (log %s/%s)", what, c->work, c->log_name);
}

static const struct
{
  const char *name;
  enum criu_cg_mode mode;
} cg_modes[] = {
  { "soft", CRIU_CG_MODE_SOFT },
  { "full", CRIU_CG_MODE_FULL },
  { "strict", CRIU_CG_MODE_STRICT },
  { "ignore", CRIU_CG_MODE_IGNORE },
};

int
nook_criu_cg_mode (const char *name, int *mode, nook_error_t *err)
{
  size_t i;

  for (i = 0; i < sizeof (cg_modes) / sizeof (cg_modes[0]); i++)
    if (strcmp (cg_modes[i].name, name) == 0)
      {
        *mode = cg_modes[i].mode;
        return 0;
      }
  return nook_make_error (err, 0,
                          "--manage-cgroups-mode must be soft, full, strict or ignore, not `%s`",
                          name);
}

/* CRIU's lazy page server (page-xfer.c: pipe_read_dest_init) grows a pipe
 * to PIPE_MAX_SIZE pages (as many as 8 pages hold 40-byte struct pipe_buffer:
 * 819; the kernel rounds to 4 MiB) and ignores a failure: every page then
 * fails to send (splice to fd -1), the lazy-pages daemon loses its page server and
 * CRIU 4.1.1's restore hangs for good.  Without CAP_SYS_RESOURCE the kernel
 * refuses pipes over fs.pipe-max-size (1 MiB by default), so try what CRIU
 * will try, with the credentials CRIU inherits (ours). */
int
nook_criu_lazy_pipe_check (nook_error_t *err)
{
  long page = sysconf (_SC_PAGESIZE);
  long bytes = (8 * page / 40) * page;
  int p[2], r, e;
  char max[32] = "?";
  cleanup_close int fd = -1;

  if (pipe2 (p, O_CLOEXEC) < 0)
    return nook_make_error (err, errno, "--lazy-pages: make a pipe");
  r = fcntl (p[0], F_SETPIPE_SZ, (int) bytes);
  e = errno;
  close (p[0]);
  close (p[1]);
  if (r >= 0)
    return 0;
  fd = open ("/proc/sys/fs/pipe-max-size", O_RDONLY | O_CLOEXEC);
  if (fd >= 0 && (r = read (fd, max, sizeof max - 1)) > 0)
    max[strcspn (max, "\n")] = '\0';
  return nook_make_error (err, e,
                          "--lazy-pages: CRIU's lazy page server needs a pipe of %ld bytes and "
                          "its failure hangs the restore; fs.pipe-max-size is %s and there is "
                          "no CAP_SYS_RESOURCE (sysctl fs.pipe-max-size=4194304 allows it)",
                          bytes, max);
}

int
nook_criu_probe (int *version, bool *check_ok, bool *lazy_pages, bool *mem_track,
                 nook_error_t *err)
{
  criu_opts *opts = NULL;
  struct criu_feature_check f = { .lazy_pages = true, .mem_track = true };
  cleanup_close int devnull = -1;
  int saved;

  *version = 0;
  *check_ok = *lazy_pages = *mem_track = false;
  if (new_opts (&opts, err) < 0)
    {
      if (opts)
        criu_local_free_opts (opts);
      return -1;
    }
  /* What CRIU complains of on its stderr here (an old one fails on this
   * kernel) is not nook's output. */
  devnull = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  saved = stderr_to (devnull);
  *version = binary_exists (criu_binary ()) ? criu_local_get_version (opts) : 0;
  if (*version < 0)
    *version = 0;
  if (*version > 0)
    {
      /* CRIU logs into its work dir (a bare file name only): a private one. */
      char dir[] = "/tmp/nook-criu-check.XXXXXX";
      int fd = mkdtemp (dir) ? open (dir, O_RDONLY | O_DIRECTORY) : -1;

      if (fd >= 0)
        {
          criu_local_set_work_dir_fd (opts, fd);
          criu_local_set_images_dir_fd (opts, fd);
          criu_local_set_log_file (opts, "check.log");
        }
      *check_ok = criu_local_check (opts) == 0;
      if (criu_local_feature_check (opts, &f, sizeof f) == 0)
        {
          *lazy_pages = f.lazy_pages;
          *mem_track = f.mem_track;
        }
      if (fd >= 0)
        {
          nook_error_t ignored = NULL;
          if (remove_tree_at (AT_FDCWD, dir, &ignored) < 0)
            nook_error_release (&ignored);
          close (fd);
        }
    }
  stderr_back (saved);
  criu_local_free_opts (opts);
  return 0;
}
