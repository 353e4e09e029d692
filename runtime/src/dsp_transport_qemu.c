/*===- dsp_transport_qemu.c - the DSP side under qemu-hexagon --------------===*
 *
 * The DSP side runs as `qemu-hexagon -cpu v67 IMAGE` (user mode: the image's
 * Linux system calls are the host's). It gets three descriptors:
 *   3  one end of a socket pair: requests in, replies out
 *   4  a memory file holding the shared block, which it maps
 *   5  the image itself (an anonymous memory file, run as /proc/self/fd/5)
 * qemu's own diagnostics (a bad image, an uncaught signal) go to a pipe and
 * end up in the status message. Every wait has a time limit
 * (LATHE_HEXAGON_TIMEOUT_MS, default 600000); the simulator is found as
 * LATHE_QEMU_HEXAGON or `qemu-hexagon` on the PATH.
 *===----------------------------------------------------------------------===*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "dsp_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct lathe_dsp_transport {
  lathe_allocator allocator;
  pid_t pid;
  int socket;      /* the host's end */
  int diagnostics; /* read end of qemu's stderr */
  uint8_t *shared;
  uint64_t shared_bytes;
  long timeout_ms;
  int failed;
};

static const char *simulator(void) {
  const char *path = getenv("LATHE_QEMU_HEXAGON");
  return path && *path ? path : "qemu-hexagon";
}

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A descriptor numbered 10 or above, so that the child's dup2 onto 3, 4
   and 5 cannot overwrite one not yet duplicated. */
static int high(int fd) {
  if (fd < 0)
    return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  close(fd);
  return moved;
}

/* What qemu printed, its lines joined by "; " (lines without a letter, such
   as its "**" banners, left out). */
