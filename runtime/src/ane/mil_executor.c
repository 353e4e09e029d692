/*===- mil_executor.c - the fp16 reference executor of an ML Program -----===*
 *
 * Runs the ops of a program in order, as the ANE would: every tensor holds
 * fp16 values (kept in floats), each op computes from them in float and
 * rounds its result to fp16; sums (convolutions, matmuls, reductions,
 * normalizations) accumulate in float before that rounding. This is the
 * program shipped in the .mlpackage, executed op for op; it exists because
 * no Mac is here, and is not a code path of the cpu or hexagon targets.
 *===----------------------------------------------------------------------===*/
#include "mil_program.h"

#include <math.h>
#include <string.h>

typedef struct run {
  const lathe_mil_program *p;
  float *workspace;
  lathe_status *status;
} run;

typedef struct tensor {
  float *data;
  const lathe_mil_value *v;
} tensor;

static const lathe_mil_value *value(const run *r, int64_t index) {
  return index < 0 ? NULL : &r->p->values[index];
}

static float *data_of(const run *r, const lathe_mil_value *v) {
  return v->is_const ? v->floats : r->workspace + v->offset;
}

static lathe_status_code fail_op(const run *r, const lathe_mil_op *op, const char *what) {
  return lathe_fail(r->status, LATHE_INVALID_ARTIFACT, "ane op %s (%s): %s",
                    r->p->values[op->output].name, op->type, what);
}

/* A float tensor input of `op`. */
static int input(const run *r, const lathe_mil_op *op, const char *name, tensor *t) {
  const lathe_mil_value *v = value(r, lathe_mil_arg(op, name));
  if (!v || (v->type != LATHE_MIL_FP16 && v->type != LATHE_MIL_FP32))
    return 0;
  t->v = v;
  t->data = data_of(r, v);
  return 1;
}

/* An int32/bool const parameter: its values and count. */
static const int32_t *ints(const run *r, const lathe_mil_op *op, const char *name, uint64_t *count) {
  const lathe_mil_value *v = value(r, lathe_mil_arg(op, name));
  if (!v || !v->is_const || !v->ints)
    return NULL;
  if (count)
    *count = v->count;
  return v->ints;
}

static int int_param(const run *r, const lathe_mil_op *op, const char *name, int32_t fallback) {
  const int32_t *v = ints(r, op, name, NULL);
  return v ? v[0] : fallback;
}

static float float_param(const run *r, const lathe_mil_op *op, const char *name, float fallback) {
  const lathe_mil_value *v = value(r, lathe_mil_arg(op, name));
  return v && v->is_const && v->floats ? v->floats[0] : fallback;
}

static const char *string_param(const run *r, const lathe_mil_op *op, const char *name) {
  const lathe_mil_value *v = value(r, lathe_mil_arg(op, name));
  return v && v->is_const ? v->string : NULL;
}

/* Steps a row-major multi-index over `dims` (rank `rank`) to the next one. */
static void next_index(int64_t *index, const int64_t *dims, uint32_t rank) {
  for (int64_t d = (int64_t)rank - 1; d >= 0; --d) {
    if (++index[d] < dims[d])
      return;
    index[d] = 0;
  }
}

/* Row-major strides of `v`, and `v`'s strides as seen from an output of
   rank `rank` under numpy broadcasting (0 where it broadcasts). */
static void broadcast_strides(const lathe_mil_value *v, uint32_t rank, const int64_t *out_dims,
                              int64_t *strides) {
  int64_t stride = 1;
  for (int64_t i = (int64_t)rank - 1, j = (int64_t)v->rank - 1; i >= 0; --i, --j) {
    if (j < 0 || v->dims[j] == 1 || v->dims[j] != out_dims[i])
      strides[i] = 0;
    else
      strides[i] = stride;
    if (j >= 0)
      stride *= v->dims[j];
  }
}

/* max and min as ONNX and the cpu target compute them: NaN in, NaN out. */
/* Whether `v` broadcasts to `o` under numpy's rules. */
static int broadcasts_to(const lathe_mil_value *v, const lathe_mil_value *o) {
  if (v->rank > o->rank)
    return 0;
  for (uint32_t i = 0; i < v->rank; ++i) {
    int64_t d = v->dims[v->rank - 1 - i];
    if (d != 1 && d != o->dims[o->rank - 1 - i])
      return 0;
  }
  return 1;
}

/* Whether `v` has `o`'s elements (the ops that read an input laid out as
   their output). */
static int same_count(const lathe_mil_value *v, const lathe_mil_value *o) { return v->count == o->count; }

static float max_nan(float x, float y) { return x != x || y != y ? x + y : x > y ? x : y; }
static float min_nan(float x, float y) { return x != x || y != y ? x + y : x < y ? x : y; }

static int is_binary(lathe_mil_kind kind) { return kind >= LATHE_MIL_ADD && kind <= LATHE_MIL_POW; }

static float apply_binary(lathe_mil_kind kind, float x, float y) {
  switch (kind) {
  case LATHE_MIL_ADD: return x + y;
  case LATHE_MIL_SUB: return x - y;
  case LATHE_MIL_MUL: return x * y;
  case LATHE_MIL_REAL_DIV: return x / y;
  case LATHE_MIL_MAXIMUM: return max_nan(x, y);
  case LATHE_MIL_MINIMUM: return min_nan(x, y);
  default: return powf(x, y);
  }
}

static float gelu(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678f)); }

