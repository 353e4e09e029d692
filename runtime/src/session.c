/*===- session.c - memory, bindings, runs ---------------------------------===*
 *
 * A session lays out its one memory block (internal.h), opens each backend
 * the plan uses, and runs the steps in turn through their backends. It
 * knows no target: what differs between them is behind lathe_backend.
 *===----------------------------------------------------------------------===*/
#include "internal.h"

#include <stdio.h>
#include <string.h>

static uint64_t align64(uint64_t v) { return (v + 63) / 64 * 64; }

/* Calls `close_session` of every backend the model uses. */
static void close_backends(lathe_session *s) {
  for (uint32_t t = 0; t < LATHE_BACKEND_SLOTS; ++t) {
    const lathe_backend *b = s->model->backends[t];
    if (b && b->close_session)
      b->close_session(s);
  }
}

lathe_status_code lathe_session_create(const lathe_model *model, lathe_allocator allocator,
                                       lathe_session **out, lathe_status *status) {
  lathe_session_options options = {0};
  return lathe_session_create_with_options(model, allocator, &options, out, status);
}

size_t lathe_session_threads(const lathe_session *s) { return s ? s->threads : 0; }

lathe_status_code lathe_session_select_entry(lathe_session *s, size_t entry, lathe_status *status) {
  if (!s)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "lathe_session_select_entry: null session");
  if (entry >= s->model->entry_count)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "entry %zu does not exist (the model has %zu)",
                      entry, s->model->entry_count);
  s->entry = entry;
  return LATHE_OK;
}

size_t lathe_session_entry(const lathe_session *s) { return s ? s->entry : 0; }

