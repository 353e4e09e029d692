/*===- session.c - arena, bindings, runs ----------------------------------===*/
#include "internal.h"
#include "ane/mil_program.h"

#include "lathe/artifact_format.h"

#include <stdio.h>
#include <string.h>

/* A session's memory is one block: the arena the steps share in turn, the
   graph outputs, the intermediates; with hexagon steps also a copy of the
   inputs those steps read and of the constants, since the DSP side sees
   only this block (shared with it by the hexagon backend). */
struct lathe_session {
  const lathe_model *model;
  lathe_allocator allocator;
  uint8_t *memory;
  uint64_t memory_bytes;
  uint8_t *arena;
  void **slots;          /* the buffer of each slot */
  uint64_t *offsets;     /* each slot's offset in memory (hexagon steps) */
  uint8_t *staged;       /* inputs a hexagon step reads: copied in at run */
  const void **inputs;   /* what the caller bound */
  void **io;             /* one step's io list */
  uint64_t *io_offsets;  /* the same as offsets, for a hexagon step */
  uint32_t *dsp_entries; /* per step, its entry in the DSP image */
  uint64_t constants_offset;
  uint8_t *bound;        /* which inputs are bound */
  lathe_hexagon_session *hexagon;
  float *ane_workspace;  /* the values of the ane step running */
};

static uint64_t align64(uint64_t v) { return (v + 63) / 64 * 64; }

lathe_status_code lathe_session_create(const lathe_model *model, lathe_allocator allocator,
                                       lathe_session **out, lathe_status *status) {
  if (!model || !out)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "lathe_session_create: null argument");
  *out = NULL;
  lathe_session *s = allocator.allocate(allocator.self, sizeof(lathe_session), 8);
  if (!s)
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory creating a session");
  memset(s, 0, sizeof(*s));
  s->model = model;
  s->allocator = allocator;
  size_t slots = model->slot_count ? model->slot_count : 1;
  size_t io = model->max_io ? model->max_io : 1;
  s->slots = allocator.allocate(allocator.self, sizeof(void *) * slots, 8);
  s->offsets = allocator.allocate(allocator.self, sizeof(uint64_t) * slots, 8);
  s->staged = allocator.allocate(allocator.self, model->input_count ? model->input_count : 1, 1);
  s->io = allocator.allocate(allocator.self, sizeof(void *) * io, 8);
  s->inputs = allocator.allocate(allocator.self,
                                 sizeof(void *) * (model->input_count ? model->input_count : 1), 8);
  s->io_offsets = allocator.allocate(allocator.self, sizeof(uint64_t) * io, 8);
  s->dsp_entries = allocator.allocate(allocator.self,
                                      sizeof(uint32_t) * (model->step_count ? model->step_count : 1), 4);
  s->bound = allocator.allocate(allocator.self, model->input_count ? model->input_count : 1, 1);
  if (!s->slots || !s->offsets || !s->staged || !s->io || !s->inputs || !s->io_offsets || !s->dsp_entries ||
      !s->bound) {
    lathe_session_release(s);
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory creating a session");
  }
  memset(s->bound, 0, model->input_count ? model->input_count : 1);
  memset(s->staged, 0, model->input_count ? model->input_count : 1);
  for (size_t i = 0; i < model->step_count; ++i)
    if (model->steps[i].target == LATHE_TARGET_HEXAGON)
      for (uint32_t k = 0; k < model->steps[i].io_count; ++k)
        if (model->steps[i].slots[k] < model->input_count)
          s->staged[model->steps[i].slots[k]] = 1;

  /* The layout of the one block. */
  uint64_t size = align64(model->arena_bytes);
  for (size_t i = 0; i < model->slot_count; ++i) {
    s->offsets[i] = UINT64_MAX;
    if (i >= model->input_count || s->staged[i]) {
      s->offsets[i] = size;
      size += align64(model->slot_bytes[i]);
    }
  }
  if (model->hexagon_image) {
    s->constants_offset = size;
    size += align64(model->constants_size);
  }
  s->memory_bytes = size ? size : 64;
  lathe_status_code code = LATHE_OK;
  if (model->hexagon_image)
    code = lathe_hexagon_open(model->hexagon_image, model->hexagon_image_size, s->memory_bytes,
                              allocator, &s->hexagon, &s->memory, status);
  else if (!(s->memory = allocator.allocate(allocator.self, s->memory_bytes, 64)))
    code = lathe_fail(status, LATHE_OUT_OF_MEMORY,
                      "out of memory allocating a session (%llu bytes, arena %llu)",
                      (unsigned long long)s->memory_bytes, (unsigned long long)model->arena_bytes);
  for (size_t i = 0; code == LATHE_OK && i < model->step_count; ++i)
    if (model->steps[i].target == LATHE_TARGET_HEXAGON)
      code = lathe_hexagon_entry(s->hexagon, model->steps[i].entry_name, &s->dsp_entries[i], status);
  if (code != LATHE_OK) {
    lathe_session_release(s);
    return code;
  }
  if (model->ane_workspace_bytes &&
      !(s->ane_workspace = allocator.allocate(allocator.self, model->ane_workspace_bytes, 64))) {
    lathe_session_release(s);
    return lathe_fail(status, LATHE_OUT_OF_MEMORY,
                      "out of memory allocating the ane workspace (%llu bytes)",
                      (unsigned long long)model->ane_workspace_bytes);
  }
  s->arena = s->memory;
  for (size_t i = 0; i < model->slot_count; ++i)
    s->slots[i] = s->offsets[i] == UINT64_MAX ? NULL : s->memory + s->offsets[i];
  if (model->hexagon_image && model->constants_size)
    memcpy(s->memory + s->constants_offset, model->constants, model->constants_size);
  *out = s;
  return LATHE_OK;
}

