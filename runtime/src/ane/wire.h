/*===- wire.h - reading protobuf wire format ------------------------------===*
 *
 * Just enough of the protobuf encoding to walk a Core ML model: varints,
 * length-delimited fields (strings, bytes, nested messages, packed arrays)
 * and fixed 32/64-bit fields. Every read is bounds-checked; a malformed
 * message sets `failed` and reads as empty from then on.
 *===----------------------------------------------------------------------===*/
#ifndef LATHE_RUNTIME_ANE_WIRE_H
#define LATHE_RUNTIME_ANE_WIRE_H

#include <stdint.h>
#include <stddef.h>

typedef struct lathe_wire {
  const uint8_t *at, *end;
  int failed;
} lathe_wire;

/* A length-delimited field's contents. */
typedef struct lathe_wire_bytes {
  const uint8_t *data;
  size_t size;
} lathe_wire_bytes;

static inline lathe_wire lathe_wire_of(lathe_wire_bytes b) {
  lathe_wire w = {b.data, b.data ? b.data + b.size : b.data, 0};
  return w;
}

static inline uint64_t lathe_wire_varint(lathe_wire *w) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (w->at >= w->end) {
      w->failed = 1;
      return 0;
    }
    uint8_t b = *w->at++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      return v;
  }
  w->failed = 1;
  return 0;
}

/* The next field's number and wire type; 0 at the end or on failure. */
static inline uint32_t lathe_wire_field(lathe_wire *w, uint32_t *type) {
  if (w->failed || w->at >= w->end)
    return 0;
  uint64_t key = lathe_wire_varint(w);
  *type = (uint32_t)(key & 7);
  return w->failed ? 0 : (uint32_t)(key >> 3);
}

static inline lathe_wire_bytes lathe_wire_delimited(lathe_wire *w) {
  lathe_wire_bytes b = {0, 0};
  uint64_t n = lathe_wire_varint(w);
  if (w->failed || n > (uint64_t)(w->end - w->at)) {
    w->failed = 1;
    return b;
  }
  b.data = w->at;
  b.size = (size_t)n;
  w->at += n;
  return b;
}

/* Whether two runs of bytes are equal (either may be empty and NULL). */
static inline int lathe_wire_equal(lathe_wire_bytes a, const uint8_t *b, size_t b_size) {
  if (a.size != b_size)
    return 0;
  for (size_t i = 0; i < a.size; ++i)
    if (a.data[i] != b[i])
      return 0;
  return 1;
}

/* A fixed 32-bit field's 4 bytes. */
static inline lathe_wire_bytes lathe_wire_fixed32(lathe_wire *w) {
  lathe_wire_bytes b = {0, 0};
  if (w->failed || (size_t)(w->end - w->at) < 4) {
    w->failed = 1;
    return b;
  }
  b.data = w->at;
  b.size = 4;
  w->at += 4;
  return b;
}

/* Skips a field of wire `type` whose key was read. */
static inline void lathe_wire_skip(lathe_wire *w, uint32_t type) {
  size_t n = 0;
  switch (type) {
  case 0: lathe_wire_varint(w); return;
  case 1: n = 8; break;
  case 2: lathe_wire_delimited(w); return;
  case 5: n = 4; break;
  default: w->failed = 1; return;
  }
  if ((size_t)(w->end - w->at) < n)
    w->failed = 1;
  else
    w->at += n;
}

#endif /* LATHE_RUNTIME_ANE_WIRE_H */
