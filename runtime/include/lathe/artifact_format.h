/*===- artifact_format.h - the .lathe artifact file layout ------*- C -*-===*
 *
 * The one definition of the artifact format: the compiler's writer fills
 * these records, the runtime's loader checks and reads them, and
 * `lathe inspect` prints what the loader read (through lathe.h). Every
 * record is fixed-size and little-endian; names are (offset, size) pairs
 * into the bytes of the section that holds the record.
 *
 *   header (32 bytes)      magic "LATHEART", format version, section count,
 *                          file size, FNV-1a 64 checksum of every byte
 *                          after the header
 *   section table          section_count lathe_section_entry, 32 bytes each
 *   sections               64-byte aligned: a SIGNATURE and a PLAN per entry
 *                          (in pairs, the first entry the default), then
 *                          CONSTANTS, then one CODE section per target
 *
 * An entry is the model specialized to the input shapes `lathe compile
 * --entry` gave it (prefill and decode of one decoder, say): its own
 * signature and plan, its steps calling into the same CODE sections and
 * reading the same CONSTANTS, where a weight is stored once for all.
 * SIGNATURE: lathe_signature_header, then one lathe_tensor_record per graph
 *   input and per graph output (in that order), then their names.
 * An entry may keep state between runs: a decoder's key/value cache. Its
 *   plan header then counts the signature's last state_inputs inputs as
 *   the session's: each cache tensor (by name, of state_capacity positions,
 *   the same in every entry that names it), then the position (int64, a
 *   scalar) the run writes the cache from; a run advances the position by
 *   state_advance. The caller binds the inputs before them only.
 * PLAN: lathe_plan_header (with the entry's name); u64 bytes of every slot;
 *   one lathe_step_record per step; the u32 slots of every step's io, side
 *   by side; the names. Slots (of the entry) number the graph inputs, the
 *   graph outputs, then the
 *   tensors crossing between partitions. A step calls an entry of a CODE
 *   section: entry(void **io, const uint8_t *constants, uint8_t *arena),
 *   io[i] the buffer of its i-th slot (its inputs, then its results),
 *   constants at the step's offset in CONSTANTS; steps share the arena.
 *   A cpu entry takes a fourth argument, the session's
 *   lathe_kernel_services (below), through which its kernels run on the
 *   session's threads.
 * CONSTANTS: the bytes constant tensors are read from, in place.
 * CODE: lathe_code_header (naming the host CPU: a runtime built for another
 *   refuses the artifact); one lathe_entry_record per entry; the u64 bytes
 *   of every entry's io; the entry names; at blob_offset (64-byte aligned)
 *   the target's code: for cpu, an ELF shared object for the host; for
 *   hexagon, a static Hexagon ELF (the DSP side with every hexagon
 *   partition linked in); for ane, the list of .mlpackage trees (below).
 *   An entry record states what its code was compiled for (arena bytes,
 *   constants read, the bytes of each io buffer): the loader refuses a plan
 *   that does not give the code exactly that, so a valid checksum over a
 *   tampered plan or signature never reaches compiled code.
 *===----------------------------------------------------------------------===*/
#ifndef LATHE_ARTIFACT_FORMAT_H
#define LATHE_ARTIFACT_FORMAT_H

#include <stdint.h>

#define LATHE_ARTIFACT_MAGIC "LATHEART"
#define LATHE_ARTIFACT_VERSION 7u
#define LATHE_ARTIFACT_ALIGNMENT 64u

/* The one size limit lathe applies, in the compiler and the runtime alike:
   no tensor (input, output, constant, intermediate) and no session's
   memory (arena, outputs and crossing tensors together) exceeds 2 GiB. */
