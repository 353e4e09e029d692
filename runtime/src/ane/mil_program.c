/*===- mil_program.c - reading an ML Program for the ane backend ---------===*
 *
 * Walks model.mlmodel with the wire reader: Model.mlProgram (502) ->
 * Program.functions["main"] -> Function.block_specializations[opset] ->
 * Block.operations, each op's inputs (parameter -> bound names), outputs
 * (name and tensor type) and attributes (its name; a const's val, inline or
 * a blob of weight.bin). Anything the executor cannot take is refused here,
 * with what and where.
 *===----------------------------------------------------------------------===*/
#include "mil_program.h"
#include "wire.h"

#include <math.h>
#include <string.h>

enum {
  MIL_BOOL = 1,
  MIL_STRING = 2,
  MIL_FLOAT16 = 10,
  MIL_FLOAT32 = 11,
  MIL_INT8 = 21,
  MIL_INT32 = 23,
  MIL_UINT8 = 31
};
enum { BLOB_FLOAT16 = 1, BLOB_FLOAT32 = 2, BLOB_UINT8 = 3, BLOB_INT8 = 4 };

float lathe_half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000 | (mantissa << 13);
  } else if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else { /* subnormal: normalize */
      int e = -1;
      do {
        ++e;
        mantissa <<= 1;
      } while (!(mantissa & 0x400));
      bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mantissa & 0x3ff) << 13);
    }
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

static uint16_t float_to_half(float f) {
  uint32_t bits;
  memcpy(&bits, &f, 4);
  uint16_t sign = (uint16_t)((bits >> 16) & 0x8000);
  uint32_t exponent = (bits >> 23) & 0xff, mantissa = bits & 0x7fffff;
  if (exponent == 0xff)
    return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  int e = (int)exponent - 127 + 15;
  if (e >= 0x1f)
    return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10)
      return sign;
    mantissa |= 0x800000;
    uint32_t shift = (uint32_t)(14 - e);
    uint32_t half = mantissa >> shift, rest = mantissa & ((1u << shift) - 1), midpoint = 1u << (shift - 1);
    if (rest > midpoint || (rest == midpoint && (half & 1)))
      ++half;
    return sign | (uint16_t)half;
  }
  uint32_t half = ((uint32_t)e << 10) | (mantissa >> 13), rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
    ++half; /* may carry into the exponent, up to infinity: as it should */
  return sign | (uint16_t)half;
}

float lathe_round_fp16(float x) { return lathe_half_to_float(float_to_half(x)); }

/* Bump allocation for everything a program holds, freed as a list. */
typedef struct chunk {
  struct chunk *next;
  uint64_t padding; /* the data after it stays 16-byte aligned */
} chunk;

typedef struct reader {
  lathe_allocator allocator;
  lathe_status *status;
  lathe_status_code code;
  chunk *chunks;
  const uint8_t *weights;
  size_t weights_size;
  size_t model_size;
  lathe_mil_program *program;
} reader;

static void *take(reader *r, size_t bytes) {
  chunk *c = r->allocator.allocate(r->allocator.self, sizeof(chunk) + bytes, 16);
  if (!c) {
    if (r->code == LATHE_OK)
      r->code = lathe_fail(r->status, LATHE_OUT_OF_MEMORY, "out of memory reading an ane program");
    return NULL;
  }
  c->next = r->chunks;
  r->chunks = c;
  void *p = c + 1;
  memset(p, 0, bytes);
  return p;
}

static char *copy_string(reader *r, lathe_wire_bytes b) {
  char *s = take(r, b.size + 1);
  if (s && b.size)
    memcpy(s, b.data, b.size);
  return s;
}

static int refuse(reader *r, const char *what, const char *where) {
  if (r->code == LATHE_OK)
    r->code = lathe_fail(r->status, LATHE_INVALID_ARTIFACT, "ane program: %s%s%s", what,
                         where ? " at " : "", where ? where : "");
  return 0;
}