/* Unary ops; `ok` cleared for a kind that is not one. */
static float apply_unary(lathe_mil_kind kind, float x, const float *params, int *ok) {
  switch (kind) {
  case LATHE_MIL_RELU: return max_nan(x, 0.0f);
  case LATHE_MIL_SIGMOID: return 1.0f / (1.0f + expf(-x));
  case LATHE_MIL_TANH: return tanhf(x);
  case LATHE_MIL_EXP: return expf(x);
  case LATHE_MIL_LOG: return logf(x);
  case LATHE_MIL_SQRT: return sqrtf(x);
  case LATHE_MIL_ABS: return fabsf(x);
  case LATHE_MIL_FLOOR: return floorf(x);
  case LATHE_MIL_CEIL: return ceilf(x);
  case LATHE_MIL_SIN: return sinf(x);
  case LATHE_MIL_COS: return cosf(x);
  case LATHE_MIL_ERF: return erff(x);
  case LATHE_MIL_SIGN: return x != x ? x : (float)((x > 0) - (x < 0));
  case LATHE_MIL_SILU: return x / (1.0f + expf(-x));
  case LATHE_MIL_SOFTPLUS: return x > 20 ? x : log1pf(expf(x));
  case LATHE_MIL_SOFTSIGN: return x / (1.0f + fabsf(x));
  case LATHE_MIL_GELU: return gelu(x);
  case LATHE_MIL_INVERSE: return 1.0f / (x + params[0]);
  case LATHE_MIL_LEAKY_RELU: return x >= 0 ? x : params[0] * x;
  case LATHE_MIL_ELU: return x >= 0 ? x : params[0] * (expf(x) - 1.0f);
  case LATHE_MIL_SIGMOID_HARD: {
    float y = params[0] * x + params[1];
    return y != y ? y : y < 0 ? 0 : y > 1 ? 1 : y;
  }
  case LATHE_MIL_CLIP: return x != x ? x : x < params[0] ? params[0] : x > params[1] ? params[1] : x;
  default: *ok = 0; return 0;
  }
}

static lathe_status_code run_elementwise(const run *r, const lathe_mil_op *op, float *out,
                                         const lathe_mil_value *o) {
  if (is_binary(op->kind)) {
    tensor x, y;
    if (!input(r, op, "x", &x) || !input(r, op, "y", &y))
      return fail_op(r, op, "needs float inputs x and y");
    if (!broadcasts_to(x.v, o) || !broadcasts_to(y.v, o))
      return fail_op(r, op, "has inputs that do not broadcast to its output");
    int64_t sx[LATHE_MAX_RANK], sy[LATHE_MAX_RANK], index[LATHE_MAX_RANK] = {0};
    broadcast_strides(x.v, o->rank, o->dims, sx);
    broadcast_strides(y.v, o->rank, o->dims, sy);
    int64_t ox = 0, oy = 0;
    for (uint64_t i = 0; i < o->count; ++i) {
      out[i] = apply_binary(op->kind, x.data[ox], y.data[oy]);
      for (int64_t d = (int64_t)o->rank - 1; d >= 0; --d) {
        ox += sx[d];
        oy += sy[d];
        if (++index[d] < o->dims[d])
          break;
        ox -= sx[d] * o->dims[d];
        oy -= sy[d] * o->dims[d];
        index[d] = 0;
      }
    }
    return LATHE_OK;
  }
  tensor x;
  if (!input(r, op, "x", &x) || x.v->count != o->count)
    return fail_op(r, op, "needs a float input x of its output's size");
  /* alpha and beta (clip, leaky_relu, elu, sigmoid_hard), or inverse's
     epsilon (MIL's default 1e-4 when absent). */
  int inverse = op->kind == LATHE_MIL_INVERSE;
  float params[2] = {inverse ? float_param(r, op, "epsilon", 1e-4f) : float_param(r, op, "alpha", 0.0f),
                     float_param(r, op, "beta", 0.0f)};
  const char *mode = string_param(r, op, "mode");
  if (op->kind == LATHE_MIL_GELU && mode && strcmp(mode, "EXACT"))
    return fail_op(r, op, "has a gelu mode other than EXACT");
  int ok = 1;
  for (uint64_t i = 0; i < o->count && ok; ++i)
    out[i] = apply_unary(op->kind, x.data[i], params, &ok);
  return ok ? LATHE_OK : fail_op(r, op, "is not an op this executor runs");
}

/* The operands and window of a conv or conv_transpose over 1 or 2 spatial
   dims (1-D as H = 1). */
typedef struct window {
  tensor x, w, b;
  int has_bias, groups;
  int64_t ih, iw, kh, kw, oh, ow;
  int sh, sw, dh, dw, ph, pw;
} window;

static lathe_status_code read_window(const run *r, const lathe_mil_op *op,
                                     const lathe_mil_value *o, window *k) {
  k->has_bias = input(r, op, "bias", &k->b);
  if (!input(r, op, "x", &k->x) || !input(r, op, "weight", &k->w) ||
      k->x.v->rank != k->w.v->rank || (k->x.v->rank != 3 && k->x.v->rank != 4))
    return fail_op(r, op, "needs x and weight of rank 3 or 4");
  uint64_t ns, np, nd;
  const int32_t *strides = ints(r, op, "strides", &ns), *pad = ints(r, op, "pad", &np),
                *dilations = ints(r, op, "dilations", &nd);
  int spatial = (int)k->x.v->rank - 2;
  k->groups = int_param(r, op, "groups", 1);
  if (!strides || !pad || !dilations || (int)ns != spatial || (int)np != 2 * spatial ||
      (int)nd != spatial || k->groups < 1)
    return fail_op(r, op, "needs strides, pad (begin, end per dim), dilations and groups");
  const lathe_mil_value *x = k->x.v, *w = k->w.v;
  if (o->rank != x->rank || o->dims[0] != x->dims[0])
    return fail_op(r, op, "has an output whose rank or batch is not its input's");
  for (int d = 0; d < spatial; ++d)
    if (strides[d] < 1 || dilations[d] < 1)
      return fail_op(r, op, "has a stride or dilation below 1");
  k->ih = spatial == 2 ? x->dims[2] : 1;
  k->iw = x->dims[x->rank - 1];
  k->kh = spatial == 2 ? w->dims[2] : 1;
  k->kw = w->dims[w->rank - 1];
  k->oh = spatial == 2 ? o->dims[2] : 1;
  k->ow = o->dims[o->rank - 1];
  k->sh = spatial == 2 ? strides[0] : 1;
  k->sw = strides[spatial - 1];
  k->dh = spatial == 2 ? dilations[0] : 1;
  k->dw = dilations[spatial - 1];
  k->ph = spatial == 2 ? pad[0] : 0;
  k->pw = pad[2 * (spatial - 1)];
  return LATHE_OK;
}

