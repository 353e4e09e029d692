/*===- backends.c - the runtime's backends, one line each -----------------===*/
#include "internal.h"

const lathe_backend *lathe_backend_for(uint32_t target) {
  static const lathe_backend *const backends[] = {
      &lathe_cpu_backend,
      &lathe_hexagon_backend,
      &lathe_ane_backend,
  };
  for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); ++i)
    if (backends[i]->target == target && target < LATHE_BACKEND_SLOTS)
      return backends[i];
  return NULL;
}
