/* libocispec - the generic walker behind oci.h.
 *
 * Every struct in oci.h is described by an oci_desc: a table of oci_field
 * entries giving the JSON key, the kind of value, where the C field lives and
 * where its companion lives (the has_ flag of an optional scalar, or the
 * _len of an array).  One walker parses a yajl tree into any described
 * struct, generates JSON from it and frees it, so adding a field to the spec
 * is one line in oci-tables.c.
 *
 * libocispec links only yajl (libnook links libocispec, not the other way),
 * so it carries its own cleanup helper instead of src/libnook/utils.h.
 */
#ifndef OCI_WALKER_H
#define OCI_WALKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

typedef enum
{
  OCI_STRING,        /* char * */
  OCI_BOOL,          /* bool */
  OCI_INT32,         /* int32_t */
  OCI_UINT32,        /* uint32_t */
  OCI_UINT16,        /* uint16_t */
  OCI_INT64,         /* int64_t */
  OCI_UINT64,        /* uint64_t */
  OCI_OBJECT,        /* pointer to a `sub` struct */
  OCI_STRING_ARRAY,  /* char **, aux = size_t len */
  OCI_UINT32_ARRAY,  /* uint32_t *, aux = size_t len */
  OCI_STRUCT_ARRAY,  /* `sub` structs by value, aux = size_t len */
  OCI_MAP,           /* oci_map, string -> string */
  OCI_KEYED_STRUCTS, /* JSON object of `sub` structs by value, aux = size_t len;
                        each key is stored in the element's sub->key_offset */
} oci_kind;

/* "no companion field" for oci_field.aux and oci_desc.key_offset
 * (0 is a valid offset). */
#define OCI_NO_AUX ((size_t) -1)

struct oci_desc;

typedef struct
{
  const char *key; /* JSON key */
  oci_kind kind;
  size_t offset; /* offsetof the field */
  /* Scalars: offsetof their `bool has_<name>`, or OCI_NO_AUX when absence
   * is the zero value.  Arrays and keyed structs: offsetof their size_t
   * length.  Otherwise OCI_NO_AUX. */
  size_t aux;
  const struct oci_desc *sub; /* OCI_OBJECT, OCI_STRUCT_ARRAY, OCI_KEYED_STRUCTS */
  bool required;
} oci_field;

typedef struct oci_desc
{
  const char *name; /* the C type, for debugging */
  size_t size;
  /* Elements of an OCI_KEYED_STRUCTS: offsetof the char * that holds the
   * JSON key (oci_time_offset.clock); OCI_NO_AUX for other structs. */
  size_t key_offset;
  const oci_field *fields;
  size_t n_fields;
} oci_desc;

/* Parse JSON text (len bytes, need not be NUL terminated) into a new
 * zeroed struct of `desc`.  0 and *out, or -1 and *errmsg (malloc'd). */
int oci_walk_parse (const oci_desc *desc, const char *data, size_t len, void **out,
                    char **errmsg);

/* 0 and *json (malloc'd, NUL terminated; *len if len != NULL), or -1 and
 * *errmsg.  Absent fields (NULL, empty, has_ false, or zero when the field
 * has no has_ flag) are not written; required fields always are. */
int oci_walk_generate (const oci_desc *desc, const void *doc, bool pretty, char **json,
                       size_t *len, char **errmsg);

/* Free doc and everything it owns; NULL is fine. */
void oci_walk_free (const oci_desc *desc, void *doc);

/* The four documents, from oci-tables.c. */
extern const oci_desc oci_container_desc;
extern const oci_desc oci_process_desc;
extern const oci_desc oci_state_desc;
extern const oci_desc oci_features_desc;

static inline void
oci_freep (void *p)
{
  free (*(void **) p);
}
#define oci_cleanup_free __attribute__ ((cleanup (oci_freep)))

#endif
