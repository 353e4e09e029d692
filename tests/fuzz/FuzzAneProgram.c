/*===- FuzzAneProgram.c - a Core ML program + weight.bin -> reader, executor ===*
 *
 * The bytes are u32 n, then n bytes of model.mlmodel, then weight.bin. A
 * program the reader takes is run once on inputs of ones, when its values
 * and their work are small enough for a fuzzing iteration (the executor's
 * cost is its program's, which the 2 GiB limit bounds but a fuzzer cannot
 * wait for).
 *===----------------------------------------------------------------------===*/
#include "ane/mil_program.h"

#include <stdlib.h>
#include <string.h>

static int small_enough(const lathe_mil_program *p) {
  if (p->workspace_floats > (1u << 16))
    return 0;
  /* Each op's work is at most its output times what it reads. */
  double work = 0;
  for (uint32_t i = 0; i < p->op_count; ++i) {
    const lathe_mil_op *op = &p->ops[i];
    double reads = 1;
    for (uint32_t k = 0; k < op->param_count; ++k)
      for (uint32_t a = 0; a < op->params[k].count; ++a)
        reads += (double)p->values[op->params[k].args[a]].count;
    work += (double)p->values[op->output].count * reads;
  }
  return work < 2e7;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4)
    return 0;
  uint32_t model_size;
  memcpy(&model_size, data, 4);
  if (model_size > size - 4)
    return 0;
  const uint8_t *model = data + 4, *weights = model + model_size;
  size_t weights_size = size - 4 - model_size;
  lathe_status status;
  lathe_mil_program *p = NULL;
  lathe_allocator allocator = lathe_system_allocator();
  if (lathe_mil_program_read(model, model_size, weights_size ? weights : NULL, weights_size, allocator,
                             &p, &status) != LATHE_OK)
    return 0;
  if (small_enough(p)) {
    float *workspace = calloc(p->workspace_floats + 1, sizeof(float));
    float **inputs = calloc(p->input_count + 1, sizeof(float *));
    float **outputs = calloc(p->output_count + 1, sizeof(float *));
    for (uint32_t i = 0; i < p->input_count; ++i) {
      uint64_t n = p->values[p->inputs[i]].count;
      inputs[i] = malloc(sizeof(float) * (n + 1));
      for (uint64_t k = 0; k < n; ++k)
        inputs[i][k] = 1.0f;
    }
    for (uint32_t i = 0; i < p->output_count; ++i)
      outputs[i] = malloc(sizeof(float) * (p->values[p->outputs[i]].count + 1));
    lathe_mil_program_run(p, (const float *const *)inputs, outputs, workspace, &status);
    for (uint32_t i = 0; i < p->input_count; ++i)
      free(inputs[i]);
    for (uint32_t i = 0; i < p->output_count; ++i)
      free(outputs[i]);
    free(inputs);
    free(outputs);
    free(workspace);
  }
  lathe_mil_program_free(p, allocator);
  return 0;
}
