/* nook - what checkpoint and restore share across their files (not for
 * callers outside container-criu*.c). */
#ifndef NOOK_CONTAINER_CRIU_INTERNAL_H
#define NOOK_CONTAINER_CRIU_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>
#include "criu.h"
#include "error.h"
#include "oci.h"

/* s (freed) printed with fmt into a new string: fmt takes s, a, b. */
char *criu_append (char *s, const char *fmt, const char *a, const char *b);

/* container-criu-ns.c: the container's cgroup mounts as external mounts
 * (both directions), and a blank network namespace made anew. */
int dump_cgroup_mounts (struct nook_criu *c, pid_t pid, nook_error_t *err);
int restore_cgroup_mounts (struct nook_criu *c, nook_error_t *err);
bool own_uts_ns (const oci_container *cfg);
int dump_blank_netns (struct nook_criu *c, const oci_container *cfg, const char *empty_ns, pid_t pid,
                      nook_error_t *err);
int loopback_up_in (pid_t pid, nook_error_t *err);

#endif