static int bytes_equal(lathe_wire_bytes b, const char *s) {
  return lathe_wire_equal(b, (const uint8_t *)s, strlen(s));
}

/* A map<string, X> entry: its key and value. */
static void map_entry(lathe_wire_bytes entry, lathe_wire_bytes *key, lathe_wire_bytes *value) {
  lathe_wire w = lathe_wire_of(entry);
  uint32_t type, field;
  key->data = value->data = NULL;
  key->size = value->size = 0;
  while ((field = lathe_wire_field(&w, &type))) {
    if (field == 1 && type == 2)
      *key = lathe_wire_delimited(&w);
    else if (field == 2 && type == 2)
      *value = lathe_wire_delimited(&w);
    else
      lathe_wire_skip(&w, type);
  }
}

/* A ValueType's tensor type into `v`. */
static int read_type(reader *r, lathe_wire_bytes value_type, lathe_mil_value *v) {
  lathe_wire w = lathe_wire_of(value_type);
  uint32_t type, field;
  int found = 0;
  while ((field = lathe_wire_field(&w, &type))) {
    if (field != 1 || type != 2) {
      lathe_wire_skip(&w, type);
      continue;
    }
    found = 1;
    lathe_wire t = lathe_wire_of(lathe_wire_delimited(&w));
    uint32_t tt, tf;
    int64_t data_type = 0;
    v->rank = 0;
    while ((tf = lathe_wire_field(&t, &tt))) {
      if (tf == 1 && tt == 0) {
        data_type = (int64_t)lathe_wire_varint(&t);
      } else if (tf == 3 && tt == 2) {
        lathe_wire d = lathe_wire_of(lathe_wire_delimited(&t));
        uint32_t dt, df;
        int64_t size = -1;
        while ((df = lathe_wire_field(&d, &dt))) {
          if (df == 1 && dt == 2) {
            lathe_wire c = lathe_wire_of(lathe_wire_delimited(&d));
            uint32_t ct, cf;
            while ((cf = lathe_wire_field(&c, &ct)))
              if (cf == 1 && ct == 0)
                size = (int64_t)lathe_wire_varint(&c);
              else
                lathe_wire_skip(&c, ct);
          } else {
            lathe_wire_skip(&d, dt);
          }
        }
        if (size < 1 || v->rank >= LATHE_MAX_RANK)
          return refuse(r, "a dimension that is not a positive constant (or a rank above 16)",
                        v->name);
        v->dims[v->rank++] = size;
      } else {
        lathe_wire_skip(&t, tt);
      }
    }
    switch (data_type) {
    case MIL_FLOAT16: v->type = LATHE_MIL_FP16; break;
    case MIL_FLOAT32: v->type = LATHE_MIL_FP32; break;
    case MIL_INT32: v->type = LATHE_MIL_INT32; break;
    case MIL_INT8: v->type = LATHE_MIL_INT8; break;
    case MIL_UINT8: v->type = LATHE_MIL_UINT8; break;
    case MIL_BOOL: v->type = LATHE_MIL_BOOL; break;
    case MIL_STRING: v->type = LATHE_MIL_STRING; break;
    default: return refuse(r, "a tensor type this executor does not take", v->name);
    }
  }
  if (w.failed || !found)
    return refuse(r, "a value without a tensor type", v->name);
  /* Every value is held as floats: at most the one size limit's worth. */
  v->count = 1;
  for (uint32_t i = 0; i < v->rank; ++i) {
    uint64_t dim = (uint64_t)v->dims[i];
    if (dim && v->count > LATHE_MAX_TENSOR_BYTES / sizeof(float) / dim)
      return refuse(r, "a tensor above the size limit of 2 GiB", v->name);
    v->count *= dim;
  }
  return 1;
}