lathe_status_code lathe_session_create_with_options(const lathe_model *model,
                                                    lathe_allocator allocator,
                                                    const lathe_session_options *options,
                                                    lathe_session **out, lathe_status *status) {
  if (!model || !out || !options)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "lathe_session_create: null argument");
  *out = NULL;
  size_t threads = options->threads ? options->threads : lathe_default_threads();
  if (threads > LATHE_MAX_THREADS)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "%zu threads asked for; at most %d", threads,
                      LATHE_MAX_THREADS);
  lathe_session *s = allocator.allocate(allocator.self, sizeof(lathe_session), 8);
  if (!s)
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory creating a session");
  memset(s, 0, sizeof(*s));
  s->model = model;
  s->allocator = allocator;
  s->threads = threads;
  if (threads > 1 && model->backends[LATHE_TARGET_CPU]) {
    lathe_status_code code = lathe_thread_pool_create(allocator, threads, &s->pool, status);
    if (code != LATHE_OK) {
      lathe_session_release(s);
      return code;
    }
  } else {
    s->threads = 1;
  }
  lathe_thread_pool_services(s->pool, &s->services);
  size_t slots = model->slot_count ? model->slot_count : 1;
  s->slots = allocator.allocate(allocator.self, sizeof(void *) * slots, 8);
  s->offsets = allocator.allocate(allocator.self, sizeof(uint64_t) * slots, 8);
  s->staged = allocator.allocate(allocator.self, slots, 1);
  s->io = allocator.allocate(allocator.self, sizeof(void *) * (model->max_io ? model->max_io : 1), 8);
  s->inputs = allocator.allocate(allocator.self, sizeof(void *) * slots, 8);
  s->bound = allocator.allocate(allocator.self, slots, 1);
  if (!s->slots || !s->offsets || !s->staged || !s->io || !s->inputs || !s->bound) {
    lathe_session_release(s);
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory creating a session");
  }
  memset(s->bound, 0, slots);
  memset(s->staged, 0, slots);
  /* Graph inputs a step of a memory-sharing backend reads are staged. */
  for (size_t e = 0; e < model->entry_count; ++e) {
    const lathe_entry_plan *p = &model->entries[e];
    for (size_t i = p->step_first; i < p->step_first + p->step_count; ++i)
      if (model->steps[i].backend->shares_session_memory)
        for (uint32_t k = 0; k < model->steps[i].io_count; ++k)
          if (model->steps[i].slots[k] < p->slot_first + p->input_count)
            s->staged[model->steps[i].slots[k]] = 1;
  }

  /* The caches and the position are bound by the session, never staged. */
  for (size_t e = 0; e < model->entry_count; ++e) {
    const lathe_entry_plan *p = &model->entries[e];
    memset(s->staged + p->slot_first + p->input_count - p->state_inputs, 0, p->state_inputs);
  }

  /* The layout of the one block: the arena, then each entry's slots, the
     entries' over each other, then the caches and the position. */
  uint64_t base = align64(model->arena_bytes), size = base;
  for (size_t e = 0; e < model->entry_count; ++e) {
    const lathe_entry_plan *p = &model->entries[e];
    uint64_t end = base;
    for (size_t i = p->slot_first; i < p->slot_first + p->slot_count; ++i) {
      s->offsets[i] = UINT64_MAX;
      if (i >= p->slot_first + p->input_count || s->staged[i]) {
        s->offsets[i] = end;
        end += align64(model->slot_bytes[i]);
      }
    }
    if (end > size)
      size = end;
  }
  s->caches_offset = size;
  uint64_t cache_offsets[LATHE_FORMAT_MAX_TENSORS];
  for (size_t k = 0; k < model->state_count; ++k) {
    cache_offsets[k] = size;
    size += align64(model->states[k]->bytes);
  }
  uint64_t position_offset = size;
  if (model->state_count)
    size += 64;
  s->caches_bytes = size - s->caches_offset;
  if (model->memory_backend) {
    s->constants_offset = size;
    size += align64(model->constants_size);
  }
  s->memory_bytes = size ? size : 64;
  lathe_status_code code = LATHE_OK;
  if (model->memory_backend)
    code = model->memory_backend->open_session(s, s->memory_bytes, &s->memory, status);
  else if (!(s->memory = allocator.allocate(allocator.self, s->memory_bytes, 64)))
    code = lathe_fail(status, LATHE_OUT_OF_MEMORY,
                      "out of memory allocating a session (%llu bytes, arena %llu)",
                      (unsigned long long)s->memory_bytes, (unsigned long long)model->arena_bytes);
  for (uint32_t t = 0; code == LATHE_OK && t < LATHE_BACKEND_SLOTS; ++t) {
    const lathe_backend *b = model->backends[t];
    if (b && b != model->memory_backend && b->open_session)
      code = b->open_session(s, 0, NULL, status);
  }
  if (code != LATHE_OK) {
    lathe_session_release(s);
    return code;
  }
  s->arena = s->memory;
  if (model->state_count) {
    s->caches = allocator.allocate(allocator.self, sizeof(uint8_t *) * model->state_count, 8);
    if (!s->caches) {
      lathe_session_release(s);
      return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory creating a session");
    }
    for (size_t k = 0; k < model->state_count; ++k)
      s->caches[k] = s->memory + cache_offsets[k];
    s->position = (int64_t *)(s->memory + position_offset);
    memset(s->memory + s->caches_offset, 0, s->caches_bytes);
    /* Each entry's state inputs are the caches of their names. */
    for (size_t e = 0; e < model->entry_count; ++e) {
      const lathe_entry_plan *p = &model->entries[e];
      size_t first = p->input_count - p->state_inputs;
      for (size_t i = first; i < p->input_count; ++i) {
        size_t slot = p->slot_first + i, k = 0;
        const char *name = model->tensors[p->tensor_first + i].name;
        while (i + 1 < p->input_count && strcmp(model->states[k]->name, name) != 0)
          ++k;
        s->offsets[slot] = i + 1 < p->input_count ? cache_offsets[k] : position_offset;
        s->bound[slot] = 1;
      }
    }
  }
  for (size_t i = 0; i < model->slot_count; ++i)
    s->slots[i] = s->offsets[i] == UINT64_MAX ? NULL : s->memory + s->offsets[i];
  if (model->memory_backend && model->constants_size)
    memcpy(s->memory + s->constants_offset, model->constants, model->constants_size);
  *out = s;
  return LATHE_OK;
}

