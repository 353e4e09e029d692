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

/* Whether `bytes` bytes at `offset` lie within `size`: every read of
   artifact bytes is checked with it. */
static inline int lathe_within(uint64_t size, uint64_t offset, uint64_t bytes) {
  return offset <= size && bytes <= size - offset;
}

/* Copies `count` records of `bytes` each at `offset` of `data` (of `size`
   bytes); 0 if they do not all lie within it. */
int lathe_read_records(const uint8_t *data, uint64_t size, uint64_t offset, uint64_t count,
                       uint64_t bytes, void *out);

typedef void (*lathe_entry_fn)(void **io, const uint8_t *constants, uint8_t *arena);
typedef void (*lathe_cpu_entry_fn)(void **io, const uint8_t *constants, uint8_t *arena,
                                   const lathe_kernel_services *services);

/* The threads a session's kernels run on (thread_pool.c). */
#define LATHE_MAX_THREADS 256

/* The ELF machine of the CPU this runtime is built for: an artifact names
   the host its code runs from, and only that host's runtime loads it. */
#if defined(__x86_64__)
#define LATHE_RUNTIME_HOST_MACHINE 62u /* EM_X86_64 */
#elif defined(__aarch64__)
#define LATHE_RUNTIME_HOST_MACHINE 183u /* EM_AARCH64 */
#else
#define LATHE_RUNTIME_HOST_MACHINE 0u /* runs no artifact */
#endif

typedef struct lathe_thread_pool lathe_thread_pool;
lathe_status_code lathe_thread_pool_create(lathe_allocator allocator, size_t threads,
                                           lathe_thread_pool **pool, lathe_status *status);
void lathe_thread_pool_release(lathe_thread_pool *pool);
/* parallel_for of lathe_kernel_services on `pool` (NULL: the caller alone). */
void lathe_thread_pool_run(lathe_thread_pool *pool, lathe_task_fn task, void *context,
                           int64_t count, int64_t grain);
void lathe_thread_pool_services(lathe_thread_pool *pool, lathe_kernel_services *services);
/* LATHE_NUM_THREADS when it is set to a positive number, else 1. */
size_t lathe_default_threads(void);

typedef struct lathe_code_desc lathe_code_desc;
typedef struct lathe_step lathe_step;

/* A target's runtime backend: everything the core (artifact.c, session.c)
   does for that target's code and steps goes through it. A backend file
   defines one; backends.c lists them, so a new target adds its file and one
   line there. Hooks a backend does not need are NULL. */
typedef struct lathe_backend {
  uint32_t target;
  /* Its code reads nothing but the session's one memory block (a DSP that
     shares it with the host): the core stages there the graph inputs its
     steps read and the constants, and open_session provides the block. */
  int shares_session_memory;
  /* At load: checks a code section of this target (its image, ...). */
  lathe_status_code (*check_code)(lathe_model *model, lathe_code_desc *code, lathe_status *status);
  /* At load, once the plan is checked against the code: makes a step ready
     to run (looks its entry up, reads its program, ...). */
  lathe_status_code (*prepare_step)(lathe_model *model, lathe_step *step, lathe_status *status);
  void (*release_step)(lathe_model *model, lathe_step *step);
  void (*release_code)(lathe_model *model, lathe_code_desc *code);
  /* Per session: its state in session->backend_state[target]; a backend
     that shares session memory returns the block of `memory_bytes` in
     `*memory`. */
  lathe_status_code (*open_session)(lathe_session *session, uint64_t memory_bytes, uint8_t **memory,
                                    lathe_status *status);
  void (*close_session)(lathe_session *session);
  /* Runs step `index` of the plan; `io` holds the buffers of its slots. */
  lathe_status_code (*run_step)(lathe_session *session, size_t index, void **io, lathe_status *status);
} lathe_backend;

/* The backend of a target id, or NULL when this runtime has none. */
const lathe_backend *lathe_backend_for(uint32_t target);
extern const lathe_backend lathe_cpu_backend, lathe_hexagon_backend, lathe_ane_backend;

