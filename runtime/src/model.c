/*===- model.c - models: loading, releasing, what they hold --------------===*
 *
 * A model is an artifact read and checked by artifact.c; what it holds is
 * answered from what that check read, never by re-reading the file.
 *===----------------------------------------------------------------------===*/
#include "internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
  lathe_status_code code = lathe_artifact_read(m, status);
  if (code != LATHE_OK) {
    lathe_model_release(m);
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
  lathe_model_parts_release(model);
  if (model->mapped)
    munmap((void *)model->data, model->size);
  a.release(a.self, model);
}

size_t lathe_model_entry_count(const lathe_model *model) { return model ? model->entry_count : 0; }

const char *lathe_model_entry_name(const lathe_model *model, size_t entry) {
  return model && entry < model->entry_count ? model->entries[entry].name : NULL;
}

lathe_status_code lathe_model_find_entry(const lathe_model *model, const char *name, size_t *entry,
                                         lathe_status *status) {
  if (!model || !name || !entry)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "lathe_model_find_entry: null argument");
  char names[256] = "";
  size_t used = 0;
  for (size_t i = 0; i < model->entry_count; ++i) {
    if (strcmp(model->entries[i].name, name) == 0) {
      *entry = i;
      return LATHE_OK;
    }
    if (used < sizeof(names))
      used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
                               model->entries[i].name);
  }
  return lathe_fail(status, LATHE_INVALID_ARGUMENT, "the model has no entry '%s' (its entries: %s)",
                    name, names);
}

/* The inputs the caller binds: the entry's, less the session's state. */
static size_t caller_inputs(const lathe_entry_plan *e) { return e->input_count - e->state_inputs; }

size_t lathe_model_entry_input_count(const lathe_model *model, size_t entry) {
  return model && entry < model->entry_count ? caller_inputs(&model->entries[entry]) : 0;
}
size_t lathe_model_entry_output_count(const lathe_model *model, size_t entry) {
  return model && entry < model->entry_count ? model->entries[entry].output_count : 0;
}
size_t lathe_model_input_count(const lathe_model *model) { return lathe_model_entry_input_count(model, 0); }
size_t lathe_model_output_count(const lathe_model *model) { return lathe_model_entry_output_count(model, 0); }
size_t lathe_model_arena_bytes(const lathe_model *model) { return model ? model->arena_bytes : 0; }
uint64_t lathe_model_cache_capacity(const lathe_model *model) {
  return model ? model->state_capacity : 0;
}
uint64_t lathe_model_cache_bytes(const lathe_model *model) {
  uint64_t bytes = 0;
  for (size_t i = 0; model && i < model->state_count; ++i)
    bytes += model->states[i]->bytes;
  return bytes;
}
size_t lathe_model_entry_cache_advance(const lathe_model *model, size_t entry) {
  return model && entry < model->entry_count ? model->entries[entry].state_advance : 0;
}

static lathe_status_code tensor_info(const lathe_tensor_desc *t, lathe_tensor_info *info) {
  info->name = t->name;
  info->dtype = t->dtype;
  info->rank = t->rank;
  memcpy(info->dims, t->dims, sizeof(info->dims));
  info->bytes = t->bytes;
  return LATHE_OK;
}

/* Input (or output) `index` of `entry`. */
static lathe_status_code entry_tensor_info(const lathe_model *model, size_t entry, int output,
                                           size_t index, lathe_tensor_info *info,
                                           lathe_status *status) {
  if (!model || !info || entry >= model->entry_count)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "entry %zu does not exist", entry);
  const lathe_entry_plan *e = &model->entries[entry];
  if (index >= (output ? e->output_count : caller_inputs(e)))
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "%s %zu does not exist",
                      output ? "output" : "input", index);
  return tensor_info(&model->tensors[e->tensor_first + (output ? e->input_count : 0) + index], info);
}

lathe_status_code lathe_model_entry_input_info(const lathe_model *model, size_t entry, size_t index,
                                               lathe_tensor_info *info, lathe_status *status) {
  return entry_tensor_info(model, entry, 0, index, info, status);
}

lathe_status_code lathe_model_entry_output_info(const lathe_model *model, size_t entry, size_t index,
                                                lathe_tensor_info *info, lathe_status *status) {
  return entry_tensor_info(model, entry, 1, index, info, status);
}

lathe_status_code lathe_model_input_info(const lathe_model *model, size_t index,
                                         lathe_tensor_info *info, lathe_status *status) {
  return lathe_model_entry_input_info(model, 0, index, info, status);
}

lathe_status_code lathe_model_output_info(const lathe_model *model, size_t index,
                                          lathe_tensor_info *info, lathe_status *status) {
  return lathe_model_entry_output_info(model, 0, index, info, status);
}

lathe_status_code lathe_model_artifact_info(const lathe_model *model, lathe_artifact_info *info,
                                            lathe_status *status) {
  if (!model || !info)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "lathe_model_artifact_info: null argument");
  info->format_version = model->format_version;
  info->section_count = model->section_count;
  info->file_size = model->size;
  info->checksum = model->checksum;
  info->constants_bytes = model->constants_size;
  return LATHE_OK;
}

lathe_status_code lathe_model_section_info(const lathe_model *model, size_t index,
                                           lathe_section_info *info, lathe_status *status) {
  if (!model || !info || index >= model->section_count)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "section %zu does not exist", index);
  const lathe_section_entry *s = &model->sections[index];
  const lathe_code_desc *code = &model->code[index];
  info->kind = s->kind;
  info->target = s->target;
  info->offset = s->offset;
  info->size = s->size;
  info->entry_count = s->kind == LATHE_SECTION_CODE ? code->entry_count : 0;
  info->code_bytes = s->kind == LATHE_SECTION_CODE ? code->blob_size : 0;
  info->host_machine = s->kind == LATHE_SECTION_CODE ? code->host_machine : 0;
  return LATHE_OK;
}

size_t lathe_model_slot_count(const lathe_model *model) { return model ? model->slot_count : 0; }

uint64_t lathe_model_slot_bytes(const lathe_model *model, size_t slot) {
  return model && slot < model->slot_count ? model->slot_bytes[slot] : 0;
}

size_t lathe_model_step_count(const lathe_model *model) { return model ? model->step_count : 0; }

lathe_status_code lathe_model_step_info(const lathe_model *model, size_t index, lathe_step_info *info,
                                        lathe_status *status) {
  if (!model || !info || index >= model->step_count)
    return lathe_fail(status, LATHE_INVALID_ARGUMENT, "step %zu does not exist", index);
  const lathe_step *s = &model->steps[index];
  info->target = s->target;
  info->code_section = s->code_section;
  info->entry = s->entry_name;
  info->constants_offset = s->constants_offset;
  info->constants_bytes = s->contract->constants_bytes;
  info->arena_bytes = s->contract->arena_bytes;
  info->input_count = s->contract->input_count;
  info->io_count = s->io_count;
  info->slots = s->slots;
  return LATHE_OK;
}