/* A NamedValueType: its name and tensor type into `v`. */
static int read_named_value(reader *r, lathe_wire_bytes bytes, lathe_mil_value *v) {
  lathe_wire w = lathe_wire_of(bytes);
  uint32_t type, field;
  lathe_wire_bytes value_type = {0, 0};
  while ((field = lathe_wire_field(&w, &type)))
    if (field == 1 && type == 2)
      v->name = copy_string(r, lathe_wire_delimited(&w));
    else if (field == 2 && type == 2)
      value_type = lathe_wire_delimited(&w);
    else
      lathe_wire_skip(&w, type);
  return v->name && read_type(r, value_type, v);
}

static int bytes_typed(const lathe_mil_value *v) {
  return v->type == LATHE_MIL_INT8 || v->type == LATHE_MIL_UINT8;
}

/* A const's data from a Value (inline, or a blob of weight.bin). */
static int read_const(reader *r, lathe_wire_bytes value, lathe_mil_value *v) {
  lathe_wire w = lathe_wire_of(value);
  uint32_t type, field;
  v->is_const = 1;
  int numbers = v->type == LATHE_MIL_FP16 || v->type == LATHE_MIL_FP32;
  /* Each element takes at least a byte of the program or of weight.bin:
     a const claiming more elements than that is refused before its
     storage is allocated. */
  if (v->count > r->model_size + r->weights_size)
    return refuse(r, "a const with more elements than the program and weights hold", v->name);
  if (numbers)
    v->floats = take(r, sizeof(float) * (v->count ? v->count : 1));
  else if (v->type != LATHE_MIL_STRING)
    v->ints = take(r, sizeof(int32_t) * (v->count ? v->count : 1));
  if (r->code != LATHE_OK)
    return 0;
  uint64_t filled = 0;
  while ((field = lathe_wire_field(&w, &type))) {
    if (field == 3 && type == 2) { /* immediateValue -> tensor -> one of the arrays */
      lathe_wire im = lathe_wire_of(lathe_wire_delimited(&w));
      uint32_t it, fi;
      while ((fi = lathe_wire_field(&im, &it))) {
        if (fi != 1 || it != 2) {
          lathe_wire_skip(&im, it);
          continue;
        }
        lathe_wire tv = lathe_wire_of(lathe_wire_delimited(&im));
        uint32_t kt, kind;
        while ((kind = lathe_wire_field(&tv, &kt))) {
          lathe_wire arr = lathe_wire_of(lathe_wire_delimited(&tv));
          uint32_t at, af;
          while ((af = lathe_wire_field(&arr, &at))) {
            if (af != 1) {
              lathe_wire_skip(&arr, at);
              continue;
            }
            if (kind == 4 && at == 2 && v->type == LATHE_MIL_STRING) { /* strings */
              v->string = copy_string(r, lathe_wire_delimited(&arr));
              filled = 1;
            } else if (kind == 7 && at == 2 && v->type == LATHE_MIL_FP16) { /* fp16 bytes */
              lathe_wire_bytes b = lathe_wire_delimited(&arr);
              if (b.size != v->count * 2)
                return refuse(r, "fp16 bytes that do not match the const's shape", v->name);
              for (uint64_t i = 0; i < v->count; ++i)
                v->floats[i] = lathe_half_to_float((uint16_t)(b.data[2 * i] | b.data[2 * i + 1] << 8));
              filled = v->count;
            } else if (kind == 7 && at == 2 && bytes_typed(v)) { /* int8/uint8 bytes */
              lathe_wire_bytes b = lathe_wire_delimited(&arr);
              if (b.size != v->count)
                return refuse(r, "8-bit bytes that do not match the const's shape", v->name);
              for (uint64_t i = 0; i < v->count; ++i)
                v->ints[i] = v->type == LATHE_MIL_INT8 ? (int8_t)b.data[i] : b.data[i];
              filled = v->count;
            } else if (kind == 1 && v->type == LATHE_MIL_FP32 && (at == 2 || at == 5)) { /* floats */
              lathe_wire_bytes b = at == 2 ? lathe_wire_delimited(&arr) : lathe_wire_fixed32(&arr);
              for (size_t i = 0; i + 4 <= b.size && filled < v->count; i += 4)
                memcpy(&v->floats[filled++], b.data + i, 4);
            } else if ((kind == 2 || kind == 3) &&
                       (v->type == LATHE_MIL_INT32 || v->type == LATHE_MIL_BOOL)) {
              if (at == 2) {
                lathe_wire packed = lathe_wire_of(lathe_wire_delimited(&arr));
                while (packed.at < packed.end && !packed.failed && filled < v->count)
                  v->ints[filled++] = (int32_t)lathe_wire_varint(&packed);
              } else if (filled < v->count) {
                v->ints[filled++] = (int32_t)lathe_wire_varint(&arr);
              } else {
                lathe_wire_skip(&arr, at);
              }
            } else {
              lathe_wire_skip(&arr, at);
            }
          }
        }
      }
    } else if (field == 5 && type == 2) { /* blobFileValue */
      lathe_wire blob = lathe_wire_of(lathe_wire_delimited(&w));
      uint32_t bt, bf;
      uint64_t offset = UINT64_MAX;
      while ((bf = lathe_wire_field(&blob, &bt)))
        if (bf == 2 && bt == 0)
          offset = lathe_wire_varint(&blob);
        else
          lathe_wire_skip(&blob, bt);
      if (!r->weights || offset > r->weights_size || r->weights_size - offset < 64)
        return refuse(r, "a blob offset outside weight.bin", v->name);
      const uint8_t *m = r->weights + offset;
      uint32_t sentinel = m[0] | m[1] << 8 | m[2] << 16 | (uint32_t)m[3] << 24;
      uint32_t blob_type = m[4] | m[5] << 8 | m[6] << 16 | (uint32_t)m[7] << 24;
      uint64_t size = 0, start = 0;
      for (int i = 7; i >= 0; --i) {
        size = size << 8 | m[8 + i];
        start = start << 8 | m[16 + i];
      }
      uint32_t element = v->type == LATHE_MIL_FP16 ? 2 : bytes_typed(v) ? 1 : 4;
      if (sentinel != 0xDEADBEEF)
        return refuse(r, "a blob record without its 0xDEADBEEF sentinel", v->name);
      if ((v->type == LATHE_MIL_FP16 && blob_type != BLOB_FLOAT16) ||
          (v->type == LATHE_MIL_FP32 && blob_type != BLOB_FLOAT32) ||
          (v->type == LATHE_MIL_INT8 && blob_type != BLOB_INT8) ||
          (v->type == LATHE_MIL_UINT8 && blob_type != BLOB_UINT8) || !(numbers || bytes_typed(v)))
        return refuse(r, "a blob whose type is not the const's", v->name);
      if (size != v->count * element || start > r->weights_size || r->weights_size - start < size)
        return refuse(r, "a blob whose size or place does not fit weight.bin", v->name);
      const uint8_t *d = r->weights + start;
      for (uint64_t i = 0; i < v->count; ++i)
        if (element == 1)
          v->ints[i] = v->type == LATHE_MIL_INT8 ? (int8_t)d[i] : d[i];
        else if (element == 2)
          v->floats[i] = lathe_half_to_float((uint16_t)(d[2 * i] | d[2 * i + 1] << 8));
        else
          memcpy(&v->floats[i], d + 4 * i, 4);
      filled = v->count;
    } else {
      lathe_wire_skip(&w, type);
    }
  }
  if (w.failed || r->code != LATHE_OK)
    return refuse(r, "a malformed const", v->name);
  if (v->type == LATHE_MIL_STRING ? !v->string : filled != v->count)
    return refuse(r, "a const whose data does not match its shape", v->name);
  return 1;
}

