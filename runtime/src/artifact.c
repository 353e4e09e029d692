/*===- artifact.c - reading and checking an artifact ----------------------===*
 *
 * The records of lathe/artifact_format.h, read from the file into a model.
 * Every offset, size and count is checked against the bytes that hold it
 * before use. Beyond the layout, the plan is checked against what each code
 * section's entry records say the code was compiled for (the arena, the
 * constants it reads, the bytes of each buffer) and for its dataflow (a step
 * reads graph inputs or what an earlier step wrote; every output is
 * written), since the compiled code trusts all of it: a tampered artifact
 * with a valid checksum is refused here, never run.
 *===----------------------------------------------------------------------===*/
#include "internal.h"

#include <string.h>

/* The bytes of one section. */
typedef struct span {
  const uint8_t *data;
  uint64_t size;
} span;

static int within(span s, uint64_t offset, uint64_t bytes) { return lathe_within(s.size, offset, bytes); }

int lathe_read_records(const uint8_t *data, uint64_t size, uint64_t offset, uint64_t count,
                       uint64_t bytes, void *out) {
  if (count && bytes > UINT64_MAX / count)
    return 0;
  if (!lathe_within(size, offset, count * bytes))
    return 0;
  if (count)
    memcpy(out, data + offset, count * bytes);
  return 1;
}

static int read_records(span s, uint64_t offset, uint64_t count, uint64_t bytes, void *out) {
  return lathe_read_records(s.data, s.size, offset, count, bytes, out);
}

static void *allocate_zeroed(lathe_allocator *a, uint64_t count, uint64_t bytes) {
  uint64_t total = count ? count * bytes : 1;
  void *p = a->allocate(a->self, total, 8);
  if (p)
    memset(p, 0, total);
  return p;
}

/* A name record as a NUL-terminated copy; NULL if it lies outside `s`, is
   too long, or holds a NUL. */
static char *read_name(span s, lathe_name_ref ref, lathe_allocator *a) {
  if (ref.size > LATHE_FORMAT_MAX_NAME || !within(s, ref.offset, ref.size) ||
      memchr(s.data + ref.offset, 0, ref.size))
    return NULL;
  char *name = a->allocate(a->self, ref.size + 1, 1);
  if (!name)
    return NULL;
  memcpy(name, s.data + ref.offset, ref.size);
  name[ref.size] = 0;
  return name;
}

static lathe_status_code corrupt(lathe_status *status, const char *where, const char *what) {
  return lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact %s: %s", where, what);
}

/* An entry's signature into its range of m->tensors (counted before). */
static lathe_status_code read_signature(lathe_model *m, const lathe_entry_plan *e, span s,
                                        lathe_status *status) {
  lathe_allocator *a = &m->allocator;
  lathe_signature_header header;
  if (!read_records(s, 0, 1, sizeof(header), &header))
    return corrupt(status, "signature", "truncated header");
  size_t count = (size_t)header.input_count + header.output_count;
  for (size_t i = 0; i < count; ++i) {
    lathe_tensor_record record;
    if (!read_records(s, sizeof(header) + i * sizeof(record), 1, sizeof(record), &record))
      return corrupt(status, "signature", "truncated tensor records");
    lathe_tensor_desc *t = &m->tensors[e->tensor_first + i];
    if (!(t->name = read_name(s, record.name, a)))
      return corrupt(status, "signature", "a tensor name outside the section");
    t->dtype = (int32_t)record.dtype;
    t->rank = record.rank;
    size_t element = lathe_dtype_size(t->dtype);
    if (element == 0 || record.dtype > INT32_MAX)
      return lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact signature: tensor '%s' has dtype %u",
                        t->name, record.dtype);
    if (t->rank > LATHE_MAX_RANK)
      return lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact signature: tensor '%s' has rank %u",
                        t->name, t->rank);
    uint64_t bytes = element;
    for (uint32_t d = 0; d < t->rank; ++d) {
      int64_t dim = record.dims[d];
      if (dim <= 0 || (uint64_t)dim > LATHE_MAX_TENSOR_BYTES / bytes)
        return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                          "artifact signature: tensor '%s' has dim %lld at %u (each dim >= 1, at "
                          "most %llu bytes a tensor)",
                          t->name, (long long)dim, d, (unsigned long long)LATHE_MAX_TENSOR_BYTES);
      t->dims[d] = dim;
      bytes *= (uint64_t)dim;
    }
    t->bytes = (size_t)bytes;
  }
  return LATHE_OK;
}

