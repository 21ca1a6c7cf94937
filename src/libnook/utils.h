/* nook - small helpers with no policy: cleanup attributes, file I/O. */
#ifndef NOOK_UTILS_H
#define NOOK_UTILS_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"

void cleanup_freep (void *p);
void cleanup_closep (int *fd);
void cleanup_dirp (void *d);
#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_dir __attribute__ ((cleanup (cleanup_dirp)))

/* Hand ownership out of a cleanup variable. */
#define steal_pointer(pp) ({ __typeof__ (*(pp)) _p = *(pp); *(pp) = NULL; _p; })
#define steal_fd(fdp) ({ int _fd = *(fdp); *(fdp) = -1; _fd; })

void *xmalloc0 (size_t size);
void *xrealloc (void *p, size_t size);
char *xstrdup (const char *s);
int xasprintf (char **out, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Append s (not copied) to a NULL-terminated array of *n strings. */
void strv_append (char ***v, size_t *n, char *s);

/* Read a whole file (at dirfd, or AT_FDCWD); *out is NUL terminated. */
int read_all_file_at (int dirfd, const char *path, char **out, size_t *len, nook_error_t *err);
#define read_all_file(p, o, l, e) read_all_file_at (AT_FDCWD, p, o, l, e)
int read_all_fd (int fd, const char *description, char **out, size_t *len, nook_error_t *err);
/* Write a whole buffer to a new file at dirfd/path (O_TRUNC). */
int write_file_at (int dirfd, const char *path, const void *data, size_t len, mode_t mode, nook_error_t *err);
/* Write into a file at dirfd/name (no create, no truncate): cgroup and proc files. */
int write_existing_file_at (int dirfd, const char *name, const char *data, size_t len, nook_error_t *err);
/* Atomically replace dirfd/name: write name.tmp, fsync not needed, rename. */
int write_file_atomic_at (int dirfd, const char *name, const void *data, size_t len, nook_error_t *err);
int write_all (int fd, const void *buf, size_t len);

/* Cache files (the seccomp programs, CRIU's version and kernel probes):
 * the key (klen bytes, its own separator included) then the payload.
 * nook_cache_read gives the payload (malloc'd, NUL terminated) of a file
 * that starts with the key; a missing, unreadable or other-keyed file is
 * a miss (false), never an error. */
bool nook_cache_read (int dirfd, const char *name, const char *key, size_t klen, char **payload,
                      size_t *len);
/* Replace the cache file atomically; a failure only costs a later miss. */
int nook_cache_write (int dirfd, const char *name, const char *key, size_t klen,
                      const void *payload, size_t len, nook_error_t *err);

/* mkdir -p; mode for created components. */
int mkdir_p (const char *path, mode_t mode, nook_error_t *err);
/* rm -rf below dirfd/name, not crossing mount points. */
int remove_tree_at (int dirfd, const char *name, nook_error_t *err);

/* Strict number parsing: the whole string must be a number in range. */
int parse_int64 (const char *s, int64_t *out);
int parse_uint64 (const char *s, uint64_t *out);

/* Container ids: [A-Za-z0-9][A-Za-z0-9_.+-]*, at most 1024 chars, as runc. */
bool container_id_valid (const char *id);
/* The error for an invalid id, printable on one line. */
int invalid_id_error (const char *id, nook_error_t *err);

/* Process start time (field 22 of /proc/PID/stat) to recognise PID reuse.
 * Returns 0 and *out = 0 when the process does not exist. */
int process_start_time (pid_t pid, uint64_t *out, nook_error_t *err);

/* RFC 3339 timestamp with nanoseconds, UTC, as runc writes `created`. */
char *timestamp_rfc3339 (void);

/* Close every fd >= first except those in keep[0..nkeep). */
int close_fds_from (int first, const int *keep, size_t nkeep);

#endif
