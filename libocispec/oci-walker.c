/* libocispec - parse, generate and free any struct described by an oci_desc.
 *
 * Parsing walks the descriptor, not the JSON: each field looks its key up
 * in the yajl object, so unknown keys are ignored for free and a duplicated
 * key resolves to its last occurrence (as Go's encoding/json does, which is
 * what wrote most config.json files).  Everything allocated is attached to
 * the document at once, so a failure anywhere is cleaned up by freeing the
 * whole document.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "oci.h"
#include "oci-walker.h"

/* The JSON path of the value being walked ("mounts[2].destination") and the
 * first error.  Paths longer than the buffer are truncated, not dropped. */
typedef struct
{
  char path[1024];
  size_t len;
  char *err;
} walk_ctx;

#define AT(base, off) ((void *) ((char *) (base) + (off)))
#define CAT(base, off) ((const void *) ((const char *) (base) + (off)))

/* Pointer fields have many types (oci_mount *, char **, ...); go through
 * memcpy rather than a void ** so no access breaks the aliasing rules. */
static void *
load_ptr (const void *base, size_t off)
{
  void *p;

  memcpy (&p, CAT (base, off), sizeof (p));
  return p;
}

static void
store_ptr (void *base, size_t off, void *p)
{
  memcpy (AT (base, off), &p, sizeof (p));
}

static void
path_append (walk_ctx *c, const char *fmt, ...)
{
  size_t room = sizeof (c->path) - c->len;
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (c->path + c->len, room, fmt, ap);
  va_end (ap);
  if (n < 0)
    c->path[c->len] = '\0';
  else if ((size_t) n >= room)
    c->len = sizeof (c->path) - 1;
  else
    c->len += n;
}

static size_t
path_push_key (walk_ctx *c, const char *key)
{
  size_t saved = c->len;

  path_append (c, c->len ? ".%s" : "%s", key);
  return saved;
}

static size_t
path_push_index (walk_ctx *c, size_t i)
{
  size_t saved = c->len;

  path_append (c, "[%zu]", i);
  return saved;
}

/* Map keys are data ("net.ipv4.ip_forward"): bracket those that would not
 * read back as a single path component. */
