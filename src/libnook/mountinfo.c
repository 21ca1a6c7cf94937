/* nook - /proc/self/mountinfo, parsed in one place. */
#ifdef HAVE_CONFIG_H
# include <config.h>
#endif

#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mountinfo.h"
#include "utils.h"

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

/* The fields before the optional ones, in their order. */
enum
{
  FIELD_MOUNT_ID,
  FIELD_PARENT_ID,
  FIELD_DEV,
  FIELD_ROOT,
  FIELD_MOUNT_POINT,
  FIELD_OPTIONS,
  N_LEADING_FIELDS,
};

/* Optional fields of the form tag:N.  Tags not listed here (a newer
 * kernel's) are skipped, as proc(5) asks. */
static const struct
{
  const char *tag;
  size_t offset; /* of the int in struct mountinfo_entry */
} numbered_tags[] = {
  { "shared:", offsetof (struct mountinfo_entry, shared) },
  { "master:", offsetof (struct mountinfo_entry, master) },
  { "propagate_from:", offsetof (struct mountinfo_entry, propagate_from) },
};

/* Undo the kernel's octal escapes (\040 for a space...) in place. */
static void
unescape_octal (char *s)
{
  char *w = s;

  for (; *s; s++)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0'
          && s[3] <= '7')
        {
          *w++ = (char) (((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
          s += 3;
        }
      else
        *w++ = *s;
    }
  *w = '\0';
}

static int
parse_id (const char *s, int *out)
{
  uint64_t v;

  if (parse_uint64 (s, &v) < 0 || v > INT_MAX)
    return -1;
  *out = (int) v;
  return 0;
}

/* "98:0" */
static int
parse_dev (char *s, unsigned int *major, unsigned int *minor)
{
  char *colon = strchr (s, ':');
  uint64_t ma, mi;

  if (colon == NULL)
    return -1;
  *colon = '\0';
  if (parse_uint64 (s, &ma) < 0 || parse_uint64 (colon + 1, &mi) < 0 || ma > UINT_MAX
      || mi > UINT_MAX)
    return -1;
  *major = (unsigned int) ma;
  *minor = (unsigned int) mi;
  return 0;
}

static int
parse_optional_field (const char *tok, struct mountinfo_entry *e)
{
  if (strcmp (tok, "unbindable") == 0)
    {
      e->unbindable = true;
      return 0;
    }
  for (size_t i = 0; i < ARRAY_SIZE (numbered_tags); i++)
    {
      size_t len = strlen (numbered_tags[i].tag);

      if (strncmp (tok, numbered_tags[i].tag, len) == 0)
        return parse_id (tok + len, (int *) ((char *) e + numbered_tags[i].offset));
    }
  return 0;
}

static int
parse_leading_fields (char *f[N_LEADING_FIELDS], struct mountinfo_entry *e)
{
  if (parse_id (f[FIELD_MOUNT_ID], &e->mount_id) < 0
      || parse_id (f[FIELD_PARENT_ID], &e->parent_id) < 0
      || parse_dev (f[FIELD_DEV], &e->major, &e->minor) < 0)
    return -1;
  unescape_octal (f[FIELD_ROOT]);
  unescape_octal (f[FIELD_MOUNT_POINT]);
  unescape_octal (f[FIELD_OPTIONS]);
  e->root = f[FIELD_ROOT];
  e->mount_point = f[FIELD_MOUNT_POINT];
  e->options = f[FIELD_OPTIONS];
  return 0;
}

/* After the "-": fstype, source, super options.  Only the fstype is
 * required, as the readers always took it. */
static int
parse_trailing_fields (char **save, struct mountinfo_entry *e)
{
  char *f[3] = { NULL, NULL, NULL };

  for (size_t i = 0; i < ARRAY_SIZE (f); i++)
    f[i] = strtok_r (NULL, " ", save);
  if (f[0] == NULL)
    return -1;
  for (size_t i = 0; i < ARRAY_SIZE (f); i++)
    if (f[i] != NULL)
      unescape_octal (f[i]);
  e->fstype = f[0];
  e->source = f[1] ? f[1] : "";
  e->super_options = f[2] ? f[2] : "";
  return 0;
}

int
mountinfo_parse_line (char *line, struct mountinfo_entry *e)
{
  char *leading[N_LEADING_FIELDS];
  char *save = NULL;
  char *tok;
  size_t n = 0;

  memset (e, 0, sizeof *e);
  for (tok = strtok_r (line, " ", &save); tok && n < N_LEADING_FIELDS;
       tok = strtok_r (NULL, " ", &save))
    leading[n++] = tok;
  if (n < N_LEADING_FIELDS)
    return -1;
  /* tok is the first field after the leading ones. */
  for (; tok && strcmp (tok, "-") != 0; tok = strtok_r (NULL, " ", &save))
    if (parse_optional_field (tok, e) < 0)
      return -1;
  if (tok == NULL || parse_trailing_fields (&save, e) < 0)
    return -1;
  return parse_leading_fields (leading, e);
}

int
mountinfo_open (struct mountinfo *mi, nook_error_t *err)
{
  *mi = (struct mountinfo) MOUNTINFO_INIT;
  if (read_all_file ("/proc/self/mountinfo", &mi->buf, NULL, err) < 0)
    return -1;
  mi->next = mi->buf;
  return 0;
}

const struct mountinfo_entry *
mountinfo_next (struct mountinfo *mi)
{
  while (mi->next != NULL)
    {
      char *line = mi->next;
      char *nl = strchr (line, '\n');

      mi->next = nl ? nl + 1 : NULL;
      if (nl)
        *nl = '\0';
      if (mountinfo_parse_line (line, &mi->entry) == 0)
        return &mi->entry;
    }
  return NULL;
}

void
mountinfo_close (struct mountinfo *mi)
{
  free (mi->buf);
  mi->buf = mi->next = NULL;
}
