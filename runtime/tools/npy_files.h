/*===- npy_files.h - tensors in NumPy .npy files, over the runtime's types -*- C -*-===*
 *
 * The one reader and writer of .npy files: `lathe run` (through the
 * compiler's tensor files) and the runtime-only runner read inputs and
 * write outputs with it. Version 1 to 3 headers, little-endian arrays in C
 * order of the element types lathe.h names.
 *===----------------------------------------------------------------------===*/
#ifndef LATHE_RUNTIME_TOOLS_NPY_FILES_H
#define LATHE_RUNTIME_TOOLS_NPY_FILES_H

#include "lathe/artifact_format.h"
#include "lathe/lathe.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lathe_npy_array {
  int32_t dtype; /* ONNX TensorProto code */
  uint32_t rank;
  int64_t dims[LATHE_FORMAT_MAX_RANK];
  const void *data; /* within the parsed file's bytes */
  uint64_t bytes;
} lathe_npy_array;

/* Reads the array held by the `size` bytes of a .npy file; `array->data`
   points into them. A refusal's message says what is wrong (not where). */
lathe_status_code lathe_npy_parse(const void *file, size_t size, lathe_npy_array *array,
                                  lathe_status *status);

/* Writes `bytes` bytes of `dtype` in the shape `dims` (rank `rank`) as a
   .npy file at `path`. */
lathe_status_code lathe_npy_write(const char *path, int32_t dtype, const int64_t *dims,
                                  uint32_t rank, const void *data, uint64_t bytes,
                                  lathe_status *status);

#ifdef __cplusplus
}
#endif

#endif /* LATHE_RUNTIME_TOOLS_NPY_FILES_H */