static int64_t find_value(const lathe_mil_program *p, lathe_wire_bytes name) {
  for (uint32_t i = p->value_count; i-- > 0;)
    if (bytes_equal(name, p->values[i].name))
      return i;
  return -1;
}

/* An attribute's Value (type and data) as a const named `where`. */
static int read_attribute(reader *r, lathe_wire_bytes value, const char *where,
                          lathe_mil_value *v) {
  lathe_wire w = lathe_wire_of(value);
  uint32_t type, field;
  lathe_wire_bytes value_type = {0, 0};
  while ((field = lathe_wire_field(&w, &type)))
    if (field == 2 && type == 2)
      value_type = lathe_wire_delimited(&w);
    else
      lathe_wire_skip(&w, type);
  v->name = (char *)where;
  return read_type(r, value_type, v) && read_const(r, value, v);
}

/* constexpr_affine_dequantize: its output is a const, computed here from
   the attributes quantized_data (int8/uint8), zero_point and scale (one,
   or one per index of `axis`): (q - zero_point) * scale, in the output's
   float type. */
static int read_affine_dequantize(reader *r, const lathe_wire_bytes attributes[4],
                                  lathe_mil_value *out) {
  const char *where = out->name;
  if (!attributes[0].data || !attributes[1].data || !attributes[2].data || !attributes[3].data)
    return refuse(r, "constexpr_affine_dequantize without quantized_data, zero_point, scale and axis",
                  where);
  lathe_mil_value q = {0}, zero = {0}, scale = {0}, axis = {0};
  if (!read_attribute(r, attributes[0], where, &q) || !read_attribute(r, attributes[1], where, &zero) ||
      !read_attribute(r, attributes[2], where, &scale) || !read_attribute(r, attributes[3], where, &axis))
    return 0;
  if (!bytes_typed(&q) || !(bytes_typed(&zero) || zero.type == LATHE_MIL_FP32))
    return refuse(r, "constexpr_affine_dequantize with data that is not int8 or uint8, or a zero "
                     "point that is not int8, uint8 or fp32",
                  where);
  if ((scale.type != LATHE_MIL_FP16 && scale.type != LATHE_MIL_FP32) || axis.type != LATHE_MIL_INT32 ||
      axis.count != 1 || axis.rank != 0 || zero.rank > 1 || scale.rank > 1)
    return refuse(r, "constexpr_affine_dequantize with a non-float scale, a non-scalar axis, or a "
                     "zero point or scale above rank 1",
                  where);
  if (out->type != scale.type)
    return refuse(r, "constexpr_affine_dequantize with a result not of its scale's type", where);
  if (out->rank != q.rank || memcmp(out->dims, q.dims, sizeof(int64_t) * q.rank) != 0)
    return refuse(r, "constexpr_affine_dequantize with a result shaped unlike its data", where);
  int64_t a = axis.ints[0] < 0 ? axis.ints[0] + (int64_t)q.rank : axis.ints[0];
  if (a < 0 || a >= (int64_t)q.rank)
    return refuse(r, "constexpr_affine_dequantize with an axis outside its data's rank", where);
  uint64_t channels = (uint64_t)q.dims[a], inner = 1;
  for (uint32_t d = (uint32_t)a + 1; d < q.rank; ++d)
    inner *= (uint64_t)q.dims[d];
  if ((zero.count != 1 && zero.count != channels) || (scale.count != 1 && scale.count != channels))
    return refuse(r, "constexpr_affine_dequantize with a zero point or scale that is neither one "
                     "value nor one per index of its axis",
                  where);
  out->is_const = 1;
  out->floats = take(r, sizeof(float) * (out->count ? out->count : 1));
  if (r->code != LATHE_OK)
    return 0;
  for (uint64_t i = 0; i < out->count; ++i) {
    uint64_t c = (i / inner) % channels;
    uint64_t z = zero.count == 1 ? 0 : c;
    float offset = bytes_typed(&zero) ? (float)zero.ints[z] : zero.floats[z];
    float value = ((float)q.ints[i] - offset) * scale.floats[scale.count == 1 ? 0 : c];
    out->floats[i] = out->type == LATHE_MIL_FP16 ? lathe_round_fp16(value) : value;
  }
  return 1;
}

