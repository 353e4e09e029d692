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

#include <string.h>

struct lathe_hexagon_session {
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
};

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

lathe_status_code lathe_hexagon_open(const uint8_t *image, uint64_t size, uint64_t shared_bytes,
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
    lathe_hexagon_close(h);
    return code;
  }
  code = read_entry_names(h, reply.entry_count, status);
  if (code != LATHE_OK) {
    lathe_hexagon_close(h);
    return code;
  }
  *shared = memory;
  *out = h;
  return LATHE_OK;
}

lathe_status_code lathe_hexagon_entry(lathe_hexagon_session *h, const char *name, uint32_t *index,
                                      lathe_status *status) {
  for (uint32_t i = 0; i < h->entry_count; ++i)
    if (strcmp(h->entry_names[i], name) == 0) {
      *index = i;
      return LATHE_OK;
    }
  return lathe_fail(status, LATHE_INVALID_ARTIFACT, "hexagon code has no entry '%s'", name);
}

lathe_status_code lathe_hexagon_run(lathe_hexagon_session *h, uint32_t entry, uint64_t constants,
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

void lathe_hexagon_close(lathe_hexagon_session *h) {
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
