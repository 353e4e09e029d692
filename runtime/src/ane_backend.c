/*===- ane_backend.c - ane steps, run by the fp16 reference executor -----===*
 *
 * The ane code section holds one .mlpackage per ane partition (the list
 * targets/ane/MlPackage.h serializes). At load, each ane step's package is
 * found by its entry name and its model.mlmodel and weight.bin are read
 * into a program (ane/mil_program.h); a run executes that program in fp16.
 * On a Mac a Core ML backend would load the same package instead.
 *===----------------------------------------------------------------------===*/
#include "internal.h"
#include "ane/mil_program.h"

#include <string.h>

typedef struct cursor {
  const uint8_t *at, *end;
  int failed;
} cursor;

static uint64_t take_int(cursor *c, unsigned bytes) {
  if ((size_t)(c->end - c->at) < bytes) {
    c->failed = 1;
    return 0;
  }
  uint64_t v = 0;
  for (unsigned i = 0; i < bytes; ++i)
    v |= (uint64_t)c->at[i] << (8 * i);
  c->at += bytes;
  return v;
}

/* A length-prefixed run of bytes (u32 length for names, u64 for files). */
static const uint8_t *take_run(cursor *c, unsigned length_bytes, uint64_t *size) {
  *size = take_int(c, length_bytes);
  if (c->failed || *size > (uint64_t)(c->end - c->at)) {
    c->failed = 1;
    return NULL;
  }
  const uint8_t *data = c->at;
  c->at += *size;
  return data;
}

static int run_is(const uint8_t *data, uint64_t size, const char *s) {
  return size == strlen(s) && memcmp(data, s, size) == 0;
}

lathe_status_code lathe_ane_load(const uint8_t *code, uint64_t size, const char *entry,
                                 lathe_allocator allocator, lathe_mil_program **program,
                                 lathe_status *status) {
  cursor c = {code, code + size, 0};
  uint64_t packages = take_int(&c, 4);
  for (uint64_t p = 0; !c.failed && p < packages; ++p) {
    uint64_t name_size, files = 0;
    const uint8_t *name = take_run(&c, 4, &name_size);
    files = take_int(&c, 4);
    const uint8_t *model = NULL, *weights = NULL;
    uint64_t model_size = 0, weights_size = 0;
    for (uint64_t f = 0; !c.failed && f < files; ++f) {
      uint64_t path_size, data_size;
      const uint8_t *path = take_run(&c, 4, &path_size);
      const uint8_t *data = take_run(&c, 8, &data_size);
      if (c.failed)
        break;
      if (run_is(path, path_size, "Data/com.apple.CoreML/model.mlmodel")) {
        model = data;
        model_size = data_size;
      } else if (run_is(path, path_size, "Data/com.apple.CoreML/weights/weight.bin")) {
        weights = data;
        weights_size = data_size;
      }
    }
    if (c.failed || !run_is(name, name_size, entry))
      continue;
    if (!model)
      return lathe_fail(status, LATHE_INVALID_ARTIFACT, "ane package '%s' has no model.mlmodel",
                        entry);
    return lathe_mil_program_read(model, model_size, weights, weights ? weights_size : 0, allocator,
                                  program, status);
  }
  if (c.failed)
    return lathe_fail(status, LATHE_INVALID_ARTIFACT, "the ane code section is corrupt");
  return lathe_fail(status, LATHE_INVALID_ARTIFACT, "the ane code has no package '%s'", entry);
}