static size_t
path_push_map_key (walk_ctx *c, const char *key)
{
  size_t saved = c->len;

  if (*key && strspn (key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
                  == strlen (key))
    path_append (c, c->len ? ".%s" : "%s", key);
  else
    path_append (c, "[\"%s\"]", key);
  return saved;
}

static void
path_pop (walk_ctx *c, size_t saved)
{
  c->len = saved;
  c->path[saved] = '\0';
}

/* Record "<path>: <message>" (the first error wins) and return -1. */
static int __attribute__ ((format (printf, 2, 3)))
fail (walk_ctx *c, const char *fmt, ...)
{
  oci_cleanup_free char *msg = NULL;
  va_list ap;
  int r;

  if (c->err)
    return -1;
  va_start (ap, fmt);
  r = vasprintf (&msg, fmt, ap);
  va_end (ap);
  if (r < 0)
    msg = NULL;
  if (c->len == 0)
    r = asprintf (&c->err, "%s", msg ? msg : "out of memory");
  else
    r = asprintf (&c->err, "%s: %s", c->path, msg ? msg : "out of memory");
  if (r < 0)
    c->err = NULL;
  return -1;
}

static char *
take_error (walk_ctx *c)
{
  char *e = c->err;

  c->err = NULL;
  return e;
}

static const char *
json_type_name (yajl_val v)
{
  static const char *const names[] = {
    [yajl_t_string] = "string", [yajl_t_number] = "number", [yajl_t_object] = "object",
    [yajl_t_array] = "array",   [yajl_t_true] = "boolean",  [yajl_t_false] = "boolean",
    [yajl_t_null] = "null",
  };

  if ((size_t) v->type < sizeof (names) / sizeof (names[0]) && names[v->type])
    return names[v->type];
  return "unknown value";
}

/* ---- integers ---- */

/* The 32- and 16-bit names say their range; "integer" alone does not, so
 * its range failures say so. */
static const struct int_kind
{
  const char *name; /* as in "expected <name>" */
  int64_t min;
  uint64_t max;
  const char *range_note;
} int_kinds[] = {
  [OCI_INT32] = { "32-bit integer", INT32_MIN, INT32_MAX, "" },
  [OCI_UINT32] = { "unsigned 32-bit integer", 0, UINT32_MAX, "" },
  [OCI_UINT16] = { "unsigned 16-bit integer", 0, UINT16_MAX, "" },
  [OCI_INT64] = { "integer", INT64_MIN, INT64_MAX, " (out of range)" },
  [OCI_UINT64] = { "unsigned integer", 0, UINT64_MAX, " (out of range)" },
};

static void
store_int (oci_kind kind, void *dst, int64_t s, uint64_t u, bool negative)
{
  switch (kind)
    {
    case OCI_INT32:
      *(int32_t *) dst = (int32_t) s;
      break;
    case OCI_UINT32:
      *(uint32_t *) dst = (uint32_t) u;
      break;
    case OCI_UINT16:
      *(uint16_t *) dst = (uint16_t) u;
      break;
    case OCI_INT64:
      *(int64_t *) dst = negative ? s : (int64_t) u;
      break;
    case OCI_UINT64:
      *(uint64_t *) dst = u;
      break;
    default:
      break;
    }
}

/* yajl's own conversion caps at long long and accepts doubles; read the
 * number's text instead so uint64 keeps its full range and 1.0 or 1e3
 * are rejected where the spec says integer. */
static int
parse_integer (walk_ctx *c, oci_kind kind, yajl_val v, void *dst)
{
  const struct int_kind *k = &int_kinds[kind];
  const char *r;
  bool negative;
  int64_t s = 0;
  uint64_t u = 0;

  if (!YAJL_IS_NUMBER (v))
    return fail (c, "expected %s, got %s", k->name, json_type_name (v));
  r = v->u.number.r;
  if (strpbrk (r, ".eE"))
    return fail (c, "expected %s, got %.40s", k->name, r);

  errno = 0;
  negative = r[0] == '-';
  if (negative)
    s = strtoll (r, NULL, 10);
  else
    u = strtoull (r, NULL, 10);
  if (errno == ERANGE || (negative ? s < k->min : u > k->max))
    return fail (c, "expected %s, got %.40s%s", k->name, r, k->range_note);
  if (negative)
    u = 0; /* only "-0" gets here for unsigned kinds */
  else
    s = (int64_t) u;
  store_int (kind, dst, s, u, negative);
  return 0;
}

/* ---- parse ---- */

static int parse_struct (walk_ctx *c, const oci_desc *d, yajl_val obj, void *base);

static int
parse_scalar (walk_ctx *c, oci_kind kind, yajl_val v, void *dst)
{
  switch (kind)
    {
    case OCI_STRING:
      if (!YAJL_IS_STRING (v))
        return fail (c, "expected string, got %s", json_type_name (v));
      *(char **) dst = strdup (v->u.string);
      return *(char **) dst ? 0 : fail (c, "out of memory");
    case OCI_BOOL:
      if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
        return fail (c, "expected boolean, got %s", json_type_name (v));
      *(bool *) dst = YAJL_IS_TRUE (v);
      return 0;
    default:
      return parse_integer (c, kind, v, dst);
    }
}

static int
expect (walk_ctx *c, yajl_val v, yajl_type type, const char *name)
{
  if (v->type == type)
    return 0;
  return fail (c, "expected %s, got %s", name, json_type_name (v));
}

/* calloc that treats 0 elements as "no array" (NULL), not a failure.  One
 * zeroed element more than asked: parsed string arrays are NULL terminated,
 * so process.args and process.env go to execve as they are. */
static int
alloc_elems (walk_ctx *c, size_t n, size_t size, char **out)
{
  *out = NULL;
  if (n == 0)
    return 0;
  *out = calloc (n + 1, size);
  return *out ? 0 : fail (c, "out of memory");
}

/* Elements of OCI_STRING_ARRAY, OCI_UINT32_ARRAY and OCI_STRUCT_ARRAY. */
static oci_kind
array_elem_kind (const oci_field *f)
{
  return f->kind == OCI_STRING_ARRAY ? OCI_STRING : OCI_UINT32;
}

static size_t
array_elem_size (const oci_field *f)
{
  switch (f->kind)
    {
    case OCI_STRUCT_ARRAY:
      return f->sub->size;
    case OCI_STRING_ARRAY:
      return sizeof (char *);
    default:
      return sizeof (uint32_t);
    }
}

static int
parse_struct_value (walk_ctx *c, const oci_desc *d, yajl_val v, void *base)
{
  if (expect (c, v, yajl_t_object, "object") < 0)
    return -1;
  return parse_struct (c, d, v, base);
}

static int
parse_array (walk_ctx *c, const oci_field *f, yajl_val v, void *base)
{
  oci_kind elem_kind = array_elem_kind (f);
  size_t size = array_elem_size (f);
  size_t *len = AT (base, f->aux);
  char *arr;
  size_t i;

  if (expect (c, v, yajl_t_array, "array") < 0)
    return -1;
  if (alloc_elems (c, v->u.array.len, size, &arr) < 0)
    return -1;
  store_ptr (base, f->offset, arr);
  *len = v->u.array.len;
  for (i = 0; i < *len; i++)
    {
      size_t saved = path_push_index (c, i);
      void *elem = arr + i * size;
      yajl_val ev = v->u.array.values[i];
      int r;

      if (f->kind == OCI_STRUCT_ARRAY)
        r = parse_struct_value (c, f->sub, ev, elem);
      else
        r = parse_scalar (c, elem_kind, ev, elem);
      path_pop (c, saved);
      if (r < 0)
        return r;
    }
  return 0;
}

static ssize_t
map_find (const oci_map *m, const char *key)
{
  size_t i;

  for (i = 0; i < m->len; i++)
    if (m->keys[i] && strcmp (m->keys[i], key) == 0)
      return (ssize_t) i;
  return -1;
}

/* A repeated key keeps its first position and its last value. */
static int
parse_map (walk_ctx *c, yajl_val v, oci_map *m)
{
  size_t n, i;

  if (expect (c, v, yajl_t_object, "object") < 0)
    return -1;
  n = v->u.object.len;
  if (n == 0)
    return 0;
  m->keys = calloc (n, sizeof (char *));
  m->values = calloc (n, sizeof (char *));
  if (m->keys == NULL || m->values == NULL)
    return fail (c, "out of memory");
  for (i = 0; i < n; i++)
    {
      const char *key = v->u.object.keys[i];
      size_t saved = path_push_map_key (c, key);
      ssize_t at = map_find (m, key);
      char *value = NULL;
      int r = parse_scalar (c, OCI_STRING, v->u.object.values[i], &value);

      path_pop (c, saved);
      if (r < 0)
        return r;
      if (at >= 0)
        {
          free (m->values[at]);
          m->values[at] = value;
          continue;
        }
      m->values[m->len] = value;
      m->keys[m->len] = strdup (key);
      if (m->keys[m->len++] == NULL)
        return fail (c, "out of memory");
    }
  return 0;
}

static void free_struct (const oci_desc *d, void *base);

static int
parse_keyed_structs (walk_ctx *c, const oci_field *f, yajl_val v, void *base)
{
  const oci_desc *sub = f->sub;
  size_t *len = AT (base, f->aux);
  char *arr;
  size_t i, j;

  if (expect (c, v, yajl_t_object, "object") < 0)
    return -1;
  if (alloc_elems (c, v->u.object.len, sub->size, &arr) < 0)
    return -1;
  store_ptr (base, f->offset, arr);
  for (i = 0; i < v->u.object.len; i++)
    {
      const char *key = v->u.object.keys[i];
      size_t saved = path_push_map_key (c, key);
      void *elem = NULL;
      char **elem_key;
      int r;

      for (j = 0; j < *len && !elem; j++)
        {
          void *e = arr + j * sub->size;
          if (strcmp (*(char **) AT (e, sub->key_offset), key) == 0)
            {
              free_struct (sub, e);
              memset (e, 0, sub->size);
              elem = e;
            }
        }
      if (!elem)
        elem = arr + (*len)++ * sub->size;
      elem_key = AT (elem, sub->key_offset);
      *elem_key = strdup (key);
      r = *elem_key ? parse_struct_value (c, sub, v->u.object.values[i], elem)
                    : fail (c, "out of memory");
      path_pop (c, saved);
      if (r < 0)
        return r;
    }
  return 0;
}

static int
parse_field (walk_ctx *c, const oci_field *f, yajl_val v, void *base)
{
  void *obj;

  switch (f->kind)
    {
    case OCI_OBJECT:
      if (expect (c, v, yajl_t_object, "object") < 0)
        return -1;
      obj = calloc (1, f->sub->size);
      if (obj == NULL)
        return fail (c, "out of memory");
      store_ptr (base, f->offset, obj);
      return parse_struct (c, f->sub, v, obj);
    case OCI_STRING_ARRAY:
    case OCI_UINT32_ARRAY:
    case OCI_STRUCT_ARRAY:
      return parse_array (c, f, v, base);
    case OCI_MAP:
      return parse_map (c, v, AT (base, f->offset));
    case OCI_KEYED_STRUCTS:
      return parse_keyed_structs (c, f, v, base);
    default:
      if (parse_scalar (c, f->kind, v, AT (base, f->offset)) < 0)
        return -1;
      if (f->aux != OCI_NO_AUX)
        *(bool *) AT (base, f->aux) = true;
      return 0;
    }
}

static yajl_val
object_get_last (yajl_val obj, const char *key)
{
  size_t i;

  for (i = obj->u.object.len; i-- > 0;)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      return obj->u.object.values[i];
  return NULL;
}

/* A null value means "absent", as Go writes nil pointers and slices without
 * omitempty; a required field must still have a real value. */
static int
parse_struct (walk_ctx *c, const oci_desc *d, yajl_val obj, void *base)
{
  size_t i;

  for (i = 0; i < d->n_fields; i++)
    {
      const oci_field *f = &d->fields[i];
      yajl_val v = object_get_last (obj, f->key);
      size_t saved;
      int r = 0;

      if (v == NULL && !f->required)
        continue;
      if (v != NULL && YAJL_IS_NULL (v) && !f->required)
        continue;
      saved = path_push_key (c, f->key);
      if (v == NULL)
        r = fail (c, "required field missing");
      else
        r = parse_field (c, f, v, base);
      path_pop (c, saved);
      if (r < 0)
        return r;
    }
  return 0;
}

/* yajl_tree reports where the error is relative to the last chunk it fed
 * the parser, which is the empty final one, so its context snippet always
 * shows the start of the document.  Find the real spot by running the bare
 * parser (no callbacks, same settings) over the text again: only on the
 * error path, so the cost does not matter. */
static void
error_position (const char *text, size_t len, size_t *line, size_t *column)
{
  yajl_handle h = yajl_alloc (NULL, NULL, NULL);
  size_t off = len, i;

  if (h)
    {
      yajl_config (h, yajl_allow_comments, 1);
      /* The lexer stops just past the offending byte; name that byte.
       * Premature EOF only shows in complete_parse: off stays at the end. */
      if (yajl_parse (h, (const unsigned char *) text, len) != yajl_status_ok)
        {
          off = yajl_get_bytes_consumed (h);
          off = off > 0 ? off - 1 : 0;
        }
      yajl_free (h);
    }
  *line = 1;
  *column = 1;
  for (i = 0; i < off && i < len; i++)
    {
      if (text[i] == '\n')
        {
          (*line)++;
          *column = 1;
        }
      else
        (*column)++;
    }
}

/* "invalid JSON: parse error: premature EOF at line 3, column 7": the first
 * line of yajl's message (the rest is its misplaced snippet). */
static char *
syntax_error (const char *yajl_msg, const char *text, size_t len)
{
  size_t msg_len = strcspn (yajl_msg, "\n");
  size_t line, column;
  char *out = NULL;

  if (msg_len > 0 && yajl_msg[msg_len - 1] == '.')
    msg_len--;
  if (msg_len == 0)
    {
      yajl_msg = "syntax error";
      msg_len = strlen (yajl_msg);
    }
  error_position (text, len, &line, &column);
  if (asprintf (&out, "invalid JSON: %.*s at line %zu, column %zu", (int) msg_len, yajl_msg, line,
                column)
      < 0)
    return NULL;
  return out;
}

/* Report a failure that has no JSON path: *errmsg always gets a message. */
static int
fail_document (char **errmsg, char *msg)
{
  *errmsg = msg ? msg : strdup ("out of memory");
  return -1;
}

static int
parse_tree (const oci_desc *desc, yajl_val tree, void **out, char **errmsg)
{
  walk_ctx c = { .len = 0 };
  void *doc;
  int r;

  if (!YAJL_IS_OBJECT (tree))
    {
      fail (&c, "expected a JSON object at top level, got %s", json_type_name (tree));
      return fail_document (errmsg, take_error (&c));
    }
  doc = calloc (1, desc->size);
  r = doc ? parse_struct (&c, desc, tree, doc) : fail (&c, "out of memory");
  if (r < 0)
    {
      oci_walk_free (desc, doc);
      return fail_document (errmsg, take_error (&c));
    }
  *out = doc;
  return 0;
}

int
oci_walk_parse (const oci_desc *desc, const char *data, size_t len, void **out, char **errmsg)
{
  oci_cleanup_free char *text = NULL;
  char ebuf[1024] = "";
  const char *nul;
  yajl_val tree;
  int r;

  *out = NULL;
  *errmsg = NULL;
  /* yajl_tree_parse stops at the first NUL; say so rather than parse half. */
  nul = len ? memchr (data, '\0', len) : NULL;
  if (nul)
    {
      char *msg = NULL;
      if (asprintf (&msg, "invalid JSON: NUL byte at offset %zu", (size_t) (nul - data)) < 0)
        msg = NULL;
      return fail_document (errmsg, msg);
    }
  text = malloc (len + 1);
  if (text == NULL)
    return fail_document (errmsg, NULL);
  if (len)
    memcpy (text, data, len);
  text[len] = '\0';

  tree = yajl_tree_parse (text, ebuf, sizeof (ebuf));
  if (tree == NULL)
    return fail_document (errmsg, syntax_error (ebuf, text, len));
  r = parse_tree (desc, tree, out, errmsg);
  yajl_tree_free (tree);
  return r;
}

/* ---- generate ---- */

static int
gen_check (walk_ctx *c, yajl_gen_status st)
{
  switch (st)
    {
    case yajl_gen_status_ok:
      return 0;
    case yajl_gen_invalid_string:
      return fail (c, "invalid UTF-8 in string");
    case yajl_max_depth_exceeded:
      return fail (c, "document nested too deeply");
    default:
      return fail (c, "JSON generator error %d", (int) st);
    }
}

static int
gen_string (walk_ctx *c, yajl_gen g, const char *s)
{
  if (s == NULL)
    return fail (c, "string is NULL");
  return gen_check (c, yajl_gen_string (g, (const unsigned char *) s, strlen (s)));
}

static int
gen_unsigned (walk_ctx *c, yajl_gen g, uint64_t u)
{
  char buf[32];
  int n = snprintf (buf, sizeof (buf), "%" PRIu64, u);

  return gen_check (c, yajl_gen_number (g, buf, n));
}

static int
gen_scalar (walk_ctx *c, yajl_gen g, oci_kind kind, const void *src)
{
  switch (kind)
    {
    case OCI_STRING:
      return gen_string (c, g, *(char *const *) src);
    case OCI_BOOL:
      return gen_check (c, yajl_gen_bool (g, *(const bool *) src));
    case OCI_INT32:
      return gen_check (c, yajl_gen_integer (g, *(const int32_t *) src));
    case OCI_INT64:
      return gen_check (c, yajl_gen_integer (g, *(const int64_t *) src));
    case OCI_UINT32:
      return gen_unsigned (c, g, *(const uint32_t *) src);
    case OCI_UINT16:
      return gen_unsigned (c, g, *(const uint16_t *) src);
    case OCI_UINT64:
      return gen_unsigned (c, g, *(const uint64_t *) src);
    default:
      return fail (c, "internal error: kind %d is not a scalar", (int) kind);
    }
}

static bool
scalar_is_zero (oci_kind kind, const void *src)
{
  switch (kind)
    {
    case OCI_BOOL:
      return !*(const bool *) src;
    case OCI_INT32:
      return *(const int32_t *) src == 0;
    case OCI_UINT32:
      return *(const uint32_t *) src == 0;
    case OCI_UINT16:
      return *(const uint16_t *) src == 0;
    case OCI_INT64:
      return *(const int64_t *) src == 0;
    case OCI_UINT64:
      return *(const uint64_t *) src == 0;
    default:
      return false;
    }
}

static bool
field_present (const oci_field *f, const void *base)
{
  const void *p = CAT (base, f->offset);

  if (f->required)
    return true;
  switch (f->kind)
    {
    case OCI_STRING:
    case OCI_OBJECT:
      return load_ptr (base, f->offset) != NULL;
    case OCI_STRING_ARRAY:
    case OCI_UINT32_ARRAY:
    case OCI_STRUCT_ARRAY:
    case OCI_KEYED_STRUCTS:
      /* A non-NULL pointer with no elements is an explicit `[]` (features
       * says "hooks": [] to mean none, not unknown); the parser stores
       * empty arrays as NULL, so round trips stay as they were. */
      return *(const size_t *) CAT (base, f->aux) > 0 || load_ptr (base, f->offset) != NULL;
    case OCI_MAP:
      return ((const oci_map *) p)->len > 0;
    default:
      if (f->aux != OCI_NO_AUX)
        return *(const bool *) CAT (base, f->aux);
      return !scalar_is_zero (f->kind, p);
    }
}

static int gen_struct (walk_ctx *c, yajl_gen g, const oci_desc *d, const void *base);

static int
gen_array (walk_ctx *c, yajl_gen g, const oci_field *f, const void *base)
{
  oci_kind elem_kind = array_elem_kind (f);
  size_t size = array_elem_size (f);
  const char *arr = load_ptr (base, f->offset);
  size_t len = *(const size_t *) CAT (base, f->aux);
  size_t i;

  if (gen_check (c, yajl_gen_array_open (g)) < 0)
    return -1;
  for (i = 0; i < len; i++)
    {
      size_t saved = path_push_index (c, i);
      int r;

      if (f->kind == OCI_STRUCT_ARRAY)
        r = gen_struct (c, g, f->sub, arr + i * size);
      else
        r = gen_scalar (c, g, elem_kind, arr + i * size);
      path_pop (c, saved);
      if (r < 0)
        return r;
    }
  return gen_check (c, yajl_gen_array_close (g));
}

static int
gen_map (walk_ctx *c, yajl_gen g, const oci_map *m)
{
  size_t i;

  if (gen_check (c, yajl_gen_map_open (g)) < 0)
    return -1;
  for (i = 0; i < m->len; i++)
    {
      size_t saved;
      int r;

      if (m->keys[i] == NULL)
        {
          saved = path_push_index (c, i);
          r = fail (c, "map key is NULL");
          path_pop (c, saved);
          return r;
        }
      saved = path_push_map_key (c, m->keys[i]);
      r = gen_string (c, g, m->keys[i]);
      if (r == 0)
        r = gen_string (c, g, m->values[i]);
      path_pop (c, saved);
      if (r < 0)
        return r;
    }
  return gen_check (c, yajl_gen_map_close (g));
}

static int
gen_keyed_structs (walk_ctx *c, yajl_gen g, const oci_field *f, const void *base)
{
  const oci_desc *sub = f->sub;
  const char *arr = load_ptr (base, f->offset);
  size_t len = *(const size_t *) CAT (base, f->aux);
  size_t i;

  if (gen_check (c, yajl_gen_map_open (g)) < 0)
    return -1;
  for (i = 0; i < len; i++)
    {
      const void *elem = arr + i * sub->size;
      const char *key = *(char *const *) CAT (elem, sub->key_offset);
      size_t saved = key ? path_push_map_key (c, key) : path_push_index (c, i);
      int r;

      if (key == NULL)
        r = fail (c, "map key is NULL");
      else
        r = gen_string (c, g, key);
      if (r == 0)
        r = gen_struct (c, g, sub, elem);
      path_pop (c, saved);
      if (r < 0)
        return r;
    }
  return gen_check (c, yajl_gen_map_close (g));
}

static int
gen_field (walk_ctx *c, yajl_gen g, const oci_field *f, const void *base)
{
  const void *p = CAT (base, f->offset);

  switch (f->kind)
    {
    case OCI_STRING:
      if (*(char *const *) p == NULL)
        return fail (c, "required field missing");
      return gen_string (c, g, *(char *const *) p);
    case OCI_OBJECT:
      if (load_ptr (base, f->offset) == NULL)
        return fail (c, "required field missing");
      return gen_struct (c, g, f->sub, load_ptr (base, f->offset));
    case OCI_STRING_ARRAY:
    case OCI_UINT32_ARRAY:
    case OCI_STRUCT_ARRAY:
      return gen_array (c, g, f, base);
    case OCI_MAP:
      return gen_map (c, g, p);
    case OCI_KEYED_STRUCTS:
      return gen_keyed_structs (c, g, f, base);
    default:
      return gen_scalar (c, g, f->kind, p);
    }
}

static int
gen_struct (walk_ctx *c, yajl_gen g, const oci_desc *d, const void *base)
{
  size_t i;

  if (gen_check (c, yajl_gen_map_open (g)) < 0)
    return -1;
  for (i = 0; i < d->n_fields; i++)
    {
      const oci_field *f = &d->fields[i];
      size_t saved;
      int r;

      if (!field_present (f, base))
        continue;
      saved = path_push_key (c, f->key);
      r = gen_string (c, g, f->key);
      if (r == 0)
        r = gen_field (c, g, f, base);
      path_pop (c, saved);
      if (r < 0)
        return r;
    }
  return gen_check (c, yajl_gen_map_close (g));
}

int
oci_walk_generate (const oci_desc *desc, const void *doc, bool pretty, char **json, size_t *len,
                   char **errmsg)
{
  walk_ctx c = { .len = 0 };
  const unsigned char *buf;
  size_t blen;
  yajl_gen g;
  int r;

  *json = NULL;
  *errmsg = NULL;
  if (len)
    *len = 0;
  if (doc == NULL)
    {
      fail (&c, "generate %s: document is NULL", desc->name);
      return fail_document (errmsg, take_error (&c));
    }
  g = yajl_gen_alloc (NULL);
  if (g == NULL)
    return fail_document (errmsg, NULL);
  yajl_gen_config (g, yajl_gen_beautify, (int) pretty);
  /* runc writes config.json indented with tabs; so do we. */
  yajl_gen_config (g, yajl_gen_indent_string, "\t");
  yajl_gen_config (g, yajl_gen_validate_utf8, 1);

  r = gen_struct (&c, g, desc, doc);
  if (r == 0)
    r = gen_check (&c, yajl_gen_get_buf (g, &buf, &blen));
  if (r == 0)
    {
      *json = malloc (blen + 1);
      if (*json == NULL)
        r = fail (&c, "out of memory");
    }
  if (r == 0)
    {
      memcpy (*json, buf, blen);
      (*json)[blen] = '\0';
      if (len)
        *len = blen;
    }
  yajl_gen_free (g);
  if (r < 0)
    return fail_document (errmsg, take_error (&c));
  return 0;
}

/* ---- free ---- */

static void
free_array (const oci_field *f, void *base)
{
  char *arr = load_ptr (base, f->offset);
  size_t len = *(size_t *) AT (base, f->aux);
  size_t i;

  if (arr == NULL)
    return;
  for (i = 0; i < len; i++)
    {
      if (f->kind == OCI_STRING_ARRAY)
        free (((char **) arr)[i]);
      else if (f->kind == OCI_STRUCT_ARRAY || f->kind == OCI_KEYED_STRUCTS)
        free_struct (f->sub, arr + i * f->sub->size);
    }
  free (arr);
}

static void
free_map (oci_map *m)
{
  size_t i;

  for (i = 0; i < m->len; i++)
    {
      free (m->keys[i]);
      free (m->values[i]);
    }
  free (m->keys);
  free (m->values);
}

static void
free_struct (const oci_desc *d, void *base)
{
  size_t i;

  for (i = 0; i < d->n_fields; i++)
    {
      const oci_field *f = &d->fields[i];
      void *p = AT (base, f->offset);

      switch (f->kind)
        {
        case OCI_STRING:
          free (*(char **) p);
          break;
        case OCI_OBJECT:
          oci_walk_free (f->sub, load_ptr (base, f->offset));
          break;
        case OCI_STRING_ARRAY:
        case OCI_UINT32_ARRAY:
        case OCI_STRUCT_ARRAY:
        case OCI_KEYED_STRUCTS:
          free_array (f, base);
          break;
        case OCI_MAP:
          free_map (p);
          break;
        default:
          break;
        }
    }
  if (d->key_offset != OCI_NO_AUX)
    free (*(char **) AT (base, d->key_offset));
}

void
oci_walk_free (const oci_desc *desc, void *doc)
{
  if (doc == NULL)
    return;
  free_struct (desc, doc);
  free (doc);
}
