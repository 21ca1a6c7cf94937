/* nook - /proc/self/mountinfo, parsed in one place for every reader (the
 * mount holding the rootfs, the host's proc and sysfs under --no-pivot,
 * the cgroup hierarchies). */
#ifndef NOOK_MOUNTINFO_H
#define NOOK_MOUNTINFO_H

#include <stdbool.h>
#include "error.h"

/* One line, as proc(5) describes it:
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 * The strings point into the buffer of the struct mountinfo the entry came
 * from, with the kernel's octal escapes (\040 for a space...) undone, and
 * stay valid until mountinfo_close(). */
struct mountinfo_entry
{
  int mount_id;
  int parent_id;
  unsigned int major;
  unsigned int minor;
  const char *root;        /* the directory of the filesystem mounted here */
  const char *mount_point;
  const char *options;     /* per-mount options */
  /* Optional fields; peer group ids start at 1, so 0 means absent. */
  int shared;              /* shared:N, the mount's peer group */
  int master;              /* master:N, the peer group it receives from */
  int propagate_from;      /* propagate_from:N */
  bool unbindable;
  const char *fstype;
  const char *source;        /* "" when the line has none */
  const char *super_options; /* "" when the line has none */
};

/* An iterator over the entries of /proc/self/mountinfo, read whole at
 * open: what is mounted or unmounted while iterating does not change it. */
struct mountinfo
{
  char *buf;
  char *next; /* the next line in buf, NULL at the end */
  struct mountinfo_entry entry;
};

#define MOUNTINFO_INIT { NULL, NULL, { 0 } }

int mountinfo_open (struct mountinfo *mi, nook_error_t *err);
/* The next entry (overwritten by the following call), NULL at the end.
 * Lines that are not mountinfo lines are skipped. */
const struct mountinfo_entry *mountinfo_next (struct mountinfo *mi);
void mountinfo_close (struct mountinfo *mi);
#define cleanup_mountinfo __attribute__ ((cleanup (mountinfo_close)))

/* Parse one line in place; -1 when it is not a mountinfo line. */
int mountinfo_parse_line (char *line, struct mountinfo_entry *e);

#endif