/* An entry's counts from its signature and plan headers (and its name),
   checked, before anything of it is read. */
static lathe_status_code count_entry(lathe_model *m, lathe_entry_plan *e, span signature, span plan,
                                     lathe_status *status) {
  lathe_signature_header sig;
  if (!read_records(signature, 0, 1, sizeof(sig), &sig))
    return corrupt(status, "signature", "truncated header");
  if (sig.input_count > LATHE_FORMAT_MAX_TENSORS || sig.output_count > LATHE_FORMAT_MAX_TENSORS)
    return corrupt(status, "signature", "too many inputs or outputs");
  if (sig.output_count == 0)
    return corrupt(status, "signature", "no outputs");
  e->input_count = sig.input_count;
  e->output_count = sig.output_count;
  lathe_plan_header header;
  if (!read_records(plan, 0, 1, sizeof(header), &header))
    return corrupt(status, "plan", "truncated header");
  if (header.slot_count < e->input_count + e->output_count || header.slot_count > LATHE_FORMAT_MAX_SLOTS ||
      header.step_count == 0 || header.step_count > LATHE_FORMAT_MAX_STEPS)
    return corrupt(status, "plan", "slot or step counts out of range");
  if (header.arena_bytes > LATHE_MAX_TENSOR_BYTES)
    return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                      "artifact plan: an arena of %llu bytes, above the limit of %llu",
                      (unsigned long long)header.arena_bytes,
                      (unsigned long long)LATHE_MAX_TENSOR_BYTES);
  if (header.name.size == 0 || !(e->name = read_name(plan, header.name, &m->allocator)))
    return corrupt(status, "plan", "an entry name outside the section, or none");
  e->slot_count = header.slot_count;
  e->step_count = header.step_count;
  e->arena_bytes = header.arena_bytes;
  if (header.state_inputs &&
      (header.state_inputs < 2 || header.state_inputs > e->input_count || !header.state_advance ||
       header.state_capacity < header.state_advance || header.state_capacity > LATHE_MAX_TENSOR_BYTES))
    return corrupt(status, "plan", "state inputs, advance or capacity out of range");
  if (header.state_inputs && m->state_capacity && m->state_capacity != header.state_capacity)
    return corrupt(status, "plan", "entries' caches of different capacities");
  e->state_inputs = header.state_inputs;
  e->state_advance = header.state_advance;
  if (header.state_inputs)
    m->state_capacity = header.state_capacity;
  return LATHE_OK;
}

/* The caches entry `e`'s state inputs name: each the model's first of its
   name, the same tensor in every entry; the position an int64 scalar. */
static lathe_status_code read_states(lathe_model *m, const lathe_entry_plan *e,
                                     lathe_status *status) {
  if (!e->state_inputs)
    return LATHE_OK;
  const lathe_tensor_desc *inputs = m->tensors + e->tensor_first;
  const lathe_tensor_desc *position = &inputs[e->input_count - 1];
  if (position->dtype != 7 || position->rank != 0)
    return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                      "artifact entry '%s': its cache position '%s' is no int64 scalar", e->name,
                      position->name);
  for (size_t i = e->input_count - e->state_inputs; i + 1 < e->input_count; ++i) {
    const lathe_tensor_desc *t = &inputs[i];
    size_t k = 0;
    while (k < m->state_count && strcmp(m->states[k]->name, t->name) != 0)
      ++k;
    if (k == m->state_count) {
      m->states[m->state_count++] = t;
      continue;
    }
    const lathe_tensor_desc *first = m->states[k];
    if (first->dtype != t->dtype || first->rank != t->rank ||
        memcmp(first->dims, t->dims, sizeof(int64_t) * t->rank) != 0)
      return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                        "artifact entry '%s': cache '%s' differs from another entry's", e->name,
                        t->name);
  }
  return LATHE_OK;
}

