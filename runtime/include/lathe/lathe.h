/*===- lathe.h - the lathe runtime C API ------------------------*- C -*-===*
 *
 * Load a .lathe artifact, create sessions (each owns its arena, allocated
 * once at creation), bind inputs, run, read outputs. Every call that can
 * fail returns a status code and fills a lathe_status with a one-line
 * message; nothing aborts. A model is immutable once loaded: several
 * sessions of one model may run concurrently on different threads. A run
 * allocates no memory.
 *===----------------------------------------------------------------------===*/
#ifndef LATHE_LATHE_H
#define LATHE_LATHE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the runtime library exports: these declarations and nothing else
   (it is built with hidden visibility). */
#if defined(LATHE_STATIC)
#define LATHE_API
#else
#define LATHE_API __attribute__((visibility("default")))
#endif

typedef enum lathe_status_code {
  LATHE_OK = 0,
  LATHE_INVALID_ARGUMENT = 1,  /* wrong input index, dtype, shape or size */
  LATHE_INVALID_ARTIFACT = 2,  /* not an artifact, corrupt, tampered, truncated */
  LATHE_UNSUPPORTED = 3,       /* another format version, a target not built in */
  LATHE_OUT_OF_MEMORY = 4,
  LATHE_IO_ERROR = 5,
  LATHE_BACKEND_ERROR = 6,     /* a target's code could not be loaded or run */
  LATHE_CACHE_FULL = 7,        /* a run would write past the key/value cache's capacity */
} lathe_status_code;

typedef struct lathe_status {
  lathe_status_code code;
  char message[512];
} lathe_status;

/* Memory comes from the caller's allocator (or lathe_system_allocator()). */
typedef struct lathe_allocator {
  void *(*allocate)(void *self, size_t size, size_t alignment);
  void (*release)(void *self, void *pointer);
  void *self;
} lathe_allocator;

LATHE_API lathe_allocator lathe_system_allocator(void);

/* Element types use ONNX's TensorProto codes. */
enum {
  LATHE_DTYPE_FLOAT32 = 1, LATHE_DTYPE_UINT8 = 2, LATHE_DTYPE_INT8 = 3, LATHE_DTYPE_UINT16 = 4,
  LATHE_DTYPE_INT16 = 5, LATHE_DTYPE_INT32 = 6, LATHE_DTYPE_INT64 = 7, LATHE_DTYPE_BOOL = 9,
  LATHE_DTYPE_FLOAT16 = 10, LATHE_DTYPE_FLOAT64 = 11, LATHE_DTYPE_UINT32 = 12,
  LATHE_DTYPE_UINT64 = 13, LATHE_DTYPE_BFLOAT16 = 16,
};

/* Bytes per element of a dtype, 0 for an unknown one. */
LATHE_API size_t lathe_dtype_size(int32_t dtype);

#define LATHE_MAX_RANK 16

typedef struct lathe_tensor_info {
  const char *name;
  int32_t dtype;
  uint32_t rank;
  int64_t dims[LATHE_MAX_RANK];
  size_t bytes;
} lathe_tensor_info;

typedef struct lathe_model lathe_model;
typedef struct lathe_session lathe_session;

/* Maps the file read-only; constants are used in place. */
LATHE_API lathe_status_code lathe_model_load_file(const char *path, lathe_allocator allocator,
                                        lathe_model **model, lathe_status *status);
/* `data` must stay valid (and unchanged) until the model is released. */
LATHE_API lathe_status_code lathe_model_load_memory(const void *data, size_t size,
                                          lathe_allocator allocator, lathe_model **model,
                                          lathe_status *status);
LATHE_API void lathe_model_release(lathe_model *model);

/* Entries: an artifact compiled with several `--entry` holds the model
   specialized to each one's input shapes (prefill and decode, say), its
   weights stored once. Entry 0 is the default; the functions without
   "entry" in their name describe it. */
LATHE_API size_t lathe_model_entry_count(const lathe_model *model);
/* NULL for an entry that does not exist. */
LATHE_API const char *lathe_model_entry_name(const lathe_model *model, size_t entry);
/* LATHE_INVALID_ARGUMENT naming the model's entries when it has no `name`. */
LATHE_API lathe_status_code lathe_model_find_entry(const lathe_model *model, const char *name,
                                                   size_t *entry, lathe_status *status);
LATHE_API size_t lathe_model_entry_input_count(const lathe_model *model, size_t entry);
LATHE_API size_t lathe_model_entry_output_count(const lathe_model *model, size_t entry);
LATHE_API lathe_status_code lathe_model_entry_input_info(const lathe_model *model, size_t entry,
                                                         size_t index, lathe_tensor_info *info,
                                                         lathe_status *status);
LATHE_API lathe_status_code lathe_model_entry_output_info(const lathe_model *model, size_t entry,
                                                          size_t index, lathe_tensor_info *info,
                                                          lathe_status *status);

LATHE_API size_t lathe_model_input_count(const lathe_model *model);
LATHE_API size_t lathe_model_output_count(const lathe_model *model);
LATHE_API lathe_status_code lathe_model_input_info(const lathe_model *model, size_t index,
                                         lathe_tensor_info *info, lathe_status *status);
LATHE_API lathe_status_code lathe_model_output_info(const lathe_model *model, size_t index,
                                          lathe_tensor_info *info, lathe_status *status);
/* The activation arena a session allocates (the largest entry's). */
LATHE_API size_t lathe_model_arena_bytes(const lathe_model *model);

/* A decoder compiled with `lathe compile --kv-cache N` keeps its key/value
   caches in the session: N positions (the capacity; 0 for a model without
   caches) of every layer's keys and values, `cache_bytes` in all. A run of
   an entry writes its new positions' keys and values in place, from the
   session's position on, and advances the position by the entry's advance
   (its tokens per run; 0 for an entry without caches). The caches are no
   inputs or outputs the caller binds or reads. */