#define LATHE_MAX_TENSOR_BYTES (UINT64_C(1) << 31)
/* Ranks, names and counts an artifact may hold. */
#define LATHE_FORMAT_MAX_RANK 16u
#define LATHE_FORMAT_MAX_NAME 4096u
#define LATHE_FORMAT_MAX_TENSORS 4096u
#define LATHE_FORMAT_MAX_SLOTS 65536u
#define LATHE_FORMAT_MAX_STEPS 65536u
#define LATHE_FORMAT_MAX_IO 4096u
#define LATHE_FORMAT_MAX_SECTIONS 1024u
#define LATHE_FORMAT_MAX_ENTRIES 64u

/* The section kinds: X(enumerator suffix, id, name). */
#define LATHE_SECTION_KINDS(X)                                                                     \
  X(SIGNATURE, 1, "signature")                                                                     \
  X(PLAN, 2, "plan")                                                                               \
  X(CONSTANTS, 3, "constants")                                                                     \
  X(CODE, 4, "code")

/* The targets, the one table of them: X(enumerator suffix, id, name). The
   compiler's target registry and the runtime's backends use these ids and
   names; an artifact records the id. */
#define LATHE_TARGETS(X)                                                                           \
  X(CPU, 1, "cpu")                                                                                 \
  X(HEXAGON, 2, "hexagon")                                                                         \
  X(ANE, 3, "ane")

#define LATHE_SECTION_ENUMERATOR_(suffix, id, name) LATHE_SECTION_##suffix = id,
#define LATHE_TARGET_ENUMERATOR_(suffix, id, name) LATHE_TARGET_##suffix = id,
enum lathe_section_kind { LATHE_SECTION_KINDS(LATHE_SECTION_ENUMERATOR_) };
enum lathe_target_kind { LATHE_TARGETS(LATHE_TARGET_ENUMERATOR_) };

#define LATHE_FORMAT_NAME_CASE_(suffix, id, name)                                                  \
  case id:                                                                                         \
    return name;
/* The name of a target id, or NULL for an unknown one. */
static inline const char *lathe_target_name(uint32_t target) {
  switch (target) { LATHE_TARGETS(LATHE_FORMAT_NAME_CASE_) default: return 0; }
}
/* The name of a host CPU an artifact records (its ELF machine), or NULL
   for one lathe does not emit for. */
static inline const char *lathe_host_machine_name(uint32_t elf_machine) {
  switch (elf_machine) {
  case 62:
    return "x86-64";
  case 183:
    return "aarch64";
  default:
    return 0;
  }
}
/* The name of a section kind, or NULL for an unknown one. */
static inline const char *lathe_section_kind_name(uint32_t kind) {
  switch (kind) { LATHE_SECTION_KINDS(LATHE_FORMAT_NAME_CASE_) default: return 0; }
}

typedef struct lathe_artifact_header {
  char magic[8];
  uint32_t version;
  uint32_t section_count;
  uint64_t file_size;
  uint64_t checksum;
} lathe_artifact_header;

typedef struct lathe_section_entry {
  uint32_t kind;
  uint32_t target; /* CODE sections: the lathe_target_kind; else 0 */
  uint64_t offset;
  uint64_t size;
  uint64_t reserved;
} lathe_section_entry;

/* A name: `size` bytes at `offset` in its section (no terminator). */
typedef struct lathe_name_ref {
  uint32_t offset;
  uint32_t size;
} lathe_name_ref;

typedef struct lathe_signature_header {
  uint32_t input_count;
  uint32_t output_count;
} lathe_signature_header;

typedef struct lathe_tensor_record {
  lathe_name_ref name;
  uint32_t dtype; /* ONNX TensorProto code */
  uint32_t rank;
  int64_t dims[LATHE_FORMAT_MAX_RANK]; /* the first `rank` hold the shape */
} lathe_tensor_record;

typedef struct lathe_plan_header {
  uint64_t arena_bytes;
  uint32_t slot_count; /* inputs + outputs + crossing tensors */
  uint32_t step_count;
  lathe_name_ref name; /* the entry's, unique in the artifact */
  uint32_t state_inputs;   /* its last inputs the session binds: caches, then the position */
  uint32_t state_advance;  /* positions a run writes into the caches */
  uint64_t state_capacity; /* positions each cache holds */
} lathe_plan_header;