/* One CODE section: its header, entry records and blob. */
static lathe_status_code read_code(lathe_model *m, uint32_t index, span s, lathe_status *status) {
  lathe_allocator *a = &m->allocator;
  lathe_code_desc *code = &m->code[index];
  code->target = m->sections[index].target;
  if (!(code->backend = lathe_backend_for(code->target)))
    return lathe_fail(status, LATHE_UNSUPPORTED,
                      "artifact code section %u is for target %u (%s), which this runtime does not run",
                      index, code->target,
                      lathe_target_name(code->target) ? lathe_target_name(code->target) : "unknown");
  lathe_code_header header;
  if (!read_records(s, 0, 1, sizeof(header), &header))
    return corrupt(status, "code section", "truncated header");
  if (header.entry_count == 0 || header.entry_count > LATHE_FORMAT_MAX_STEPS ||
      header.blob_offset % LATHE_ARTIFACT_ALIGNMENT || !within(s, header.blob_offset, header.blob_size) ||
      header.blob_size == 0)
    return corrupt(status, "code section", "its code lies outside it");
  code->host_machine = header.host_machine;
  if (header.host_machine != LATHE_RUNTIME_HOST_MACHINE) {
    const char *host = lathe_host_machine_name(header.host_machine);
    const char *runtime = lathe_host_machine_name(LATHE_RUNTIME_HOST_MACHINE);
    if (!host)
      return lathe_fail(status, LATHE_UNSUPPORTED,
                        "artifact code section %u (%s) names host ELF machine %u, which lathe "
                        "does not emit for; this runtime runs on %s",
                        index, lathe_target_name(code->target), header.host_machine, runtime);
    return lathe_fail(status, LATHE_UNSUPPORTED,
                      "artifact code section %u (%s) was compiled for an %s host (lathe compile "
                      "--host); this runtime runs on %s",
                      index, lathe_target_name(code->target), host, runtime);
  }
  code->blob = s.data + header.blob_offset;
  code->blob_size = header.blob_size;
  code->entries = allocate_zeroed(a, header.entry_count, sizeof(lathe_entry_desc));
  if (!code->entries)
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory reading a code section");
  code->entry_count = header.entry_count;
  uint64_t records = sizeof(header);
  uint64_t sizes = records + (uint64_t)header.entry_count * sizeof(lathe_entry_record);
  for (uint32_t i = 0; i < header.entry_count; ++i) {
    lathe_entry_record record;
    lathe_entry_desc *e = &code->entries[i];
    if (!read_records(s, records + i * sizeof(record), 1, sizeof(record), &record))
      return corrupt(status, "code section", "truncated entry records");
    if (!(e->name = read_name(s, record.name, a)))
      return corrupt(status, "code section", "an entry name outside the section");
    for (uint32_t k = 0; k < i; ++k)
      if (strcmp(code->entries[k].name, e->name) == 0)
        return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                          "artifact code section %u: entry '%s' declared twice", index, e->name);
    if (record.io_count > LATHE_FORMAT_MAX_IO || record.input_count > record.io_count ||
        record.input_count == record.io_count)
      return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                        "artifact code section %u: entry '%s' has %u inputs of %u buffers", index,
                        e->name, record.input_count, record.io_count);
    e->input_count = record.input_count;
    e->io_count = record.io_count;
    e->arena_bytes = record.arena_bytes;
    e->constants_offset = record.constants_offset;
    e->constants_bytes = record.constants_bytes;
    if (e->arena_bytes > LATHE_MAX_TENSOR_BYTES)
      return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                        "artifact code section %u: entry '%s' needs an arena of %llu bytes, above "
                        "the limit of %llu",
                        index, e->name, (unsigned long long)e->arena_bytes,
                        (unsigned long long)LATHE_MAX_TENSOR_BYTES);
    if (!(e->io_bytes = allocate_zeroed(a, e->io_count, sizeof(uint64_t))))
      return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory reading a code section");
    if (!read_records(s, sizes + (uint64_t)record.io_first * sizeof(uint64_t), e->io_count,
                      sizeof(uint64_t), e->io_bytes))
      return corrupt(status, "code section", "an entry's buffer sizes lie outside it");
  }
  return code->backend->check_code ? code->backend->check_code(m, code, status) : LATHE_OK;
}

