/* Unit tests for libocispec: the corpus in tests/unit/corpus plus targeted
 * checks of values, bounds, ordering and generation.
 *
 * Corpus rules: a file's document type is its name up to the first '-'
 * (config, process, state, features).  valid/ files must parse, and must
 * regenerate to semantically the same JSON unless its name contains
 * "lenient" (unknown keys, nulls, duplicates, comments: accepted but not
 * reproduced).  invalid/NAME.json must fail with an error containing the
 * text of invalid/NAME.expect (all files are *.json).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "oci.h"
#include "unit.h"

#ifndef CORPUS_DIR
# error "CORPUS_DIR must name tests/unit/corpus"
#endif

/* ---- the four documents behind one interface ---- */

typedef struct
{
  const char *prefix;
  int (*parse_file) (const char *path, void **out, char **err);
  int (*parse_data) (const char *data, size_t len, void **out, char **err);
  int (*generate) (const void *doc, bool pretty, char **json, size_t *len, char **err);
  void (*free) (void *doc);
} doc_api;

#define ADAPT(name)                                                                        \
  static int name##_pf (const char *p, void **o, char **e)                                 \
  {                                                                                        \
    name *d = NULL;                                                                        \
    int r = name##_parse_file (p, &d, e);                                                  \
    *o = d;                                                                                \
    return r;                                                                              \
  }                                                                                        \
  static int name##_pd (const char *s, size_t n, void **o, char **e)                       \
  {                                                                                        \
    name *d = NULL;                                                                        \
    int r = name##_parse_data (s, n, &d, e);                                               \
    *o = d;                                                                                \
    return r;                                                                              \
  }                                                                                        \
  static int name##_gen (const void *d, bool p, char **j, size_t *l, char **e)             \
  {                                                                                        \
    return name##_generate (d, p, j, l, e);                                                \
  }                                                                                        \
  static void name##_fr (void *d) { name##_free (d); }

ADAPT (oci_container)
ADAPT (oci_process)
ADAPT (oci_state)
ADAPT (oci_features)

#define API(prefix, name) { prefix, name##_pf, name##_pd, name##_gen, name##_fr }
static const doc_api doc_apis[] = {
  API ("config", oci_container),
  API ("process", oci_process),
  API ("state", oci_state),
  API ("features", oci_features),
};

static const doc_api *
api_for (const char *file_name)
{
  size_t i, n = strcspn (file_name, "-.");

  for (i = 0; i < sizeof (doc_apis) / sizeof (doc_apis[0]); i++)
    if (strlen (doc_apis[i].prefix) == n && strncmp (file_name, doc_apis[i].prefix, n) == 0)
      return &doc_apis[i];
  return NULL;
}

/* ---- helpers ---- */

