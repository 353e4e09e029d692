/*===- npy_files.c - tensors in NumPy .npy files -------------------------===*
 *
 * A .npy file is the magic "\x93NUMPY", a version, the length of a header
 * (2 bytes in version 1, 4 after), the header (a Python dict literal with
 * 'descr', 'fortran_order' and 'shape'), then the array's bytes. The
 * header's fields are found by their keys; the data must be exactly what
 * the shape needs, and no larger than lathe's tensor limit.
 *===----------------------------------------------------------------------===*/
#include "npy_files.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
  const char *descr;
  int32_t dtype;
} kNpyTypes[] = {
    {"<f4", LATHE_DTYPE_FLOAT32}, {"<f8", LATHE_DTYPE_FLOAT64}, {"<f2", LATHE_DTYPE_FLOAT16},
    {"|i1", LATHE_DTYPE_INT8},    {"|u1", LATHE_DTYPE_UINT8},   {"<i2", LATHE_DTYPE_INT16},
    {"<u2", LATHE_DTYPE_UINT16},  {"<i4", LATHE_DTYPE_INT32},   {"<u4", LATHE_DTYPE_UINT32},
    {"<i8", LATHE_DTYPE_INT64},   {"<u8", LATHE_DTYPE_UINT64},  {"|b1", LATHE_DTYPE_BOOL},
};
#define NPY_TYPE_COUNT (sizeof(kNpyTypes) / sizeof(kNpyTypes[0]))

static lathe_status_code refuse(lathe_status *status, const char *format, ...) {
  if (status) {
    va_list args;
    va_start(args, format);
    vsnprintf(status->message, sizeof(status->message), format, args);
    va_end(args);
    /* One line, whatever bytes of the file the message quotes. */
    for (char *c = status->message; *c; ++c)
      if ((unsigned char)*c < 0x20 || *c == 0x7f)
        *c = '?';
    status->code = LATHE_INVALID_ARGUMENT;
  }
  return LATHE_INVALID_ARGUMENT;
}

/* The header's text after `key`, or NULL. */
static const char *field(const char *header, size_t length, const char *key) {
  size_t n = strlen(key);
  for (size_t i = 0; i + n <= length; ++i)
    if (!memcmp(header + i, key, n))
      return header + i + n;
  return NULL;
}