/* One Operation: its output value (with const data), its parameters. */
static int read_op(reader *r, lathe_wire_bytes bytes, lathe_mil_op *op) {
  lathe_mil_program *p = r->program;
  lathe_wire w = lathe_wire_of(bytes);
  uint32_t type, field, outputs = 0;
  lathe_wire_bytes val = {0, 0};
  /* constexpr_affine_dequantize's quantized_data, zero_point, scale, axis. */
  static const char *const affine[4] = {"quantized_data", "zero_point", "scale", "axis"};
  lathe_wire_bytes affine_values[4] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}};
  /* Outputs first: a const's val needs its type. */
  while ((field = lathe_wire_field(&w, &type))) {
    if (field == 1 && type == 2) {
      op->type = copy_string(r, lathe_wire_delimited(&w));
    } else if (field == 3 && type == 2) {
      if (!read_named_value(r, lathe_wire_delimited(&w), &p->values[p->value_count]))
        return refuse(r, "an op output without a name or type", op->type);
      op->output = p->value_count++;
      ++outputs;
    } else if (field == 5 && type == 2) {
      lathe_wire_bytes key, value;
      map_entry(lathe_wire_delimited(&w), &key, &value);
      if (bytes_equal(key, "val"))
        val = value;
      for (int k = 0; k < 4; ++k)
        if (bytes_equal(key, affine[k]))
          affine_values[k] = value;
    } else {
      lathe_wire_skip(&w, type);
    }
  }
  if (w.failed || !op->type)
    return refuse(r, "a malformed operation", op->type);
  op->kind = lathe_mil_kind_of(op->type);
  if (op->kind == LATHE_MIL_KIND_COUNT)
    return refuse(r, "an op type this executor does not run", op->type);
  if (outputs != 1)
    return refuse(r, "an op without exactly one output", op->type);
  if (op->kind == LATHE_MIL_CONST)
    return val.data ? read_const(r, val, &p->values[op->output])
                    : refuse(r, "a const without val", p->values[op->output].name);
  if (op->kind == LATHE_MIL_CONSTEXPR_AFFINE_DEQUANTIZE)
    return read_affine_dequantize(r, affine_values, &p->values[op->output]);
  /* Inputs: parameter -> Argument{Binding{name}...}. */
  w = lathe_wire_of(bytes);
  while ((field = lathe_wire_field(&w, &type))) {
    if (field != 2 || type != 2) {
      lathe_wire_skip(&w, type);
      continue;
    }
    lathe_wire_bytes key, argument;
    map_entry(lathe_wire_delimited(&w), &key, &argument);
    if (op->param_count >= LATHE_MIL_MAX_PARAMS)
      return refuse(r, "an op with too many parameters", p->values[op->output].name);
    lathe_mil_param *param = &op->params[op->param_count++];
    param->name = copy_string(r, key);
    param->args = take(r, sizeof(uint32_t) * LATHE_MIL_MAX_ARGS);
    if (r->code != LATHE_OK)
      return 0;
    lathe_wire a = lathe_wire_of(argument);
    uint32_t at, af;
    while ((af = lathe_wire_field(&a, &at))) {
      if (af != 1 || at != 2) {
        lathe_wire_skip(&a, at);
        continue;
      }
      lathe_wire b = lathe_wire_of(lathe_wire_delimited(&a));
      uint32_t bt, bf;
      while ((bf = lathe_wire_field(&b, &bt))) {
        if (bf == 1 && bt == 2) {
          lathe_wire_bytes name = lathe_wire_delimited(&b);
          int64_t index = find_value(p, name);
          if (index < 0 || (uint32_t)index == op->output)
            return refuse(r, "an input bound to a value not defined before it",
                          p->values[op->output].name);
          if (param->count >= LATHE_MIL_MAX_ARGS)
            return refuse(r, "an input with too many arguments", p->values[op->output].name);
          param->args[param->count++] = (uint32_t)index;
        } else if (bf == 2) {
          return refuse(r, "an input bound to an inline value (lathe binds names)",
                        p->values[op->output].name);
        } else {
          lathe_wire_skip(&b, bt);
        }
      }
    }
  }
  return w.failed ? refuse(r, "a malformed operation", op->type) : 1;
}