LATHE_API uint64_t lathe_model_cache_capacity(const lathe_model *model);
LATHE_API uint64_t lathe_model_cache_bytes(const lathe_model *model);
LATHE_API size_t lathe_model_entry_cache_advance(const lathe_model *model, size_t entry);

LATHE_API lathe_status_code lathe_session_create(const lathe_model *model, lathe_allocator allocator,
                                       lathe_session **session, lathe_status *status);

/* How a session runs. threads: how many threads run its cpu kernels, the
   caller's included (the others are started at creation and stopped at
   release); 0 takes LATHE_NUM_THREADS from the environment, or 1 when it
   is unset. Outputs do not depend on the number of threads, bit for bit. */
typedef struct lathe_session_options {
  size_t threads;
} lathe_session_options;
LATHE_API lathe_status_code lathe_session_create_with_options(const lathe_model *model,
                                                    lathe_allocator allocator,
                                                    const lathe_session_options *options,
                                                    lathe_session **session,
                                                    lathe_status *status);
/* The threads the session runs on. */
LATHE_API size_t lathe_session_threads(const lathe_session *session);
/* Which entry set_input, run and output refer to from now on (entry 0 at
   creation). Each entry keeps its own bound inputs; outputs are valid
   until the next run of any entry. */
LATHE_API lathe_status_code lathe_session_select_entry(lathe_session *session, size_t entry,
                                                       lathe_status *status);
LATHE_API size_t lathe_session_entry(const lathe_session *session);
LATHE_API void lathe_session_release(lathe_session *session);

/* Binds input `index` to `data` (not copied: it must stay valid through the
 * next run). dtype, dims and byte size must match the signature. */
LATHE_API lathe_status_code lathe_session_set_input(lathe_session *session, size_t index,
                                          const void *data, size_t bytes, int32_t dtype,
                                          const int64_t *dims, size_t rank,
                                          lathe_status *status);
LATHE_API lathe_status_code lathe_session_run(lathe_session *session, lathe_status *status);
/* Has the following runs write output `index` straight into `data` (its
 * `bytes`, the output's size; the caller's, valid through those runs)
 * instead of the session's own memory: no copy out. NULL puts the output
 * back into the session. An output a step of a target that shares the
 * session's memory with a device (hexagon) writes stays there
 * (LATHE_UNSUPPORTED: read it with lathe_session_output). */
LATHE_API lathe_status_code lathe_session_set_output(lathe_session *session, size_t index,
                                                     void *data, size_t bytes,
                                                     lathe_status *status);
/* The output's bytes, owned by the session (or the caller's, if bound with
 * lathe_session_set_output), valid until the next run. */
LATHE_API lathe_status_code lathe_session_output(lathe_session *session, size_t index,
                                       const void **data, size_t *bytes, lathe_status *status);

/* The session's position in its key/value caches: how many positions the
   runs since creation (or the last reset) wrote. A run whose positions
   would not fit returns LATHE_CACHE_FULL and changes nothing. */
LATHE_API uint64_t lathe_session_cache_position(const lathe_session *session);
/* Forgets every position from `position` on (at most the current one):
   the next run writes from there. Reset is rewinding to 0. */
LATHE_API lathe_status_code lathe_session_rewind(lathe_session *session, uint64_t position,
                                                 lathe_status *status);
LATHE_API lathe_status_code lathe_session_reset(lathe_session *session, lathe_status *status);

/* What a loaded artifact holds, as the loader read and checked it (what
   `lathe inspect` prints). Target and section kind ids are those of
   lathe/artifact_format.h. */
typedef struct lathe_artifact_info {
  uint32_t format_version;
  uint32_t section_count;
  uint64_t file_size;
  uint64_t checksum;
  uint64_t constants_bytes;
} lathe_artifact_info;

typedef struct lathe_section_info {
  uint32_t kind;
  uint32_t target;       /* code sections */
  uint64_t offset, size; /* in the file */
  uint32_t entry_count;  /* code sections: the entries it declares */
  uint64_t code_bytes;   /* code sections: the target's code within it */
  uint32_t host_machine; /* code sections: the host CPU's ELF machine (lathe_host_machine_name) */
} lathe_section_info;

typedef struct lathe_step_info {
  uint32_t target;
  uint32_t code_section;
  const char *entry;
  uint64_t constants_offset, constants_bytes; /* what its code reads */
  uint64_t arena_bytes;                       /* the arena its code uses */
  uint32_t input_count;                       /* its first input_count slots are read */
  uint32_t io_count;
  const uint32_t *slots; /* io_count slot indices, valid while the model is */
} lathe_step_info;

LATHE_API lathe_status_code lathe_model_artifact_info(const lathe_model *model,
                                                      lathe_artifact_info *info,
                                                      lathe_status *status);
LATHE_API lathe_status_code lathe_model_section_info(const lathe_model *model, size_t index,
                                                     lathe_section_info *info,
                                                     lathe_status *status);
/* Slots: per entry, the graph inputs, the graph outputs, then the tensors
   crossing between partitions; steps: every entry's, in entry order. */
LATHE_API size_t lathe_model_slot_count(const lathe_model *model);
LATHE_API uint64_t lathe_model_slot_bytes(const lathe_model *model, size_t slot);
LATHE_API size_t lathe_model_step_count(const lathe_model *model);
LATHE_API lathe_status_code lathe_model_step_info(const lathe_model *model, size_t index,
                                                  lathe_step_info *info, lathe_status *status);

#ifdef __cplusplus
}
#endif

#endif /* LATHE_LATHE_H */