static lathe_status_code run_conv(const run *r, const lathe_mil_op *op, float *out,
                                  const lathe_mil_value *o) {
  window k;
  lathe_status_code code = read_window(r, op, o, &k);
  if (code != LATHE_OK)
    return code;
  int64_t n = k.x.v->dims[0], c = k.x.v->dims[1], m = k.w.v->dims[0], cg = k.w.v->dims[1];
  if (c != cg * k.groups || m % k.groups || o->dims[1] != m || (k.has_bias && (int64_t)k.b.v->count != m))
    return fail_op(r, op, "channels, groups and bias do not fit");
  int64_t mg = m / k.groups;
  for (int64_t in = 0; in < n; ++in)
    for (int64_t om = 0; om < m; ++om) {
      int64_t g = om / mg;
      float bias = k.has_bias ? k.b.data[om] : 0.0f;
      for (int64_t y = 0; y < k.oh; ++y)
        for (int64_t xo = 0; xo < k.ow; ++xo) {
          float sum = bias;
          for (int64_t ic = 0; ic < cg; ++ic) {
            const float *xc = k.x.data + (in * c + g * cg + ic) * k.ih * k.iw;
            const float *wc = k.w.data + (om * cg + ic) * k.kh * k.kw;
            for (int64_t ky = 0; ky < k.kh; ++ky) {
              int64_t yy = y * k.sh + ky * k.dh - k.ph;
              if (yy < 0 || yy >= k.ih)
                continue;
              for (int64_t kx = 0; kx < k.kw; ++kx) {
                int64_t xx = xo * k.sw + kx * k.dw - k.pw;
                if (xx >= 0 && xx < k.iw)
                  sum += xc[yy * k.iw + xx] * wc[ky * k.kw + kx];
              }
            }
          }
          out[((in * m + om) * k.oh + y) * k.ow + xo] = sum;
        }
    }
  return LATHE_OK;
}

/* conv_transpose: each input pixel scattered through the kernel; weight
   (C, M / groups, kernel...). */
static lathe_status_code run_conv_transpose(const run *r, const lathe_mil_op *op, float *out,
                                            const lathe_mil_value *o) {
  window k;
  lathe_status_code code = read_window(r, op, o, &k);
  if (code != LATHE_OK)
    return code;
  int64_t n = k.x.v->dims[0], c = k.x.v->dims[1], mg = k.w.v->dims[1], m = mg * k.groups;
  if (k.w.v->dims[0] != c || c % k.groups || o->dims[1] != m || (k.has_bias && (int64_t)k.b.v->count != m))
    return fail_op(r, op, "channels, groups and bias do not fit");
  int64_t cg = c / k.groups, plane = k.oh * k.ow;
  for (int64_t i = 0; i < n * m; ++i)
    for (int64_t j = 0; j < plane; ++j)
      out[i * plane + j] = k.has_bias ? k.b.data[i % m] : 0.0f;
  for (int64_t in = 0; in < n; ++in)
    for (int64_t ic = 0; ic < c; ++ic) {
      const float *xc = k.x.data + (in * c + ic) * k.ih * k.iw;
      for (int64_t om = 0; om < mg; ++om) {
        const float *wc = k.w.data + (ic * mg + om) * k.kh * k.kw;
        float *oc = out + (in * m + (ic / cg) * mg + om) * plane;
        for (int64_t y = 0; y < k.ih; ++y)
          for (int64_t xi = 0; xi < k.iw; ++xi) {
            float v = xc[y * k.iw + xi];
            for (int64_t ky = 0; ky < k.kh; ++ky) {
              int64_t yy = y * k.sh + ky * k.dh - k.ph;
              if (yy < 0 || yy >= k.oh)
                continue;
              for (int64_t kx = 0; kx < k.kw; ++kx) {
                int64_t xx = xi * k.sw + kx * k.dw - k.pw;
                if (xx >= 0 && xx < k.ow)
                  oc[yy * k.ow + xx] += v * wc[ky * k.kw + kx];
              }
            }
          }
      }
    }
  return LATHE_OK;
}