static char *
read_file (const char *path, size_t *len)
{
  FILE *f = fopen (path, "re");
  char *buf = NULL;
  size_t cap = 0, n = 0;

  if (f == NULL)
    return NULL;
  for (;;)
    {
      if (cap - n < 4096)
        {
          cap = cap ? cap * 2 : 65536;
          buf = realloc (buf, cap + 1);
          if (buf == NULL)
            abort ();
        }
      size_t r = fread (buf + n, 1, cap - n, f);
      n += r;
      if (r == 0)
        break;
    }
  fclose (f);
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

static char *
corpus_path (const char *dir, const char *name)
{
  char *p;

  if (asprintf (&p, "%s/%s/%s", CORPUS_DIR, dir, name) < 0)
    abort ();
  return p;
}

/* Sorted *.json names of a corpus directory. */
static size_t
corpus_list (const char *dir, char ***names)
{
  char *path = corpus_path (dir, "");
  struct dirent **ents = NULL;
  int i, n = scandir (path, &ents, NULL, alphasort);
  size_t count = 0;

  CHECK_MSG (n >= 0, "scandir %s: %s", path, strerror (errno));
  *names = calloc (n > 0 ? n : 1, sizeof (char *));
  for (i = 0; i < n; i++)
    {
      size_t l = strlen (ents[i]->d_name);
      if (l > 5 && strcmp (ents[i]->d_name + l - 5, ".json") == 0)
        (*names)[count++] = strdup (ents[i]->d_name);
      free (ents[i]);
    }
  free (ents);
  free (path);
  return count;
}

static void
free_names (char **names, size_t n)
{
  while (n > 0)
    free (names[--n]);
  free (names);
}

/* Semantic JSON equality: objects as unordered key sets, numbers by text. */
static bool
json_equal (yajl_val a, yajl_val b)
{
  size_t i, j;

  if (a->type != b->type)
    return false;
  switch (a->type)
    {
    case yajl_t_string:
      return strcmp (a->u.string, b->u.string) == 0;
    case yajl_t_number:
      return strcmp (a->u.number.r, b->u.number.r) == 0;
    case yajl_t_array:
      if (a->u.array.len != b->u.array.len)
        return false;
      for (i = 0; i < a->u.array.len; i++)
        if (!json_equal (a->u.array.values[i], b->u.array.values[i]))
          return false;
      return true;
    case yajl_t_object:
      if (a->u.object.len != b->u.object.len)
        return false;
      for (i = 0; i < a->u.object.len; i++)
        {
          for (j = 0; j < b->u.object.len; j++)
            if (strcmp (a->u.object.keys[i], b->u.object.keys[j]) == 0)
              break;
          if (j == b->u.object.len || !json_equal (a->u.object.values[i], b->u.object.values[j]))
            return false;
        }
      return true;
    default:
      return true;
    }
}

static bool
json_text_equal (const char *a, const char *b)
{
  char e1[256], e2[256];
  yajl_val ta = yajl_tree_parse (a, e1, sizeof (e1));
  yajl_val tb = yajl_tree_parse (b, e2, sizeof (e2));
  bool eq = ta && tb && json_equal (ta, tb);

  yajl_tree_free (ta);
  yajl_tree_free (tb);
  return eq;
}

static char *
trim_newline (char *s)
{
  size_t n = strlen (s);

  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
    s[--n] = '\0';
  return s;
}

static oci_container *
parse_config_text (const char *text, char **err)
{
  oci_container *c = NULL;

  *err = NULL;
  if (oci_container_parse_data (text, strlen (text), &c, err) < 0)
    return NULL;
  return c;
}

static oci_container *
load_corpus_config (const char *name)
{
  char *path = corpus_path ("valid", name);
  oci_container *c = NULL;
  char *err = NULL;

  CHECK_MSG (oci_container_parse_file (path, &c, &err) == 0, "%s: %s", path, err ? err : "");
  free (err);
  free (path);
  return c;
}

/* ---- corpus ---- */

static void
check_valid_file (const char *name)
{
  const doc_api *api = api_for (name);
  char *path = corpus_path ("valid", name);
  char *err = NULL, *json1 = NULL, *json2 = NULL, *compact = NULL, *input;
  void *doc1 = NULL, *doc2 = NULL;
  size_t len1 = 0;

  if (!CHECK_MSG (api != NULL, "%s: no document type for this name", name))
    goto out;
  if (!CHECK_MSG (api->parse_file (path, &doc1, &err) == 0, "%s: %s", name, err))
    goto out;
  if (!CHECK_MSG (api->generate (doc1, true, &json1, &len1, &err) == 0, "%s: %s", name, err))
    goto out;
  CHECK_UINT_EQ (len1, strlen (json1));
  if (!CHECK_MSG (api->parse_data (json1, len1, &doc2, &err) == 0, "%s reparse: %s", name, err))
    goto out;
  if (!CHECK_MSG (api->generate (doc2, true, &json2, NULL, &err) == 0, "%s: %s", name, err))
    goto out;
  CHECK_MSG (strcmp (json1, json2) == 0, "%s: generate is not a fixed point:\n%s\n%s", name,
             json1, json2);
  CHECK_MSG (api->generate (doc1, false, &compact, NULL, &err) == 0, "%s: %s", name, err);
  CHECK_MSG (compact && json_text_equal (compact, json1), "%s: compact != pretty", name);

  input = read_file (path, NULL);
  if (strstr (name, "lenient") == NULL)
    CHECK_MSG (input && json_text_equal (input, json1),
               "%s: round trip lost or changed data; generated:\n%s", name, json1);
  free (input);
out:
  if (api)
    {
      api->free (doc1);
      api->free (doc2);
    }
  free (json1);
  free (json2);
  free (compact);
  free (err);
  free (path);
}

static void
test_valid_corpus (void)
{
  char **names;
  size_t i, n = corpus_list ("valid", &names);

  CHECK_MSG (n >= 10, "only %zu valid corpus files in %s", n, CORPUS_DIR);
  for (i = 0; i < n; i++)
    check_valid_file (names[i]);
  free_names (names, n);
}

static void
check_invalid_file (const char *name)
{
  const doc_api *api = api_for (name);
  char *path = corpus_path ("invalid", name);
  char *expect_path, *expect, *err = NULL, *prefix = NULL;
  void *doc = NULL;

  if (asprintf (&expect_path, "%.*s.expect", (int) (strlen (path) - strlen (".json")), path) < 0)
    abort ();
  expect = read_file (expect_path, NULL);
  if (!CHECK_MSG (expect != NULL, "%s: missing %s", name, expect_path)
      || !CHECK_MSG (api != NULL, "%s: no document type for this name", name))
    goto out;
  trim_newline (expect);
  CHECK_MSG (*expect != '\0', "%s: empty .expect", name);
  if (!CHECK_MSG (api->parse_file (path, &doc, &err) < 0, "%s: parsed but should not", name))
    goto out;
  CHECK_NULL (doc);
  if (asprintf (&prefix, "parse `%s`: ", path) < 0)
    abort ();
  CHECK_MSG (err && strncmp (err, prefix, strlen (prefix)) == 0, "%s: error lacks path: %s",
             name, err);
  CHECK_MSG (err && strstr (err, expect), "%s:\n  error:    %s\n  expected: %s", name, err,
             expect);
  if (getenv ("UNIT_VERBOSE"))
    printf ("%-40s %s\n", name, err ? err + strlen (prefix) : "(null)");
out:
  if (api)
    api->free (doc);
  free (prefix);
  free (err);
  free (expect);
  free (expect_path);
  free (path);
}

static void
test_invalid_corpus (void)
{
  char **names;
  size_t i, n = corpus_list ("invalid", &names);

  CHECK_MSG (n >= 50, "only %zu invalid corpus files in %s", n, CORPUS_DIR);
  for (i = 0; i < n; i++)
    check_invalid_file (names[i]);
  free_names (names, n);
}

/* ---- values ---- */

static void
check_full_config (const oci_container *c)
{
  const oci_linux *l = c->linux;
  const oci_resources *r;

  CHECK_STR_EQ (c->oci_version, "1.2.0");
  if (!CHECK_NOT_NULL (c->process) || !CHECK_NOT_NULL (l) || !CHECK_NOT_NULL (l->resources))
    return;
  r = l->resources;
  CHECK (c->process->terminal);
  CHECK_UINT_EQ (c->process->console_size->width, 80);
  CHECK_UINT_EQ (c->process->user->uid, 1000);
  CHECK (c->process->user->has_umask);
  CHECK_UINT_EQ (c->process->user->umask, 18);
  CHECK_UINT_EQ (c->process->user->additional_gids_len, 3);
  CHECK_UINT_EQ (c->process->user->additional_gids[2], UINT32_MAX);
  CHECK_STR_EQ (c->process->args[2], "echo \"hello\" \\ world \xc3\xa9");
  CHECK_STR_EQ (c->process->cwd, "/home/alice");
  CHECK_UINT_EQ (c->process->capabilities->ambient_len, 1);
  CHECK_UINT_EQ (c->process->rlimits[1].hard, UINT64_MAX);
  CHECK_UINT_EQ (c->process->rlimits[1].soft, 0);
  CHECK (c->process->has_oom_score_adj);
  CHECK_INT_EQ (c->process->oom_score_adj, -100);
  CHECK_STR_EQ (c->process->io_priority->class, "IOPRIO_CLASS_RT");
  CHECK_INT_EQ (c->process->scheduler->nice, -5);
  CHECK_UINT_EQ (c->process->scheduler->period, 30000000);
  CHECK_STR_EQ (c->process->exec_cpu_affinity->final, "0-3,7");
  CHECK (c->root->readonly);
  CHECK_STR_EQ (c->domainname, "example.org");
  CHECK_UINT_EQ (c->mounts_len, 3);
  CHECK_UINT_EQ (c->mounts[2].uid_mappings[0].host_id, 100000);
  CHECK_UINT_EQ (c->mounts[2].gid_mappings_len, 1);
  CHECK_UINT_EQ (c->hooks->prestart_len, 2);
  CHECK (c->hooks->create_container[0].has_timeout);
  CHECK_INT_EQ (c->hooks->create_container[0].timeout, 5);
  CHECK (!c->hooks->prestart[0].has_timeout);
  CHECK_UINT_EQ (l->namespaces_len, 8);
  CHECK_STR_EQ (l->namespaces[1].path, "/var/run/netns/neta");
  CHECK_UINT_EQ (l->gid_mappings[1].host_id, UINT32_MAX);
  CHECK_UINT_EQ (l->time_offsets_len, 2);
  CHECK_STR_EQ (l->time_offsets[0].clock, "monotonic");
  CHECK_INT_EQ (l->time_offsets[0].secs, -86400);
  CHECK_STR_EQ (l->time_offsets[1].clock, "boottime");
  CHECK_INT_EQ (l->time_offsets[1].secs, INT64_MAX);
  CHECK_UINT_EQ (l->time_offsets[1].nanosecs, UINT32_MAX);
  CHECK (l->devices[0].has_file_mode && l->devices[0].file_mode == 0666);
  CHECK (!l->devices[2].has_major && !l->devices[2].has_uid);
  CHECK_STR_EQ (l->net_devices[0].host_name, "eth1");
  CHECK_STR_EQ (l->net_devices[0].name, "eth0");
  CHECK_STR_EQ (l->net_devices[1].host_name, "ens4");
  CHECK_NULL (l->net_devices[1].name);
  CHECK (!r->devices[0].allow && r->devices[1].allow);
  CHECK (r->devices[2].has_major && r->devices[2].major == -1);
  CHECK (r->memory->has_limit && r->memory->limit == 536870912);
  CHECK (r->memory->has_swap && r->memory->swap == -1);
  CHECK (r->memory->has_kernel && r->memory->kernel == 0);
  CHECK (r->memory->has_disable_oom_killer && !r->memory->disable_oom_killer);
  CHECK (r->cpu->has_quota && r->cpu->quota == -1);
  CHECK (r->cpu->has_burst && r->cpu->burst == 0);
  CHECK_STR_EQ (r->cpu->cpus, "2-3");
  CHECK_INT_EQ (r->pids->limit, 32771);
  CHECK (r->block_io->has_leaf_weight && r->block_io->leaf_weight == 0);
  CHECK_UINT_EQ (r->block_io->weight_device[1].weight, 65535);
  CHECK (!r->block_io->weight_device[1].has_leaf_weight);
  CHECK_UINT_EQ (r->block_io->throttle_write_bps_device[0].rate, UINT64_MAX);
  CHECK_UINT_EQ (r->block_io->throttle_read_iops_device[0].rate, 300);
  CHECK_STR_EQ (r->hugepage_limits[1].page_size, "64KB");
  CHECK_UINT_EQ (r->network->class_id, 1048577);
  CHECK_UINT_EQ (r->rdma_len, 3);
  CHECK_STR_EQ (r->rdma[1].device, "mlx4_0");
  CHECK (!r->rdma[1].has_hca_handles && r->rdma[1].has_hca_objects);
  CHECK_STR_EQ (oci_map_get (&r->unified, "memory.high"), "1073741824");
  CHECK_STR_EQ (oci_map_get (&l->sysctl, "net.ipv4.ip_forward"), "1");
  CHECK_STR_EQ (l->seccomp->default_action, "SCMP_ACT_ERRNO");
  CHECK (l->seccomp->has_default_errno_ret && l->seccomp->default_errno_ret == 1);
  CHECK (l->seccomp->syscalls[1].has_errno_ret && l->seccomp->syscalls[1].errno_ret == 0);
  CHECK_UINT_EQ (l->seccomp->syscalls[2].args[1].value, UINT64_MAX);
  CHECK_UINT_EQ (l->seccomp->syscalls[2].args[1].value_two, UINT32_MAX);
  CHECK_UINT_EQ (l->seccomp->syscalls[3].names_len, 0);
  CHECK_STR_EQ (l->personality->domain, "LINUX32");
  CHECK (l->intel_rdt->enable_cmt && l->intel_rdt->enable_mbm);
  CHECK_STR_EQ (l->intel_rdt->clos_id, "guaranteed_group");
}

static void
test_full_config_values_and_round_trip (void)
{
  oci_container *c = load_corpus_config ("config-full.json"), *c2 = NULL;
  char *json = NULL, *err = NULL;

  if (!CHECK_NOT_NULL (c))
    return;
  check_full_config (c);
  CHECK_MSG (oci_container_generate (c, false, &json, NULL, &err) == 0, "%s", err);
  c2 = json ? parse_config_text (json, &err) : NULL;
  CHECK_MSG (c2 != NULL, "reparse: %s", err);
  if (c2)
    check_full_config (c2);
  oci_container_free (c);
  oci_container_free (c2);
  free (json);
  free (err);
}

static void
test_annotations_order (void)
{
  static const char *const order[] = { "zeta", "com.example.key1", "alpha", "com.example.empty" };
  oci_container *c = load_corpus_config ("config-full.json");
  char *json = NULL, *err = NULL;
  const char *prev = NULL;
  size_t i;

  if (!CHECK_NOT_NULL (c))
    return;
  CHECK_UINT_EQ (c->annotations.len, 4);
  for (i = 0; i < 4 && i < c->annotations.len; i++)
    CHECK_STR_EQ (c->annotations.keys[i], order[i]);
  CHECK_STR_EQ (oci_map_get (&c->annotations, "alpha"), "first letter last");
  CHECK_STR_EQ (oci_map_get (&c->annotations, "com.example.empty"), "");
  CHECK_NULL (oci_map_get (&c->annotations, "missing"));
  CHECK_NULL (oci_map_get (NULL, "alpha"));

  CHECK (oci_container_generate (c, true, &json, NULL, &err) == 0);
  for (i = 0; json && i < 4; i++)
    {
      char *quoted, *at;
      if (asprintf (&quoted, "\"%s\":", order[i]) < 0)
        abort ();
      at = strstr (json, quoted);
      CHECK_MSG (at && (prev == NULL || at > prev), "annotation %s out of order", order[i]);
      prev = at;
      free (quoted);
    }
  oci_container_free (c);
  free (json);
  free (err);
}

static void
test_unknown_keys_ignored (void)
{
  static const char *const unknown[]
    = { "unknownTopLevel", "windows", "vm", "futureField", "whatever", "mysteryFlag",
        "extra", "memoryPolicy", "newKnob", "misc", "schemata" };
  oci_container *c = load_corpus_config ("config-lenient-unknown-keys.json");
  char *json = NULL, *err = NULL;
  size_t i;

  if (!CHECK_NOT_NULL (c))
    return;
  CHECK_UINT_EQ (c->process->user->uid, 7);
  CHECK_UINT_EQ (c->process->user->gid, 8);
  CHECK_STR_EQ (c->process->args[0], "true");
  CHECK_STR_EQ (c->root->path, "rootfs");
  CHECK_STR_EQ (c->mounts[0].type, "tmpfs");
  CHECK (c->linux->resources->memory->has_limit);
  CHECK_INT_EQ (c->linux->resources->memory->limit, 1048576);
  CHECK_STR_EQ (c->linux->intel_rdt->clos_id, "g");
  CHECK (oci_container_generate (c, false, &json, NULL, &err) == 0);
  for (i = 0; json && i < sizeof (unknown) / sizeof (unknown[0]); i++)
    CHECK_MSG (strstr (json, unknown[i]) == NULL, "%s leaked into %s", unknown[i], json);
  oci_container_free (c);
  free (json);
  free (err);
}

static void
test_nulls_are_absent (void)
{
  oci_container *c = load_corpus_config ("config-lenient-nulls.json");

  if (!CHECK_NOT_NULL (c))
    return;
  CHECK_NULL (c->hostname);
  CHECK_UINT_EQ (c->mounts_len, 0);
  CHECK_UINT_EQ (c->annotations.len, 0);
  CHECK_UINT_EQ (c->process->args_len, 0);
  CHECK (!c->process->user->has_umask);
  CHECK_NULL (c->linux->resources);
  CHECK_NULL (c->linux->seccomp);
  oci_container_free (c);
}

static void
test_duplicate_keys_last_wins (void)
{
  oci_container *c = load_corpus_config ("config-lenient-duplicates.json");

  if (!CHECK_NOT_NULL (c))
    return;
  CHECK_STR_EQ (c->oci_version, "1.2.0");
  CHECK_STR_EQ (c->hostname, "second");
  CHECK_UINT_EQ (c->annotations.len, 2);
  CHECK_STR_EQ (c->annotations.keys[0], "a");
  CHECK_STR_EQ (c->annotations.values[0], "3");
  CHECK_UINT_EQ (c->linux->time_offsets_len, 2);
  CHECK_STR_EQ (c->linux->time_offsets[0].clock, "monotonic");
  CHECK_INT_EQ (c->linux->time_offsets[0].secs, 3);
  oci_container_free (c);
}

/* ---- integers at and past their bounds ---- */

static const struct bound_case
{
  const char *fmt; /* a config with one %s */
  const char *value;
  bool ok;
} bound_cases[] = {
#define UID "{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"user\":{\"uid\":%s,\"gid\":0}}}"
#define OOM "{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"oomScoreAdj\":%s}}"
#define HARD                                                                               \
  "{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_AS\","   \
  "\"hard\":%s,\"soft\":0}]}}"
#define LIMIT "{\"ociVersion\":\"1\",\"linux\":{\"resources\":{\"memory\":{\"limit\":%s}}}}"
#define WEIGHT "{\"ociVersion\":\"1\",\"linux\":{\"resources\":{\"blockIO\":{\"weight\":%s}}}}"
  { UID, "0", true },
  { UID, "-0", true },
  { UID, "4294967295", true },
  { UID, "4294967296", false },
  { UID, "-1", false },
  { UID, "0.0", false },
  { UID, "1E2", false },
  { OOM, "-2147483648", true },
  { OOM, "2147483647", true },
  { OOM, "-2147483649", false },
  { OOM, "2147483648", false },
  { HARD, "18446744073709551615", true },
  { HARD, "18446744073709551616", false },
  { HARD, "-1", false },
  { LIMIT, "-9223372036854775808", true },
  { LIMIT, "9223372036854775807", true },
  { LIMIT, "9223372036854775808", false },
  { LIMIT, "-9223372036854775809", false },
  { LIMIT, "1.5", false },
  { WEIGHT, "65535", true },
  { WEIGHT, "65536", false },
  { WEIGHT, "-1", false },
  { WEIGHT, "true", false },
#undef UID
#undef OOM
#undef HARD
#undef LIMIT
#undef WEIGHT
};

static void
test_integer_bounds (void)
{
  size_t i;

  for (i = 0; i < sizeof (bound_cases) / sizeof (bound_cases[0]); i++)
    {
      const struct bound_case *t = &bound_cases[i];
      char *text, *err = NULL, *json = NULL;
      oci_container *c;

      if (asprintf (&text, t->fmt, t->value) < 0)
        abort ();
      c = parse_config_text (text, &err);
      CHECK_MSG ((c != NULL) == t->ok, "%s: expected %s, got %s", text,
                 t->ok ? "success" : "failure", err ? err : "success");
      /* What was accepted is written back digit for digit. */
      if (c && strcmp (t->value, "-0") != 0)
        {
          CHECK (oci_container_generate (c, false, &json, NULL, &err) == 0);
          CHECK_MSG (json && json_text_equal (json, text), "%s came back as %s", text, json);
        }
      oci_container_free (c);
      free (json);
      free (err);
      free (text);
    }
}

/* ---- parse entry points ---- */

static void
test_parse_data_edges (void)
{
  const char text[] = "{\"cwd\":\"/x\"}garbage";
  const char nul[] = "{\"cwd\":\0\"/\"}";
  const char *trunc = "{\n  \"cwd\": \"/\",\n  \"args\": [\"sh\",\n";
  oci_process *p = NULL;
  char *err = NULL;

  /* len bounds the text: no NUL terminator needed, what follows is not read. */
  CHECK (oci_process_parse_data (text, strlen ("{\"cwd\":\"/x\"}"), &p, &err) == 0);
  CHECK (p && strcmp (p->cwd, "/x") == 0);
  oci_process_free (p);
  p = NULL;

  CHECK (oci_process_parse_data (nul, sizeof (nul) - 1, &p, &err) < 0);
  CHECK_NULL (p);
  CHECK_STR_EQ (err, "invalid JSON: NUL byte at offset 7");
  free (err);
  err = NULL;

  CHECK (oci_process_parse_data ("", 0, &p, &err) < 0);
  CHECK_STR_CONTAINS (err, "invalid JSON: parse error: premature EOF");
  free (err);
  err = NULL;

  /* yajl's multi-line message becomes one line naming the spot. */
  CHECK (oci_process_parse_data ("{\"cwd\" 1}", 9, &p, &err) < 0);
  CHECK_STR_EQ (err, "invalid JSON: parse error: object key and value must be separated by a "
                     "colon (':') at line 1, column 8");
  free (err);
  err = NULL;

  CHECK (oci_process_parse_data (trunc, strlen (trunc), &p, &err) < 0);
  CHECK_STR_EQ (err, "invalid JSON: parse error: premature EOF at line 4, column 1");
  free (err);
}

static void
test_parse_file_errors (void)
{
  oci_container *c = NULL;
  oci_state *s = NULL;
  char *err = NULL;

  CHECK (oci_container_parse_file ("/nonexistent-nook/config.json", &c, &err) < 0);
  CHECK_NULL (c);
  CHECK_STR_EQ (err, "open `/nonexistent-nook/config.json`: No such file or directory");
  free (err);
  err = NULL;

  CHECK (oci_state_parse_file ("/", &s, &err) < 0);
  CHECK_STR_EQ (err, "read `/`: Is a directory");
  free (err);
}

/* ---- generate ---- */

static void
test_generate_omits_absent (void)
{
  oci_memory mem = { .limit = 5, .has_limit = false, .swap = 0, .has_swap = true };
  oci_resources res = { .memory = &mem };
  oci_linux linux = { .resources = &res };
  oci_root root = { .path = (char *) "r", .readonly = false };
  oci_device_cgroup dev = { .allow = false };
  oci_process proc = { .cwd = (char *) "/", .oom_score_adj = 7, .has_oom_score_adj = false };
  oci_container c = { .oci_version = (char *) "1.2.0", .root = &root, .linux = &linux,
                      .process = &proc };
  char *json = NULL, *err = NULL;
  size_t len = 0;

  CHECK (oci_container_generate (&c, false, &json, &len, &err) == 0);
  CHECK_STR_EQ (json, "{\"ociVersion\":\"1.2.0\",\"process\":{\"cwd\":\"/\"},\"root\":{\"path\":"
                      "\"r\"},\"linux\":{\"resources\":{\"memory\":{\"swap\":0}}}}");
  CHECK_UINT_EQ (len, json ? strlen (json) : 0);
  free (json);

  /* Required scalars are written even when zero or false. */
  res.devices = &dev;
  res.devices_len = 1;
  res.memory = NULL;
  CHECK (oci_container_generate (&c, false, &json, NULL, &err) == 0);
  CHECK_STR_CONTAINS (json, "\"devices\":[{\"allow\":false}]");
  free (json);
}

static void
test_generate_required_and_bad_strings (void)
{
  oci_root root = { .path = NULL };
  oci_time_offset off = { .clock = NULL, .secs = 1 };
  oci_seccomp_syscall sc = { .action = (char *) "SCMP_ACT_LOG" };
  oci_seccomp seccomp = { .default_action = (char *) "SCMP_ACT_ALLOW", .syscalls = &sc,
                          .syscalls_len = 1 };
  oci_linux linux = { .seccomp = &seccomp };
  oci_container c = { .oci_version = NULL };
  char *json = NULL, *err = NULL;

  CHECK (oci_container_generate (&c, false, &json, NULL, &err) < 0);
  CHECK_NULL (json);
  CHECK_STR_EQ (err, "ociVersion: required field missing");
  free (err);

  c.oci_version = (char *) "1.2.0";
  c.root = &root;
  CHECK (oci_container_generate (&c, false, &json, NULL, &err) < 0);
  CHECK_STR_EQ (err, "root.path: required field missing");
  free (err);

  root.path = (char *) "r";
  c.hostname = (char *) "bad\xff";
  CHECK (oci_container_generate (&c, false, &json, NULL, &err) < 0);
  CHECK_STR_EQ (err, "hostname: invalid UTF-8 in string");
  free (err);

  /* A required array is written even when empty. */
  c.hostname = NULL;
  c.linux = &linux;
  CHECK (oci_container_generate (&c, false, &json, NULL, &err) == 0);
  CHECK_STR_CONTAINS (json, "\"syscalls\":[{\"names\":[],\"action\":\"SCMP_ACT_LOG\"}]");
  free (json);
  json = NULL;

  linux.time_offsets = &off;
  linux.time_offsets_len = 1;
  CHECK (oci_container_generate (&c, false, &json, NULL, &err) < 0);
  CHECK_STR_EQ (err, "linux.timeOffsets[0]: map key is NULL");
  free (err);

  CHECK (oci_container_generate (NULL, false, &json, NULL, &err) < 0);
  CHECK_STR_CONTAINS (err, "document is NULL");
  free (err);
}

static void
test_generate_formats (void)
{
  oci_rlimit rl = { .type = (char *) "RLIMIT_AS", .hard = UINT64_MAX, .soft = 0 };
  oci_process proc = { .cwd = (char *) "/", .rlimits = &rl, .rlimits_len = 1 };
  oci_time_offset off = { .clock = (char *) "boottime", .secs = INT64_MIN };
  oci_linux linux = { .time_offsets = &off, .time_offsets_len = 1 };
  oci_container c = { .oci_version = (char *) "1.2.0", .process = &proc, .linux = &linux };
  oci_state st = { .oci_version = (char *) "1.2.0", .id = (char *) "a", .status = (char *) "created",
                   .bundle = (char *) "/b", .pid = 0, .has_pid = true };
  char *json = NULL, *err = NULL;

  CHECK (oci_container_generate (&c, false, &json, NULL, &err) == 0);
  CHECK (json && strchr (json, '\n') == NULL);
  CHECK_STR_CONTAINS (json, "\"hard\":18446744073709551615,\"soft\":0");
  CHECK_STR_CONTAINS (json, "\"timeOffsets\":{\"boottime\":{\"secs\":-9223372036854775808}}");
  free (json);

  CHECK (oci_container_generate (&c, true, &json, NULL, &err) == 0);
  CHECK (json && strncmp (json, "{\n\t\"ociVersion\": \"1.2.0\",\n", 26) == 0);
  free (json);

  CHECK (oci_state_generate (&st, false, &json, NULL, &err) == 0);
  CHECK_STR_EQ (json, "{\"ociVersion\":\"1.2.0\",\"id\":\"a\",\"status\":\"created\",\"pid\":0,"
                      "\"bundle\":\"/b\"}");
  free (json);
}

static void
test_free_null (void)
{
  oci_container_free (NULL);
  oci_process_free (NULL);
  oci_state_free (NULL);
  oci_features_free (NULL);
  CHECK (true);
}

static void
test_state_and_features_values (void)
{
  char *path = corpus_path ("valid", "state.json");
  char *fpath = corpus_path ("valid", "features-full.json");
  oci_state *s = NULL;
  oci_features *f = NULL;
  char *err = NULL;

  CHECK_MSG (oci_state_parse_file (path, &s, &err) == 0, "%s", err ? err : "");
  if (s)
    {
      CHECK (s->has_pid && s->pid == 4422);
      CHECK_STR_EQ (s->status, "running");
      CHECK_STR_EQ (s->owner, "");
      CHECK_STR_EQ (oci_map_get (&s->annotations, "myKey"), "myValue");
    }
  CHECK_MSG (oci_features_parse_file (fpath, &f, &err) == 0, "%s", err ? err : "");
  if (f && CHECK_NOT_NULL (f->linux))
    {
      CHECK (f->linux->cgroup->has_v2 && !f->linux->cgroup->v2);
      CHECK (f->linux->cgroup->has_v1 && f->linux->cgroup->v1);
      CHECK (f->linux->mount_extensions->idmap->has_enabled);
      CHECK (f->linux->mount_extensions->idmap->enabled);
      CHECK_UINT_EQ (f->linux->seccomp->supported_flags_len, 1);
      CHECK_UINT_EQ (f->potentially_unsafe_config_annotations_len, 2);
      CHECK_STR_EQ (f->potentially_unsafe_config_annotations[1], "org.systemd.property.");
    }
  oci_state_free (s);
  oci_features_free (f);
  free (err);
  free (path);
  free (fpath);
}

int
main (void)
{
  RUN_TEST (test_valid_corpus);
  RUN_TEST (test_invalid_corpus);
  RUN_TEST (test_full_config_values_and_round_trip);
  RUN_TEST (test_annotations_order);
  RUN_TEST (test_unknown_keys_ignored);
  RUN_TEST (test_nulls_are_absent);
  RUN_TEST (test_duplicate_keys_last_wins);
  RUN_TEST (test_integer_bounds);
  RUN_TEST (test_parse_data_edges);
  RUN_TEST (test_parse_file_errors);
  RUN_TEST (test_generate_omits_absent);
  RUN_TEST (test_generate_required_and_bad_strings);
  RUN_TEST (test_generate_formats);
  RUN_TEST (test_free_null);
  RUN_TEST (test_state_and_features_values);
  return unit_finish ();
}
