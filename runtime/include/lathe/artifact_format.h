/*===- artifact_format.h - the .lathe artifact file layout ------*- C -*-===*
 *
 * One file, little-endian, everything at 64-byte aligned offsets:
 *
 *   header (32 bytes)          magic "LATHEART", format version, section
 *                              count, file size, FNV-1a 64 checksum of every
 *                              byte after the header
 *   section table              section_count entries of 32 bytes
 *   sections                   SIGNATURE, PLAN, CONSTANTS, CODE (one per
 *                              partition's code blob)
 *
 * SIGNATURE: u32 inputs, u32 outputs, then per tensor: u32 name length,
 *   name bytes, u32 dtype (ONNX TensorProto code), u32 rank, i64 dims[rank].
 * PLAN: u64 arena bytes, u32 intermediates, u64 bytes of each, u32 steps,
 *   then per step: u32 target, u32 code section index, u32 entry-name
 *   length, entry name bytes, u64 constants offset, u32 io count, u32 slot
 *   of each io. Slots number the graph inputs, the graph outputs, then the
 *   intermediates (tensors crossing between partitions). A step's entry is
 *   called as entry(void **io, const uint8_t *constants, uint8_t *arena)
 *   with io[i] the buffer of its i-th slot (its inputs, then its results)
 *   and constants at the step's offset; steps share the arena in turn.
 * CONSTANTS: the bytes constant tensors are read from, in place.
 * CODE: for the cpu target, an ELF shared object for the host; for the
 *   hexagon target, a static Hexagon ELF executable: the DSP side of the
 *   runtime with every hexagon partition linked in.
 *===----------------------------------------------------------------------===*/
#ifndef LATHE_ARTIFACT_FORMAT_H
#define LATHE_ARTIFACT_FORMAT_H

#include <stdint.h>

#define LATHE_ARTIFACT_MAGIC "LATHEART"
#define LATHE_ARTIFACT_VERSION 2u
#define LATHE_ARTIFACT_ALIGNMENT 64u

enum lathe_section_kind {
  LATHE_SECTION_SIGNATURE = 1,
  LATHE_SECTION_PLAN = 2,
  LATHE_SECTION_CONSTANTS = 3,
  LATHE_SECTION_CODE = 4,
};

enum lathe_target_kind {
  LATHE_TARGET_CPU = 1,
  LATHE_TARGET_HEXAGON = 2,
  LATHE_TARGET_ANE = 3,
};

typedef struct lathe_artifact_header {
  char magic[8];
  uint32_t version;
  uint32_t section_count;
  uint64_t file_size;
  uint64_t checksum;
} lathe_artifact_header;

typedef struct lathe_section_entry {
  uint32_t kind;
  uint32_t target; /* for CODE sections: the lathe_target_kind */
  uint64_t offset;
  uint64_t size;
  uint64_t reserved;
} lathe_section_entry;

/* FNV-1a, 64 bit. */
static inline uint64_t lathe_checksum(const uint8_t *data, uint64_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint64_t i = 0; i < size; ++i) {
    h ^= data[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

#endif /* LATHE_ARTIFACT_FORMAT_H */