static lathe_status_code run_pool(const run *r, const lathe_mil_op *op, float *out,
                                  const lathe_mil_value *o, int is_max) {
  tensor x;
  if (!input(r, op, "x", &x) || (x.v->rank != 3 && x.v->rank != 4))
    return fail_op(r, op, "needs x of rank 3 or 4");
  if (o->rank != x.v->rank || o->dims[0] != x.v->dims[0] || o->dims[1] != x.v->dims[1])
    return fail_op(r, op, "has an output whose rank, batch or channels are not its input's");
  uint64_t nk, ns, np;
  const int32_t *kernel = ints(r, op, "kernel_sizes", &nk), *strides = ints(r, op, "strides", &ns),
                *pad = ints(r, op, "pad", &np);
  int spatial = (int)x.v->rank - 2;
  if (!kernel || !strides || !pad || (int)nk != spatial || (int)ns != spatial ||
      (int)np != 2 * spatial)
    return fail_op(r, op, "needs kernel_sizes, strides and pad");
  for (int d = 0; d < spatial; ++d)
    if (kernel[d] < 1 || strides[d] < 1 || pad[2 * d] < 0 || pad[2 * d + 1] < 0 ||
        kernel[d] > x.v->dims[2 + d] + pad[2 * d] + pad[2 * d + 1])
      return fail_op(r, op, "has a window, stride or padding out of range");
  int exclude = int_param(r, op, "exclude_padding_from_average", 1);
  int64_t planes = x.v->dims[0] * x.v->dims[1];
  int64_t ih = spatial == 2 ? x.v->dims[2] : 1, iw = x.v->dims[x.v->rank - 1];
  int64_t oh = spatial == 2 ? o->dims[2] : 1, ow = o->dims[o->rank - 1];
  int kh = spatial == 2 ? kernel[0] : 1, kw = kernel[spatial - 1];
  int sh = spatial == 2 ? strides[0] : 1, sw = strides[spatial - 1];
  int ph = spatial == 2 ? pad[0] : 0, pw = pad[2 * (spatial - 1)];
  /* The padded extent: an average that counts padding counts it up to
     there, not past it (a ceil-mode window may reach beyond). */
  int64_t padded_h = spatial == 2 ? ih + pad[1] : 1, padded_w = iw + pad[2 * (spatial - 1) + 1];
  for (int64_t pl = 0; pl < planes; ++pl)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t xo = 0; xo < ow; ++xo) {
        float acc = is_max ? -INFINITY : 0.0f;
        int64_t inside = 0, padded = 0;
        for (int ky = 0; ky < kh; ++ky)
          for (int kx = 0; kx < kw; ++kx) {
            int64_t yy = y * sh + ky - ph, xx = xo * sw + kx - pw;
            padded += yy < padded_h && xx < padded_w;
            if (yy < 0 || yy >= ih || xx < 0 || xx >= iw)
              continue;
            float v = x.data[(pl * ih + yy) * iw + xx];
            acc = is_max ? max_nan(v, acc) : acc + v;
            ++inside;
          }
        int64_t count = exclude ? inside : padded;
        out[(pl * oh + y) * ow + xo] = is_max ? acc : acc / (float)(count ? count : 1);
      }
  return LATHE_OK;
}

/* Reductions over `axes` (out has `keep_dims` shape or not; same order). */
static lathe_status_code run_reduce(const run *r, const lathe_mil_op *op, float *out,
                                    const lathe_mil_value *o) {
  tensor x;
  uint64_t na;
  const int32_t *axes = ints(r, op, "axes", &na);
  if (!input(r, op, "x", &x) || !axes)
    return fail_op(r, op, "needs x and axes");
  uint32_t rank = x.v->rank;
  int reduced[LATHE_MAX_RANK] = {0};
  for (uint64_t i = 0; i < na; ++i) {
    int32_t a = axes[i] < 0 ? axes[i] + (int32_t)rank : axes[i];
    if (a < 0 || a >= (int32_t)rank)
      return fail_op(r, op, "has an axis out of range");
    reduced[a] = 1;
  }
  lathe_mil_kind kind = op->kind;
  uint64_t per = 1;
  for (uint32_t d = 0; d < rank; ++d)
    if (reduced[d])
      per *= (uint64_t)x.v->dims[d];
  if (o->count * per != x.v->count)
    return fail_op(r, op, "has an output of another size than its kept dims");
  int is_max = kind == LATHE_MIL_REDUCE_MAX, is_min = kind == LATHE_MIL_REDUCE_MIN,
      is_prod = kind == LATHE_MIL_REDUCE_PROD;
  for (uint64_t i = 0; i < o->count; ++i)
    out[i] = is_max ? -INFINITY : is_min ? INFINITY : is_prod ? 1.0f : 0.0f;
  /* Each input element adds to the output element its kept dims name. */
  int64_t index[LATHE_MAX_RANK] = {0};
  for (uint64_t i = 0; i < x.v->count; ++i) {
    uint64_t at = 0;
    for (uint32_t d = 0; d < rank; ++d)
      if (!reduced[d])
        at = at * (uint64_t)x.v->dims[d] + (uint64_t)index[d];
    float v = x.data[i];
    if (is_max) out[at] = max_nan(v, out[at]);
    else if (is_min) out[at] = min_nan(v, out[at]);
    else if (is_prod) out[at] *= v;
    else if (kind == LATHE_MIL_REDUCE_L1_NORM) out[at] += fabsf(v);
    else if (kind == LATHE_MIL_REDUCE_L2_NORM || kind == LATHE_MIL_REDUCE_SUM_SQUARE) out[at] += v * v;
    else if (kind == LATHE_MIL_REDUCE_LOG_SUM_EXP) out[at] += expf(v);
    else out[at] += v; /* sum, mean, log_sum */
    next_index(index, x.v->dims, rank);
  }
  for (uint64_t i = 0; i < o->count; ++i) {
    if (kind == LATHE_MIL_REDUCE_MEAN) out[i] /= (float)per;
    else if (kind == LATHE_MIL_REDUCE_L2_NORM) out[i] = sqrtf(out[i]);
    else if (kind == LATHE_MIL_REDUCE_LOG_SUM || kind == LATHE_MIL_REDUCE_LOG_SUM_EXP) out[i] = logf(out[i]);
  }
  return LATHE_OK;
}

