/* libocispec - one descriptor table per struct of oci.h, keys as spelled by
 * runtime-spec 1.2 (plus execCPUAffinity and netDevices, which oci.h
 * carries from later versions).  Tables are listed leaves first so each
 * refers only to descriptors already defined; field order is the order
 * fields are written, the same as runc's Go structs.
 *
 * Every entry checks at compile time that the C field has the type its kind
 * reads and writes, so a table cannot silently disagree with oci.h.
 */
#include <config.h>

#include "oci.h"
#include "oci-walker.h"

/* 0, or a compile error when T.field is not of type ctype. */
#define TYPE_CHECK(T, field, ctype)                                                        \
  (0 * sizeof (char[__builtin_types_compatible_p (__typeof__ (((T *) 0)->field), ctype)   \
                        ? 1                                                                \
                        : -1]))
#define AT_TYPED(T, field, ctype) (offsetof (T, field) + TYPE_CHECK (T, field, ctype))

#define CTYPE_STRING char *
#define CTYPE_BOOL bool
#define CTYPE_INT32 int32_t
#define CTYPE_UINT32 uint32_t
#define CTYPE_UINT16 uint16_t
#define CTYPE_INT64 int64_t
#define CTYPE_UINT64 uint64_t

/* A string or scalar whose absence is NULL / zero / false. */
#define FIELD(T, key, K, field) { key, OCI_##K, AT_TYPED (T, field, CTYPE_##K), OCI_NO_AUX, NULL, false }
#define REQUIRED(T, key, K, field) { key, OCI_##K, AT_TYPED (T, field, CTYPE_##K), OCI_NO_AUX, NULL, true }
/* A scalar with a `bool has_<field>`. */
#define OPTIONAL(T, key, K, field)                                                         \
  { key, OCI_##K, AT_TYPED (T, field, CTYPE_##K), AT_TYPED (T, has_##field, bool), NULL, false }
#define OBJECT(T, key, field, ST)                                                          \
  { key, OCI_OBJECT, AT_TYPED (T, field, ST *), OCI_NO_AUX, &ST##_desc, false }
#define ARRAY_LEN(T, field) AT_TYPED (T, field##_len, size_t)
#define STRINGS(T, key, field)                                                             \
  { key, OCI_STRING_ARRAY, AT_TYPED (T, field, char **), ARRAY_LEN (T, field), NULL, false }
#define STRINGS_REQUIRED(T, key, field)                                                    \
  { key, OCI_STRING_ARRAY, AT_TYPED (T, field, char **), ARRAY_LEN (T, field), NULL, true }
#define UINT32S(T, key, field)                                                             \
  { key, OCI_UINT32_ARRAY, AT_TYPED (T, field, uint32_t *), ARRAY_LEN (T, field), NULL, false }
#define STRUCTS(T, key, field, ST)                                                         \
  { key, OCI_STRUCT_ARRAY, AT_TYPED (T, field, ST *), ARRAY_LEN (T, field), &ST##_desc, false }
#define KEYED(T, key, field, ST)                                                           \
  { key, OCI_KEYED_STRUCTS, AT_TYPED (T, field, ST *), ARRAY_LEN (T, field), &ST##_desc, false }
#define MAP(T, key, field) { key, OCI_MAP, AT_TYPED (T, field, oci_map), OCI_NO_AUX, NULL, false }

#define N_FIELDS(T) (sizeof (T##_fields) / sizeof (T##_fields[0]))
/* The descriptor of T, from the table T_fields. */
#define DESC(T) const oci_desc T##_desc = { #T, sizeof (T), OCI_NO_AUX, T##_fields, N_FIELDS (T) }
/* The same for the elements of an OCI_KEYED_STRUCTS: keyfield gets the key. */
#define KEYED_DESC(T, keyfield)                                                            \
  const oci_desc T##_desc                                                                  \
    = { #T, sizeof (T), AT_TYPED (T, keyfield, char *), T##_fields, N_FIELDS (T) }

/* ---- config.json: root, mounts, hooks ---- */

static const oci_field oci_root_fields[] = {
  REQUIRED (oci_root, "path", STRING, path),
  FIELD (oci_root, "readonly", BOOL, readonly),
};
static DESC (oci_root);

static const oci_field oci_id_mapping_fields[] = {
  REQUIRED (oci_id_mapping, "containerID", UINT32, container_id),
  REQUIRED (oci_id_mapping, "hostID", UINT32, host_id),
  REQUIRED (oci_id_mapping, "size", UINT32, size),
};
static DESC (oci_id_mapping);

static const oci_field oci_mount_fields[] = {
  REQUIRED (oci_mount, "destination", STRING, destination),
  FIELD (oci_mount, "type", STRING, type),
  FIELD (oci_mount, "source", STRING, source),
  STRINGS (oci_mount, "options", options),
  STRUCTS (oci_mount, "uidMappings", uid_mappings, oci_id_mapping),
  STRUCTS (oci_mount, "gidMappings", gid_mappings, oci_id_mapping),
};
static DESC (oci_mount);

static const oci_field oci_hook_fields[] = {
  REQUIRED (oci_hook, "path", STRING, path),
  STRINGS (oci_hook, "args", args),
  STRINGS (oci_hook, "env", env),
  OPTIONAL (oci_hook, "timeout", INT64, timeout),
};
static DESC (oci_hook);

static const oci_field oci_hooks_fields[] = {
  STRUCTS (oci_hooks, "prestart", prestart, oci_hook),
  STRUCTS (oci_hooks, "createRuntime", create_runtime, oci_hook),
  STRUCTS (oci_hooks, "createContainer", create_container, oci_hook),
  STRUCTS (oci_hooks, "startContainer", start_container, oci_hook),
  STRUCTS (oci_hooks, "poststart", poststart, oci_hook),
  STRUCTS (oci_hooks, "poststop", poststop, oci_hook),
};
static DESC (oci_hooks);

/* ---- process ---- */

static const oci_field oci_console_size_fields[] = {
  REQUIRED (oci_console_size, "height", UINT32, height),
  REQUIRED (oci_console_size, "width", UINT32, width),
};
static DESC (oci_console_size);

static const oci_field oci_user_fields[] = {
  REQUIRED (oci_user, "uid", UINT32, uid),
  REQUIRED (oci_user, "gid", UINT32, gid),
  OPTIONAL (oci_user, "umask", UINT32, umask),
  UINT32S (oci_user, "additionalGids", additional_gids),
  FIELD (oci_user, "username", STRING, username),
};
static DESC (oci_user);

static const oci_field oci_capabilities_fields[] = {
  STRINGS (oci_capabilities, "bounding", bounding),
  STRINGS (oci_capabilities, "effective", effective),
  STRINGS (oci_capabilities, "inheritable", inheritable),
  STRINGS (oci_capabilities, "permitted", permitted),
  STRINGS (oci_capabilities, "ambient", ambient),
};
static DESC (oci_capabilities);

static const oci_field oci_rlimit_fields[] = {
  REQUIRED (oci_rlimit, "type", STRING, type),
  REQUIRED (oci_rlimit, "hard", UINT64, hard),
  REQUIRED (oci_rlimit, "soft", UINT64, soft),
};
static DESC (oci_rlimit);

static const oci_field oci_io_priority_fields[] = {
  REQUIRED (oci_io_priority, "class", STRING, class),
  FIELD (oci_io_priority, "priority", INT32, priority),
};
static DESC (oci_io_priority);

static const oci_field oci_scheduler_fields[] = {
  REQUIRED (oci_scheduler, "policy", STRING, policy),
  FIELD (oci_scheduler, "nice", INT32, nice),
  FIELD (oci_scheduler, "priority", INT32, priority),
  STRINGS (oci_scheduler, "flags", flags),
  FIELD (oci_scheduler, "runtime", UINT64, runtime),
  FIELD (oci_scheduler, "deadline", UINT64, deadline),
  FIELD (oci_scheduler, "period", UINT64, period),
};
static DESC (oci_scheduler);

static const oci_field oci_exec_cpu_affinity_fields[] = {
  FIELD (oci_exec_cpu_affinity, "initial", STRING, initial),
  FIELD (oci_exec_cpu_affinity, "final", STRING, final),
};
static DESC (oci_exec_cpu_affinity);

static const oci_field oci_process_fields[] = {
  FIELD (oci_process, "terminal", BOOL, terminal),
  OBJECT (oci_process, "consoleSize", console_size, oci_console_size),
  OBJECT (oci_process, "user", user, oci_user),
  STRINGS (oci_process, "args", args),
  FIELD (oci_process, "commandLine", STRING, command_line),
  STRINGS (oci_process, "env", env),
  REQUIRED (oci_process, "cwd", STRING, cwd),
  OBJECT (oci_process, "capabilities", capabilities, oci_capabilities),
  STRUCTS (oci_process, "rlimits", rlimits, oci_rlimit),
  FIELD (oci_process, "noNewPrivileges", BOOL, no_new_privileges),
  FIELD (oci_process, "apparmorProfile", STRING, apparmor_profile),
  OPTIONAL (oci_process, "oomScoreAdj", INT32, oom_score_adj),
  FIELD (oci_process, "selinuxLabel", STRING, selinux_label),
  OBJECT (oci_process, "ioPriority", io_priority, oci_io_priority),
  OBJECT (oci_process, "scheduler", scheduler, oci_scheduler),
  OBJECT (oci_process, "execCPUAffinity", exec_cpu_affinity, oci_exec_cpu_affinity),
};
DESC (oci_process);

/* ---- linux: namespaces, devices ---- */

static const oci_field oci_namespace_fields[] = {
  REQUIRED (oci_namespace, "type", STRING, type),
  FIELD (oci_namespace, "path", STRING, path),
};
static DESC (oci_namespace);

static const oci_field oci_time_offset_fields[] = {
  FIELD (oci_time_offset, "secs", INT64, secs),
  FIELD (oci_time_offset, "nanosecs", UINT32, nanosecs),
};
static KEYED_DESC (oci_time_offset, clock);

static const oci_field oci_device_fields[] = {
  REQUIRED (oci_device, "type", STRING, type),
  REQUIRED (oci_device, "path", STRING, path),
  OPTIONAL (oci_device, "major", INT64, major),
  OPTIONAL (oci_device, "minor", INT64, minor),
  OPTIONAL (oci_device, "fileMode", UINT32, file_mode),
  OPTIONAL (oci_device, "uid", UINT32, uid),
  OPTIONAL (oci_device, "gid", UINT32, gid),
};
static DESC (oci_device);

static const oci_field oci_net_device_fields[] = {
  FIELD (oci_net_device, "name", STRING, name),
};
static KEYED_DESC (oci_net_device, host_name);

/* ---- linux.resources ---- */

static const oci_field oci_device_cgroup_fields[] = {
  REQUIRED (oci_device_cgroup, "allow", BOOL, allow),
  FIELD (oci_device_cgroup, "type", STRING, type),
  OPTIONAL (oci_device_cgroup, "major", INT64, major),
  OPTIONAL (oci_device_cgroup, "minor", INT64, minor),
  FIELD (oci_device_cgroup, "access", STRING, access),
};
static DESC (oci_device_cgroup);

static const oci_field oci_memory_fields[] = {
  OPTIONAL (oci_memory, "limit", INT64, limit),
  OPTIONAL (oci_memory, "reservation", INT64, reservation),
  OPTIONAL (oci_memory, "swap", INT64, swap),
  OPTIONAL (oci_memory, "kernel", INT64, kernel),
  OPTIONAL (oci_memory, "kernelTCP", INT64, kernel_tcp),
  OPTIONAL (oci_memory, "swappiness", UINT64, swappiness),
  OPTIONAL (oci_memory, "disableOOMKiller", BOOL, disable_oom_killer),
  OPTIONAL (oci_memory, "useHierarchy", BOOL, use_hierarchy),
  OPTIONAL (oci_memory, "checkBeforeUpdate", BOOL, check_before_update),
};
static DESC (oci_memory);

static const oci_field oci_cpu_fields[] = {
  OPTIONAL (oci_cpu, "shares", UINT64, shares),
  OPTIONAL (oci_cpu, "quota", INT64, quota),
  OPTIONAL (oci_cpu, "burst", UINT64, burst),
  OPTIONAL (oci_cpu, "period", UINT64, period),
  OPTIONAL (oci_cpu, "realtimeRuntime", INT64, realtime_runtime),
  OPTIONAL (oci_cpu, "realtimePeriod", UINT64, realtime_period),
  FIELD (oci_cpu, "cpus", STRING, cpus),
  FIELD (oci_cpu, "mems", STRING, mems),
  OPTIONAL (oci_cpu, "idle", INT64, idle),
};
static DESC (oci_cpu);

static const oci_field oci_pids_fields[] = {
  REQUIRED (oci_pids, "limit", INT64, limit),
};
static DESC (oci_pids);

static const oci_field oci_weight_device_fields[] = {
  REQUIRED (oci_weight_device, "major", INT64, major),
  REQUIRED (oci_weight_device, "minor", INT64, minor),
  OPTIONAL (oci_weight_device, "weight", UINT16, weight),
  OPTIONAL (oci_weight_device, "leafWeight", UINT16, leaf_weight),
};
static DESC (oci_weight_device);

static const oci_field oci_throttle_device_fields[] = {
  REQUIRED (oci_throttle_device, "major", INT64, major),
  REQUIRED (oci_throttle_device, "minor", INT64, minor),
  REQUIRED (oci_throttle_device, "rate", UINT64, rate),
};
static DESC (oci_throttle_device);

static const oci_field oci_block_io_fields[] = {
  OPTIONAL (oci_block_io, "weight", UINT16, weight),
  OPTIONAL (oci_block_io, "leafWeight", UINT16, leaf_weight),
  STRUCTS (oci_block_io, "weightDevice", weight_device, oci_weight_device),
  STRUCTS (oci_block_io, "throttleReadBpsDevice", throttle_read_bps_device, oci_throttle_device),
  STRUCTS (oci_block_io, "throttleWriteBpsDevice", throttle_write_bps_device, oci_throttle_device),
  STRUCTS (oci_block_io, "throttleReadIOPSDevice", throttle_read_iops_device, oci_throttle_device),
  STRUCTS (oci_block_io, "throttleWriteIOPSDevice", throttle_write_iops_device,
           oci_throttle_device),
};
static DESC (oci_block_io);

static const oci_field oci_hugepage_limit_fields[] = {
  REQUIRED (oci_hugepage_limit, "pageSize", STRING, page_size),
  REQUIRED (oci_hugepage_limit, "limit", UINT64, limit),
};
static DESC (oci_hugepage_limit);

static const oci_field oci_net_priority_fields[] = {
  REQUIRED (oci_net_priority, "name", STRING, name),
  REQUIRED (oci_net_priority, "priority", UINT32, priority),
};
static DESC (oci_net_priority);

static const oci_field oci_network_fields[] = {
  OPTIONAL (oci_network, "classID", UINT32, class_id),
  STRUCTS (oci_network, "priorities", priorities, oci_net_priority),
};
static DESC (oci_network);

static const oci_field oci_rdma_fields[] = {
  OPTIONAL (oci_rdma, "hcaHandles", UINT32, hca_handles),
  OPTIONAL (oci_rdma, "hcaObjects", UINT32, hca_objects),
};
static KEYED_DESC (oci_rdma, device);

static const oci_field oci_resources_fields[] = {
  STRUCTS (oci_resources, "devices", devices, oci_device_cgroup),
  OBJECT (oci_resources, "memory", memory, oci_memory),
  OBJECT (oci_resources, "cpu", cpu, oci_cpu),
  OBJECT (oci_resources, "pids", pids, oci_pids),
  OBJECT (oci_resources, "blockIO", block_io, oci_block_io),
  STRUCTS (oci_resources, "hugepageLimits", hugepage_limits, oci_hugepage_limit),
  OBJECT (oci_resources, "network", network, oci_network),
  KEYED (oci_resources, "rdma", rdma, oci_rdma),
  MAP (oci_resources, "unified", unified),
};
static DESC (oci_resources);

/* ---- linux: seccomp, personality, intelRdt ---- */

static const oci_field oci_seccomp_arg_fields[] = {
  REQUIRED (oci_seccomp_arg, "index", UINT32, index),
  REQUIRED (oci_seccomp_arg, "value", UINT64, value),
  FIELD (oci_seccomp_arg, "valueTwo", UINT64, value_two),
  REQUIRED (oci_seccomp_arg, "op", STRING, op),
};
static DESC (oci_seccomp_arg);

static const oci_field oci_seccomp_syscall_fields[] = {
  STRINGS_REQUIRED (oci_seccomp_syscall, "names", names),
  REQUIRED (oci_seccomp_syscall, "action", STRING, action),
  OPTIONAL (oci_seccomp_syscall, "errnoRet", UINT32, errno_ret),
  STRUCTS (oci_seccomp_syscall, "args", args, oci_seccomp_arg),
};
static DESC (oci_seccomp_syscall);

static const oci_field oci_seccomp_fields[] = {
  REQUIRED (oci_seccomp, "defaultAction", STRING, default_action),
  OPTIONAL (oci_seccomp, "defaultErrnoRet", UINT32, default_errno_ret),
  STRINGS (oci_seccomp, "architectures", architectures),
  STRINGS (oci_seccomp, "flags", flags),
  FIELD (oci_seccomp, "listenerPath", STRING, listener_path),
  FIELD (oci_seccomp, "listenerMetadata", STRING, listener_metadata),
  STRUCTS (oci_seccomp, "syscalls", syscalls, oci_seccomp_syscall),
};
static DESC (oci_seccomp);

static const oci_field oci_personality_fields[] = {
  REQUIRED (oci_personality, "domain", STRING, domain),
  STRINGS (oci_personality, "flags", flags),
};
static DESC (oci_personality);

static const oci_field oci_intel_rdt_fields[] = {
  FIELD (oci_intel_rdt, "closID", STRING, clos_id),
  FIELD (oci_intel_rdt, "l3CacheSchema", STRING, l3_cache_schema),
  FIELD (oci_intel_rdt, "memBwSchema", STRING, mem_bw_schema),
  FIELD (oci_intel_rdt, "enableCMT", BOOL, enable_cmt),
  FIELD (oci_intel_rdt, "enableMBM", BOOL, enable_mbm),
};
static DESC (oci_intel_rdt);

static const oci_field oci_linux_fields[] = {
  STRUCTS (oci_linux, "namespaces", namespaces, oci_namespace),
  STRUCTS (oci_linux, "uidMappings", uid_mappings, oci_id_mapping),
  STRUCTS (oci_linux, "gidMappings", gid_mappings, oci_id_mapping),
  KEYED (oci_linux, "timeOffsets", time_offsets, oci_time_offset),
  STRUCTS (oci_linux, "devices", devices, oci_device),
  KEYED (oci_linux, "netDevices", net_devices, oci_net_device),
  FIELD (oci_linux, "cgroupsPath", STRING, cgroups_path),
  FIELD (oci_linux, "rootfsPropagation", STRING, rootfs_propagation),
  OBJECT (oci_linux, "resources", resources, oci_resources),
  MAP (oci_linux, "sysctl", sysctl),
  OBJECT (oci_linux, "seccomp", seccomp, oci_seccomp),
  STRINGS (oci_linux, "maskedPaths", masked_paths),
  STRINGS (oci_linux, "readonlyPaths", readonly_paths),
  FIELD (oci_linux, "mountLabel", STRING, mount_label),
  OBJECT (oci_linux, "personality", personality, oci_personality),
  OBJECT (oci_linux, "intelRdt", intel_rdt, oci_intel_rdt),
};
static DESC (oci_linux);

static const oci_field oci_container_fields[] = {
  REQUIRED (oci_container, "ociVersion", STRING, oci_version),
  OBJECT (oci_container, "process", process, oci_process),
  OBJECT (oci_container, "root", root, oci_root),
  FIELD (oci_container, "hostname", STRING, hostname),
  FIELD (oci_container, "domainname", STRING, domainname),
  STRUCTS (oci_container, "mounts", mounts, oci_mount),
  OBJECT (oci_container, "hooks", hooks, oci_hooks),
  MAP (oci_container, "annotations", annotations),
  OBJECT (oci_container, "linux", linux, oci_linux),
};
DESC (oci_container);

/* ---- state ---- */

static const oci_field oci_state_fields[] = {
  REQUIRED (oci_state, "ociVersion", STRING, oci_version),
  REQUIRED (oci_state, "id", STRING, id),
  REQUIRED (oci_state, "status", STRING, status),
  OPTIONAL (oci_state, "pid", INT64, pid),
  REQUIRED (oci_state, "bundle", STRING, bundle),
  MAP (oci_state, "annotations", annotations),
  FIELD (oci_state, "rootfs", STRING, rootfs),
  FIELD (oci_state, "created", STRING, created),
  FIELD (oci_state, "owner", STRING, owner),
};
DESC (oci_state);

/* ---- features ---- */

static const oci_field oci_features_cgroup_fields[] = {
  OPTIONAL (oci_features_cgroup, "v1", BOOL, v1),
  OPTIONAL (oci_features_cgroup, "v2", BOOL, v2),
  OPTIONAL (oci_features_cgroup, "systemd", BOOL, systemd),
  OPTIONAL (oci_features_cgroup, "systemdUser", BOOL, systemd_user),
  OPTIONAL (oci_features_cgroup, "rdma", BOOL, rdma),
};
static DESC (oci_features_cgroup);

static const oci_field oci_features_seccomp_fields[] = {
  OPTIONAL (oci_features_seccomp, "enabled", BOOL, enabled),
  STRINGS (oci_features_seccomp, "actions", actions),
  STRINGS (oci_features_seccomp, "operators", operators),
  STRINGS (oci_features_seccomp, "archs", archs),
  STRINGS (oci_features_seccomp, "knownFlags", known_flags),
  STRINGS (oci_features_seccomp, "supportedFlags", supported_flags),
};
static DESC (oci_features_seccomp);

static const oci_field oci_features_enabled_fields[] = {
  OPTIONAL (oci_features_enabled, "enabled", BOOL, enabled),
};
static DESC (oci_features_enabled);

static const oci_field oci_features_mount_extensions_fields[] = {
  OBJECT (oci_features_mount_extensions, "idmap", idmap, oci_features_enabled),
};
static DESC (oci_features_mount_extensions);

static const oci_field oci_features_linux_fields[] = {
  STRINGS (oci_features_linux, "namespaces", namespaces),
  STRINGS (oci_features_linux, "capabilities", capabilities),
  OBJECT (oci_features_linux, "cgroup", cgroup, oci_features_cgroup),
  OBJECT (oci_features_linux, "seccomp", seccomp, oci_features_seccomp),
  OBJECT (oci_features_linux, "apparmor", apparmor, oci_features_enabled),
  OBJECT (oci_features_linux, "selinux", selinux, oci_features_enabled),
  OBJECT (oci_features_linux, "intelRdt", intel_rdt, oci_features_enabled),
  OBJECT (oci_features_linux, "mountExtensions", mount_extensions, oci_features_mount_extensions),
};
static DESC (oci_features_linux);

static const oci_field oci_features_fields[] = {
  REQUIRED (oci_features, "ociVersionMin", STRING, oci_version_min),
  REQUIRED (oci_features, "ociVersionMax", STRING, oci_version_max),
  STRINGS (oci_features, "hooks", hooks),
  STRINGS (oci_features, "mountOptions", mount_options),
  OBJECT (oci_features, "linux", linux, oci_features_linux),
  MAP (oci_features, "annotations", annotations),
  STRINGS (oci_features, "potentiallyUnsafeConfigAnnotations", potentially_unsafe_config_annotations),
};
DESC (oci_features);
