/* nook - process scheduling knobs and personality: process.ioPriority,
 * process.scheduler, process.execCPUAffinity, linux.personality. */
#ifndef NOOK_SCHEDULING_H
#define NOOK_SCHEDULING_H

#include <sys/types.h>
#include "oci.h"
#include "error.h"

/* Parent, before clone: names (IOPRIO_CLASS_*, SCHED_*, SCHED_FLAG_*,
 * personality domains/flags) and ranges; CPU lists parse ("0-3,7") and
 * name online CPUs (final ones inside linux.resources.cpu.cpus when set).
 * Unknown names are errors naming the JSON path. */
int nook_scheduling_validate (const oci_container *cfg, nook_error_t *err);
/* The process part alone, for exec's process.json; linux may be NULL. */
int nook_scheduling_validate_process (const oci_process *proc, const oci_linux *linux,
                                      nook_error_t *err);

/* Parent, before it moves the new process (pid) into the container's
 * cgroup: execCPUAffinity.initial, which the spec scopes to the time
 * before that move.  pid 0 is the caller. */
int nook_scheduling_apply_initial (const oci_process *proc, pid_t pid, nook_error_t *err);

/* Child, after it joined the cgroup (an RT policy needs the cgroup's
 * realtime runtime) and before it drops capabilities (RT classes and a
 * lower nice need CAP_SYS_NICE): io priority, personality, scheduler
 * (sched_setattr).  cfg may be NULL (no personality). */
int nook_scheduling_apply (const oci_container *cfg, const oci_process *proc, nook_error_t *err);
/* Child, after it joined the cgroup: execCPUAffinity.final.  An omitted
 * or empty final leaves the affinity to the kernel, as the spec says. */
int nook_scheduling_apply_final (const oci_process *proc, nook_error_t *err);

#endif
