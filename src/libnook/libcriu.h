/* nook - libcriu, opened when checkpoint, restore or features first need
 * it.  Linked, libcriu and the libprotobuf-c it pulls in cost every nook
 * process their load time (create, start, delete, exec...), and most never
 * talk to CRIU.  The functions come from the real library, with the
 * header's own prototypes; files that call them include this header
 * instead of <criu/criu.h>. */
#ifndef NOOK_LIBCRIU_H
#define NOOK_LIBCRIU_H

#include <criu/criu.h>
#include "error.h"

#define LIBCRIU_FUNCTIONS(X) \
  X (criu_get_orphan_pts_master_fd) \
  X (criu_local_add_cg_root) \
  X (criu_local_add_ext_mount) \
  X (criu_local_add_external) \
  X (criu_local_add_inherit_fd) \
  X (criu_local_check) \
  X (criu_local_dump) \
  X (criu_local_feature_check) \
  X (criu_local_free_opts) \
  X (criu_local_get_version) \
  X (criu_local_init_opts) \
  X (criu_local_join_ns_add) \
  X (criu_local_pre_dump) \
  X (criu_local_restore_child) \
  X (criu_local_set_auto_dedup) \
  X (criu_local_set_evasive_devices) \
  X (criu_local_set_ext_unix_sk) \
  X (criu_local_set_file_locks) \
  X (criu_local_set_freeze_cgroup) \
  X (criu_local_set_images_dir_fd) \
  X (criu_local_set_leave_running) \
  X (criu_local_set_log_file) \
  X (criu_local_set_log_level) \
  X (criu_local_set_manage_cgroups) \
  X (criu_local_set_manage_cgroups_mode) \
  X (criu_local_set_notify_cb) \
  X (criu_local_set_orphan_pts_master) \
  X (criu_local_set_page_server_address_port) \
  X (criu_local_set_parent_images) \
  X (criu_local_set_pid) \
  X (criu_local_set_root) \
  X (criu_local_set_service_binary) \
  X (criu_local_set_shell_job) \
  X (criu_local_set_tcp_established) \
  X (criu_local_set_track_mem) \
  X (criu_local_set_work_dir_fd) \
  X (criu_notify_pid)

#define LIBCRIU_DECLARE(name) __typeof__ (name) *name;
/* Filled once by nook_libcriu_load, then only read: a cache of the
 * library, like the parsed global options. */
struct nook_libcriu
{
  LIBCRIU_FUNCTIONS (LIBCRIU_DECLARE)
};
#undef LIBCRIU_DECLARE
extern struct nook_libcriu nook_libcriu;

/* dlopen libcriu.so.2 (once); an error names what is missing. */
int nook_libcriu_load (nook_error_t *err);

/* From here on every criu_X call goes through nook_libcriu.criu_X
 * (libcriu.c, which fills the struct, does without). */
#ifndef NOOK_LIBCRIU_NO_MACROS
#define criu_get_orphan_pts_master_fd nook_libcriu.criu_get_orphan_pts_master_fd
#define criu_local_add_cg_root nook_libcriu.criu_local_add_cg_root
#define criu_local_add_ext_mount nook_libcriu.criu_local_add_ext_mount
#define criu_local_add_external nook_libcriu.criu_local_add_external
#define criu_local_add_inherit_fd nook_libcriu.criu_local_add_inherit_fd
#define criu_local_check nook_libcriu.criu_local_check
#define criu_local_dump nook_libcriu.criu_local_dump
#define criu_local_feature_check nook_libcriu.criu_local_feature_check
#define criu_local_free_opts nook_libcriu.criu_local_free_opts
#define criu_local_get_version nook_libcriu.criu_local_get_version
#define criu_local_init_opts nook_libcriu.criu_local_init_opts
#define criu_local_join_ns_add nook_libcriu.criu_local_join_ns_add
#define criu_local_pre_dump nook_libcriu.criu_local_pre_dump
#define criu_local_restore_child nook_libcriu.criu_local_restore_child
#define criu_local_set_auto_dedup nook_libcriu.criu_local_set_auto_dedup
#define criu_local_set_evasive_devices nook_libcriu.criu_local_set_evasive_devices
#define criu_local_set_ext_unix_sk nook_libcriu.criu_local_set_ext_unix_sk
#define criu_local_set_file_locks nook_libcriu.criu_local_set_file_locks
#define criu_local_set_freeze_cgroup nook_libcriu.criu_local_set_freeze_cgroup
#define criu_local_set_images_dir_fd nook_libcriu.criu_local_set_images_dir_fd
#define criu_local_set_leave_running nook_libcriu.criu_local_set_leave_running
#define criu_local_set_log_file nook_libcriu.criu_local_set_log_file
#define criu_local_set_log_level nook_libcriu.criu_local_set_log_level
#define criu_local_set_manage_cgroups nook_libcriu.criu_local_set_manage_cgroups
#define criu_local_set_manage_cgroups_mode nook_libcriu.criu_local_set_manage_cgroups_mode
#define criu_local_set_notify_cb nook_libcriu.criu_local_set_notify_cb
#define criu_local_set_orphan_pts_master nook_libcriu.criu_local_set_orphan_pts_master
#define criu_local_set_page_server_address_port nook_libcriu.criu_local_set_page_server_address_port
#define criu_local_set_parent_images nook_libcriu.criu_local_set_parent_images
#define criu_local_set_pid nook_libcriu.criu_local_set_pid
#define criu_local_set_root nook_libcriu.criu_local_set_root
#define criu_local_set_service_binary nook_libcriu.criu_local_set_service_binary
#define criu_local_set_shell_job nook_libcriu.criu_local_set_shell_job
#define criu_local_set_tcp_established nook_libcriu.criu_local_set_tcp_established
#define criu_local_set_track_mem nook_libcriu.criu_local_set_track_mem
#define criu_local_set_work_dir_fd nook_libcriu.criu_local_set_work_dir_fd
#define criu_notify_pid nook_libcriu.criu_notify_pid

#endif /* NOOK_LIBCRIU_NO_MACROS */

#endif
