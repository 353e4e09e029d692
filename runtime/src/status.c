/*===- status.c - statuses, allocators, dtypes ----------------------------===*/
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

lathe_status_code lathe_fail(lathe_status *status, lathe_status_code code, const char *format,
                             ...) {
  if (status) {
    va_list args;
    va_start(args, format);
    vsnprintf(status->message, sizeof(status->message), format, args);
    va_end(args);
    /* One line, whatever bytes a name from the artifact held. */
    for (char *c = status->message; *c; ++c)
      if ((unsigned char)*c < 0x20 || *c == 0x7f)
        *c = '?';
    status->code = code;
  }
  return code;
}

static void *system_allocate(void *self, size_t size, size_t alignment) {
  (void)self;
  void *p = NULL;
  if (alignment < sizeof(void *))
    alignment = sizeof(void *);
  if (posix_memalign(&p, alignment, size ? size : 1) != 0)
    return NULL;
  return p;
}

static void system_release(void *self, void *pointer) {
  (void)self;
  free(pointer);
}

lathe_allocator lathe_system_allocator(void) {
  lathe_allocator a = {system_allocate, system_release, NULL};
  return a;
}

size_t lathe_dtype_size(int32_t dtype) {
  switch (dtype) {
  case LATHE_DTYPE_FLOAT32: case LATHE_DTYPE_INT32: case LATHE_DTYPE_UINT32: return 4;
  case LATHE_DTYPE_UINT8: case LATHE_DTYPE_INT8: case LATHE_DTYPE_BOOL: return 1;
  case LATHE_DTYPE_UINT16: case LATHE_DTYPE_INT16: case LATHE_DTYPE_FLOAT16:
  case LATHE_DTYPE_BFLOAT16: return 2;
  case LATHE_DTYPE_INT64: case LATHE_DTYPE_UINT64: case LATHE_DTYPE_FLOAT64: return 8;
  default: return 0;
  }
}