static const lathe_entry_desc *find_entry(const lathe_code_desc *code, const char *name) {
  for (uint32_t i = 0; i < code->entry_count; ++i)
    if (strcmp(code->entries[i].name, name) == 0)
      return &code->entries[i];
  return NULL;
}

/* Checks step `i` of entry `p` against its code's entry record, and its
   dataflow: `written` marks the slots earlier steps wrote (graph inputs
   count as written). */
static lathe_status_code check_step(lathe_model *m, const lathe_entry_plan *p, size_t i,
                                    uint8_t *written, lathe_status *status) {
  const lathe_step *s = &m->steps[i];
  const lathe_entry_desc *e = s->contract;
  const char *name = s->entry_name;
  if (s->io_count != e->io_count)
    return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                      "artifact plan: step %zu gives entry '%s' %u buffers; it was compiled for %u", i,
                      name, s->io_count, e->io_count);
  if (s->constants_offset != e->constants_offset)
    return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                      "artifact plan: step %zu reads constants at %llu; entry '%s' was compiled for "
                      "them at %llu",
                      i, (unsigned long long)s->constants_offset, name,
                      (unsigned long long)e->constants_offset);
  if (e->constants_bytes > m->constants_size ||
      e->constants_offset > m->constants_size - e->constants_bytes)
    return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                      "artifact plan: entry '%s' reads %llu bytes of constants at %llu; the "
                      "constants section has %llu",
                      name, (unsigned long long)e->constants_bytes,
                      (unsigned long long)e->constants_offset, (unsigned long long)m->constants_size);
  if (e->arena_bytes > p->arena_bytes)
    return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                      "artifact plan: an arena of %llu bytes; entry '%s' needs %llu",
                      (unsigned long long)p->arena_bytes, name, (unsigned long long)e->arena_bytes);
  for (uint32_t k = 0; k < s->io_count; ++k) {
    uint32_t slot = s->slots[k];
    if (m->slot_bytes[slot] != e->io_bytes[k])
      return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                        "artifact plan: step %zu's buffer %u (slot %u) has %llu bytes; entry '%s' was "
                        "compiled for %llu",
                        i, k, slot, (unsigned long long)m->slot_bytes[slot], name,
                        (unsigned long long)e->io_bytes[k]);
    int reads = k < e->input_count;
    if (reads && !written[slot])
      return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                        "artifact plan: step %zu reads slot %u before any step writes it", i, slot);
    if (!reads && (slot < p->slot_first + p->input_count || written[slot]))
      return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                        "artifact plan: step %zu writes slot %u, a graph input or written before", i,
                        slot);
  }
  for (uint32_t k = e->input_count; k < s->io_count; ++k)
    written[s->slots[k]] = 1;
  return LATHE_OK;
}

/* An entry's plan into its ranges of m->slot_bytes and m->steps (counted
   before); its step's slots are numbered model-wide from here on. */