static void read_diagnostics(lathe_dsp_transport *t, char *buffer, size_t size) {
  buffer[0] = 0;
  if (t->diagnostics < 0)
    return;
  char raw[512];
  ssize_t n = read(t->diagnostics, raw, sizeof(raw) - 1);
  if (n <= 0)
    return;
  raw[n] = 0;
  size_t used = 0;
  for (char *line = strtok(raw, "\n"); line; line = strtok(NULL, "\n")) {
    int letters = 0;
    for (const char *c = line; *c; ++c)
      letters |= (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z');
    if (letters && used + 3 < size)
      used += (size_t)snprintf(buffer + used, size - used, "%s%s", used ? "; " : "", line);
  }
}

/* Stops the DSP side and says why it is gone. */
static lathe_status_code gone(lathe_dsp_transport *t, lathe_status *status, const char *what) {
  int wstatus = 0;
  if (t->pid > 0) {
    kill(t->pid, SIGKILL);
    waitpid(t->pid, &wstatus, 0);
    t->pid = 0;
  }
  t->failed = 1;
  char said[200];
  read_diagnostics(t, said, sizeof(said));
  char how[64] = "";
  if (WIFEXITED(wstatus))
    snprintf(how, sizeof(how), " (it exited with status %d)", WEXITSTATUS(wstatus));
  else if (WIFSIGNALED(wstatus) && WTERMSIG(wstatus) != SIGKILL)
    snprintf(how, sizeof(how), " (it was killed by signal %d)", WTERMSIG(wstatus));
  return lathe_fail(status, LATHE_BACKEND_ERROR, "hexagon: the DSP side %s%s%s%s", what, how,
                    said[0] ? ": " : "", said);
}

lathe_status_code lathe_dsp_transport_open(const uint8_t *image, uint64_t size,
                                           uint64_t shared_bytes, lathe_allocator allocator,
                                           lathe_dsp_transport **out, uint8_t **shared,
                                           lathe_status *status) {
  *out = NULL;
  lathe_dsp_transport *t = allocator.allocate(allocator.self, sizeof(*t), 8);
  if (!t)
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory starting the DSP side");
  memset(t, 0, sizeof(*t));
  t->allocator = allocator;
  t->socket = t->diagnostics = -1;
  t->shared = MAP_FAILED;
  const char *limit = getenv("LATHE_HEXAGON_TIMEOUT_MS");
  t->timeout_ms = limit && atol(limit) > 0 ? atol(limit) : 600000;

  int pair[2] = {-1, -1}, errors[2] = {-1, -1};
  int memory = high(memfd_create("lathe-dsp-shared", MFD_CLOEXEC));
  int code = high(memfd_create("lathe-dsp-image", MFD_CLOEXEC));
  lathe_status_code result = LATHE_OK;
  if (memory < 0 || code < 0 || ftruncate(memory, (off_t)shared_bytes) != 0 ||
      socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0 ||
      pipe2(errors, O_CLOEXEC) != 0) {
    result = lathe_fail(status, LATHE_BACKEND_ERROR, "hexagon: cannot set up the DSP side: %s",
                        strerror(errno));
    goto done;
  }
  pair[1] = high(pair[1]);
  errors[1] = high(errors[1]);
  for (uint64_t written = 0; written < size;) {
    ssize_t n = write(code, image + written, size - written);
    if (n <= 0) {
      result = lathe_fail(status, LATHE_BACKEND_ERROR, "hexagon: cannot stage the DSP image");
      goto done;
    }
    written += (uint64_t)n;
  }
  t->shared = mmap(NULL, shared_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, memory, 0);
  if (t->shared == MAP_FAILED) {
    result = lathe_fail(status, LATHE_OUT_OF_MEMORY,
                        "hexagon: cannot map %llu bytes of shared memory",
                        (unsigned long long)shared_bytes);
    goto done;
  }
  t->shared_bytes = shared_bytes;

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pair[1], 3);
  posix_spawn_file_actions_adddup2(&actions, memory, 4);
  posix_spawn_file_actions_adddup2(&actions, code, 5);
  posix_spawn_file_actions_adddup2(&actions, errors[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  char *argv[] = {(char *)simulator(), "-cpu", "v67", "/proc/self/fd/5", NULL};
  int spawned = posix_spawnp(&t->pid, simulator(), &actions, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    t->pid = 0;
    result = lathe_fail(status, LATHE_BACKEND_ERROR,
                        "hexagon: cannot start the simulator '%s': %s (install qemu-user, or set "
                        "LATHE_QEMU_HEXAGON)",
                        simulator(), strerror(spawned));
    goto done;
  }
  t->socket = pair[0];
  pair[0] = -1;
  t->diagnostics = errors[0];
  errors[0] = -1;
  fcntl(t->diagnostics, F_SETFL, O_NONBLOCK);
done:
  for (int i = 0; i < 2; ++i) {
    if (pair[i] >= 0)
      close(pair[i]);
    if (errors[i] >= 0)
      close(errors[i]);
  }
  if (memory >= 0)
    close(memory);
  if (code >= 0)
    close(code);
  if (result != LATHE_OK) {
    lathe_dsp_transport_close(t);
    return result;
  }
  *shared = t->shared;
  *out = t;
  return LATHE_OK;
}

lathe_status_code lathe_dsp_transport_call(lathe_dsp_transport *t, const void *request,
                                           uint64_t request_bytes, void *reply,
                                           uint64_t reply_bytes, lathe_status *status) {
  if (t->failed || t->pid <= 0)
    return lathe_fail(status, LATHE_BACKEND_ERROR,
                      "hexagon: the DSP side of this session has failed before; create a new session");
  const uint8_t *out = request;
  for (uint64_t sent = 0; sent < request_bytes;) {
    ssize_t n = send(t->socket, out + sent, request_bytes - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return gone(t, status, "stopped before taking a request");
    sent += (uint64_t)n;
  }
  long deadline = now_ms() + t->timeout_ms;
  uint8_t *in = reply;
  for (uint64_t received = 0; received < reply_bytes;) {
    long left = deadline - now_ms();
    struct pollfd p = {t->socket, POLLIN, 0};
    int ready = left > 0 ? poll(&p, 1, (int)(left < 1000000 ? left : 1000000)) : 0;
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready == 0 && left <= 0) {
      char what[128];
      snprintf(what, sizeof(what),
               "did not answer within %ld ms (LATHE_HEXAGON_TIMEOUT_MS) and was stopped",
               t->timeout_ms);
      return gone(t, status, what);
    }
    if (ready == 0)
      continue;
    ssize_t n = recv(t->socket, in + received, reply_bytes - received, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return gone(t, status, "stopped before it answered");
    received += (uint64_t)n;
  }
  return LATHE_OK;
}

void lathe_dsp_transport_close(lathe_dsp_transport *t) {
  if (!t)
    return;
  if (t->pid > 0) {
    kill(t->pid, SIGKILL);
    waitpid(t->pid, NULL, 0);
  }
  if (t->socket >= 0)
    close(t->socket);
  if (t->diagnostics >= 0)
    close(t->diagnostics);
  if (t->shared != MAP_FAILED)
    munmap(t->shared, t->shared_bytes);
  lathe_allocator a = t->allocator;
  a.release(a.self, t);
}
