/*===- bench.h - timing an artifact's runs, over the runtime API only ---*- C -*-===*
 *
 * What `lathe bench` and the runtime-only `lathe-bench-runtime` measure, in
 * one place: load time, p50/p95/min latency over N runs after 3 warm-up
 * runs, the arena, and the process's peak RSS. An entry that writes a
 * key/value cache kept in the session runs with the cache full up to its
 * last run (the longest context it serves). Inputs the caller does not
 * give are seeded values in [-1, 1) for float32 (zeros otherwise), the same
 * sequence bench/compare_ort.mjs feeds ONNX Runtime.
 *===----------------------------------------------------------------------===*/
#ifndef LATHE_RUNTIME_TOOLS_BENCH_H
#define LATHE_RUNTIME_TOOLS_BENCH_H

#include "lathe/lathe.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lathe_bench_options {
  int runs;
  int threads; /* 0: the session's default (LATHE_NUM_THREADS, else 1) */
  /* The caller's bytes for input `index` (which must match the model's
     signature), or 0 for seeded values. May be NULL. */
  int (*input)(void *self, const lathe_tensor_info *info, size_t index, const void **data,
               lathe_status *status);
  void *self;
  const char *entry; /* the entry to run by name; NULL: the first */
} lathe_bench_options;

typedef struct lathe_bench_result {
  double p50_ms, p95_ms, min_ms, load_ms, peak_rss_mib;
  size_t arena_bytes;
  int threads_used;
} lathe_bench_result;

/* Loads `path`, runs it and fills `result`; a failure is a status whose
   message names what went wrong (not the path). */
lathe_status_code lathe_bench(const char *path, const lathe_bench_options *options,
                              lathe_bench_result *result, lathe_status *status);

/* Prints `result` as one line of text, or as JSON. */
void lathe_bench_print(FILE *out, const char *path, const lathe_bench_options *options,
                       const lathe_bench_result *result, int json);

#ifdef __cplusplus
}
#endif

#endif /* LATHE_RUNTIME_TOOLS_BENCH_H */
