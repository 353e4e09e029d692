/*===- hexagon_backend.c - hexagon steps, run by the DSP side --------------===*
 *
 * A session with hexagon steps starts the DSP side once (the image is the
 * artifact's hexagon code section: the DSP runtime with every hexagon
 * partition linked in), reads the names of its entries once, and then sends one
 * RUN request per hexagon step. What crosses is offsets into the memory
 * both sides share; the transport (dsp_transport.h) is the only part that
 * knows how the DSP side is reached.
 *===----------------------------------------------------------------------===*/
#include "dsp_transport.h"

#include "../dsp/dsp_protocol.h"

#include <elf.h>
#include <string.h>

#ifndef EM_HEXAGON
#define EM_HEXAGON 164 /* Qualcomm Hexagon, as ELF assigns it */
#endif

typedef struct lathe_hexagon_session {
  lathe_allocator allocator;
  lathe_dsp_transport *transport;
  uint64_t shared_bytes;
  uint32_t entry_count;
  char (*entry_names)[LATHE_DSP_TEXT_BYTES]; /* entry i's name, read at open */
  /* A RUN request and its offsets, built in place (no allocation per run). */
  struct {
    lathe_dsp_request header;
    uint64_t io[LATHE_DSP_MAX_IO];
  } run;
} lathe_hexagon_session;

static void dsp_close(lathe_hexagon_session *h);

/* A reply's text, which the DSP side may not have terminated. */
static void text_of(const lathe_dsp_reply *reply, char *text) {
  memcpy(text, reply->text, LATHE_DSP_TEXT_BYTES);
  text[LATHE_DSP_TEXT_BYTES - 1] = 0;
}

/* Asks the DSP side for the name of each of its `count` entries. */
static lathe_status_code read_entry_names(lathe_hexagon_session *h, uint32_t count,
                                          lathe_status *status) {
  if (count == 0)
    return LATHE_OK;
  h->entry_names = h->allocator.allocate(h->allocator.self,
                                         (uint64_t)count * sizeof(*h->entry_names), 8);
  if (!h->entry_names)
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory reading the DSP side's entries");
  h->entry_count = count;
  for (uint32_t i = 0; i < count; ++i) {
    lathe_dsp_request request;
    memset(&request, 0, sizeof(request));
    request.command = LATHE_DSP_ENTRY_NAME;
    request.entry = i;
    lathe_dsp_reply reply;
    lathe_status_code code =
        lathe_dsp_transport_call(h->transport, &request, sizeof(request), &reply, sizeof(reply), status);
    if (code != LATHE_OK)
      return code;
    if (reply.status != LATHE_DSP_DONE)
      return lathe_fail(status, LATHE_BACKEND_ERROR, "hexagon: the DSP side has no entry %u of %u",
                        i, count);
    text_of(&reply, h->entry_names[i]);
  }
  return LATHE_OK;
}

static lathe_status_code dsp_open(const uint8_t *image, uint64_t size, uint64_t shared_bytes,
                                     lathe_allocator allocator, lathe_hexagon_session **out,
                                     uint8_t **shared, lathe_status *status) {
  *out = NULL;
  if (shared_bytes >= (UINT64_C(1) << 31))
    return lathe_fail(status, LATHE_UNSUPPORTED,
                      "hexagon: the session needs %llu bytes of memory; the DSP side addresses "
                      "less than 2 GiB",
                      (unsigned long long)shared_bytes);
  lathe_hexagon_session *h = allocator.allocate(allocator.self, sizeof(*h), 8);
  if (!h)
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory starting the DSP side");
  memset(h, 0, sizeof(*h));
  h->allocator = allocator;
  h->shared_bytes = shared_bytes;
  uint8_t *memory = NULL;
  lathe_status_code code =
      lathe_dsp_transport_open(image, size, shared_bytes, allocator, &h->transport, &memory, status);
  if (code != LATHE_OK) {
    allocator.release(allocator.self, h);
    return code;
  }
  lathe_dsp_request hello;
  memset(&hello, 0, sizeof(hello));
  hello.command = LATHE_DSP_HELLO;
  hello.shared_bytes = shared_bytes;
  lathe_dsp_reply reply;
  code = lathe_dsp_transport_call(h->transport, &hello, sizeof(hello), &reply, sizeof(reply), status);
  if (code == LATHE_OK && (reply.status != LATHE_DSP_DONE || reply.version != LATHE_DSP_PROTOCOL_VERSION)) {
    char text[LATHE_DSP_TEXT_BYTES];
    text_of(&reply, text);
    code = lathe_fail(status, LATHE_BACKEND_ERROR,
                      "hexagon: the DSP side refused to start (protocol %u, this runtime speaks %u)%s%s",
                      reply.version, LATHE_DSP_PROTOCOL_VERSION, text[0] ? ": " : "", text);
  }
  if (code != LATHE_OK) {
    dsp_close(h);
    return code;
  }
  code = read_entry_names(h, reply.entry_count, status);
  if (code != LATHE_OK) {
    dsp_close(h);
    return code;
  }
  *shared = memory;
  *out = h;
  return LATHE_OK;
}

static lathe_status_code dsp_entry(lathe_hexagon_session *h, const char *name, uint32_t *index,
                                      lathe_status *status) {
  for (uint32_t i = 0; i < h->entry_count; ++i)
    if (strcmp(h->entry_names[i], name) == 0) {
      *index = i;
      return LATHE_OK;
    }
  return lathe_fail(status, LATHE_INVALID_ARTIFACT, "hexagon code has no entry '%s'", name);
}

