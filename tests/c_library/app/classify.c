/* classify INPUT.bin OUTPUT.bin: PP-OCR's direction classifier, linked in as
   a C library: reads the image's floats, writes the two probabilities. */
#include <stdio.h>
#include <stdlib.h>

#ifdef WEIGHTS_FROM_FILE
#include "cls_mapped.h"
#define MODEL(suffix) cls_mapped_##suffix
#define PREFIX(suffix) CLS_MAPPED_##suffix
#else
#include "cls.h"
#define MODEL(suffix) cls_##suffix
#define PREFIX(suffix) CLS_##suffix
#endif

static int read_exactly(const char *path, void *data, size_t bytes) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return 0;
  size_t got = fread(data, 1, bytes, f);
  int extra = fgetc(f) != EOF;
  fclose(f);
  return got == bytes && !extra;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s INPUT.bin OUTPUT.bin\n", argv[0]);
    return 2;
  }
  static float x[PREFIX(X_ELEMENTS)];
  static float y[PREFIX(SOFTMAX_0_TMP_0_ELEMENTS)];
  if (!read_exactly(argv[1], x, sizeof(x))) {
    fprintf(stderr, "%s: expected %zu bytes of input\n", argv[1], sizeof(x));
    return 1;
  }
  MODEL(model) *model = NULL;
#ifdef WEIGHTS_FROM_FILE
  int status = MODEL(create_from_file)(WEIGHTS_FILE, &model);
#else
  int status = MODEL(create)(&model);
#endif
  if (status != PREFIX(OK)) {
    fprintf(stderr, "create: status %d\n", status);
    return 1;
  }
  /* Twice: a model runs again and again on its memory. */
  for (int run = 0; run < 2; ++run)
    if ((status = MODEL(run)(model, x, y)) != PREFIX(OK)) {
      fprintf(stderr, "run: status %d\n", status);
      return 1;
    }
  MODEL(release)(model);
  FILE *out = fopen(argv[2], "wb");
  if (!out || fwrite(y, 1, sizeof(y), out) != sizeof(y) || fclose(out) != 0) {
    fprintf(stderr, "%s: cannot write\n", argv[2]);
    return 1;
  }
  printf("probabilities %g %g\n", y[0], y[1]);
  return 0;
}
