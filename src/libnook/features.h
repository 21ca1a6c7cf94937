/* nook - the runtime-spec features document (`nook features`). */
#ifndef NOOK_FEATURES_H
#define NOOK_FEATURES_H

#include "error.h"

/* The JSON (pretty) of what this build on this host really supports. */
int nook_features_json (char **json, nook_error_t *err);

#endif