void lathe_session_release(lathe_session *s) {
  if (!s)
    return;
  lathe_allocator a = s->allocator;
  /* A memory-sharing backend releases the block with its session. */
  if (s->memory && !s->model->memory_backend)
    a.release(a.self, s->memory);
  close_backends(s);
  lathe_thread_pool_release(s->pool);
  void *parts[] = {s->slots, s->offsets, s->staged, s->io, s->inputs, s->bound, s->caches};
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
  const lathe_entry_plan *p = &m->entries[s->entry];
  if (index >= p->input_count - p->state_inputs)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "input %zu does not exist (entry '%s' has %zu)",
                      index, p->name, p->input_count - p->state_inputs);
  const lathe_tensor_desc *t = &m->tensors[p->tensor_first + index];
  size_t slot = p->slot_first + index;
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
  s->bound[slot] = 1;
  s->inputs[slot] = data;
  if (!s->staged[slot])
    s->slots[slot] = (void *)data;
  return LATHE_OK;
}

lathe_status_code lathe_session_run(lathe_session *s, lathe_status *status) {
  if (!s)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "lathe_session_run: null session");
  const lathe_model *m = s->model;
  const lathe_entry_plan *p = &m->entries[s->entry];
  const lathe_tensor_desc *tensors = m->tensors + p->tensor_first;
  size_t inputs = p->input_count - p->state_inputs;
  for (size_t i = 0; i < inputs; ++i)
    if (!s->bound[p->slot_first + i])
      return lathe_fail(status, LATHE_INVALID_ARGUMENT, "input '%s' is not bound", tensors[i].name);
  if (p->state_inputs && (uint64_t)*s->position + p->state_advance > m->state_capacity)
    return lathe_fail(status, LATHE_CACHE_FULL,
                      "the key/value cache is full: entry '%s' writes %zu positions from position "
                      "%lld, the cache holds %llu; reset or rewind the session",
                      p->name, p->state_advance, (long long)*s->position,
                      (unsigned long long)m->state_capacity);
  /* Compiled code assumes that what it writes (outputs, arena) shares no
     byte with what it reads: an output of an earlier run fed back as an
     input must be copied first. */
  for (size_t i = 0; i < inputs; ++i) {
    size_t slot = p->slot_first + i;
    uintptr_t in = (uintptr_t)s->inputs[slot], n = tensors[i].bytes;
    uintptr_t memory = (uintptr_t)s->memory;
    if (!s->staged[slot] && in < memory + s->memory_bytes && memory < in + n)
      return lathe_fail(status, LATHE_INVALID_ARGUMENT,
                        "input '%s' lies in this session's own output or arena memory; "
                        "copy it to a buffer of your own first",
                        tensors[i].name);
  }
  /* Nor may an output the caller bound overlap an input or another output. */
  for (size_t o = 0; o < p->output_count; ++o) {
    size_t slot = p->slot_first + p->input_count + o;
    uintptr_t out = (uintptr_t)s->slots[slot], n = tensors[p->input_count + o].bytes;
    if (s->slots[slot] == s->memory + s->offsets[slot])
      continue;
    for (size_t i = 0; i < inputs; ++i) {
      uintptr_t in = (uintptr_t)s->inputs[p->slot_first + i];
      if (in < out + n && out < in + tensors[i].bytes)
        return lathe_fail(status, LATHE_INVALID_ARGUMENT,
                          "output '%s' is bound to memory that overlaps input '%s'",
                          tensors[p->input_count + o].name, tensors[i].name);
    }
    for (size_t q = 0; q < o; ++q) {
      uintptr_t other = (uintptr_t)s->slots[p->slot_first + p->input_count + q];
      if (other < out + n && out < other + tensors[p->input_count + q].bytes)
        return lathe_fail(status, LATHE_INVALID_ARGUMENT,
                          "outputs '%s' and '%s' are bound to overlapping memory",
                          tensors[p->input_count + q].name, tensors[p->input_count + o].name);
    }
  }
  for (size_t i = 0; i < inputs; ++i)
    if (s->staged[p->slot_first + i])
      memcpy(s->slots[p->slot_first + i], s->inputs[p->slot_first + i], tensors[i].bytes);
  for (size_t i = p->step_first; i < p->step_first + p->step_count; ++i) {
    const lathe_step *step = &m->steps[i];
    for (uint32_t k = 0; k < step->io_count; ++k)
      s->io[k] = s->slots[step->slots[k]];
    lathe_status_code code = step->backend->run_step(s, i, s->io, status);
    if (code != LATHE_OK)
      return code;
  }
  if (p->state_inputs)
    *s->position += (int64_t)p->state_advance;
  return LATHE_OK;
}