static lathe_status_code read_plan(lathe_model *m, const lathe_entry_plan *p, span s,
                                   lathe_status *status) {
  lathe_allocator *a = &m->allocator;
  size_t graph_slots = p->input_count + p->output_count;
  uint64_t *slot_bytes = m->slot_bytes + p->slot_first;
  const lathe_tensor_desc *tensors = m->tensors + p->tensor_first;
  if (!read_records(s, sizeof(lathe_plan_header), p->slot_count, sizeof(uint64_t), slot_bytes))
    return corrupt(status, "plan", "truncated slot sizes");
  /* A session's memory: the arena, outputs and crossing tensors. */
  uint64_t session_bytes = p->arena_bytes;
  for (size_t i = 0; i < p->slot_count; ++i) {
    uint64_t bytes = slot_bytes[i];
    if (i < graph_slots && bytes != tensors[i].bytes)
      return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                        "artifact plan of '%s': slot %zu has %llu bytes, its tensor '%s' %zu", p->name,
                        i, (unsigned long long)bytes, tensors[i].name, tensors[i].bytes);
    if (bytes == 0 || bytes > LATHE_MAX_TENSOR_BYTES)
      return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                        "artifact plan of '%s': slot %zu has %llu bytes (at least 1, at most %llu)",
                        p->name, i, (unsigned long long)bytes,
                        (unsigned long long)LATHE_MAX_TENSOR_BYTES);
    if (i >= p->input_count)
      session_bytes += bytes;
  }
  if (session_bytes > LATHE_MAX_TENSOR_BYTES)
    return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                      "artifact plan of '%s': a session would need %llu bytes, above the limit of %llu",
                      p->name, (unsigned long long)session_bytes,
                      (unsigned long long)LATHE_MAX_TENSOR_BYTES);

  uint64_t steps_at = sizeof(lathe_plan_header) + (uint64_t)p->slot_count * sizeof(uint64_t);
  uint64_t io_at = steps_at + (uint64_t)p->step_count * sizeof(lathe_step_record);
  uint8_t *written = allocate_zeroed(a, m->slot_count, 1);
  if (!written)
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory reading the plan");
  memset(written + p->slot_first, 1, p->input_count);
  lathe_status_code result = LATHE_OK;
  for (size_t n = 0; result == LATHE_OK && n < p->step_count; ++n) {
    size_t i = p->step_first + n;
    lathe_step_record record;
    lathe_step *step = &m->steps[i];
    if (!read_records(s, steps_at + n * sizeof(record), 1, sizeof(record), &record)) {
      result = corrupt(status, "plan", "truncated step records");
      break;
    }
    step->target = record.target;
    step->code_section = record.code_section;
    step->backend = record.code_section < m->section_count ? m->code[record.code_section].backend : NULL;
    step->constants_offset = record.constants_offset;
    step->io_count = record.io_count;
    if (!(step->entry_name = read_name(s, record.entry, a))) {
      result = corrupt(status, "plan", "an entry name outside the section");
      break;
    }
    if (record.code_section >= m->section_count || m->sections[record.code_section].kind != LATHE_SECTION_CODE ||
        m->code[record.code_section].target != record.target) {
      result = lathe_fail(status, LATHE_INVALID_ARTIFACT,
                          "artifact plan: step %zu names section %u, not a code section of its target",
                          i, record.code_section);
      break;
    }
    if (!(step->contract = find_entry(&m->code[record.code_section], step->entry_name))) {
      result = lathe_fail(status, LATHE_INVALID_ARTIFACT,
                          "artifact plan: step %zu calls '%s', which its code section does not declare",
                          i, step->entry_name);
      break;
    }
    if (record.io_count > LATHE_FORMAT_MAX_IO ||
        !(step->slots = allocate_zeroed(a, record.io_count, sizeof(uint32_t))) ||
        !read_records(s, io_at + (uint64_t)record.io_first * sizeof(uint32_t), record.io_count,
                      sizeof(uint32_t), step->slots)) {
      result = corrupt(status, "plan", "a step's slots lie outside it");
      break;
    }
    for (uint32_t k = 0; result == LATHE_OK && k < step->io_count; ++k) {
      if (step->slots[k] >= p->slot_count)
        result = lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact plan: step %zu names slot %u of %zu",
                            i, step->slots[k], p->slot_count);
      step->slots[k] += (uint32_t)p->slot_first;
    }
    if (result == LATHE_OK)
      result = check_step(m, p, i, written, status);
    if (step->io_count > m->max_io)
      m->max_io = step->io_count;
  }
  for (size_t i = p->input_count; result == LATHE_OK && i < p->slot_count; ++i)
    if (!written[p->slot_first + i])
      result = lathe_fail(status, LATHE_INVALID_ARTIFACT,
                          i < graph_slots ? "artifact plan: no step writes output slot %zu"
                                          : "artifact plan: no step writes slot %zu",
                          i);
  a->release(a->self, written);
  for (size_t n = 0; result == LATHE_OK && n < p->step_count; ++n) {
    lathe_step *step = &m->steps[p->step_first + n];
    m->backends[step->target] = step->backend;
    if (step->backend->prepare_step)
      result = step->backend->prepare_step(m, step, status);
  }
  return result;
}

