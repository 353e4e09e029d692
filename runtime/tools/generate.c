/*===- generate.c - greedy decoding through a decoder's entries ----------===*/
#include "generate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static lathe_status_code fail(lathe_status *status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static lathe_status_code fail(lathe_status *status, const char *format, ...) {
  status->code = LATHE_INVALID_ARGUMENT;
  va_list args;
  va_start(args, format);
  vsnprintf(status->message, sizeof(status->message), format, args);
  va_end(args);
  return LATHE_INVALID_ARGUMENT;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

enum { INT64 = 7, FLOAT = 1 };

/* Checks that entry `e` takes ids [1, n] and returns logits [1, n, V]
   first; sets *vocabulary to V. */
static lathe_status_code check_entry(const lathe_model *model, size_t e, size_t *vocabulary,
                                     lathe_status *status) {
  const char *name = lathe_model_entry_name(model, e);
  size_t n = lathe_model_entry_cache_advance(model, e);
  lathe_tensor_info ids, logits;
  if (lathe_model_entry_input_count(model, e) != 1 ||
      lathe_model_entry_input_info(model, e, 0, &ids, NULL) != LATHE_OK || ids.dtype != INT64 ||
      ids.rank != 2 || ids.dims[0] != 1 || ids.dims[1] != (int64_t)n)
    return fail(status, "entry '%s' does not take one int64 tensor of ids [1, %zu]", name, n);
  if (lathe_model_entry_output_info(model, e, 0, &logits, NULL) != LATHE_OK ||
      logits.dtype != FLOAT || logits.rank != 3 || logits.dims[0] != 1 ||
      logits.dims[1] != (int64_t)n || logits.dims[2] < 1)
    return fail(status, "entry '%s' does not return float logits [1, %zu, vocabulary] first", name,
                n);
  if (*vocabulary && *vocabulary != (size_t)logits.dims[2])
    return fail(status, "entries' logits of %zu and %lld ids", *vocabulary,
                (long long)logits.dims[2]);
  *vocabulary = (size_t)logits.dims[2];
  return LATHE_OK;
}

/* Runs entry `e` on `ids` and returns the argmax of its last logits row. */
static lathe_status_code step(lathe_session *session, const lathe_model *model, size_t e,
                              const int64_t *ids, size_t vocabulary, int64_t *next,
                              lathe_status *status) {
  int64_t dims[2] = {1, (int64_t)lathe_model_entry_cache_advance(model, e)};
  lathe_status_code code = lathe_session_select_entry(session, e, status);
  if (code == LATHE_OK)
    code = lathe_session_set_input(session, 0, ids, sizeof(int64_t) * (size_t)dims[1], INT64, dims,
                                   2, status);
  if (code == LATHE_OK)
    code = lathe_session_run(session, status);
  const void *data;
  size_t bytes;
  if (code == LATHE_OK)
    code = lathe_session_output(session, 0, &data, &bytes, status);
  if (code != LATHE_OK)
    return code;
  const float *row = (const float *)data + (size_t)(dims[1] - 1) * vocabulary;
  size_t best = 0;
  for (size_t v = 1; v < vocabulary; ++v)
    if (row[v] > row[best])
      best = v;
  *next = (int64_t)best;
  return LATHE_OK;
}

lathe_status_code lathe_generate(const lathe_model *model, lathe_session *session,
                                 const lathe_generate_options *options,
                                 lathe_generate_result *result, lathe_status *status) {
  int64_t *ids = result->ids;
  memset(result, 0, sizeof(*result));
  result->ids = ids;
  uint64_t capacity = lathe_model_cache_capacity(model);
  if (!capacity)
    return fail(status, "the model keeps no key/value cache (compile it with --kv-cache N)");
  size_t entries = lathe_model_entry_count(model), decode = entries;
  for (size_t e = 0; e < entries; ++e) {
    size_t n = lathe_model_entry_cache_advance(model, e);
    if (!n)
      continue;
    lathe_status_code code = check_entry(model, e, &result->vocabulary, status);
    if (code != LATHE_OK)
      return code;
    if (n == 1 && decode == entries)
      decode = e;
  }
  if (decode == entries)
    return fail(status, "no entry writes one position a run to decode with (compile one with "
                        "--entry decode:input_ids=1,1)");
  if (!options->prompt_length || !options->max_new_tokens)
    return fail(status, "an empty prompt, or no new tokens asked for");
  for (size_t i = 0; i < options->prompt_length; ++i)
    if (options->prompt[i] < 0 || (uint64_t)options->prompt[i] >= result->vocabulary)
      return fail(status, "prompt id %lld (at %zu) is outside the vocabulary of %zu ids",
                  (long long)options->prompt[i], i, result->vocabulary);
  /* The last new id is not fed back. */
  uint64_t positions = options->prompt_length + options->max_new_tokens - 1;
  if (positions > capacity)
    return fail(status,
                "the prompt's %zu ids and %zu new tokens need %llu positions; the key/value "
                "cache holds %llu",
                options->prompt_length, options->max_new_tokens, (unsigned long long)positions,
                (unsigned long long)capacity);
  lathe_status_code code = lathe_session_reset(session, status);
  if (code != LATHE_OK)
    return code;

  double start = now_ms();
  int64_t next = 0;
  for (size_t at = 0; at < options->prompt_length;) {
    size_t best = decode, left = options->prompt_length - at;
    for (size_t e = 0; e < entries; ++e) {
      size_t n = lathe_model_entry_cache_advance(model, e);
      if (n <= left && n > lathe_model_entry_cache_advance(model, best))
        best = e;
    }
    code = step(session, model, best, options->prompt + at, result->vocabulary, &next, status);
    if (code != LATHE_OK)
      return code;
    at += lathe_model_entry_cache_advance(model, best);
    ++result->prompt_runs;
  }
  double first = now_ms();
  result->first_token_ms = first - start;
  ids[result->count++] = next;
  while (result->count < options->max_new_tokens) {
    code = step(session, model, decode, &ids[result->count - 1], result->vocabulary, &next, status);
    if (code != LATHE_OK)
      return code;
    ids[result->count++] = next;
  }
  if (result->count > 1)
    result->decode_tokens_per_second = (double)(result->count - 1) / ((now_ms() - first) / 1e3);
  return LATHE_OK;
}
