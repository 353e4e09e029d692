/*===- dsp_main.c - the DSP side of the runtime ----------------------------===*
 *
 * Built freestanding for Hexagon and linked by the compiler with the hexagon
 * partitions of a model and their entry table into one executable image.
 * It maps the memory it shares with the host, then serves requests
 * (dsp_protocol.h) on descriptor 3 until told to quit or the host goes
 * away: each RUN calls one partition's entry, exactly as the cpu backend
 * calls a cpu partition.
 *===----------------------------------------------------------------------===*/
#include "dsp_protocol.h"
#include "dsp_syscalls.h"

typedef void (*lathe_dsp_entry_fn)(void **io, const uint8_t *constants, uint8_t *arena);

typedef struct lathe_dsp_entry {
  const char *name;
  lathe_dsp_entry_fn function;
} lathe_dsp_entry;

/* Written by the compiler next to the partitions. */
extern const uint32_t lathe_dsp_entry_count;
extern const lathe_dsp_entry lathe_dsp_entries[];

enum { kChannel = 3, kSharedMemory = 4 };

static uint8_t *shared;
static uint32_t shared_bytes;
static struct {
  lathe_dsp_request header;
  uint64_t io[LATHE_DSP_MAX_IO];
} request;
static void *io[LATHE_DSP_MAX_IO];

static void quit(int code) {
  for (;;)
    lathe_syscall(LATHE_SYS_EXIT, code, 0, 0, 0, 0, 0);
}

/* Reads exactly `size` bytes; the host gone means quit. */
static void receive(void *buffer, uint32_t size) {
  uint8_t *p = buffer;
  while (size) {
    long n = lathe_syscall(LATHE_SYS_READ, kChannel, (long)p, size, 0, 0, 0);
    if (n == -4) /* EINTR */
      continue;
    if (n <= 0)
      quit(0);
    p += n;
    size -= (uint32_t)n;
  }
}

static void send(const void *buffer, uint32_t size) {
  const uint8_t *p = buffer;
  while (size) {
    long n = lathe_syscall(LATHE_SYS_WRITE, kChannel, (long)p, size, 0, 0, 0);
    if (n == -4)
      continue;
    if (n <= 0)
      quit(1);
    p += n;
    size -= (uint32_t)n;
  }
}

static void say(lathe_dsp_reply *reply, const char *text) {
  uint32_t i = 0;
  for (; text[i] && i + 1 < LATHE_DSP_TEXT_BYTES; ++i)
    reply->text[i] = text[i];
  reply->text[i] = 0;
}

static void serve(void) {
  for (;;) {
    receive(&request.header, sizeof(request.header));
    lathe_dsp_reply reply = {LATHE_DSP_DONE, LATHE_DSP_PROTOCOL_VERSION, lathe_dsp_entry_count, 0, {0}};
    const lathe_dsp_request *r = &request.header;
    switch (r->command) {
    case LATHE_DSP_HELLO: {
      long address = lathe_syscall(LATHE_SYS_MMAP2, 0, (long)r->shared_bytes, 3 /* read, write */,
                                   1 /* shared */, kSharedMemory, 0);
      if (r->shared_bytes >= (UINT64_C(1) << 31) || (address < 0 && address > -4096)) {
        reply.status = LATHE_DSP_NO_MEMORY;
        say(&reply, "cannot map the shared memory");
        break;
      }
      shared = (uint8_t *)address;
      shared_bytes = (uint32_t)r->shared_bytes;
      break;
    }
    case LATHE_DSP_ENTRY_NAME:
      if (r->entry >= lathe_dsp_entry_count) {
        reply.status = LATHE_DSP_BAD_REQUEST;
        say(&reply, "no such entry");
        break;
      }
      say(&reply, lathe_dsp_entries[r->entry].name);
      break;
    case LATHE_DSP_RUN: {
      if (r->io_count > LATHE_DSP_MAX_IO) {
        reply.status = LATHE_DSP_BAD_REQUEST;
        say(&reply, "too many tensors");
        break;
      }
      receive(request.io, r->io_count * (uint32_t)sizeof(uint64_t));
      int valid = shared && r->entry < lathe_dsp_entry_count && r->constants <= shared_bytes &&
                  r->arena <= shared_bytes;
      for (uint32_t i = 0; valid && i < r->io_count; ++i) {
        valid = request.io[i] < shared_bytes;
        io[i] = shared + (uint32_t)request.io[i];
      }
      if (!valid) {
        reply.status = LATHE_DSP_BAD_REQUEST;
        say(&reply, "an entry or offset outside the image or the shared memory");
        break;
      }
      lathe_dsp_entries[r->entry].function(io, shared + (uint32_t)r->constants,
                                           shared + (uint32_t)r->arena);
      break;
    }
    case LATHE_DSP_QUIT:
      quit(0);
      break;
    default:
      reply.status = LATHE_DSP_BAD_REQUEST;
      say(&reply, "unknown command");
    }
    send(&reply, sizeof(reply));
  }
}

void _start(void) {
  serve();
  quit(0);
}
