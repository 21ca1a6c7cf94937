/* libocispec - OCI runtime-spec 1.2 documents <-> C structs, on yajl.
 *
 * Conventions (the tables in oci-tables.c rely on them):
 *  - a JSON key `fooBar` is the field `foo_bar`;
 *  - strings are `char *`, NULL when absent;
 *  - objects are pointers, NULL when absent;
 *  - arrays are `T *name; size_t name_len;` (T a scalar or a struct by value);
 *    parsed arrays of strings are also NULL terminated (execve-ready); an
 *    empty array parses as NULL; generate writes `[]` for a non-NULL, empty one;
 *  - an optional number or boolean whose absence differs from zero/false has a
 *    `bool has_<name>` field set when the key is present;
 *  - string maps (annotations, sysctl, unified, ...) are oci_map.
 * Unknown properties are ignored, as the spec requires.  Errors name the
 * JSON path and what was expected:
 *   "linux.resources.memory.limit: expected integer, got string".
 */
#ifndef OCI_H
#define OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* GNU C predefines `linux` as 1; the spec's key is a better use of the name. */
#ifdef linux
# undef linux
#endif

typedef struct
{
  char **keys;
  char **values;
  size_t len;
} oci_map;

/* Look a key up; NULL if absent. */
const char *oci_map_get (const oci_map *m, const char *key);

/* ---- config.json ---- */

typedef struct
{
  char *path; /* required */
  bool readonly;
} oci_root;

typedef struct
{
  uint32_t container_id; /* JSON containerID, required */
  uint32_t host_id;      /* JSON hostID, required */
  uint32_t size;         /* required */
} oci_id_mapping;

typedef struct
{
  char *destination; /* required */
  char *type;
  char *source;
  char **options;
  size_t options_len;
  oci_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  oci_id_mapping *gid_mappings;
  size_t gid_mappings_len;
} oci_mount;

typedef struct
{
  char *path; /* required */
  char **args;
  size_t args_len;
  char **env;
  size_t env_len;
  int64_t timeout;
  bool has_timeout;
} oci_hook;

typedef struct
{
  oci_hook *prestart;
  size_t prestart_len;
  oci_hook *create_runtime;
  size_t create_runtime_len;
  oci_hook *create_container;
  size_t create_container_len;
  oci_hook *start_container;
  size_t start_container_len;
  oci_hook *poststart;
  size_t poststart_len;
  oci_hook *poststop;
  size_t poststop_len;
} oci_hooks;

typedef struct
{
  uint32_t height; /* required */
  uint32_t width;  /* required */
} oci_console_size;

typedef struct
{
  uint32_t uid; /* required */
  uint32_t gid; /* required */
  uint32_t umask;
  bool has_umask;
  uint32_t *additional_gids;
  size_t additional_gids_len;
  char *username; /* windows; parsed, unused */
} oci_user;

typedef struct
{
  char **bounding;
  size_t bounding_len;
  char **effective;
  size_t effective_len;
  char **inheritable;
  size_t inheritable_len;
  char **permitted;
  size_t permitted_len;
  char **ambient;
  size_t ambient_len;
} oci_capabilities;

typedef struct
{
  char *type;    /* required, "RLIMIT_NOFILE" */
  uint64_t hard; /* required */
  uint64_t soft; /* required */
} oci_rlimit;

typedef struct
{
  char *class; /* required, "IOPRIO_CLASS_RT" ... */
  int32_t priority;
} oci_io_priority;

typedef struct
{
  char *policy; /* required, "SCHED_OTHER" ... */
  int32_t nice;
  int32_t priority;
  char **flags;
  size_t flags_len;
  uint64_t runtime;
  uint64_t deadline;
  uint64_t period;
} oci_scheduler;

typedef struct
{
  char *initial;
  char *final;
} oci_exec_cpu_affinity;

typedef struct
{
  bool terminal;
  oci_console_size *console_size;
  oci_user *user; /* required on Linux */
  char **args;
  size_t args_len;
  char *command_line; /* windows; parsed, unused */
  char **env;
  size_t env_len;
  char *cwd; /* required */
  oci_capabilities *capabilities;
  oci_rlimit *rlimits;
  size_t rlimits_len;
  bool no_new_privileges;
  char *apparmor_profile;
  int32_t oom_score_adj;
  bool has_oom_score_adj;
  char *selinux_label;
  oci_io_priority *io_priority;
  oci_scheduler *scheduler;
  oci_exec_cpu_affinity *exec_cpu_affinity;
} oci_process;

typedef struct
{
  char *type; /* required: pid network mount ipc uts user cgroup time */
  char *path;
} oci_namespace;

typedef struct
{
  char *clock; /* the map key: "monotonic" or "boottime" */
  int64_t secs;
  uint32_t nanosecs;
} oci_time_offset;