static lathe_status_code dsp_run(lathe_hexagon_session *h, uint32_t entry, uint64_t constants,
                                    uint64_t arena, const uint64_t *io, uint32_t io_count,
                                    lathe_status *status) {
  if (io_count > LATHE_DSP_MAX_IO)
    return lathe_fail(status, LATHE_UNSUPPORTED, "hexagon: a step with %u tensors (at most %u)",
                      io_count, LATHE_DSP_MAX_IO);
  memset(&h->run.header, 0, sizeof(h->run.header));
  h->run.header.command = LATHE_DSP_RUN;
  h->run.header.entry = entry;
  h->run.header.io_count = io_count;
  h->run.header.constants = constants;
  h->run.header.arena = arena;
  memcpy(h->run.io, io, sizeof(uint64_t) * io_count);
  lathe_dsp_reply reply;
  lathe_status_code code =
      lathe_dsp_transport_call(h->transport, &h->run,
                               sizeof(h->run.header) + sizeof(uint64_t) * io_count, &reply,
                               sizeof(reply), status);
  if (code != LATHE_OK)
    return code;
  if (reply.status != LATHE_DSP_DONE) {
    char text[LATHE_DSP_TEXT_BYTES];
    text_of(&reply, text);
    return lathe_fail(status, LATHE_BACKEND_ERROR, "hexagon: the DSP side refused a step: %s", text);
  }
  return LATHE_OK;
}

static void dsp_close(lathe_hexagon_session *h) {
  if (!h)
    return;
  if (h->transport) {
    lathe_dsp_request quit;
    memset(&quit, 0, sizeof(quit));
    quit.command = LATHE_DSP_QUIT;
    lathe_status ignored;
    lathe_dsp_transport_call(h->transport, &quit, sizeof(quit), NULL, 0, &ignored);
    lathe_dsp_transport_close(h->transport);
  }
  lathe_allocator a = h->allocator;
  if (h->entry_names)
    a.release(a.self, h->entry_names);
  a.release(a.self, h);
}

/* A session's DSP side, and each hexagon step's entry in its image. */
typedef struct hexagon_state {
  lathe_hexagon_session *dsp;
  uint32_t *entries;    /* per step of the plan */
  uint64_t *io_offsets; /* one step's buffers, as offsets in the shared memory */
} hexagon_state;

static lathe_status_code check_code(lathe_model *model, lathe_code_desc *code, lathe_status *status) {
  if (model->memory_backend)
    return lathe_fail(status, LATHE_INVALID_ARTIFACT, "artifact has more than one hexagon code section");
  model->memory_backend = &lathe_hexagon_backend;
  return lathe_elf_check(code->blob, code->blob_size, ELFCLASS32, EM_HEXAGON, "hexagon code", status);
}

static void close_session(lathe_session *session) {
  hexagon_state *state = session->backend_state[LATHE_TARGET_HEXAGON];
  if (!state)
    return;
  lathe_allocator a = session->allocator;
  if (state->dsp)
    dsp_close(state->dsp);
  if (state->entries)
    a.release(a.self, state->entries);
  if (state->io_offsets)
    a.release(a.self, state->io_offsets);
  a.release(a.self, state);
  session->backend_state[LATHE_TARGET_HEXAGON] = NULL;
}

/* Starts the session's DSP side: its memory is the session's block. */
static lathe_status_code open_session(lathe_session *session, uint64_t memory_bytes, uint8_t **memory,
                                      lathe_status *status) {
  const lathe_model *m = session->model;
  lathe_allocator a = session->allocator;
  const lathe_code_desc *code = NULL;
  for (uint32_t i = 0; i < m->section_count; ++i)
    if (m->code[i].target == LATHE_TARGET_HEXAGON)
      code = &m->code[i];
  hexagon_state *state = a.allocate(a.self, sizeof(*state), 8);
  if (!state)
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory starting the DSP side");
  memset(state, 0, sizeof(*state));
  session->backend_state[LATHE_TARGET_HEXAGON] = state;
  state->entries = a.allocate(a.self, sizeof(uint32_t) * (m->step_count ? m->step_count : 1), 4);
  state->io_offsets = a.allocate(a.self, sizeof(uint64_t) * (m->max_io ? m->max_io : 1), 8);
  if (!state->entries || !state->io_offsets || !code) {
    close_session(session);
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory starting the DSP side");
  }
  lathe_status_code result =
      dsp_open(code->blob, code->blob_size, memory_bytes, a, &state->dsp, memory, status);
  for (size_t i = 0; result == LATHE_OK && i < m->step_count; ++i)
    if (m->steps[i].target == LATHE_TARGET_HEXAGON)
      result = dsp_entry(state->dsp, m->steps[i].entry_name, &state->entries[i], status);
  if (result != LATHE_OK)
    close_session(session);
  return result;
}

static lathe_status_code run_step(lathe_session *session, size_t index, void **io, lathe_status *status) {
  (void)io; /* the DSP side sees offsets in the shared memory, not host pointers */
  hexagon_state *state = session->backend_state[LATHE_TARGET_HEXAGON];
  const lathe_step *step = &session->model->steps[index];
  for (uint32_t k = 0; k < step->io_count; ++k)
    state->io_offsets[k] = session->offsets[step->slots[k]];
  return dsp_run(state->dsp, state->entries[index],
                           session->constants_offset + step->constants_offset, 0, state->io_offsets,
                           step->io_count, status);
}

const lathe_backend lathe_hexagon_backend = {
    .target = LATHE_TARGET_HEXAGON,
    .shares_session_memory = 1,
    .check_code = check_code,
    .open_session = open_session,
    .close_session = close_session,
    .run_step = run_step,
};
