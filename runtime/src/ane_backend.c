/*===- ane_backend.c - ane steps, run by the fp16 reference executor -----===*
 *
 * The ane code section holds one .mlpackage per ane partition (the package
 * list of lathe/artifact_format.h). At load, each ane step's package is
 * found by its entry name and its model.mlmodel and weight.bin are read
 * into a program (ane/mil_program.h); a run executes that program in fp16.
 * On a Mac a Core ML backend would load the same package instead.
 *===----------------------------------------------------------------------===*/
#include "internal.h"
#include "ane/mil_program.h"

#include <string.h>

static int run_is(const uint8_t *list, lathe_name_ref ref, const char *s) {
  return ref.size == strlen(s) && memcmp(list + ref.offset, s, ref.size) == 0;
}

/* Reads the program of the package named `entry` (the records of
   lathe/artifact_format.h's package list). */
static lathe_status_code read_program(const uint8_t *list, uint64_t size, const char *entry,
                                      lathe_allocator allocator, lathe_mil_program **program,
                                      lathe_status *status) {
  lathe_package_list_header header;
  if (!lathe_read_records(list, size, 0, 1, sizeof(header), &header))
    return lathe_fail(status, LATHE_INVALID_ARTIFACT, "the ane code section is corrupt");
  uint64_t files_at = sizeof(header) + (uint64_t)header.package_count * sizeof(lathe_package_record);
  for (uint32_t p = 0; p < header.package_count; ++p) {
    lathe_package_record package;
    if (!lathe_read_records(list, size, sizeof(header) + (uint64_t)p * sizeof(package), 1, sizeof(package),
                            &package) ||
        !lathe_within(size, package.name.offset, package.name.size) ||
        (uint64_t)package.file_first + package.file_count > header.file_count)
      return lathe_fail(status, LATHE_INVALID_ARTIFACT, "the ane code section is corrupt");
    if (!run_is(list, package.name, entry))
      continue;
    const uint8_t *model = NULL, *weights = NULL;
    uint64_t model_size = 0, weights_size = 0;
    for (uint32_t f = 0; f < package.file_count; ++f) {
      lathe_package_file_record file;
      if (!lathe_read_records(list, size, files_at + (uint64_t)(package.file_first + f) * sizeof(file), 1,
                              sizeof(file), &file) ||
          !lathe_within(size, file.path.offset, file.path.size) || !lathe_within(size, file.offset, file.size))
        return lathe_fail(status, LATHE_INVALID_ARTIFACT, "the ane code section is corrupt");
      if (run_is(list, file.path, "Data/com.apple.CoreML/model.mlmodel")) {
        model = list + file.offset;
        model_size = file.size;
      } else if (run_is(list, file.path, "Data/com.apple.CoreML/weights/weight.bin")) {
        weights = list + file.offset;
        weights_size = file.size;
      }
    }
    if (!model)
      return lathe_fail(status, LATHE_INVALID_ARTIFACT, "ane package '%s' has no model.mlmodel", entry);
    return lathe_mil_program_read(model, model_size, weights, weights ? weights_size : 0, allocator,
                                  program, status);
  }
  return lathe_fail(status, LATHE_INVALID_ARTIFACT, "the ane code has no package '%s'", entry);
}

static lathe_status_code prepare_step(lathe_model *model, lathe_step *step, lathe_status *status) {
  const lathe_code_desc *code = &model->code[step->code_section];
  lathe_mil_program *p = NULL;
  lathe_status_code result =
      read_program(code->blob, code->blob_size, step->entry_name, model->allocator, &p, status);
  if (result != LATHE_OK)
    return result;
  step->prepared = p;
  /* Its inputs and outputs are the step's slots, in order, as fp32. */
  if (p->input_count != step->contract->input_count || p->input_count + p->output_count != step->io_count)
    return lathe_fail(status, LATHE_INVALID_ARTIFACT,
                      "ane step '%s': the program has %u inputs and %u outputs, the plan %u slots",
                      step->entry_name, p->input_count, p->output_count, step->io_count);
  for (uint32_t k = 0; k < step->io_count; ++k) {
    uint32_t value = k < p->input_count ? p->inputs[k] : p->outputs[k - p->input_count];
    if (p->values[value].count * 4 != model->slot_bytes[step->slots[k]])
      return lathe_fail(status, LATHE_INVALID_ARTIFACT, "ane step '%s': value '%s' does not fit its slot",
                        step->entry_name, p->values[value].name);
  }
  uint64_t *workspace = &model->workspace_bytes[LATHE_TARGET_ANE];
  if (p->workspace_floats * 4 > *workspace)
    *workspace = p->workspace_floats * 4;
  return LATHE_OK;
}

static void release_step(lathe_model *model, lathe_step *step) {
  lathe_mil_program_free(step->prepared, model->allocator);
  step->prepared = NULL;
}

/* A session's workspace: the values of the ane step running. */
static lathe_status_code open_session(lathe_session *session, uint64_t memory_bytes, uint8_t **memory,
                                      lathe_status *status) {
  (void)memory_bytes;
  (void)memory;
  uint64_t bytes = session->model->workspace_bytes[LATHE_TARGET_ANE];
  if (!bytes)
    return LATHE_OK;
  void *workspace = session->allocator.allocate(session->allocator.self, bytes, 64);
  if (!workspace)
    return lathe_fail(status, LATHE_OUT_OF_MEMORY,
                      "out of memory allocating the ane workspace (%llu bytes)", (unsigned long long)bytes);
  session->backend_state[LATHE_TARGET_ANE] = workspace;
  return LATHE_OK;
}

static void close_session(lathe_session *session) {
  void *workspace = session->backend_state[LATHE_TARGET_ANE];
  if (workspace)
    session->allocator.release(session->allocator.self, workspace);
}

static lathe_status_code run_step(lathe_session *session, size_t index, void **io, lathe_status *status) {
  const lathe_mil_program *p = session->model->steps[index].prepared;
  return lathe_mil_program_run(p, (const float *const *)io, (float *const *)io + p->input_count,
                               session->backend_state[LATHE_TARGET_ANE], status);
}

const lathe_backend lathe_ane_backend = {
    .target = LATHE_TARGET_ANE,
    .prepare_step = prepare_step,
    .release_step = release_step,
    .open_session = open_session,
    .close_session = close_session,
    .run_step = run_step,
};