lathe_status_code lathe_npy_parse(const void *file, size_t size, lathe_npy_array *array,
                                  lathe_status *status) {
  const unsigned char *bytes = file;
  memset(array, 0, sizeof(*array));
  if (size < 10 || memcmp(bytes, "\x93NUMPY", 6) != 0)
    return refuse(status, "not a .npy file");
  size_t length, start;
  if (bytes[6] == 1) {
    length = bytes[8] | (size_t)bytes[9] << 8;
    start = 10;
  } else {
    if (size < 12)
      return refuse(status, "truncated .npy header");
    length = bytes[8] | (size_t)bytes[9] << 8 | (size_t)bytes[10] << 16 | (size_t)bytes[11] << 24;
    start = 12;
  }
  if (size - start < length)
    return refuse(status, "truncated .npy header");
  const char *header = (const char *)bytes + start, *end = header + length;

  /* 'descr': '<f4' (a '=' byte order is the machine's: little-endian). */
  const char *descr = field(header, length, "'descr':");
  char type[16] = "";
  if (descr) {
    while (descr < end && (*descr == ' ' || *descr == '\''))
      ++descr;
    size_t n = 0;
    while (descr + n < end && descr[n] != '\'' && n + 1 < sizeof(type))
      ++n;
    memcpy(type, descr, n);
    type[n] = 0;
  }
  for (size_t i = 0; i < NPY_TYPE_COUNT; ++i)
    if (!strcmp(type, kNpyTypes[i].descr) ||
        (strlen(type) == 3 && type[0] == '=' && !strcmp(type + 1, kNpyTypes[i].descr + 1)))
      array->dtype = kNpyTypes[i].dtype;
  if (!array->dtype)
    return refuse(status, "unsupported .npy dtype '%s'", type);

  const char *order = field(header, length, "'fortran_order':");
  if (order) {
    while (order < end && *order == ' ')
      ++order;
    if (end - order >= 4 && !memcmp(order, "True", 4))
      return refuse(status, "Fortran-ordered .npy arrays are not supported");
  }

  /* 'shape': (d0, d1, ), with any spaces. */
  const char *shape = field(header, length, "'shape':");
  if (shape) {
    while (shape < end && (*shape == ' ' || *shape == '('))
      ++shape;
    while (shape < end && *shape != ')') {
      if (*shape == ' ' || *shape == ',') {
        ++shape;
        continue;
      }
      if (*shape < '0' || *shape > '9' || array->rank == LATHE_FORMAT_MAX_RANK)
        return refuse(status, "bad .npy shape");
      int64_t d = 0;
      while (shape < end && *shape >= '0' && *shape <= '9') {
        if (d > (INT64_MAX - 9) / 10)
          return refuse(status, "bad .npy shape");
        d = d * 10 + (*shape++ - '0');
      }
      array->dims[array->rank++] = d;
    }
  }

  uint64_t need = lathe_dtype_size(array->dtype);
  int too_large = 0;
  for (uint32_t i = 0; i < array->rank; ++i) {
    uint64_t d = (uint64_t)array->dims[i];
    if (d && need > LATHE_MAX_TENSOR_BYTES / d)
      too_large = 1;
    else
      need *= d;
  }
  if (too_large || need > LATHE_MAX_TENSOR_BYTES) {
    char text[LATHE_FORMAT_MAX_RANK * 21 + 1] = "";
    size_t used = 0;
    for (uint32_t i = 0; i < array->rank && used < sizeof(text); ++i)
      used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%lld", i ? "," : "",
                               (long long)array->dims[i]);
    return refuse(status, "shape [%s] is beyond lathe's limit of %llu bytes a tensor", text,
                  (unsigned long long)LATHE_MAX_TENSOR_BYTES);
  }
  uint64_t body = size - start - length;
  if (body != need)
    return refuse(status, "holds %llu data bytes, its shape needs %llu", (unsigned long long)body,
                  (unsigned long long)need);
  array->data = bytes + start + length;
  array->bytes = need;
  return LATHE_OK;
}

lathe_status_code lathe_npy_write(const char *path, int32_t dtype, const int64_t *dims,
                                  uint32_t rank, const void *data, uint64_t bytes,
                                  lathe_status *status) {
  const char *descr = NULL;
  for (size_t i = 0; i < NPY_TYPE_COUNT; ++i)
    if (kNpyTypes[i].dtype == dtype)
      descr = kNpyTypes[i].descr;
  if (!descr)
    return refuse(status, "%s: element type %d has no .npy form", path, dtype);
  if (rank > LATHE_FORMAT_MAX_RANK)
    return refuse(status, "%s: rank %u is beyond lathe's %u", path, rank, LATHE_FORMAT_MAX_RANK);
  /* The header padded with spaces to a multiple of 64 bytes with the 10
     before it, ending in a newline. */
  char header[LATHE_FORMAT_MAX_RANK * 22 + 128];
  int n = snprintf(header, sizeof(header), "{'descr': '%s', 'fortran_order': False, 'shape': (",
                   descr);
  for (uint32_t i = 0; i < rank; ++i)
    n += snprintf(header + n, sizeof(header) - (size_t)n, "%lld,%s", (long long)dims[i],
                  i + 1 < rank ? " " : "");
  if (rank > 1)
    --n; /* (2, 3) rather than (2, 3,) */
  n += snprintf(header + n, sizeof(header) - (size_t)n, "), }");
  while ((10 + n + 1) % 64)
    header[n++] = ' ';
  header[n++] = '\n';
  unsigned char preamble[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(n & 0xff),
                                (unsigned char)(n >> 8)};
  FILE *out = fopen(path, "wb");
  if (!out)
    return refuse(status, "%s: cannot write: %s", path, strerror(errno));
  int ok = fwrite(preamble, 1, sizeof(preamble), out) == sizeof(preamble) &&
           fwrite(header, 1, (size_t)n, out) == (size_t)n &&
           (bytes == 0 || fwrite(data, 1, bytes, out) == bytes);
  ok = (fclose(out) == 0) && ok;
  return ok ? LATHE_OK : refuse(status, "%s: cannot write the file", path);
}
