/*===- internal.h - runtime internals shared by its files -------*- C -*-===*/
#ifndef LATHE_RUNTIME_INTERNAL_H
#define LATHE_RUNTIME_INTERNAL_H

#include "lathe/lathe.h"

#include <stdarg.h>

/* Sets `status` (when given) and returns `code`. */
lathe_status_code lathe_fail(lathe_status *status, lathe_status_code code, const char *format,
                             ...) __attribute__((format(printf, 3, 4)));

typedef void (*lathe_entry_fn)(void **io, const uint8_t *constants, uint8_t *arena);

/* A loaded code blob of one target. */
typedef struct lathe_backend_module {
  void *handle;
} lathe_backend_module;

/* The cpu backend: loads a host ELF shared object from memory. */
lathe_status_code lathe_cpu_load(const uint8_t *code, uint64_t size, lathe_backend_module *module,
                                 lathe_status *status);
lathe_status_code lathe_cpu_symbol(lathe_backend_module *module, const char *name,
                                   lathe_entry_fn *entry, lathe_status *status);
void lathe_cpu_unload(lathe_backend_module *module);

typedef struct lathe_tensor_desc {
  char *name;
  int32_t dtype;
  uint32_t rank;
  int64_t dims[LATHE_MAX_RANK];
  size_t bytes;
} lathe_tensor_desc;

typedef struct lathe_step {
  uint32_t target;
  uint32_t code_section;
  lathe_entry_fn entry;
} lathe_step;

struct lathe_model {
  lathe_allocator allocator;
  const uint8_t *data;
  uint64_t size;
  int mapped; /* data is an mmap of the file */
  size_t input_count, output_count;
  lathe_tensor_desc *tensors; /* inputs, then outputs */
  uint64_t arena_bytes;
  const uint8_t *constants;
  size_t step_count;
  lathe_step *steps;
  size_t module_count;
  lathe_backend_module *modules; /* one per CODE section */
};

#endif /* LATHE_RUNTIME_INTERNAL_H */