static lathe_status_code run_matmul(const run *r, const lathe_mil_op *op, float *out,
                                    const lathe_mil_value *o) {
  tensor x, y;
  if (!input(r, op, "x", &x) || !input(r, op, "y", &y))
    return fail_op(r, op, "needs x and y");
  if (x.v->rank == 0 || y.v->rank == 0)
    return fail_op(r, op, "needs x and y of rank 1 or more");
  int tx = int_param(r, op, "transpose_x", 0), ty = int_param(r, op, "transpose_y", 0);
  /* 1-D operands as matrices: x (1, K), y (K, 1). */
  uint32_t xr = x.v->rank, yr = y.v->rank;
  int64_t xrows = xr == 1 ? 1 : x.v->dims[xr - 2], xcols = x.v->dims[xr - 1];
  int64_t yrows = yr == 1 ? y.v->dims[0] : y.v->dims[yr - 2], ycols = yr == 1 ? 1 : y.v->dims[yr - 1];
  int64_t m = tx ? xcols : xrows, k = tx ? xrows : xcols;
  int64_t k2 = ty ? ycols : yrows, n = ty ? yrows : ycols;
  if (k != k2)
    return fail_op(r, op, "contracting dims differ");
  /* Batch dims: the output's leading ones, each operand broadcast. */
  uint32_t matrix_rank = (xr == 1 ? 0 : 1) + (yr == 1 ? 0 : 1);
  if (o->rank < matrix_rank)
    return fail_op(r, op, "has an output of too low a rank");
  uint32_t batch_rank = o->rank - matrix_rank;
  {
    uint32_t xbatch = xr > 2 ? xr - 2 : 0, ybatch = yr > 2 ? yr - 2 : 0;
    int64_t rows = xr == 1 ? 1 : m, cols = yr == 1 ? 1 : n;
    if (xbatch > batch_rank || ybatch > batch_rank ||
        (xr > 1 && o->dims[batch_rank] != rows) || (yr > 1 && o->dims[o->rank - 1] != cols))
      return fail_op(r, op, "has an output that is not its operands' product");
    for (uint32_t d = 0; d < batch_rank; ++d) {
      int64_t j = (int64_t)d - (int64_t)(batch_rank - xbatch), l = (int64_t)d - (int64_t)(batch_rank - ybatch);
      if ((j >= 0 && x.v->dims[j] != 1 && x.v->dims[j] != o->dims[d]) ||
          (l >= 0 && y.v->dims[l] != 1 && y.v->dims[l] != o->dims[d]))
        return fail_op(r, op, "has batch dims that do not broadcast to its output");
    }
  }
  int64_t batches = 1;
  for (uint32_t i = 0; i < batch_rank; ++i)
    batches *= o->dims[i];
  uint32_t xb = xr > 2 ? xr - 2 : 0, yb = yr > 2 ? yr - 2 : 0;
  int64_t index[LATHE_MAX_RANK] = {0};
  for (int64_t bi = 0; bi < batches; ++bi) {
    int64_t xo = 0, yo = 0;
    for (uint32_t d = 0; d < batch_rank; ++d) {
      int64_t j = (int64_t)d - (int64_t)(batch_rank - xb), l = (int64_t)d - (int64_t)(batch_rank - yb);
      if (j >= 0)
        xo = xo * x.v->dims[j] + (x.v->dims[j] == 1 ? 0 : index[d]);
      if (l >= 0)
        yo = yo * y.v->dims[l] + (y.v->dims[l] == 1 ? 0 : index[d]);
    }
    const float *xm = x.data + xo * xrows * xcols, *ym = y.data + yo * yrows * ycols;
    float *om = out + bi * m * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        float sum = 0;
        for (int64_t kk = 0; kk < k; ++kk)
          sum += (tx ? xm[kk * xcols + i] : xm[i * xcols + kk]) *
                 (ty ? ym[j * ycols + kk] : ym[kk * ycols + j]);
        om[i * n + j] = sum;
      }
    next_index(index, o->dims, batch_rank);
  }
  return LATHE_OK;
}

/* Softmax along `axis`, and the layer/batch/instance norms. */
static lathe_status_code run_softmax(const run *r, const lathe_mil_op *op, float *out,
                                     const lathe_mil_value *o) {
  tensor x;
  if (!input(r, op, "x", &x) || !same_count(x.v, o))
    return fail_op(r, op, "needs x of its output's size");
  int32_t axis = int_param(r, op, "axis", -1);
  if (axis < 0)
    axis += (int32_t)o->rank;
  if (axis < 0 || axis >= (int32_t)o->rank)
    return fail_op(r, op, "has an axis out of range");
  int64_t outer = 1, len = o->dims[axis], inner = 1;
  for (int32_t d = 0; d < axis; ++d)
    outer *= o->dims[d];
  for (uint32_t d = (uint32_t)axis + 1; d < o->rank; ++d)
    inner *= o->dims[d];
  for (int64_t a = 0; a < outer; ++a)
    for (int64_t b = 0; b < inner; ++b) {
      const float *in = x.data + a * len * inner + b;
      float *res = out + a * len * inner + b;
      float max = -INFINITY, sum = 0;
      for (int64_t i = 0; i < len; ++i)
        max = in[i * inner] > max ? in[i * inner] : max;
      for (int64_t i = 0; i < len; ++i)
        sum += res[i * inner] = expf(in[i * inner] - max);
      for (int64_t i = 0; i < len; ++i)
        res[i * inner] /= sum;
    }
  return LATHE_OK;
}

/* Normalizes groups of `len` elements, `stride` apart from group to group's
   start pattern given by (outer, len, inner). */
static void normalize(const float *in, float *out, int64_t outer, int64_t len, int64_t inner,
                      float epsilon) {
  for (int64_t a = 0; a < outer; ++a)
    for (int64_t b = 0; b < inner; ++b) {
      const float *x = in + a * len * inner + b;
      float *y = out + a * len * inner + b;
      float mean = 0, var = 0;
      for (int64_t i = 0; i < len; ++i)
        mean += x[i * inner];
      mean /= (float)len;
      for (int64_t i = 0; i < len; ++i)
        var += (x[i * inner] - mean) * (x[i * inner] - mean);
      var /= (float)len;
      float scale = 1.0f / sqrtf(var + epsilon);
      for (int64_t i = 0; i < len; ++i)
        y[i * inner] = (x[i * inner] - mean) * scale;
    }
}