typedef struct lathe_step_record {
  uint32_t target;
  uint32_t code_section; /* index in the section table */
  lathe_name_ref entry;
  uint64_t constants_offset;
  uint32_t io_first; /* index of its first slot in the plan's io list */
  uint32_t io_count;
} lathe_step_record;

typedef struct lathe_code_header {
  uint32_t entry_count;
  uint32_t host_machine; /* the ELF machine (EM_X86_64, EM_AARCH64) of the CPU the
                            runtime runs this code from: a cpu section's own code */
  uint64_t blob_offset; /* from the section's start, 64-byte aligned */
  uint64_t blob_size;
} lathe_code_header;

typedef struct lathe_entry_record {
  lathe_name_ref name;
  uint32_t input_count; /* its first input_count io are read, the rest written */
  uint32_t io_count;
  uint64_t arena_bytes;      /* the arena it uses, from its start */
  uint64_t constants_offset; /* where in CONSTANTS its constants start */
  uint64_t constants_bytes;  /* how many bytes from there it reads */
  uint32_t io_first;         /* index of its first io size in the section's list */
  uint32_t reserved;
} lathe_entry_record;

/* An ane code section's code: each ane partition's .mlpackage tree as a list
   of files. lathe_package_list_header; one lathe_package_record per package
   (named by its entry); one lathe_package_file_record per file, each
   package's side by side; then the names and the files' bytes. Offsets are
   from the start of the list. */
typedef struct lathe_package_list_header {
  uint32_t package_count;
  uint32_t file_count;
} lathe_package_list_header;

typedef struct lathe_package_record {
  lathe_name_ref name;
  uint32_t file_first;
  uint32_t file_count;
} lathe_package_record;

typedef struct lathe_package_file_record {
  lathe_name_ref path; /* relative to the package's directory */
  uint64_t offset;
  uint64_t size;
} lathe_package_file_record;

#if defined(__cplusplus)
static_assert(sizeof(lathe_tensor_record) == 144 && sizeof(lathe_step_record) == 32 &&
                  sizeof(lathe_plan_header) == 40 &&
                  sizeof(lathe_entry_record) == 48 && sizeof(lathe_code_header) == 24 &&
                  sizeof(lathe_package_record) == 16 && sizeof(lathe_package_file_record) == 24,
              "artifact records have no padding");
#else
_Static_assert(sizeof(lathe_tensor_record) == 144 && sizeof(lathe_step_record) == 32 &&
                   sizeof(lathe_plan_header) == 40 &&
                   sizeof(lathe_entry_record) == 48 && sizeof(lathe_code_header) == 24 &&
                   sizeof(lathe_package_record) == 16 && sizeof(lathe_package_file_record) == 24,
               "artifact records have no padding");
#endif

/* FNV-1a, 64 bit. */
static inline uint64_t lathe_checksum(const uint8_t *data, uint64_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint64_t i = 0; i < size; ++i) {
    h ^= data[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

/* What compiled cpu code calls back into: the fourth argument of every cpu
   entry. A kernel split into `count` independent iterations hands them to
   parallel_for, which runs task(context, begin, end) over disjoint ranges
   covering [0, count), each at least `grain` iterations long (the last may
   be shorter), on the session's threads, and returns when every range has
   run. Which thread runs a range never changes what it computes. */
typedef void (*lathe_task_fn)(void *context, int64_t begin, int64_t end);
typedef struct lathe_kernel_services {
  void (*parallel_for)(const struct lathe_kernel_services *services, lathe_task_fn task,
                       void *context, int64_t count, int64_t grain);
  void *pool; /* the runtime's own */
} lathe_kernel_services;

/* The prefix of the functions compiled code declares to hand an outlined
   kernel body `NAME` to parallel_for: "lathe_parallel_for.NAME". */
#define LATHE_PARALLEL_FOR_PREFIX "lathe_parallel_for."

#endif /* LATHE_ARTIFACT_FORMAT_H */
