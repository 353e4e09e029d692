/* run_artifact MODEL.lathe INPUT.bin OUTPUT.bin: the runtime's C API
   (pkg-config lathe, or lathe::runtime) on a classifier's artifact. */
#include <lathe/lathe.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s MODEL.lathe INPUT.bin OUTPUT.bin\n", argv[0]);
    return 2;
  }
  lathe_status status;
  lathe_model *model = NULL;
  lathe_session *session = NULL;
  if (lathe_model_load_file(argv[1], lathe_system_allocator(), &model, &status) != LATHE_OK ||
      lathe_session_create(model, lathe_system_allocator(), &session, &status) != LATHE_OK) {
    fprintf(stderr, "%s\n", status.message);
    return 1;
  }
  lathe_tensor_info in, out;
  lathe_model_input_info(model, 0, &in, NULL);
  lathe_model_output_info(model, 0, &out, NULL);
  float *x = malloc(in.bytes);
  FILE *f = fopen(argv[2], "rb");
  if (!x || !f || fread(x, 1, in.bytes, f) != in.bytes) {
    fprintf(stderr, "%s: expected %zu bytes of input\n", argv[2], (size_t)in.bytes);
    return 1;
  }
  fclose(f);
  const void *y;
  size_t bytes;
  if (lathe_session_set_input(session, 0, x, in.bytes, in.dtype, in.dims, in.rank, &status) != LATHE_OK ||
      lathe_session_run(session, &status) != LATHE_OK ||
      lathe_session_output(session, 0, &y, &bytes, &status) != LATHE_OK) {
    fprintf(stderr, "%s\n", status.message);
    return 1;
  }
  FILE *o = fopen(argv[3], "wb");
  if (!o || fwrite(y, 1, bytes, o) != bytes || fclose(o) != 0)
    return 1;
  lathe_session_release(session);
  lathe_model_release(model);
  free(x);
  return 0;
}
