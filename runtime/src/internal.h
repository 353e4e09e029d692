/*===- internal.h - runtime internals shared by its files -------*- C -*-===*/
#ifndef LATHE_RUNTIME_INTERNAL_H
#define LATHE_RUNTIME_INTERNAL_H

#include "lathe/artifact_format.h"
#include "lathe/lathe.h"

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

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

/* The hexagon backend: the DSP side of a session, reached through the DSP
   transport (dsp_transport.h). */
typedef struct lathe_hexagon_session lathe_hexagon_session;
/* Starts the DSP side with `image` (the hexagon code section) and memory
   of `shared_bytes` both sides see; `*shared` is the host's view of it. */
lathe_status_code lathe_hexagon_open(const uint8_t *image, uint64_t size, uint64_t shared_bytes,
                                     lathe_allocator allocator, lathe_hexagon_session **session,
                                     uint8_t **shared, lathe_status *status);
/* The index of the entry `name` in the DSP image. */
lathe_status_code lathe_hexagon_entry(lathe_hexagon_session *session, const char *name,
                                      uint32_t *index, lathe_status *status);
/* Runs one entry; every pointer is an offset in the shared memory. */
lathe_status_code lathe_hexagon_run(lathe_hexagon_session *session, uint32_t entry,
                                    uint64_t constants, uint64_t arena, const uint64_t *io,
                                    uint32_t io_count, lathe_status *status);
void lathe_hexagon_close(lathe_hexagon_session *session);

/* The ane backend: each ane step's ML Program, run by the fp16 reference
   executor (ane/mil_program.h). */
typedef struct lathe_mil_program lathe_mil_program;
lathe_status_code lathe_ane_load(const uint8_t *code, uint64_t size, const char *entry,
                                 lathe_allocator allocator, lathe_mil_program **program,
                                 lathe_status *status);

typedef struct lathe_tensor_desc {
  char *name;
  int32_t dtype;
  uint32_t rank;
  int64_t dims[LATHE_MAX_RANK];
  size_t bytes;
} lathe_tensor_desc;

/* What one entry of a code section was compiled for (its entry record). */
typedef struct lathe_entry_desc {
  char *name;
  uint32_t input_count, io_count;
  uint64_t arena_bytes, constants_offset, constants_bytes;
  uint64_t *io_bytes; /* io_count sizes */
} lathe_entry_desc;

/* A CODE section: its target's code and the entries it declares. */
typedef struct lathe_code_desc {
  uint32_t target;
  const uint8_t *blob;
  uint64_t blob_size;
  uint32_t entry_count;
  lathe_entry_desc *entries;
  lathe_backend_module module; /* cpu: the loaded shared object */
} lathe_code_desc;

typedef struct lathe_step {
  uint32_t target;
  uint32_t code_section;
  char *entry_name;
  uint64_t constants_offset;
  uint32_t io_count;
  uint32_t *slots; /* io_count slot indices */
  const lathe_entry_desc *contract; /* the entry record it calls */
  lathe_entry_fn entry; /* cpu steps */
  lathe_mil_program *ane_program; /* ane steps */
} lathe_step;

struct lathe_model {
  lathe_allocator allocator;
  const uint8_t *data;
  uint64_t size;
  int mapped; /* data is an mmap of the file */
  uint32_t format_version;
  uint64_t checksum;
  uint32_t section_count;
  lathe_section_entry *sections;
  lathe_code_desc *code; /* one per section; target 0 where not CODE */
  size_t input_count, output_count;
  lathe_tensor_desc *tensors; /* inputs, then outputs */
  uint64_t arena_bytes;
  const uint8_t *constants;
  uint64_t constants_size;
  size_t slot_count; /* inputs, outputs, intermediates */
  uint64_t *slot_bytes;
  uint32_t max_io;
  size_t step_count;
  lathe_step *steps;
  uint64_t ane_workspace_bytes; /* the largest ane step's values */
  const uint8_t *hexagon_image; /* the hexagon code, if any */
  uint64_t hexagon_image_size;
};

/* Reads and checks the artifact in m->data/m->size into `m` (artifact.c);
   on failure `m` holds what was read so far, for lathe_model_parts_release. */
lathe_status_code lathe_artifact_read(lathe_model *m, lathe_status *status);
void lathe_model_parts_release(lathe_model *m);

/* Checks that an ELF image of `elf_class` (1 = 32-bit, 2 = 64-bit) for
   `machine` lies wholly within its `size` bytes: every header, program
   header and segment a loader would map (elf_image.c). */
lathe_status_code lathe_elf_check(const uint8_t *image, uint64_t size, int elf_class,
                                  uint16_t machine, const char *what, lathe_status *status);

#ifdef __cplusplus
}
#endif

#endif /* LATHE_RUNTIME_INTERNAL_H */
