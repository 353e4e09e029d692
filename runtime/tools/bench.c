/*===- bench.c - timing an artifact's runs, over the runtime API only ----===*/
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static lathe_status_code fail(lathe_status *status, lathe_status_code code, const char *format,
                              const char *name) {
  status->code = code;
  snprintf(status->message, sizeof(status->message), format, name);
  return code;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The seeded sequence compare_ort.mjs also feeds ONNX Runtime. */
static void seed_values(float *values, size_t count, uint32_t *seed) {
  for (size_t k = 0; k < count; ++k) {
    *seed = *seed * 1664525u + 1013904223u;
    values[k] = (float)(*seed >> 8) / (float)(1 << 24) * 2.0f - 1.0f;
  }
}

lathe_status_code lathe_bench(const char *path, const lathe_bench_options *options,
                              lathe_bench_result *result, lathe_status *status) {
  memset(result, 0, sizeof(*result));
  lathe_allocator allocator = lathe_system_allocator();
  lathe_model *model = NULL;
  lathe_session *session = NULL;
  double start = now_ms();
  lathe_status_code code = lathe_model_load_file(path, allocator, &model, status);
  if (code != LATHE_OK)
    return code;
  result->load_ms = now_ms() - start;
  result->arena_bytes = lathe_model_arena_bytes(model);
  size_t entry = 0;
  if (options->entry && (code = lathe_model_find_entry(model, options->entry, &entry, status)) != LATHE_OK) {
    lathe_model_release(model);
    return code;
  }
  size_t inputs = lathe_model_entry_input_count(model, entry);
  void **owned = calloc(inputs ? inputs : 1, sizeof(void *));
  double *ms = calloc((size_t)(options->runs > 0 ? options->runs : 1), sizeof(double));
  if (!owned || !ms) {
    code = fail(status, LATHE_OUT_OF_MEMORY, "out of memory preparing the %s", "runs");
    goto done;
  }
  lathe_session_options session_options = {(size_t)(options->threads > 0 ? options->threads : 0)};
  if ((code = lathe_session_create_with_options(model, allocator, &session_options, &session,
                                                status)) != LATHE_OK)
    goto done;
  result->threads_used = (int)lathe_session_threads(session);
  if ((code = lathe_session_select_entry(session, entry, status)) != LATHE_OK)
    goto done;
  uint32_t seed = 1;
  for (size_t i = 0; i < inputs; ++i) {
    lathe_tensor_info info;
    lathe_model_entry_input_info(model, entry, i, &info, NULL);
    const void *data = NULL;
    int given = options->input ? options->input(options->self, &info, i, &data, status) : 0;
    if (given < 0) {
      code = status->code;
      goto done;
    }
    if (!given) {
      if (!(owned[i] = calloc(info.bytes ? info.bytes : 1, 1))) {
        code = fail(status, LATHE_OUT_OF_MEMORY, "out of memory for input '%s'", info.name);
        goto done;
      }
      if (info.dtype == LATHE_DTYPE_FLOAT32)
        seed_values(owned[i], info.bytes / 4, &seed);
      data = owned[i];
    }
    if ((code = lathe_session_set_input(session, i, data, info.bytes, info.dtype, info.dims, info.rank,
                                        status)) != LATHE_OK)
      goto done;
  }
  /* An entry that writes a key/value cache runs where its last run fits
     (a full context): the cache is filled up to there first, and each run
     starts from there again. */
  uint64_t advance = lathe_model_entry_cache_advance(model, entry), from = 0;
  if (advance) {
    from = lathe_model_cache_capacity(model) - advance;
    while (lathe_session_cache_position(session) < from)
      if ((code = lathe_session_run(session, status)) != LATHE_OK)
        goto done;
  }
  for (int i = -3; i < options->runs; ++i) {
    if (advance && (code = lathe_session_rewind(session, from, status)) != LATHE_OK)
      goto done;
    double t = now_ms();
    if ((code = lathe_session_run(session, status)) != LATHE_OK)
      goto done;
    if (i >= 0)
      ms[i] = now_ms() - t;
  }
  qsort(ms, (size_t)options->runs, sizeof(double), compare_doubles);
  int n = options->runs;
  result->p50_ms = ms[(size_t)(0.5 * n) < (size_t)n ? (size_t)(0.5 * n) : (size_t)n - 1];
  result->p95_ms = ms[(size_t)(0.95 * n) < (size_t)n ? (size_t)(0.95 * n) : (size_t)n - 1];
  result->min_ms = ms[0];
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  result->peak_rss_mib = (double)usage.ru_maxrss / 1024.0;
done:
  lathe_session_release(session);
  lathe_model_release(model);
  for (size_t i = 0; owned && i < inputs; ++i)
    free(owned[i]);
  free(owned);
  free(ms);
  return code;
}

void lathe_bench_print(FILE *out, const char *path, const lathe_bench_options *options,
                       const lathe_bench_result *r, int json) {
  if (json)
    fprintf(out,
            "{\"runs\": %d, \"threads_requested\": %d, \"threads_used\": %d, \"p50_ms\": %.3f, "
            "\"p95_ms\": %.3f, \"min_ms\": %.3f, \"load_ms\": %.3f, \"arena_bytes\": %zu, "
            "\"peak_rss_mib\": %.1f}\n",
            options->runs, options->threads, r->threads_used, r->p50_ms, r->p95_ms, r->min_ms, r->load_ms,
            r->arena_bytes, r->peak_rss_mib);
  else {
    char requested[32] = "the default";
    if (options->threads > 0)
      snprintf(requested, sizeof(requested), "%d requested", options->threads);
    fprintf(out,
            "%s: %d runs, p50 %.3f ms, p95 %.3f ms, min %.3f ms; load %.3f ms; arena %zu bytes; "
            "peak RSS %.1f MiB; threads: %s, %d used\n",
            path, options->runs, r->p50_ms, r->p95_ms, r->min_ms, r->load_ms, r->arena_bytes,
            r->peak_rss_mib, requested, r->threads_used);
  }
}
