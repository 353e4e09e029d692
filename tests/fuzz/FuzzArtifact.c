/*===- FuzzArtifact.c - artifact bytes -> loader, inspect, one run --------===*
 *
 * The bytes are an artifact whose header is then made to agree with them
 * (file size, checksum), as an attacker would: what is fuzzed is everything
 * the loader checks beyond the checksum. A model that loads is described
 * through the inspect API, gets a session, zeroed inputs and one run.
 *
 * The cpu backend is this file's: the ELF image is checked as in
 * production, but no code from the fuzzed bytes is mapped or executed (the
 * dynamic loader is not a parser of hostile input, and executing mutated
 * machine code is not a finding). Hexagon sessions, which start a
 * simulator, are not created. Ane steps run the real reference executor.
 *===----------------------------------------------------------------------===*/
#include "internal.h"

#include "lathe/artifact_format.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

/* The cpu backend here: the image is checked as in production, the steps
   run nothing. */
static lathe_status_code check_code(lathe_model *model, lathe_code_desc *code, lathe_status *status) {
  (void)model;
  return lathe_elf_check(code->blob, code->blob_size, ELFCLASS64, EM_X86_64, "cpu code", status);
}

static lathe_status_code run_step(lathe_session *session, size_t index, void **io, lathe_status *status) {
  (void)session;
  (void)index;
  (void)io;
  (void)status;
  return LATHE_OK;
}

const lathe_backend lathe_cpu_backend = {
    .target = LATHE_TARGET_CPU,
    .check_code = check_code,
    .run_step = run_step,
};

/* Every status message is one line of text. */
static void check_message(const lathe_status *status) {
  for (const char *c = status->message; *c; ++c)
    if ((unsigned char)*c < 0x20)
      abort();
}

static void describe(const lathe_model *model) {
  lathe_artifact_info artifact;
  if (lathe_model_artifact_info(model, &artifact, NULL) != LATHE_OK)
    abort();
  for (uint32_t i = 0; i < artifact.section_count; ++i) {
    lathe_section_info section;
    if (lathe_model_section_info(model, i, &section, NULL) != LATHE_OK ||
        !lathe_section_kind_name(section.kind))
      abort();
  }
  for (size_t k = 0; k < lathe_model_slot_count(model); ++k)
    if (lathe_model_slot_bytes(model, k) == 0)
      abort();
  for (size_t k = 0; k < lathe_model_step_count(model); ++k) {
    lathe_step_info step;
    if (lathe_model_step_info(model, k, &step, NULL) != LATHE_OK || !lathe_target_name(step.target))
      abort();
    for (uint32_t j = 0; j < step.io_count; ++j)
      if (step.slots[j] >= lathe_model_slot_count(model))
        abort();
  }
}

static int has_hexagon(const lathe_model *model) {
  for (size_t k = 0; k < lathe_model_step_count(model); ++k) {
    lathe_step_info step;
    lathe_model_step_info(model, k, &step, NULL);
    if (step.target == LATHE_TARGET_HEXAGON)
      return 1;
  }
  return 0;
}

static void run_once(const lathe_model *model) {
  lathe_status status;
  lathe_session *session = NULL;
  if (lathe_session_create(model, lathe_system_allocator(), &session, &status) != LATHE_OK) {
    check_message(&status);
    return;
  }
  size_t inputs = lathe_model_input_count(model);
  void **buffers = calloc(inputs ? inputs : 1, sizeof(void *));
  for (size_t i = 0; buffers && i < inputs; ++i) {
    lathe_tensor_info info;
    lathe_model_input_info(model, i, &info, NULL);
    buffers[i] = calloc(info.bytes ? info.bytes : 1, 1);
    if (buffers[i] && lathe_session_set_input(session, i, buffers[i], info.bytes, info.dtype, info.dims,
                                              info.rank, &status) != LATHE_OK)
      abort(); /* the signature's own shape is always taken */
  }
  if (lathe_session_run(session, &status) != LATHE_OK)
    check_message(&status);
  for (size_t i = 0; i < lathe_model_output_count(model); ++i) {
    const void *data;
    size_t bytes;
    lathe_tensor_info info;
    lathe_model_output_info(model, i, &info, NULL);
    if (lathe_session_output(session, i, &data, &bytes, &status) != LATHE_OK || bytes != info.bytes)
      abort();
  }
  for (size_t i = 0; buffers && i < inputs; ++i)
    free(buffers[i]);
  free(buffers);
  lathe_session_release(session);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < sizeof(lathe_artifact_header) || size > (1u << 24))
    return 0;
  uint8_t *bytes = malloc(size);
  if (!bytes)
    return 0;
  memcpy(bytes, data, size);
  lathe_artifact_header header;
  memcpy(&header, bytes, sizeof(header));
  header.file_size = size;
  header.checksum = lathe_checksum(bytes + sizeof(header), size - sizeof(header));
  memcpy(bytes, &header, sizeof(header));

  lathe_status status;
  lathe_model *model = NULL;
  if (lathe_model_load_memory(bytes, size, lathe_system_allocator(), &model, &status) != LATHE_OK) {
    check_message(&status);
  } else {
    describe(model);
    if (!has_hexagon(model))
      run_once(model);
    lathe_model_release(model);
  }
  free(bytes);
  return 0;
}