lathe_status_code lathe_artifact_read(lathe_model *m, lathe_status *status) {
  const uint8_t *data = m->data;
  uint64_t size = m->size;
  lathe_artifact_header header;
  if (size < sizeof(header) || memcmp(data, LATHE_ARTIFACT_MAGIC, 8) != 0)
    return lathe_fail(status, LATHE_INVALID_ARTIFACT, "not a lathe artifact (bad magic)");
  memcpy(&header, data, sizeof(header));
  if (header.version != LATHE_ARTIFACT_VERSION)
    return lathe_fail(status, LATHE_UNSUPPORTED,
                      "artifact format version %u; this runtime reads version %u", header.version,
                      LATHE_ARTIFACT_VERSION);
  if (header.file_size != size)
    return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                      "artifact is %llu bytes, its header says %llu (truncated?)",
                      (unsigned long long)size, (unsigned long long)header.file_size);
  if (lathe_checksum(data + sizeof(header), size - sizeof(header)) != header.checksum)
    return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                      "artifact checksum mismatch: the file is corrupt or was modified");
  m->format_version = header.version;
  m->checksum = header.checksum;
  span file = {data, size};
  if (header.section_count == 0 || header.section_count > LATHE_FORMAT_MAX_SECTIONS)
    return corrupt(status, "section table", "section count out of range");
  m->sections = allocate_zeroed(&m->allocator, header.section_count, sizeof(lathe_section_entry));
  m->code = allocate_zeroed(&m->allocator, header.section_count, sizeof(lathe_code_desc));
  if (!m->sections || !m->code)
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory reading the section table");
  m->section_count = header.section_count;
  if (!read_records(file, sizeof(header), header.section_count, sizeof(lathe_section_entry), m->sections))
    return corrupt(status, "section table", "truncated");
  /* Signatures and plans pair up in order, one pair per entry. */
  uint32_t signatures[LATHE_FORMAT_MAX_ENTRIES], plans[LATHE_FORMAT_MAX_ENTRIES];
  size_t signature_count = 0, plan_count = 0;
  const lathe_section_entry *constants = NULL;
  for (uint32_t i = 0; i < header.section_count; ++i) {
    const lathe_section_entry *s = &m->sections[i];
    if (!within(file, s->offset, s->size) || s->offset % LATHE_ARTIFACT_ALIGNMENT)
      return lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact section %u lies outside the file", i);
    if (!lathe_section_kind_name(s->kind))
      return lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact section %u is of unknown kind %u", i,
                        s->kind);
    if (s->kind == LATHE_SECTION_CONSTANTS && constants)
      return lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact has two constants sections");
    if (s->kind == LATHE_SECTION_CONSTANTS)
      constants = s;
    size_t *count = s->kind == LATHE_SECTION_SIGNATURE ? &signature_count
                    : s->kind == LATHE_SECTION_PLAN    ? &plan_count
                                                       : NULL;
    if (count && *count == LATHE_FORMAT_MAX_ENTRIES)
      return lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact has more than %u entries",
                        LATHE_FORMAT_MAX_ENTRIES);
    if (count)
      (s->kind == LATHE_SECTION_SIGNATURE ? signatures : plans)[(*count)++] = i;
  }
  if (!signature_count || signature_count != plan_count)
    return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                      "artifact has %zu signatures and %zu plans (one of each per entry, at least one)",
                      signature_count, plan_count);
  if (constants) {
    m->constants = data + constants->offset;
    m->constants_size = constants->size;
  }
  m->entries = allocate_zeroed(&m->allocator, signature_count, sizeof(lathe_entry_plan));
  if (!m->entries)
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory reading the entries");
  m->entry_count = signature_count;
  lathe_status_code result = LATHE_OK;
  for (size_t i = 0; result == LATHE_OK && i < m->entry_count; ++i) {
    lathe_entry_plan *e = &m->entries[i];
    const lathe_section_entry *sig = &m->sections[signatures[i]], *plan = &m->sections[plans[i]];
    result = count_entry(m, e, (span){data + sig->offset, sig->size},
                         (span){data + plan->offset, plan->size}, status);
    for (size_t k = 0; result == LATHE_OK && k < i; ++k)
      if (strcmp(m->entries[k].name, e->name) == 0)
        result = lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact has two entries named '%s'",
                            e->name);
    if (result != LATHE_OK)
      break;
    e->tensor_first = m->tensor_count;
    e->slot_first = m->slot_count;
    e->step_first = m->step_count;
    m->tensor_count += e->input_count + e->output_count;
    m->slot_count += e->slot_count;
    m->step_count += e->step_count;
    if (e->arena_bytes > m->arena_bytes)
      m->arena_bytes = e->arena_bytes;
  }
  if (result == LATHE_OK && m->slot_count > (size_t)UINT32_MAX)
    result = corrupt(status, "plan", "too many slots");
  if (result != LATHE_OK)
    return result;
  m->tensors = allocate_zeroed(&m->allocator, m->tensor_count, sizeof(lathe_tensor_desc));
  m->slot_bytes = allocate_zeroed(&m->allocator, m->slot_count, sizeof(uint64_t));
  m->steps = allocate_zeroed(&m->allocator, m->step_count, sizeof(lathe_step));
  m->states = allocate_zeroed(&m->allocator, m->tensor_count ? m->tensor_count : 1,
                              sizeof(lathe_tensor_desc *));
  if (!m->tensors || !m->slot_bytes || !m->steps || !m->states)
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory reading the entries");
  for (uint32_t i = 0; result == LATHE_OK && i < m->section_count; ++i)
    if (m->sections[i].kind == LATHE_SECTION_CODE)
      result = read_code(m, i, (span){data + m->sections[i].offset, m->sections[i].size}, status);
  for (size_t i = 0; result == LATHE_OK && i < m->entry_count; ++i) {
    const lathe_section_entry *sig = &m->sections[signatures[i]], *plan = &m->sections[plans[i]];
    result = read_signature(m, &m->entries[i], (span){data + sig->offset, sig->size}, status);
    if (result == LATHE_OK)
      result = read_states(m, &m->entries[i], status);
    if (result == LATHE_OK)
      result = read_plan(m, &m->entries[i], (span){data + plan->offset, plan->size}, status);
  }
  return result;
}

