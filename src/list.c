/* nook list */
#include <config.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include "nook.h"
#include "container.h"

static const struct option options[] = {
  { "quiet", no_argument, NULL, 'q' },
  { "format", required_argument, NULL, 'f' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static void
gen_str (yajl_gen g, const char *k, const char *v)
{
  yajl_gen_string (g, (const unsigned char *) k, strlen (k));
  yajl_gen_string (g, (const unsigned char *) (v ? v : ""), v ? strlen (v) : 0);
}

/* runc's list --format json: an array of {ociVersion,id,pid,status,bundle,
 * rootfs,created,owner}. */
static void
print_json (oci_state **s, size_t n)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t i, len;

  yajl_gen_array_open (g);
  for (i = 0; i < n; i++)
    {
      yajl_gen_map_open (g);
      gen_str (g, "ociVersion", s[i]->oci_version);
      gen_str (g, "id", s[i]->id);
      yajl_gen_string (g, (const unsigned char *) "pid", 3);
      yajl_gen_integer (g, s[i]->pid);
      gen_str (g, "status", s[i]->status);
      gen_str (g, "bundle", s[i]->bundle);
      gen_str (g, "rootfs", s[i]->rootfs);
      gen_str (g, "created", s[i]->created);
      gen_str (g, "owner", s[i]->owner);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  printf ("%.*s\n", (int) len, buf);
  yajl_gen_free (g);
}

static void
print_table (oci_state **s, size_t n)
{
  int wid = 2, wstatus = 6;
  size_t i;

  for (i = 0; i < n; i++)
    {
      if ((int) strlen (s[i]->id) > wid)
        wid = strlen (s[i]->id);
      if ((int) strlen (s[i]->status) > wstatus)
        wstatus = strlen (s[i]->status);
    }
  printf ("%-*s  %-8s  %-*s  %-40s  %-30s  %s\n", wid, "ID", "PID", wstatus, "STATUS", "BUNDLE",
          "CREATED", "OWNER");
  for (i = 0; i < n; i++)
    printf ("%-*s  %-8lld  %-*s  %-40s  %-30s  %s\n", wid, s[i]->id, (long long) s[i]->pid,
            wstatus, s[i]->status, s[i]->bundle, s[i]->created ? s[i]->created : "",
            s[i]->owner ? s[i]->owner : "");
}

int
nook_cmd_list (struct nook_global_opts *g, int argc, char **argv)
{
  nook_error_t err = NULL;
  oci_state **states = NULL;
  const char *format = "table";
  bool quiet = false;
  size_t n = 0, i;
  int c;

  while ((c = getopt_long (argc, argv, "+:qf:h", options, NULL)) != -1)
    switch (c)
      {
      case 'q': quiet = true; break;
      case 'f': format = optarg; break;
      case 'h':
        printf ("Usage: nook list [OPTIONS]\n\n"
                "List the containers under --root.\n\n"
                "Options:\n"
                "  -q, --quiet          print the ids only\n"
                "  -f, --format FORMAT  table (default) or json\n"
                "  -h, --help           print this help\n");
        return 0;
      default: return nook_option_error ("list", c, argv);
      }
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return nook_usage_error ("list", "--format must be `table` or `json`, not `%s`", format);
  if (nook_check_positional ("list", argc, argv, 0, "") != 0)
    return 1;
  if (nook_container_list (g->root, &states, &n, &err) < 0)
    return nook_fail (&err);
  if (quiet)
    for (i = 0; i < n; i++)
      printf ("%s\n", states[i]->id);
  else if (strcmp (format, "json") == 0)
    print_json (states, n);
  else
    print_table (states, n);
  for (i = 0; i < n; i++)
    oci_state_free (states[i]);
  free (states);
  return 0;
}
