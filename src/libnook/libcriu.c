/* nook - libcriu opened on first use (see libcriu.h). */
#include <config.h>
#include <dlfcn.h>
#define NOOK_LIBCRIU_NO_MACROS
#include "libcriu.h"

struct nook_libcriu nook_libcriu;

int
nook_libcriu_load (nook_error_t *err)
{
  void *h;

  if (nook_libcriu.criu_local_init_opts)
    return 0;
  h = dlopen ("libcriu.so.2", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return nook_make_error (err, 0, "checkpoint/restore needs libcriu.so.2 (Debian package criu): %s",
                            dlerror ());
#define LIBCRIU_RESOLVE(name)                                                                \
  if ((*(void **) &nook_libcriu.name = dlsym (h, #name)) == NULL)                            \
    return nook_make_error (err, 0, "libcriu.so.2 has no `%s`", #name);
  LIBCRIU_FUNCTIONS (LIBCRIU_RESOLVE)
#undef LIBCRIU_RESOLVE
  return 0;
}
