/*===- dsp_protocol.h - messages between the host and the DSP side -*- C -*-===*
 *
 * The host runtime and the DSP side of a hexagon session share one block of
 * memory (tensors, arena, constants) and exchange small messages over the
 * transport: a request, answered by one reply. Pointers never cross: the
 * host sends offsets into the shared block. Both sides are little-endian
 * and lay these structs out the same way (fixed-width fields only).
 *===----------------------------------------------------------------------===*/
#ifndef LATHE_DSP_PROTOCOL_H
#define LATHE_DSP_PROTOCOL_H

#include <stdint.h>

#define LATHE_DSP_PROTOCOL_VERSION 1u
#define LATHE_DSP_MAX_IO 1024u
#define LATHE_DSP_TEXT_BYTES 112u

enum lathe_dsp_command {
  /* Map the shared block (shared_bytes); the reply gives the protocol
     version and the number of entries in the image. */
  LATHE_DSP_HELLO = 1,
  /* The name of entry `entry`, in the reply's text. */
  LATHE_DSP_ENTRY_NAME = 2,
  /* Run entry `entry`; io_count offsets of its buffers follow the request. */
  LATHE_DSP_RUN = 3,
  /* Exit. No reply. */
  LATHE_DSP_QUIT = 4,
};

typedef struct lathe_dsp_request {
  uint32_t command;
  uint32_t entry;
  uint32_t io_count;
  uint32_t reserved;
  uint64_t shared_bytes;
  uint64_t constants; /* offsets in the shared block */
  uint64_t arena;
} lathe_dsp_request;

enum lathe_dsp_reply_status {
  LATHE_DSP_DONE = 0,
  LATHE_DSP_BAD_REQUEST = 1,
  LATHE_DSP_NO_MEMORY = 2,
};

typedef struct lathe_dsp_reply {
  uint32_t status;
  uint32_t version;
  uint32_t entry_count;
  uint32_t reserved;
  char text[LATHE_DSP_TEXT_BYTES]; /* an entry's name, or why a request failed */
} lathe_dsp_reply;

#endif /* LATHE_DSP_PROTOCOL_H */