uint64_t lathe_session_cache_position(const lathe_session *s) {
  return s && s->position ? (uint64_t)*s->position : 0;
}

lathe_status_code lathe_session_rewind(lathe_session *s, uint64_t position, lathe_status *status) {
  if (!s)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "lathe_session_rewind: null session");
  uint64_t now = lathe_session_cache_position(s);
  if (position > now)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT,
                      "cannot rewind the key/value cache to position %llu: it holds %llu",
                      (unsigned long long)position, (unsigned long long)now);
  if (s->position)
    *s->position = (int64_t)position;
  return LATHE_OK;
}

lathe_status_code lathe_session_reset(lathe_session *s, lathe_status *status) {
  lathe_status_code code = lathe_session_rewind(s, 0, status);
  /* What earlier runs wrote goes too: a reset session computes as a new one. */
  if (code == LATHE_OK && s->position)
    memset(s->memory + s->caches_offset, 0, s->caches_bytes);
  return code;
}

lathe_status_code lathe_session_set_output(lathe_session *s, size_t index, void *data,
                                           size_t bytes, lathe_status *status) {
  if (!s)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "lathe_session_set_output: null session");
  const lathe_model *m = s->model;
  const lathe_entry_plan *p = &m->entries[s->entry];
  if (index >= p->output_count)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "output %zu does not exist (entry '%s' has %zu)",
                      index, p->name, p->output_count);
  const lathe_tensor_desc *t = &m->tensors[p->tensor_first + p->input_count + index];
  size_t slot = p->slot_first + p->input_count + index;
  if (!data) {
    s->slots[slot] = s->memory + s->offsets[slot];
    return LATHE_OK;
  }
  if (bytes != t->bytes)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "output '%s': %zu bytes given, it needs %zu",
                      t->name, bytes, t->bytes);
  for (size_t i = p->step_first; i < p->step_first + p->step_count; ++i)
    if (m->steps[i].backend->shares_session_memory)
      for (uint32_t k = 0; k < m->steps[i].io_count; ++k)
        if (m->steps[i].slots[k] == slot)
          return lathe_fail(status, LATHE_UNSUPPORTED,
                            "output '%s' is written by a %s step, in the memory the session "
                            "shares with it: read it with lathe_session_output",
                            t->name, lathe_target_name(m->steps[i].target));
  uintptr_t out = (uintptr_t)data, memory = (uintptr_t)s->memory;
  if (out < memory + s->memory_bytes && memory < out + bytes)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT,
                      "output '%s': the memory given lies in this session's own memory", t->name);
  s->slots[slot] = data;
  return LATHE_OK;
}

lathe_status_code lathe_session_output(lathe_session *s, size_t index, const void **data,
                                       size_t *bytes, lathe_status *status) {
  if (!s || !data || !bytes)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "lathe_session_output: null argument");
  const lathe_model *m = s->model;
  const lathe_entry_plan *p = &m->entries[s->entry];
  if (index >= p->output_count)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "output %zu does not exist (entry '%s' has %zu)",
                      index, p->name, p->output_count);
  *data = s->slots[p->slot_first + p->input_count + index];
  *bytes = m->tensors[p->tensor_first + p->input_count + index].bytes;
  return LATHE_OK;
}