typedef struct
{
  char *type; /* required: c b u p */
  char *path; /* required */
  int64_t major;
  bool has_major;
  int64_t minor;
  bool has_minor;
  uint32_t file_mode;
  bool has_file_mode;
  uint32_t uid;
  bool has_uid;
  uint32_t gid;
  bool has_gid;
} oci_device;

typedef struct
{
  bool allow; /* required */
  char *type;
  int64_t major;
  bool has_major;
  int64_t minor;
  bool has_minor;
  char *access;
} oci_device_cgroup;

typedef struct
{
  int64_t limit;
  bool has_limit;
  int64_t reservation;
  bool has_reservation;
  int64_t swap;
  bool has_swap;
  int64_t kernel;
  bool has_kernel;
  int64_t kernel_tcp; /* JSON kernelTCP */
  bool has_kernel_tcp;
  uint64_t swappiness;
  bool has_swappiness;
  bool disable_oom_killer; /* JSON disableOOMKiller */
  bool has_disable_oom_killer;
  bool use_hierarchy;
  bool has_use_hierarchy;
  bool check_before_update;
  bool has_check_before_update;
} oci_memory;

typedef struct
{
  uint64_t shares;
  bool has_shares;
  int64_t quota;
  bool has_quota;
  uint64_t burst;
  bool has_burst;
  uint64_t period;
  bool has_period;
  int64_t realtime_runtime;
  bool has_realtime_runtime;
  uint64_t realtime_period;
  bool has_realtime_period;
  char *cpus;
  char *mems;
  int64_t idle;
  bool has_idle;
} oci_cpu;

typedef struct
{
  int64_t limit; /* required */
} oci_pids;

typedef struct
{
  int64_t major; /* required */
  int64_t minor; /* required */
  uint16_t weight;
  bool has_weight;
  uint16_t leaf_weight;
  bool has_leaf_weight;
} oci_weight_device;

typedef struct
{
  int64_t major; /* required */
  int64_t minor; /* required */
  uint64_t rate; /* required */
} oci_throttle_device;

typedef struct
{
  uint16_t weight;
  bool has_weight;
  uint16_t leaf_weight;
  bool has_leaf_weight;
  oci_weight_device *weight_device;
  size_t weight_device_len;
  oci_throttle_device *throttle_read_bps_device;
  size_t throttle_read_bps_device_len;
  oci_throttle_device *throttle_write_bps_device;
  size_t throttle_write_bps_device_len;
  oci_throttle_device *throttle_read_iops_device;  /* JSON throttleReadIOPSDevice */
  size_t throttle_read_iops_device_len;
  oci_throttle_device *throttle_write_iops_device; /* JSON throttleWriteIOPSDevice */
  size_t throttle_write_iops_device_len;
} oci_block_io;

typedef struct
{
  char *page_size; /* required */
  uint64_t limit;  /* required */
} oci_hugepage_limit;

typedef struct
{
  char *name;        /* required */
  uint32_t priority; /* required */
} oci_net_priority;

typedef struct
{
  uint32_t class_id; /* JSON classID */
  bool has_class_id;
  oci_net_priority *priorities;
  size_t priorities_len;
} oci_network;

typedef struct
{
  char *device; /* the map key */
  uint32_t hca_handles;
  bool has_hca_handles;
  uint32_t hca_objects;
  bool has_hca_objects;
} oci_rdma;

typedef struct
{
  oci_device_cgroup *devices;
  size_t devices_len;
  oci_memory *memory;
  oci_cpu *cpu;
  oci_pids *pids;
  oci_block_io *block_io; /* JSON blockIO */
  oci_hugepage_limit *hugepage_limits;
  size_t hugepage_limits_len;
  oci_network *network;
  oci_rdma *rdma; /* JSON object keyed by device name */
  size_t rdma_len;
  oci_map unified;
} oci_resources;

typedef struct
{
  uint32_t index; /* required */
  uint64_t value; /* required */
  uint64_t value_two;
  char *op; /* required: SCMP_CMP_NE ... */
} oci_seccomp_arg;

typedef struct
{
  char **names; /* required */
  size_t names_len;
  char *action; /* required */
  uint32_t errno_ret;
  bool has_errno_ret;
  oci_seccomp_arg *args;
  size_t args_len;
} oci_seccomp_syscall;

typedef struct
{
  char *default_action; /* required */
  uint32_t default_errno_ret;
  bool has_default_errno_ret;
  char **architectures;
  size_t architectures_len;
  char **flags;
  size_t flags_len;
  char *listener_path;
  char *listener_metadata;
  oci_seccomp_syscall *syscalls;
  size_t syscalls_len;
} oci_seccomp;

typedef struct
{
  char *domain; /* required: LINUX LINUX32 */
  char **flags;
  size_t flags_len;
} oci_personality;

typedef struct
{
  char *clos_id; /* JSON closID */
  char *l3_cache_schema;
  char *mem_bw_schema;
  bool enable_cmt; /* JSON enableCMT */
  bool enable_mbm; /* JSON enableMBM */
} oci_intel_rdt;

