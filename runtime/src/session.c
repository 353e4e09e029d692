/*===- session.c - arena, bindings, runs ----------------------------------===*/
#include "internal.h"

#include <stdio.h>
#include <string.h>

struct lathe_session {
  const lathe_model *model;
  lathe_allocator allocator;
  uint8_t *arena;
  void **io;       /* inputs, then outputs: what each step's entry reads */
  uint8_t *outputs; /* one block holding every output */
  size_t output_bytes;
  uint8_t *bound;  /* which inputs are bound */
};

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
  size_t count = model->input_count + model->output_count, output_bytes = 0;
  for (size_t i = 0; i < model->output_count; ++i)
    output_bytes += (model->tensors[model->input_count + i].bytes + 63) / 64 * 64;
  s->arena = allocator.allocate(allocator.self, model->arena_bytes ? model->arena_bytes : 1, 64);
  s->io = allocator.allocate(allocator.self, sizeof(void *) * (count ? count : 1), 8);
  s->outputs = allocator.allocate(allocator.self, output_bytes ? output_bytes : 1, 64);
  s->output_bytes = output_bytes;
  s->bound = allocator.allocate(allocator.self, model->input_count ? model->input_count : 1, 1);
  if (!s->arena || !s->io || !s->outputs || !s->bound) {
    lathe_session_release(s);
    return lathe_fail(status, LATHE_OUT_OF_MEMORY,
                      "out of memory allocating a session (arena of %llu bytes)",
                      (unsigned long long)model->arena_bytes);
  }
  memset(s->bound, 0, model->input_count ? model->input_count : 1);
  uint8_t *next = s->outputs;
  for (size_t i = 0; i < model->output_count; ++i) {
    s->io[model->input_count + i] = next;
    next += (model->tensors[model->input_count + i].bytes + 63) / 64 * 64;
  }
  *out = s;
  return LATHE_OK;
}

void lathe_session_release(lathe_session *s) {
  if (!s)
    return;
  lathe_allocator a = s->allocator;
  if (s->arena)
    a.release(a.self, s->arena);
  if (s->io)
    a.release(a.self, s->io);
  if (s->outputs)
    a.release(a.self, s->outputs);
  if (s->bound)
    a.release(a.self, s->bound);
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
  s->io[index] = (void *)data;
  s->bound[index] = 1;
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
    uintptr_t in = (uintptr_t)s->io[i], n = m->tensors[i].bytes;
    uintptr_t out = (uintptr_t)s->outputs, arena = (uintptr_t)s->arena;
    if ((in < out + s->output_bytes && out < in + n) ||
        (in < arena + m->arena_bytes && arena < in + n))
      return lathe_fail(status, LATHE_INVALID_ARGUMENT,
                        "input '%s' lies in this session's own output or arena memory; "
                        "copy it to a buffer of your own first",
                        m->tensors[i].name);
  }
  for (size_t i = 0; i < m->step_count; ++i)
    m->steps[i].entry(s->io, m->constants, s->arena);
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
  *data = s->io[m->input_count + index];
  *bytes = m->tensors[m->input_count + index].bytes;
  return LATHE_OK;
}
