/*===- generate.h - greedy decoding through a decoder's entries --*- C -*-===*
 *
 * What `lathe generate` runs, over the runtime's public API only: a decoder
 * compiled with `lathe compile --kv-cache N` and entries that each take the
 * token ids of one run (int64, [1, n]) and return logits ([1, n, vocab]
 * first). The prompt goes through the entries that write the most
 * positions a run and still fit it (a prefill of n, then fewer); each new
 * token is the argmax of the last logits (the first of equal ones) and is
 * fed back through the entry that writes one position a run.
 *===----------------------------------------------------------------------===*/
#ifndef LATHE_RUNTIME_TOOLS_GENERATE_H
#define LATHE_RUNTIME_TOOLS_GENERATE_H

#include "lathe/lathe.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lathe_generate_options {
  const int64_t *prompt;
  size_t prompt_length;
  size_t max_new_tokens;
} lathe_generate_options;

typedef struct lathe_generate_result {
  int64_t *ids; /* the caller's buffer of max_new_tokens ids */
  size_t count;
  size_t vocabulary;
  size_t prompt_runs; /* runs that took the prompt */
  double first_token_ms;          /* from the prompt's first run to the first new id */
  double decode_tokens_per_second; /* over the ids after the first; 0 with one id */
} lathe_generate_result;

/* Resets `session` (of `model`) and decodes greedily into `result`. Bad
   input (a prompt id outside the vocabulary, more positions than the cache
   holds, a model without caches or without a one-position entry) is a
   LATHE_INVALID_ARGUMENT status naming it, before any run. */
lathe_status_code lathe_generate(const lathe_model *model, lathe_session *session,
                                 const lathe_generate_options *options,
                                 lathe_generate_result *result, lathe_status *status);

#ifdef __cplusplus
}
#endif

#endif /* LATHE_RUNTIME_TOOLS_GENERATE_H */