typedef struct
{
  char *host_name; /* the map key */
  char *name;
} oci_net_device;

typedef struct
{
  oci_namespace *namespaces;
  size_t namespaces_len;
  oci_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  oci_id_mapping *gid_mappings;
  size_t gid_mappings_len;
  oci_time_offset *time_offsets; /* JSON object keyed by clock */
  size_t time_offsets_len;
  oci_device *devices;
  size_t devices_len;
  oci_net_device *net_devices; /* JSON object keyed by host interface name */
  size_t net_devices_len;
  char *cgroups_path;
  char *rootfs_propagation;
  oci_resources *resources;
  oci_map sysctl;
  oci_seccomp *seccomp;
  char **masked_paths;
  size_t masked_paths_len;
  char **readonly_paths;
  size_t readonly_paths_len;
  char *mount_label;
  oci_personality *personality;
  oci_intel_rdt *intel_rdt;
} oci_linux;

typedef struct
{
  char *oci_version; /* required */
  oci_process *process;
  oci_root *root;
  char *hostname;
  char *domainname;
  oci_mount *mounts;
  size_t mounts_len;
  oci_hooks *hooks;
  oci_map annotations;
  oci_linux *linux;
} oci_container;

/* ---- state (runtime-spec "state" + the fields runc adds) ---- */
typedef struct
{
  char *oci_version; /* required */
  char *id;          /* required */
  char *status;      /* required */
  int64_t pid;
  bool has_pid;
  char *bundle; /* required */
  oci_map annotations;
  /* runc/crun extensions, written by `state`, read back by clients */
  char *rootfs;
  char *created;
  char *owner;
} oci_state;

/* ---- features ---- */
typedef struct
{
  bool v1;
  bool has_v1;
  bool v2;
  bool has_v2;
  bool systemd;
  bool has_systemd;
  bool systemd_user;
  bool has_systemd_user;
  bool rdma;
  bool has_rdma;
} oci_features_cgroup;

typedef struct
{
  bool enabled;
  bool has_enabled;
  char **actions;
  size_t actions_len;
  char **operators;
  size_t operators_len;
  char **archs;
  size_t archs_len;
  char **known_flags;
  size_t known_flags_len;
  char **supported_flags;
  size_t supported_flags_len;
} oci_features_seccomp;

typedef struct
{
  bool enabled;
  bool has_enabled;
} oci_features_enabled;

typedef struct
{
  oci_features_enabled *idmap;
} oci_features_mount_extensions;

typedef struct
{
  char **namespaces;
  size_t namespaces_len;
  char **capabilities;
  size_t capabilities_len;
  oci_features_cgroup *cgroup;
  oci_features_seccomp *seccomp;
  oci_features_enabled *apparmor;
  oci_features_enabled *selinux;
  oci_features_enabled *intel_rdt;
  oci_features_mount_extensions *mount_extensions;
} oci_features_linux;

typedef struct
{
  char *oci_version_min; /* required */
  char *oci_version_max; /* required */
  char **hooks;
  size_t hooks_len;
  char **mount_options;
  size_t mount_options_len;
  oci_features_linux *linux;
  oci_map annotations;
  char **potentially_unsafe_config_annotations; /* runtime-spec 1.2 features.md */
  size_t potentially_unsafe_config_annotations_len;
} oci_features;

/* ---- API ----
 * parse: returns 0 and *out, or -1 and *errmsg (malloc'd, caller frees).
 * generate: returns 0 and *json (malloc'd, NUL terminated, *len set; len may be NULL),
 *           or -1 and *errmsg.  Output is indented (beautify) when pretty.
 * free: NULL is fine.
 * Missing required fields are errors ("process.cwd: required field missing").
 * parse_file errors name the file: "open `/b/config.json`: No such file or
 * directory", "parse `/b/config.json`: process.cwd: required field missing".
 * Syntax errors: "invalid JSON: parse error: premature EOF at line 3, column 7".
 * A JSON null counts as absent (but not for a required field); of repeated
 * keys the last wins.  generate writes what parse would read back: absent
 * fields (NULL, empty, has_ false, zero without a has_ flag) are left out.
 */
#define OCI_DECLARE_DOCUMENT(name)                                                             \
  int name##_parse_data (const char *data, size_t len, name **out, char **errmsg);           \
  int name##_parse_file (const char *path, name **out, char **errmsg);                       \
  int name##_generate (const name *doc, bool pretty, char **json, size_t *len, char **errmsg); \
  void name##_free (name *doc)

OCI_DECLARE_DOCUMENT (oci_container);
OCI_DECLARE_DOCUMENT (oci_process);
OCI_DECLARE_DOCUMENT (oci_state);
OCI_DECLARE_DOCUMENT (oci_features);

#endif
