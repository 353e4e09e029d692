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

#ifdef __cplusplus
extern "C" {
#endif

#define LATHE_MIL_MAX_PARAMS 12
#define LATHE_MIL_MAX_ARGS 64

typedef enum lathe_mil_type {
  LATHE_MIL_FP16,
  LATHE_MIL_FP32,
  LATHE_MIL_INT32,
  LATHE_MIL_INT8,  /* held in ints, as are uint8 */
  LATHE_MIL_UINT8,
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

/* The op types the executor runs: X(kind suffix, MIL type name). */
#define LATHE_MIL_OP_KINDS(X)                                                                      \
  X(CONST, "const") X(CAST, "cast") X(RESHAPE, "reshape") X(CONV, "conv")                          \
  X(CONV_TRANSPOSE, "conv_transpose") X(MAX_POOL, "max_pool") X(AVG_POOL, "avg_pool")              \
  X(REDUCE_SUM, "reduce_sum") X(REDUCE_MEAN, "reduce_mean") X(REDUCE_MAX, "reduce_max")            \
  X(REDUCE_MIN, "reduce_min") X(REDUCE_PROD, "reduce_prod") X(REDUCE_L1_NORM, "reduce_l1_norm")    \
  X(REDUCE_L2_NORM, "reduce_l2_norm") X(REDUCE_SUM_SQUARE, "reduce_sum_square")                    \
  X(REDUCE_LOG_SUM, "reduce_log_sum") X(REDUCE_LOG_SUM_EXP, "reduce_log_sum_exp")                  \
  X(MATMUL, "matmul") X(SOFTMAX, "softmax") X(LAYER_NORM, "layer_norm")                            \
  X(BATCH_NORM, "batch_norm") X(INSTANCE_NORM, "instance_norm") X(TRANSPOSE, "transpose")          \
  X(CONCAT, "concat") X(PAD, "pad") X(SLICE_BY_INDEX, "slice_by_index")                            \
  X(UPSAMPLE_NEAREST_NEIGHBOR, "upsample_nearest_neighbor")                                        \
  X(UPSAMPLE_BILINEAR, "upsample_bilinear") X(ADD, "add") X(SUB, "sub") X(MUL, "mul")              \
  X(REAL_DIV, "real_div") X(MAXIMUM, "maximum") X(MINIMUM, "minimum") X(POW, "pow")                \
  X(RELU, "relu") X(SIGMOID, "sigmoid") X(TANH, "tanh") X(EXP, "exp") X(LOG, "log")                \
  X(SQRT, "sqrt") X(ABS, "abs") X(FLOOR, "floor") X(CEIL, "ceil") X(SIN, "sin") X(COS, "cos")      \
  X(ERF, "erf") X(SIGN, "sign") X(SILU, "silu") X(SOFTPLUS, "softplus") X(SOFTSIGN, "softsign")    \
  X(GELU, "gelu") X(INVERSE, "inverse") X(LEAKY_RELU, "leaky_relu") X(ELU, "elu")                  \
  X(SIGMOID_HARD, "sigmoid_hard") X(CLIP, "clip")                                                 \
  X(CONSTEXPR_AFFINE_DEQUANTIZE, "constexpr_affine_dequantize")

#define LATHE_MIL_KIND_ENUMERATOR_(suffix, name) LATHE_MIL_##suffix,
typedef enum lathe_mil_kind {
  LATHE_MIL_OP_KINDS(LATHE_MIL_KIND_ENUMERATOR_) LATHE_MIL_KIND_COUNT
} lathe_mil_kind;
#undef LATHE_MIL_KIND_ENUMERATOR_

/* The kind of an op type name, or LATHE_MIL_KIND_COUNT for one the executor
   does not run. */
lathe_mil_kind lathe_mil_kind_of(const char *type);

typedef struct lathe_mil_op {
  char *type;
  lathe_mil_kind kind; /* resolved at load */
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

#ifdef __cplusplus
}
#endif

#endif /* LATHE_RUNTIME_ANE_MIL_PROGRAM_H */