static lathe_status_code run_norm(const run *r, const lathe_mil_op *op, float *out,
                                  const lathe_mil_value *o) {
  tensor x, gamma, beta, mean, variance;
  if (!input(r, op, "x", &x) || !same_count(x.v, o))
    return fail_op(r, op, "needs x of its output's size");
  float epsilon = float_param(r, op, "epsilon", 1e-5f);
  if (op->kind == LATHE_MIL_LAYER_NORM) {
    /* Over adjacent axes; gamma and beta shaped like them. */
    uint64_t na;
    const int32_t *axes = ints(r, op, "axes", &na);
    if (!axes || na == 0)
      return fail_op(r, op, "needs axes");
    int32_t first = axes[0] < 0 ? axes[0] + (int32_t)o->rank : axes[0];
    for (uint64_t i = 0; i < na; ++i)
      if ((axes[i] < 0 ? axes[i] + (int32_t)o->rank : axes[i]) != first + (int32_t)i)
        return fail_op(r, op, "normalizes axes that are not adjacent and ascending");
    if (first < 0 || first + (int32_t)na > (int32_t)o->rank)
      return fail_op(r, op, "has an axis outside its input");
    int64_t outer = 1, len = 1, inner = 1;
    for (uint32_t d = 0; d < o->rank; ++d)
      *(d < (uint32_t)first ? &outer : d < (uint32_t)first + na ? &len : &inner) *= o->dims[d];
    int has_gamma = input(r, op, "gamma", &gamma), has_beta = input(r, op, "beta", &beta);
    if ((has_gamma && (int64_t)gamma.v->count != len) || (has_beta && (int64_t)beta.v->count != len))
      return fail_op(r, op, "has a gamma or beta not shaped like its normalized axes");
    normalize(x.data, out, outer, len, inner, epsilon);
    for (int64_t a = 0; a < outer; ++a)
      for (int64_t i = 0; i < len; ++i)
        for (int64_t b = 0; b < inner; ++b) {
          float *y = out + (a * len + i) * inner + b;
          *y = *y * (has_gamma ? gamma.data[i] : 1.0f) + (has_beta ? beta.data[i] : 0.0f);
        }
    return LATHE_OK;
  }
  /* Per channel (dim 1): batch_norm with statistics, instance_norm over
     each (n, c) plane. */
  int64_t n = o->dims[0], c = o->rank > 1 ? o->dims[1] : 1, plane = (int64_t)o->count / (n * c);
  int has_gamma = input(r, op, "gamma", &gamma), has_beta = input(r, op, "beta", &beta);
  if ((has_gamma && (int64_t)gamma.v->count != c) || (has_beta && (int64_t)beta.v->count != c))
    return fail_op(r, op, "has a gamma or beta not one per channel");
  if (op->kind == LATHE_MIL_BATCH_NORM) {
    if (!input(r, op, "mean", &mean) || !input(r, op, "variance", &variance) ||
        (int64_t)mean.v->count != c || (int64_t)variance.v->count != c)
      return fail_op(r, op, "needs mean and variance, one per channel");
    for (int64_t i = 0; i < n * c; ++i) {
      int64_t ch = i % c;
      float scale = (has_gamma ? gamma.data[ch] : 1.0f) / sqrtf(variance.data[ch] + epsilon);
      float shift = (has_beta ? beta.data[ch] : 0.0f) - mean.data[ch] * scale;
      for (int64_t j = 0; j < plane; ++j)
        out[i * plane + j] = x.data[i * plane + j] * scale + shift;
    }
    return LATHE_OK;
  }
  normalize(x.data, out, n * c, plane, 1, epsilon);
  for (int64_t i = 0; i < n * c; ++i) {
    int64_t ch = i % c;
    for (int64_t j = 0; j < plane; ++j)
      out[i * plane + j] =
          out[i * plane + j] * (has_gamma ? gamma.data[ch] : 1.0f) + (has_beta ? beta.data[ch] : 0.0f);
  }
  return LATHE_OK;
}

static lathe_status_code run_transpose(const run *r, const lathe_mil_op *op, float *out,
                                       const lathe_mil_value *o) {
  tensor x;
  uint64_t np;
  const int32_t *perm = ints(r, op, "perm", &np);
  if (!input(r, op, "x", &x) || !perm || np != x.v->rank)
    return fail_op(r, op, "needs x and a perm of its rank");
  int64_t in_strides[LATHE_MAX_RANK], strides[LATHE_MAX_RANK], index[LATHE_MAX_RANK] = {0};
  int64_t s = 1;
  for (int64_t d = (int64_t)x.v->rank - 1; d >= 0; --d) {
    in_strides[d] = s;
    s *= x.v->dims[d];
  }
  if (o->rank != x.v->rank)
    return fail_op(r, op, "has an output of another rank than its input");
  int seen[LATHE_MAX_RANK] = {0};
  for (uint32_t d = 0; d < o->rank; ++d) {
    int32_t p = perm[d] < 0 ? perm[d] + (int32_t)x.v->rank : perm[d];
    if (p < 0 || p >= (int32_t)x.v->rank || seen[p]++ || o->dims[d] != x.v->dims[p])
      return fail_op(r, op, "has a perm that is not a permutation onto its output");
    strides[d] = in_strides[p];
  }
  int64_t at = 0;
  for (uint64_t i = 0; i < o->count; ++i) {
    out[i] = x.data[at];
    for (int64_t d = (int64_t)o->rank - 1; d >= 0; --d) {
      at += strides[d];
      if (++index[d] < o->dims[d])
        break;
      at -= strides[d] * o->dims[d];
      index[d] = 0;
    }
  }
  return LATHE_OK;
}