/* Counts a Block's operations and their outputs. */
static void count_block(lathe_wire_bytes block, uint32_t *ops, uint32_t *outputs) {
  lathe_wire w = lathe_wire_of(block);
  uint32_t type, field;
  while ((field = lathe_wire_field(&w, &type))) {
    if (field != 3 || type != 2) {
      lathe_wire_skip(&w, type);
      continue;
    }
    ++*ops;
    lathe_wire o = lathe_wire_of(lathe_wire_delimited(&w));
    uint32_t ot, of;
    while ((of = lathe_wire_field(&o, &ot))) {
      if (of == 3)
        ++*outputs;
      lathe_wire_skip(&o, ot);
    }
  }
}

lathe_status_code lathe_mil_program_read(const uint8_t *model, size_t model_size,
                                         const uint8_t *weights, size_t weights_size,
                                         lathe_allocator allocator, lathe_mil_program **out,
                                         lathe_status *status) {
  *out = NULL;
  reader r = {allocator, status, LATHE_OK, NULL, weights, weights ? weights_size : 0, model_size, NULL};
  lathe_mil_program *p = r.program = take(&r, sizeof(lathe_mil_program));
  if (!p)
    return r.code;
  /* Model -> mlProgram -> functions["main"] -> its opset's block. */
  lathe_wire w = {model, model + model_size, 0};
  uint32_t type, field;
  lathe_wire_bytes program = {0, 0}, function = {0, 0}, block = {0, 0}, opset = {0, 0};
  while ((field = lathe_wire_field(&w, &type)))
    if (field == 502 && type == 2)
      program = lathe_wire_delimited(&w);
    else
      lathe_wire_skip(&w, type);
  w = lathe_wire_of(program);
  while ((field = lathe_wire_field(&w, &type))) {
    if (field == 2 && type == 2) {
      lathe_wire_bytes key, value;
      map_entry(lathe_wire_delimited(&w), &key, &value);
      if (bytes_equal(key, "main"))
        function = value;
    } else {
      lathe_wire_skip(&w, type);
    }
  }
  if (!function.data) {
    refuse(&r, "model.mlmodel holds no ML Program with a function main", NULL);
    goto done;
  }
  w = lathe_wire_of(function);
  uint32_t input_count = 0;
  while ((field = lathe_wire_field(&w, &type))) {
    if (field == 1)
      ++input_count;
    if (field == 2 && type == 2)
      opset = lathe_wire_delimited(&w);
    else
      lathe_wire_skip(&w, type);
  }
  w = lathe_wire_of(function);
  while ((field = lathe_wire_field(&w, &type))) {
    if (field == 3 && type == 2) {
      lathe_wire_bytes key, value;
      map_entry(lathe_wire_delimited(&w), &key, &value);
      if (lathe_wire_equal(key, opset.data, opset.size))
        block = value;
    } else {
      lathe_wire_skip(&w, type);
    }
  }
  if (!block.data) {
    refuse(&r, "function main has no block for its opset", NULL);
    goto done;
  }
  uint32_t op_capacity = 0, value_capacity = input_count, output_count = 0;
  count_block(block, &op_capacity, &value_capacity);
  p->values = take(&r, sizeof(lathe_mil_value) * (value_capacity ? value_capacity : 1));
  p->ops = take(&r, sizeof(lathe_mil_op) * (op_capacity ? op_capacity : 1));
  p->inputs = take(&r, sizeof(uint32_t) * (input_count ? input_count : 1));
  if (r.code != LATHE_OK)
    goto done;
  /* The function's inputs. */
  w = lathe_wire_of(function);
  while ((field = lathe_wire_field(&w, &type))) {
    if (field != 1 || type != 2) {
      lathe_wire_skip(&w, type);
      continue;
    }
    lathe_mil_value *v = &p->values[p->value_count];
    if (!read_named_value(&r, lathe_wire_delimited(&w), v)) {
      refuse(&r, "a function input without a name or type", NULL);
      goto done;
    }
    if (v->type != LATHE_MIL_FP32) {
      refuse(&r, "a program input that is not fp32", v->name);
      goto done;
    }
    p->inputs[p->input_count++] = p->value_count++;
  }
  /* The block's ops, then its outputs. */
  w = lathe_wire_of(block);
  while ((field = lathe_wire_field(&w, &type))) {
    if (field == 3 && type == 2) {
      if (!read_op(&r, lathe_wire_delimited(&w), &p->ops[p->op_count++]))
        goto done;
    } else if (field == 2 && type == 2) {
      ++output_count;
      lathe_wire_delimited(&w);
    } else {
      lathe_wire_skip(&w, type);
    }
  }
  p->outputs = take(&r, sizeof(uint32_t) * (output_count ? output_count : 1));
  if (r.code != LATHE_OK)
    goto done;
  w = lathe_wire_of(block);
  while ((field = lathe_wire_field(&w, &type))) {
    if (field != 2 || type != 2) {
      lathe_wire_skip(&w, type);
      continue;
    }
    lathe_wire_bytes name = lathe_wire_delimited(&w);
    int64_t index = find_value(p, name);
    if (index < 0 || p->values[index].type != LATHE_MIL_FP32) {
      refuse(&r, "a block output that is not an fp32 value of the block", NULL);
      goto done;
    }
    p->outputs[p->output_count++] = (uint32_t)index;
  }
  if (w.failed) {
    refuse(&r, "a malformed block", NULL);
    goto done;
  }
  /* Computed values side by side in the workspace, 64-byte aligned; all
     of them within the one size limit. */
  for (uint32_t i = 0; i < p->value_count; ++i) {
    lathe_mil_value *v = &p->values[i];
    if (v->is_const)
      continue;
    v->offset = p->workspace_floats;
    p->workspace_floats += (v->count + 15) / 16 * 16;
    if (p->workspace_floats > LATHE_MAX_TENSOR_BYTES / sizeof(float)) {
      refuse(&r, "values above the size limit of 2 GiB in all", v->name);
      goto done;
    }
  }
done:
  p->chunks = r.chunks;
  if (r.code != LATHE_OK) {
    lathe_mil_program_free(p, allocator);
    return r.code;
  }
  *out = p;
  return LATHE_OK;
}

void lathe_mil_program_free(lathe_mil_program *p, lathe_allocator allocator) {
  if (!p)
    return;
  chunk *c = p->chunks;
  while (c) {
    chunk *next = c->next;
    allocator.release(allocator.self, c);
    c = next;
  }
}

lathe_mil_kind lathe_mil_kind_of(const char *type) {
#define LATHE_MIL_KIND_NAME_(suffix, name) name,
  static const char *const names[] = {LATHE_MIL_OP_KINDS(LATHE_MIL_KIND_NAME_)};
#undef LATHE_MIL_KIND_NAME_
  for (int i = 0; i < LATHE_MIL_KIND_COUNT; ++i)
    if (strcmp(type, names[i]) == 0)
      return (lathe_mil_kind)i;
  return LATHE_MIL_KIND_COUNT;
}

int64_t lathe_mil_arg(const lathe_mil_op *op, const char *name) {
  for (uint32_t i = 0; i < op->param_count; ++i)
    if (strcmp(op->params[i].name, name) == 0 && op->params[i].count > 0)
      return op->params[i].args[0];
  return -1;
}