void lathe_model_parts_release(lathe_model *m) {
  lathe_allocator *a = &m->allocator;
  if (m->steps)
    for (size_t i = 0; i < m->step_count; ++i) {
      lathe_step *step = &m->steps[i];
      if (step->prepared && step->backend->release_step)
        step->backend->release_step(m, step);
      if (step->entry_name)
        a->release(a->self, step->entry_name);
      if (step->slots)
        a->release(a->self, step->slots);
    }
  if (m->code)
    for (uint32_t i = 0; i < m->section_count; ++i) {
      lathe_code_desc *code = &m->code[i];
      if (code->backend && code->backend->release_code)
        code->backend->release_code(m, code);
      if (code->entries) {
        for (uint32_t k = 0; k < code->entry_count; ++k) {
          if (code->entries[k].name)
            a->release(a->self, code->entries[k].name);
          if (code->entries[k].io_bytes)
            a->release(a->self, code->entries[k].io_bytes);
        }
        a->release(a->self, code->entries);
      }
    }
  if (m->tensors)
    for (size_t i = 0; i < m->tensor_count; ++i)
      if (m->tensors[i].name)
        a->release(a->self, m->tensors[i].name);
  if (m->entries)
    for (size_t i = 0; i < m->entry_count; ++i)
      if (m->entries[i].name)
        a->release(a->self, m->entries[i].name);
  void *parts[] = {m->tensors, m->steps, m->slot_bytes, m->sections, m->code, m->entries,
                   (void *)m->states};
  for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); ++i)
    if (parts[i])
      a->release(a->self, parts[i]);
}
