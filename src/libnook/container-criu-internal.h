/* nook - what checkpoint and restore share across their files (not for
 * callers outside container-criu*.c and container-checkpoint.c). */
#ifndef NOOK_CONTAINER_CRIU_INTERNAL_H
#define NOOK_CONTAINER_CRIU_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>
#include "criu.h"
#include "error.h"
#include "oci.h"

/* s (freed) printed with fmt into a new string: fmt takes s, a, b. */
char *criu_append (char *s, const char *fmt, const char *a, const char *b);

/* The external key of a network namespace joined by path. */
#define EXT_NETNS_KEY "extRootNetNS"

/* A bind mount (type "bind", or a bind/rbind option). */
bool cr_is_bind_mount (const oci_mount *m);
/* linux.namespaces' network path, or NULL (none, or a new one). */
const char *cr_netns_path (const oci_container *cfg);
/* "FLAG: WHY": what this libcriu/CRIU pair cannot do on a request. */
int cr_refuse (const char *flag, const char *why, nook_error_t *err);
/* Skip CRIU's iptables network lock unless TCP connections are kept. */
void cr_set_network_lock (struct nook_criu *c, bool tcp_established);
/* --manage-cgroups-mode NAME (NULL: soft, runc's default). */
int cr_set_cg_mode (struct nook_criu *c, const char *name, nook_error_t *err);

/* container-criu-ns.c: the container's cgroup mounts as external mounts
 * (both directions), and a blank network namespace made anew. */
int dump_cgroup_mounts (struct nook_criu *c, pid_t pid, nook_error_t *err);
int restore_cgroup_mounts (struct nook_criu *c, nook_error_t *err);
/* A namespace of TYPE of the container's own (new, not joined by path). */
bool cr_owns_ns (const oci_container *cfg, const char *type);
int dump_blank_netns (struct nook_criu *c, const oci_container *cfg, const char *empty_ns, pid_t pid,
                      nook_error_t *err);
int loopback_up_in (pid_t pid, nook_error_t *err);
/* fn (arg, err) run with this process in the namespace at path (ns "net"
 * or "uts", of type CLONE_NEWNET or CLONE_NEWUTS), then back in its own:
 * how the restore helper reaches into a restored or a joined namespace. */
int cr_in_ns (const char *path, const char *ns, int type, int (*fn) (void *, nook_error_t *),
              void *arg, nook_error_t *err);

#endif