/* Target ids index per-target state; they are small (LATHE_TARGETS). */
#define LATHE_BACKEND_SLOTS 8

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
struct lathe_code_desc {
  uint32_t target;
  uint32_t host_machine; /* the ELF machine it was compiled to run from */
  const lathe_backend *backend;
  const uint8_t *blob;
  uint64_t blob_size;
  uint32_t entry_count;
  lathe_entry_desc *entries;
  void *loaded; /* what its backend made of the code (cpu: the loaded object) */
  int loaded_fd;  /* cpu: the memory file it was loaded from, open while loaded */
};

struct lathe_step {
  uint32_t target;
  const lathe_backend *backend;
  uint32_t code_section;
  char *entry_name;
  uint64_t constants_offset;
  uint32_t io_count;
  uint32_t *slots; /* io_count slot indices */
  const lathe_entry_desc *contract; /* the entry record it calls */
  void *prepared; /* what its backend prepared (cpu: the entry; ane: the program) */
};

/* An entry of the model: its signature and plan, as ranges of the model's
   tensors, slots and steps, which hold every entry's side by side. */
typedef struct lathe_entry_plan {
  char *name;
  size_t input_count, output_count;
  size_t tensor_first;           /* its inputs, then its outputs */
  size_t slot_first, slot_count; /* its inputs, outputs, crossing tensors */
  size_t step_first, step_count;
  uint64_t arena_bytes;
  /* Its last state_inputs inputs are the session's: caches, the position. */
  size_t state_inputs, state_advance;
} lathe_entry_plan;

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
  size_t entry_count;
  lathe_entry_plan *entries;
  size_t tensor_count;
  lathe_tensor_desc *tensors; /* per entry: inputs, then outputs */
  uint64_t arena_bytes;       /* the largest entry's */
  /* The key/value caches a session keeps (the first entry's that names
     each; every entry that names it takes the same), each of
     state_capacity positions. */
  size_t state_count;
  const lathe_tensor_desc **states;
  uint64_t state_capacity;
  const uint8_t *constants;
  uint64_t constants_size;
  size_t slot_count; /* per entry: inputs, outputs, intermediates */
  uint64_t *slot_bytes;
  uint32_t max_io;
  size_t step_count;
  lathe_step *steps;
  /* Scratch memory each target's steps need in a session (the largest). */
  uint64_t workspace_bytes[LATHE_BACKEND_SLOTS];
  /* The backend of each target the steps use (by target id). */
  const lathe_backend *backends[LATHE_BACKEND_SLOTS];
  /* The backend whose code shares the session's memory, if any. */
  const lathe_backend *memory_backend;
};

/* A session's memory is one block: the arena the steps share in turn, the
   graph outputs, the crossing tensors; for a backend that shares session
   memory also the graph inputs its steps read (staged there at run) and
   the constants. The entries' outputs and crossing tensors lie over each
   other (a run's outputs are valid until the next run, of any entry). */
struct lathe_session {
  const lathe_model *model;
  size_t entry; /* the one set_input, run and output refer to */
  lathe_allocator allocator;
  uint8_t *memory;
  uint64_t memory_bytes;
  uint8_t *arena;
  void **slots;         /* the buffer of each slot */
  uint64_t *offsets;    /* each slot's offset in memory (UINT64_MAX: not there) */
  uint8_t *staged;      /* graph inputs copied into memory at run */
  const void **inputs;  /* what the caller bound (by slot) */
  void **io;            /* one step's buffers */
  uint64_t constants_offset; /* where the constants were copied, when they are */
  uint8_t *bound;       /* which inputs are bound (by slot) */
  uint8_t **caches;     /* the model's caches, in memory after the entries' slots */
  int64_t *position;    /* where the next run writes the caches, in memory */
  uint64_t caches_offset, caches_bytes; /* the caches' and the position's bytes */
  void *backend_state[LATHE_BACKEND_SLOTS];
  size_t threads;             /* the caller's and the pool's */
  lathe_thread_pool *pool;    /* NULL with one thread */
  lathe_kernel_services services;
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