void lathe_session_release(lathe_session *s) {
  if (!s)
    return;
  lathe_allocator a = s->allocator;
  if (s->hexagon)
    lathe_hexagon_close(s->hexagon);
  else if (s->memory)
    a.release(a.self, s->memory);
  void *parts[] = {s->slots,       s->offsets,     s->staged, s->io,           s->inputs,
                   s->io_offsets,  s->dsp_entries, s->bound,  s->ane_workspace};
  for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); ++i)
    if (parts[i])
      a.release(a.self, parts[i]);
  a.release(a.self, s);
}

static void describe_shape(char *buffer, size_t size, const int64_t *dims, size_t rank) {
  size_t used = 0;
  buffer[0] = 0;
  used += (size_t)snprintf(buffer, size, "[");
  for (size_t i = 0; i < rank && used < size; ++i)
    used += (size_t)snprintf(buffer + used, size - used, i ? ",%lld" : "%lld", (long long)dims[i]);
  if (used < size)
    snprintf(buffer + used, size - used, "]");
}

lathe_status_code lathe_session_set_input(lathe_session *s, size_t index, const void *data,
                                          size_t bytes, int32_t dtype, const int64_t *dims,
                                          size_t rank, lathe_status *status) {
  if (!s || (!data && bytes))
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "lathe_session_set_input: null argument");
  const lathe_model *m = s->model;
  if (index >= m->input_count)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "input %zu does not exist (the model has %zu)",
                      index, m->input_count);
  const lathe_tensor_desc *t = &m->tensors[index];
  if (dtype != t->dtype)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT,
                      "input '%s': dtype %d given, the model takes dtype %d", t->name, dtype,
                      t->dtype);
  int same = rank == t->rank && (rank == 0 || dims);
  for (size_t i = 0; same && i < rank; ++i)
    same = dims[i] == t->dims[i];
  if (!same) {
    char given[128] = "?", expected[128];
    if (dims && rank <= LATHE_MAX_RANK)
      describe_shape(given, sizeof(given), dims, rank);
    describe_shape(expected, sizeof(expected), t->dims, t->rank);
    return lathe_fail(status, LATHE_INVALID_ARGUMENT,
                      "input '%s': shape %s given, the model takes %s", t->name, given, expected);
  }
  if (bytes != t->bytes)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "input '%s': %zu bytes given, it needs %zu",
                      t->name, bytes, t->bytes);
  s->bound[index] = 1;
  s->inputs[index] = data;
  if (!s->staged[index])
    s->slots[index] = (void *)data;
  return LATHE_OK;
}

lathe_status_code lathe_session_run(lathe_session *s, lathe_status *status) {
  if (!s)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "lathe_session_run: null session");
  const lathe_model *m = s->model;
  for (size_t i = 0; i < m->input_count; ++i)
    if (!s->bound[i])
      return lathe_fail(status, LATHE_INVALID_ARGUMENT, "input '%s' is not bound",
                        m->tensors[i].name);
  /* Compiled code assumes that what it writes (outputs, arena) shares no
     byte with what it reads: an output of an earlier run fed back as an
     input must be copied first. */
  for (size_t i = 0; i < m->input_count; ++i) {
    uintptr_t in = (uintptr_t)s->inputs[i], n = m->tensors[i].bytes;
    uintptr_t memory = (uintptr_t)s->memory;
    if (!s->staged[i] && in < memory + s->memory_bytes && memory < in + n)
      return lathe_fail(status, LATHE_INVALID_ARGUMENT,
                        "input '%s' lies in this session's own output or arena memory; "
                        "copy it to a buffer of your own first",
                        m->tensors[i].name);
  }
  /* The DSP side reads its inputs from the memory it shares. */
  for (size_t i = 0; i < m->input_count; ++i)
    if (s->staged[i])
      memcpy(s->slots[i], s->inputs[i], m->tensors[i].bytes);
  for (size_t i = 0; i < m->step_count; ++i) {
    const lathe_step *step = &m->steps[i];
    if (step->target == LATHE_TARGET_HEXAGON) {
      for (uint32_t k = 0; k < step->io_count; ++k)
        s->io_offsets[k] = s->offsets[step->slots[k]];
      lathe_status_code code =
          lathe_hexagon_run(s->hexagon, s->dsp_entries[i], s->constants_offset + step->constants_offset,
                            0, s->io_offsets, step->io_count, status);
      if (code != LATHE_OK)
        return code;
      continue;
    }
    for (uint32_t k = 0; k < step->io_count; ++k)
      s->io[k] = s->slots[step->slots[k]];
    if (step->target == LATHE_TARGET_ANE) {
      const lathe_mil_program *p = step->ane_program;
      lathe_status_code code =
          lathe_mil_program_run(p, (const float *const *)s->io, (float *const *)s->io + p->input_count,
                                s->ane_workspace, status);
      if (code != LATHE_OK)
        return code;
      continue;
    }
    step->entry(s->io, m->constants + step->constants_offset, s->arena);
  }
  return LATHE_OK;
}

lathe_status_code lathe_session_output(lathe_session *s, size_t index, const void **data,
                                       size_t *bytes, lathe_status *status) {
  if (!s || !data || !bytes)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "lathe_session_output: null argument");
  const lathe_model *m = s->model;
  if (index >= m->output_count)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "output %zu does not exist (the model has %zu)",
                      index, m->output_count);
  *data = s->slots[m->input_count + index];
  *bytes = m->tensors[m->input_count + index].bytes;
  return LATHE_OK;
}