static lathe_status_code run_concat(const run *r, const lathe_mil_op *op, float *out,
                                    const lathe_mil_value *o) {
  const lathe_mil_param *values = NULL;
  for (uint32_t i = 0; i < op->param_count; ++i)
    if (!strcmp(op->params[i].name, "values"))
      values = &op->params[i];
  int32_t axis = int_param(r, op, "axis", 0);
  if (axis < 0)
    axis += (int32_t)o->rank;
  if (!values || axis < 0 || axis >= (int32_t)o->rank)
    return fail_op(r, op, "needs values and an axis in range");
  int64_t outer = 1, inner = 1;
  for (int32_t d = 0; d < axis; ++d)
    outer *= o->dims[d];
  for (uint32_t d = (uint32_t)axis + 1; d < o->rank; ++d)
    inner *= o->dims[d];
  int64_t total = 0;
  for (uint32_t k = 0; k < values->count; ++k) {
    const lathe_mil_value *v = &r->p->values[values->args[k]];
    if ((v->type != LATHE_MIL_FP16 && v->type != LATHE_MIL_FP32) || v->rank != o->rank)
      return fail_op(r, op, "concatenates values that are not float tensors of its rank");
    for (uint32_t d = 0; d < o->rank; ++d)
      if (d != (uint32_t)axis && v->dims[d] != o->dims[d])
        return fail_op(r, op, "concatenates values whose other dims differ from its output's");
    total += v->dims[axis];
  }
  if (values->count == 0 || total != o->dims[axis])
    return fail_op(r, op, "concatenates values that do not add up to its output");
  int64_t offset = 0;
  for (uint32_t k = 0; k < values->count; ++k) {
    const lathe_mil_value *v = &r->p->values[values->args[k]];
    const float *in = data_of(r, v);
    int64_t len = v->dims[axis] * inner;
    for (int64_t a = 0; a < outer; ++a)
      memcpy(out + a * o->dims[axis] * inner + offset, in + a * len, sizeof(float) * (size_t)len);
    offset += len;
  }
  return LATHE_OK;
}

static lathe_status_code run_slice(const run *r, const lathe_mil_op *op, float *out,
                                   const lathe_mil_value *o) {
  tensor x;
  uint64_t nb, ne, ns, nbm, nem;
  const int32_t *begin = ints(r, op, "begin", &nb), *end = ints(r, op, "end", &ne),
                *stride = ints(r, op, "stride", &ns), *begin_mask = ints(r, op, "begin_mask", &nbm),
                *end_mask = ints(r, op, "end_mask", &nem);
  if (!input(r, op, "x", &x) || !begin || !end || !stride || nb != x.v->rank || ns != x.v->rank)
    return fail_op(r, op, "needs x, begin, end and stride of its rank");
  (void)end;
  (void)ne;
  (void)end_mask;
  (void)nem;
  int64_t start[LATHE_MAX_RANK], in_strides[LATHE_MAX_RANK], s = 1, index[LATHE_MAX_RANK] = {0};
  for (int64_t d = (int64_t)x.v->rank - 1; d >= 0; --d) {
    in_strides[d] = s;
    s *= x.v->dims[d];
  }
  for (uint32_t d = 0; d < x.v->rank; ++d) {
    int64_t b = begin[d] < 0 ? begin[d] + x.v->dims[d] : begin[d];
    if (begin_mask && d < nbm && begin_mask[d])
      b = stride[d] > 0 ? 0 : x.v->dims[d] - 1;
    start[d] = b;
  }
  if (o->rank != x.v->rank)
    return fail_op(r, op, "has an output of another rank than its input");
  for (uint32_t d = 0; d < o->rank; ++d) {
    int64_t last = start[d] + (o->dims[d] - 1) * (int64_t)stride[d];
    if (stride[d] == 0 || start[d] < 0 || start[d] >= x.v->dims[d] || last < 0 || last >= x.v->dims[d])
      return fail_op(r, op, "slices outside its input");
  }
  /* The output's shape (from its type) says how many steps each dim takes. */
  for (uint64_t i = 0; i < o->count; ++i) {
    int64_t at = 0;
    for (uint32_t d = 0; d < o->rank; ++d)
      at += (start[d] + index[d] * stride[d]) * in_strides[d];
    out[i] = x.data[at];
    next_index(index, o->dims, o->rank);
  }
  return LATHE_OK;
}

static lathe_status_code run_upsample(const run *r, const lathe_mil_op *op, float *out,
                                      const lathe_mil_value *o) {
  tensor x;
  if (!input(r, op, "x", &x) || x.v->rank < 2)
    return fail_op(r, op, "needs x of rank >= 2");
  if (o->rank != x.v->rank)
    return fail_op(r, op, "has an output of another rank than its input");
  for (uint32_t d = 0; d + 2 < o->rank; ++d)
    if (o->dims[d] != x.v->dims[d])
      return fail_op(r, op, "resizes dims other than the last two");
  int bilinear = op->kind == LATHE_MIL_UPSAMPLE_BILINEAR;
  int align = int_param(r, op, "align_corners", 0), half = int_param(r, op, "half_pixel_centers", 0);
  uint32_t rank = x.v->rank;
  int64_t ih = x.v->dims[rank - 2], iw = x.v->dims[rank - 1];
  int64_t oh = o->dims[rank - 2], ow = o->dims[rank - 1];
  int64_t planes = (int64_t)x.v->count / (ih * iw);
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t xo = 0; xo < ow; ++xo) {
        const float *in = x.data + p * ih * iw;
        float v;
        if (!bilinear) {
          v = in[(y * ih / oh) * iw + xo * iw / ow];
        } else {
          float fy, fx;
          if (align) {
            fy = oh > 1 ? (float)y * (float)(ih - 1) / (float)(oh - 1) : 0;
            fx = ow > 1 ? (float)xo * (float)(iw - 1) / (float)(ow - 1) : 0;
          } else if (half) {
            fy = ((float)y + 0.5f) * (float)ih / (float)oh - 0.5f;
            fx = ((float)xo + 0.5f) * (float)iw / (float)ow - 0.5f;
          } else {
            fy = (float)y * (float)ih / (float)oh;
            fx = (float)xo * (float)iw / (float)ow;
          }
          fy = fy < 0 ? 0 : fy;
          fx = fx < 0 ? 0 : fx;
          int64_t y0 = (int64_t)fy, x0 = (int64_t)fx;
          if (y0 > ih - 1) y0 = ih - 1;
          if (x0 > iw - 1) x0 = iw - 1;
          int64_t y1 = y0 + 1 < ih ? y0 + 1 : ih - 1, x1 = x0 + 1 < iw ? x0 + 1 : iw - 1;
          float wy = fy - (float)y0, wx = fx - (float)x0;
          v = (1 - wy) * ((1 - wx) * in[y0 * iw + x0] + wx * in[y0 * iw + x1]) +
              wy * ((1 - wx) * in[y1 * iw + x0] + wx * in[y1 * iw + x1]);
        }
        out[(p * oh + y) * ow + xo] = v;
      }
  return LATHE_OK;
}

