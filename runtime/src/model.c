/*===- model.c - loading and checking an artifact -------------------------===*
 *
 * Every offset, size and count read from the file is checked against the
 * file before use: a truncated, tampered or foreign file gives a status,
 * never a read out of bounds.
 *===----------------------------------------------------------------------===*/
#include "internal.h"
#include "ane/mil_program.h"

#include "lathe/artifact_format.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct reader {
  const uint8_t *data;
  uint64_t size, pos;
  int failed;
} reader;

static uint32_t read_u32(reader *r) {
  uint32_t v = 0;
  if (r->size - r->pos < 4 || r->pos > r->size) {
    r->failed = 1;
    return 0;
  }
  memcpy(&v, r->data + r->pos, 4);
  r->pos += 4;
  return v;
}

static uint64_t read_u64(reader *r) {
  uint64_t v = 0;
  if (r->size - r->pos < 8 || r->pos > r->size) {
    r->failed = 1;
    return 0;
  }
  memcpy(&v, r->data + r->pos, 8);
  r->pos += 8;
  return v;
}

/* A length-prefixed string, copied NUL-terminated into allocator memory. */
static char *read_string(reader *r, lathe_allocator *a) {
  uint32_t length = read_u32(r);
  if (r->failed || length > 4096 || r->size - r->pos < length) {
    r->failed = 1;
    return NULL;
  }
  char *s = a->allocate(a->self, length + 1, 1);
  if (!s) {
    r->failed = 1;
    return NULL;
  }
  memcpy(s, r->data + r->pos, length);
  s[length] = 0;
  r->pos += length;
  return s;
}

static void release_model_parts(lathe_model *m) {
  lathe_allocator *a = &m->allocator;
  for (size_t i = 0; i < m->module_count; ++i)
    lathe_cpu_unload(&m->modules[i]);
  if (m->tensors)
    for (size_t i = 0; i < m->input_count + m->output_count; ++i)
      if (m->tensors[i].name)
        a->release(a->self, m->tensors[i].name);
  if (m->tensors)
    a->release(a->self, m->tensors);
  if (m->steps) {
    for (size_t i = 0; i < m->step_count; ++i) {
      if (m->steps[i].entry_name)
        a->release(a->self, m->steps[i].entry_name);
      if (m->steps[i].slots)
        a->release(a->self, m->steps[i].slots);
      lathe_mil_program_free(m->steps[i].ane_program, *a);
    }
    a->release(a->self, m->steps);
  }
  if (m->slot_bytes)
    a->release(a->self, m->slot_bytes);
  if (m->modules)
    a->release(a->self, m->modules);
  if (m->mapped)
    munmap((void *)m->data, m->size);
}

static lathe_status_code parse_signature(lathe_model *m, const uint8_t *data, uint64_t size,
                                         lathe_status *status) {
  lathe_allocator *a = &m->allocator;
  reader r = {data, size, 0, 0};
  uint32_t inputs = read_u32(&r), outputs = read_u32(&r);
  if (r.failed || inputs > 4096 || outputs > 4096)
    return lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact signature is corrupt");
  size_t count = (size_t)inputs + outputs;
  m->tensors = a->allocate(a->self, sizeof(lathe_tensor_desc) * (count ? count : 1), 8);
  if (!m->tensors)
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory reading the signature");
  memset(m->tensors, 0, sizeof(lathe_tensor_desc) * (count ? count : 1));
  m->input_count = inputs;
  m->output_count = outputs;
  for (size_t i = 0; i < count; ++i) {
    lathe_tensor_desc *t = &m->tensors[i];
    t->name = read_string(&r, a);
    t->dtype = (int32_t)read_u32(&r);
    t->rank = read_u32(&r);
    if (r.failed || t->rank > LATHE_MAX_RANK || lathe_dtype_size(t->dtype) == 0)
      return lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact signature is corrupt");
    uint64_t elements = 1;
    for (uint32_t d = 0; d < t->rank; ++d) {
      int64_t dim = (int64_t)read_u64(&r);
      if (r.failed || dim < 0 || (dim > 0 && elements > (UINT64_C(1) << 40) / (uint64_t)dim))
        return lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact signature is corrupt");
      t->dims[d] = dim;
      elements *= (uint64_t)dim;
    }
    t->bytes = (size_t)elements * lathe_dtype_size(t->dtype);
  }
  return LATHE_OK;
}

