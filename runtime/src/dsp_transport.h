/*===- dsp_transport.h - reaching the DSP side of a session -----*- C -*-===*
 *
 * The one place that knows how the DSP side is started and reached. Here:
 * qemu-hexagon in user mode, a socket pair for requests and replies, and a
 * memory file both processes map. On a phone, a FastRPC transport (the
 * image loaded as a skel, the shared block from rpcmem) implements the same
 * three calls.
 *===----------------------------------------------------------------------===*/
#ifndef LATHE_RUNTIME_DSP_TRANSPORT_H
#define LATHE_RUNTIME_DSP_TRANSPORT_H

#include "internal.h"

typedef struct lathe_dsp_transport lathe_dsp_transport;

/* Starts the DSP side running `image` with `shared_bytes` of shared memory;
   `*shared` is the host's view of it. */
lathe_status_code lathe_dsp_transport_open(const uint8_t *image, uint64_t size,
                                           uint64_t shared_bytes, lathe_allocator allocator,
                                           lathe_dsp_transport **transport, uint8_t **shared,
                                           lathe_status *status);
/* Sends a request and waits (with the transport's time limit) for its
   reply; reply_bytes 0 sends without waiting. A DSP side that is gone,
   crashed or late gives a status, and the transport stays failed. */
lathe_status_code lathe_dsp_transport_call(lathe_dsp_transport *transport, const void *request,
                                           uint64_t request_bytes, void *reply,
                                           uint64_t reply_bytes, lathe_status *status);
void lathe_dsp_transport_close(lathe_dsp_transport *transport);

#endif /* LATHE_RUNTIME_DSP_TRANSPORT_H */