/* Constant padding: (begin, end) per dim, for the trailing dims. */
static lathe_status_code run_pad(const run *r, const lathe_mil_op *op, float *out,
                                 const lathe_mil_value *o) {
  tensor x;
  uint64_t np;
  const int32_t *pad = ints(r, op, "pad", &np);
  const char *mode = string_param(r, op, "mode");
  if (!input(r, op, "x", &x) || !pad || np % 2 || np / 2 > x.v->rank)
    return fail_op(r, op, "needs x and pad pairs for at most its rank");
  if (mode && strcmp(mode, "constant"))
    return fail_op(r, op, "pads in a mode other than constant");
  if (o->rank != x.v->rank)
    return fail_op(r, op, "has an output of another rank than its input");
  float fill = float_param(r, op, "constant_val", 0.0f);
  uint32_t first = x.v->rank - (uint32_t)(np / 2);
  int64_t begin[LATHE_MAX_RANK] = {0}, index[LATHE_MAX_RANK] = {0};
  for (uint32_t d = first; d < x.v->rank; ++d)
    begin[d] = pad[2 * (d - first)];
  for (uint64_t i = 0; i < o->count; ++i) {
    int64_t at = 0, inside = 1;
    for (uint32_t d = 0; d < o->rank; ++d) {
      int64_t k = index[d] - begin[d];
      inside &= k >= 0 && k < x.v->dims[d];
      at = at * x.v->dims[d] + k;
    }
    out[i] = inside ? x.data[at] : fill;
    next_index(index, o->dims, o->rank);
  }
  return LATHE_OK;
}

static lathe_status_code run_op(const run *r, const lathe_mil_op *op) {
  const lathe_mil_value *o = &r->p->values[op->output];
  float *out = r->workspace + o->offset;
  lathe_status_code code;
  switch (op->kind) {
  case LATHE_MIL_CAST:
  case LATHE_MIL_RESHAPE: {
    tensor x;
    if (!input(r, op, "x", &x) || !same_count(x.v, o))
      return fail_op(r, op, "needs x of its output's size");
    memcpy(out, x.data, sizeof(float) * o->count);
    if (op->kind == LATHE_MIL_CAST && o->type == LATHE_MIL_FP32)
      return LATHE_OK; /* fp16 values are exact in fp32 */
    code = LATHE_OK;
    break;
  }
  case LATHE_MIL_CONV: code = run_conv(r, op, out, o); break;
  case LATHE_MIL_CONV_TRANSPOSE: code = run_conv_transpose(r, op, out, o); break;
  case LATHE_MIL_MAX_POOL:
  case LATHE_MIL_AVG_POOL: code = run_pool(r, op, out, o, op->kind == LATHE_MIL_MAX_POOL); break;
  case LATHE_MIL_REDUCE_SUM: case LATHE_MIL_REDUCE_MEAN: case LATHE_MIL_REDUCE_MAX:
  case LATHE_MIL_REDUCE_MIN: case LATHE_MIL_REDUCE_PROD: case LATHE_MIL_REDUCE_L1_NORM:
  case LATHE_MIL_REDUCE_L2_NORM: case LATHE_MIL_REDUCE_SUM_SQUARE: case LATHE_MIL_REDUCE_LOG_SUM:
  case LATHE_MIL_REDUCE_LOG_SUM_EXP: code = run_reduce(r, op, out, o); break;
  case LATHE_MIL_MATMUL: code = run_matmul(r, op, out, o); break;
  case LATHE_MIL_SOFTMAX: code = run_softmax(r, op, out, o); break;
  case LATHE_MIL_LAYER_NORM:
  case LATHE_MIL_BATCH_NORM:
  case LATHE_MIL_INSTANCE_NORM: code = run_norm(r, op, out, o); break;
  case LATHE_MIL_TRANSPOSE: code = run_transpose(r, op, out, o); break;
  case LATHE_MIL_CONCAT: code = run_concat(r, op, out, o); break;
  case LATHE_MIL_PAD: code = run_pad(r, op, out, o); break;
  case LATHE_MIL_SLICE_BY_INDEX: code = run_slice(r, op, out, o); break;
  case LATHE_MIL_UPSAMPLE_NEAREST_NEIGHBOR:
  case LATHE_MIL_UPSAMPLE_BILINEAR: code = run_upsample(r, op, out, o); break;
  default: code = run_elementwise(r, op, out, o); break;
  }
  if (code != LATHE_OK)
    return code;
  for (uint64_t i = 0; i < o->count; ++i)
    out[i] = lathe_round_fp16(out[i]);
  return LATHE_OK;
}

lathe_status_code lathe_mil_program_run(const lathe_mil_program *p, const float *const *inputs,
                                        float *const *outputs, float *workspace,
                                        lathe_status *status) {
  run r = {p, workspace, status};
  for (uint32_t i = 0; i < p->input_count; ++i) {
    const lathe_mil_value *v = &p->values[p->inputs[i]];
    memcpy(workspace + v->offset, inputs[i], sizeof(float) * v->count);
  }
  for (uint32_t i = 0; i < p->op_count; ++i) {
    const lathe_mil_op *op = &p->ops[i];
    if (p->values[op->output].is_const)
      continue;
    if (p->values[op->output].type != LATHE_MIL_FP16 && p->values[op->output].type != LATHE_MIL_FP32)
      return fail_op(&r, op, "has a result that is not a float tensor");
    lathe_status_code code = run_op(&r, op);
    if (code != LATHE_OK)
      return code;
  }
  for (uint32_t i = 0; i < p->output_count; ++i) {
    const lathe_mil_value *v = &p->values[p->outputs[i]];
    memcpy(outputs[i], workspace + v->offset, sizeof(float) * v->count);
  }
  return LATHE_OK;
}
