/*===- lathe_bench_runtime.c - benchmarking with nothing but the runtime --===*
 *
 *   lathe-bench-runtime ARTIFACT [--runs N] [--threads N] [--entry NAME] [--json]
 *
 * `lathe bench` without the compiler: the process loads libc and the
 * runtime only (no LLVM, MLIR or ONNX), so its load time and peak RSS are
 * what an application that links the runtime pays. Inputs are the seeded
 * values of bench.h. Failures are one line on stderr and exit code 1.
 *===----------------------------------------------------------------------===*/
#include "bench.h"

#include <stdlib.h>
#include <string.h>

static int usage(const char *why) {
  fprintf(stderr, "lathe-bench-runtime: error: %s (usage: lathe-bench-runtime ARTIFACT [--runs N] "
                  "[--threads N] [--entry NAME] [--json])\n",
          why);
  return 1;
}

/* A positive integer option's value, or 0. */
static int positive(const char *text) {
  char *end = NULL;
  long v = strtol(text, &end, 10);
  return text[0] && !*end && v > 0 && v < 1000000 ? (int)v : 0;
}

int main(int argc, char **argv) {
  lathe_bench_options options = {50, 0, NULL, NULL, NULL};
  const char *path = NULL;
  int json = 0;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--json")) {
      json = 1;
    } else if (!strcmp(argv[i], "--entry")) {
      if (i + 1 >= argc)
        return usage("--entry needs an entry's name");
      options.entry = argv[++i];
    } else if (!strcmp(argv[i], "--runs") || !strcmp(argv[i], "--threads")) {
      int value = i + 1 < argc ? positive(argv[i + 1]) : 0;
      if (!value)
        return usage("--runs and --threads need a positive integer");
      *(!strcmp(argv[i], "--runs") ? &options.runs : &options.threads) = value;
      ++i;
    } else if (argv[i][0] == '-' || path) {
      return usage("unknown argument");
    } else {
      path = argv[i];
    }
  }
  if (!path)
    return usage("expected one artifact");
  lathe_bench_result result;
  lathe_status status;
  if (lathe_bench(path, &options, &result, &status) != LATHE_OK) {
    fprintf(stderr, "lathe-bench-runtime: error: %s\n", status.message);
    return 1;
  }
  lathe_bench_print(stdout, path, &options, &result, json);
  return 0;
}