static lathe_status_code parse_plan(lathe_model *m, const uint8_t *data, uint64_t size,
                                    const lathe_section_entry *sections, uint32_t section_count,
                                    lathe_status *status) {
  lathe_allocator *a = &m->allocator;
  reader r = {data, size, 0, 0};
  m->arena_bytes = read_u64(&r);
  uint32_t intermediates = read_u32(&r);
  if (r.failed || intermediates > 65536 || m->arena_bytes > (UINT64_C(1) << 40))
    return lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact plan is corrupt");
  m->slot_count = m->input_count + m->output_count + intermediates;
  m->slot_bytes = a->allocate(a->self, sizeof(uint64_t) * (m->slot_count ? m->slot_count : 1), 8);
  if (!m->slot_bytes)
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory reading the plan");
  for (size_t i = 0; i < m->input_count + m->output_count; ++i)
    m->slot_bytes[i] = m->tensors[i].bytes;
  for (uint32_t i = 0; i < intermediates; ++i) {
    uint64_t bytes = read_u64(&r);
    if (r.failed || bytes > (UINT64_C(1) << 40))
      return lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact plan is corrupt");
    m->slot_bytes[m->input_count + m->output_count + i] = bytes;
  }
  uint32_t steps = read_u32(&r);
  if (r.failed || steps > 65536)
    return lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact plan is corrupt");
  m->steps = a->allocate(a->self, sizeof(lathe_step) * (steps ? steps : 1), 8);
  m->modules = a->allocate(a->self, sizeof(lathe_backend_module) * (section_count ? section_count : 1), 8);
  if (!m->steps || !m->modules)
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory reading the plan");
  memset(m->steps, 0, sizeof(lathe_step) * (steps ? steps : 1));
  memset(m->modules, 0, sizeof(lathe_backend_module) * (section_count ? section_count : 1));
  m->module_count = section_count;
  m->step_count = steps;
  for (uint32_t i = 0; i < steps; ++i) {
    lathe_step *s = &m->steps[i];
    s->target = read_u32(&r);
    s->code_section = read_u32(&r);
    s->entry_name = read_string(&r, a);
    s->constants_offset = read_u64(&r);
    s->io_count = read_u32(&r);
    if (r.failed || s->code_section >= section_count ||
        sections[s->code_section].kind != LATHE_SECTION_CODE ||
        sections[s->code_section].target != s->target || s->io_count > 4096 ||
        s->constants_offset > m->constants_size)
      return lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact plan is corrupt");
    s->slots = a->allocate(a->self, sizeof(uint32_t) * (s->io_count ? s->io_count : 1), 4);
    if (!s->slots)
      return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory reading the plan");
    for (uint32_t k = 0; k < s->io_count; ++k) {
      s->slots[k] = read_u32(&r);
      if (r.failed || s->slots[k] >= m->slot_count)
        return lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact plan is corrupt");
    }
    if (s->io_count > m->max_io)
      m->max_io = s->io_count;
    const lathe_section_entry *section = &sections[s->code_section];
    if (s->target == LATHE_TARGET_HEXAGON) {
      /* Loaded per session: each session has its own DSP side. */
      if (m->hexagon_image && m->hexagon_image != m->data + section->offset)
        return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                          "artifact has more than one hexagon code section");
      m->hexagon_image = m->data + section->offset;
      m->hexagon_image_size = section->size;
      continue;
    }
    if (s->target == LATHE_TARGET_ANE) {
      lathe_status_code code = lathe_ane_load(m->data + section->offset, section->size,
                                              s->entry_name, *a, &s->ane_program, status);
      if (code != LATHE_OK)
        return code;
      /* Its inputs and outputs are the step's slots, in order, as fp32. */
      const lathe_mil_program *p = s->ane_program;
      if (p->input_count + p->output_count != s->io_count)
        return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                          "ane step '%s': the program has %u inputs and %u outputs, the plan %u slots",
                          s->entry_name, p->input_count, p->output_count, s->io_count);
      for (uint32_t k = 0; k < s->io_count; ++k) {
        uint32_t value = k < p->input_count ? p->inputs[k] : p->outputs[k - p->input_count];
        if (p->values[value].count * 4 != m->slot_bytes[s->slots[k]])
          return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                            "ane step '%s': value '%s' does not fit its slot", s->entry_name,
                            p->values[value].name);
      }
      if (p->workspace_floats * 4 > m->ane_workspace_bytes)
        m->ane_workspace_bytes = p->workspace_floats * 4;
      continue;
    }
    if (s->target != LATHE_TARGET_CPU)
      return lathe_fail(status, LATHE_UNSUPPORTED,
                        "artifact needs target %u, which this runtime does not include",
                        s->target);
    lathe_backend_module *module = &m->modules[s->code_section];
    lathe_status_code code = LATHE_OK;
    if (!module->handle)
      code = lathe_cpu_load(m->data + section->offset, section->size, module, status);
    if (code == LATHE_OK)
      code = lathe_cpu_symbol(module, s->entry_name, &s->entry, status);
    if (code != LATHE_OK)
      return code;
  }
  return LATHE_OK;
}

