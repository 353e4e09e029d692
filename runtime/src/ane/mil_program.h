/*===- mil_program.h - an ML Program as the ane backend runs it ----------===*
 *
 * The `main` function of a Core ML ML Program (model.mlmodel) read into
 * flat tables: every value the program names (its inputs, each op's output,
 * each const) with its type and, for consts, its data; every op with its
 * type and its parameters bound to values. fp16 data (consts from the
 * program or weight.bin) is kept as float holding fp16 values, since the
 * executor computes each op in float and rounds its result to fp16.
 *===----------------------------------------------------------------------===*/
#ifndef LATHE_RUNTIME_ANE_MIL_PROGRAM_H
#define LATHE_RUNTIME_ANE_MIL_PROGRAM_H

#include "../internal.h"

#define LATHE_MIL_MAX_PARAMS 12
#define LATHE_MIL_MAX_ARGS 64

typedef enum lathe_mil_type {
  LATHE_MIL_FP16,
  LATHE_MIL_FP32,
  LATHE_MIL_INT32,
  LATHE_MIL_BOOL,
  LATHE_MIL_STRING,
} lathe_mil_type;

typedef struct lathe_mil_value {
  char *name;
  lathe_mil_type type;
  uint32_t rank;
  int64_t dims[LATHE_MAX_RANK];
  uint64_t count; /* elements */
  /* Consts: numbers as float (fp16/fp32) or int32 (int32, bool); a string. */
  float *floats;
  int32_t *ints;
  char *string;
  int is_const;
  uint64_t offset; /* computed values: float offset in the workspace */
} lathe_mil_value;

typedef struct lathe_mil_param {
  char *name;
  uint32_t count;
  uint32_t *args; /* value indices */
} lathe_mil_param;

typedef struct lathe_mil_op {
  char *type;
  uint32_t output; /* value index */
  uint32_t param_count;
  lathe_mil_param params[LATHE_MIL_MAX_PARAMS];
} lathe_mil_op;

typedef struct lathe_mil_program {
  uint32_t value_count, op_count, input_count, output_count;
  lathe_mil_value *values;
  lathe_mil_op *ops;
  uint32_t *inputs, *outputs; /* value indices, in order */
  uint64_t workspace_floats;  /* every computed value, side by side */
  void *chunks;               /* everything above, allocated in chunks */
} lathe_mil_program;

/* Reads `model` (a serialized CoreML.Specification.Model holding an ML
   Program) with the blobs it names in `weights` (weight.bin). */
lathe_status_code lathe_mil_program_read(const uint8_t *model, size_t model_size,
                                         const uint8_t *weights, size_t weights_size,
                                         lathe_allocator allocator, lathe_mil_program **program,
                                         lathe_status *status);
void lathe_mil_program_free(lathe_mil_program *program, lathe_allocator allocator);

/* The value bound to parameter `name` of `op` (its first argument), or -1. */
int64_t lathe_mil_arg(const lathe_mil_op *op, const char *name);

/* Runs the program: `inputs` are its fp32 inputs in order, `outputs` its
   fp32 outputs, `workspace` holds workspace_floats floats. */
lathe_status_code lathe_mil_program_run(const lathe_mil_program *program, const float *const *inputs,
                                        float *const *outputs, float *workspace,
                                        lathe_status *status);

/* fp16 rounding of a float (nearest, ties to even; overflow to infinity). */
float lathe_round_fp16(float x);
float lathe_half_to_float(uint16_t h);

#endif /* LATHE_RUNTIME_ANE_MIL_PROGRAM_H */