static lathe_status_code load(const uint8_t *data, uint64_t size, int mapped,
                              lathe_allocator allocator, lathe_model **out,
                              lathe_status *status) {
  *out = NULL;
  lathe_model *m = allocator.allocate(allocator.self, sizeof(lathe_model), 8);
  if (!m) {
    if (mapped)
      munmap((void *)data, size);
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory loading the model");
  }
  memset(m, 0, sizeof(*m));
  m->allocator = allocator;
  m->data = data;
  m->size = size;
  m->mapped = mapped;

  lathe_status_code code = LATHE_OK;
  lathe_artifact_header header;
  const lathe_section_entry *sections = NULL;
  if (size < sizeof(header) || memcmp(data, LATHE_ARTIFACT_MAGIC, 8) != 0) {
    code = lathe_fail(status, LATHE_INVALID_ARTIFACT, "not a lathe artifact (bad magic)");
    goto done;
  }
  memcpy(&header, data, sizeof(header));
  if (header.version != LATHE_ARTIFACT_VERSION) {
    code = lathe_fail(status, LATHE_UNSUPPORTED,
                      "artifact format version %u; this runtime reads version %u",
                      header.version, LATHE_ARTIFACT_VERSION);
    goto done;
  }
  if (header.file_size != size) {
    code = lathe_fail(status, LATHE_INVALID_ARTIFACT,
                      "artifact is %llu bytes, its header says %llu (truncated?)",
                      (unsigned long long)size, (unsigned long long)header.file_size);
    goto done;
  }
  if (lathe_checksum(data + sizeof(header), size - sizeof(header)) != header.checksum) {
    code = lathe_fail(status, LATHE_INVALID_ARTIFACT,
                      "artifact checksum mismatch: the file is corrupt or was modified");
    goto done;
  }
  if (header.section_count == 0 || header.section_count > 1024 ||
      (size - sizeof(header)) / sizeof(lathe_section_entry) < header.section_count) {
    code = lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact section table is corrupt");
    goto done;
  }
  sections = (const lathe_section_entry *)(data + sizeof(header));
  const lathe_section_entry *signature = NULL, *plan = NULL;
  for (uint32_t i = 0; i < header.section_count; ++i) {
    const lathe_section_entry *s = &sections[i];
    if (s->offset > size || s->size > size - s->offset || s->offset % LATHE_ARTIFACT_ALIGNMENT) {
      code = lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact section %u lies outside the file", i);
      goto done;
    }
    if (s->kind == LATHE_SECTION_SIGNATURE)
      signature = s;
    else if (s->kind == LATHE_SECTION_PLAN)
      plan = s;
    else if (s->kind == LATHE_SECTION_CONSTANTS) {
      m->constants = data + s->offset;
      m->constants_size = s->size;
    }
  }
  if (!signature || !plan) {
    code = lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact lacks its signature or plan");
    goto done;
  }
  code = parse_signature(m, data + signature->offset, signature->size, status);
  if (code == LATHE_OK)
    code = parse_plan(m, data + plan->offset, plan->size, sections, header.section_count, status);
done:
  if (code != LATHE_OK) {
    release_model_parts(m);
    allocator.release(allocator.self, m);
    return code;
  }
  *out = m;
  return LATHE_OK;
}

lathe_status_code lathe_model_load_memory(const void *data, size_t size,
                                          lathe_allocator allocator, lathe_model **model,
                                          lathe_status *status) {
  if (!data || !model)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "lathe_model_load_memory: null argument");
  return load(data, size, 0, allocator, model, status);
}

lathe_status_code lathe_model_load_file(const char *path, lathe_allocator allocator,
                                        lathe_model **model, lathe_status *status) {
  if (!path || !model)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "lathe_model_load_file: null argument");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return lathe_fail(status, LATHE_IO_ERROR, "%s: cannot open the artifact", path);
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size <= 0) {
    close(fd);
    return lathe_fail(status, LATHE_INVALID_ARTIFACT, "%s: not a lathe artifact (empty)", path);
  }
  void *data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (data == MAP_FAILED)
    return lathe_fail(status, LATHE_IO_ERROR, "%s: cannot map the artifact", path);
  lathe_status_code code = load(data, (uint64_t)st.st_size, 1, allocator, model, status);
  if (code != LATHE_OK && status) {
    char message[sizeof(status->message)];
    memcpy(message, status->message, sizeof(message));
    lathe_fail(status, code, "%s: %s", path, message);
  }
  return code;
}

void lathe_model_release(lathe_model *model) {
  if (!model)
    return;
  lathe_allocator a = model->allocator;
  release_model_parts(model);
  a.release(a.self, model);
}

size_t lathe_model_input_count(const lathe_model *model) { return model ? model->input_count : 0; }
size_t lathe_model_output_count(const lathe_model *model) { return model ? model->output_count : 0; }
size_t lathe_model_arena_bytes(const lathe_model *model) { return model ? model->arena_bytes : 0; }

static lathe_status_code tensor_info(const lathe_tensor_desc *t, lathe_tensor_info *info) {
  info->name = t->name;
  info->dtype = t->dtype;
  info->rank = t->rank;
  memcpy(info->dims, t->dims, sizeof(info->dims));
  info->bytes = t->bytes;
  return LATHE_OK;
}

lathe_status_code lathe_model_input_info(const lathe_model *model, size_t index,
                                         lathe_tensor_info *info, lathe_status *status) {
  if (!model || !info || index >= model->input_count)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "input %zu does not exist", index);
  return tensor_info(&model->tensors[index], info);
}

lathe_status_code lathe_model_output_info(const lathe_model *model, size_t index,
                                          lathe_tensor_info *info, lathe_status *status) {
  if (!model || !info || index >= model->output_count)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "output %zu does not exist", index);
  return tensor_info(&model->tensors[model->input_count + index], info);
}
