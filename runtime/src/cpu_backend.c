/*===- cpu_backend.c - host code loaded from memory -----------------------===*
 *
 * The cpu partitions' code is an ELF shared object inside the artifact. It
 * is written to an anonymous memory file (memfd) and dlopen'ed from there:
 * nothing touches the file system.
 *===----------------------------------------------------------------------===*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "internal.h"

#include <dlfcn.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

lathe_status_code lathe_cpu_load(const uint8_t *code, uint64_t size, lathe_backend_module *module,
                                 lathe_status *status) {
  if (size < 64 || code[0] != 0x7f || code[1] != 'E' || code[2] != 'L' || code[3] != 'F')
    return lathe_fail(status, LATHE_INVALID_ARTIFACT, "cpu code section is not an ELF object");
  int fd = memfd_create("lathe-cpu-code", MFD_CLOEXEC);
  if (fd < 0)
    return lathe_fail(status, LATHE_BACKEND_ERROR, "cpu backend: memfd_create failed");
  uint64_t written = 0;
  while (written < size) {
    ssize_t n = write(fd, code + written, size - written);
    if (n <= 0) {
      close(fd);
      return lathe_fail(status, LATHE_BACKEND_ERROR, "cpu backend: cannot write the code");
    }
    written += (uint64_t)n;
  }
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  close(fd);
  if (!handle) {
    const char *why = dlerror();
    return lathe_fail(status, LATHE_BACKEND_ERROR, "cpu backend: cannot load the code: %s",
                      why ? why : "unknown error");
  }
  module->handle = handle;
  return LATHE_OK;
}

lathe_status_code lathe_cpu_symbol(lathe_backend_module *module, const char *name,
                                   lathe_entry_fn *entry, lathe_status *status) {
  void *symbol = dlsym(module->handle, name);
  if (!symbol)
    return lathe_fail(status, LATHE_INVALID_ARTIFACT, "cpu code has no entry '%s'", name);
  *entry = (lathe_entry_fn)symbol;
  return LATHE_OK;
}

void lathe_cpu_unload(lathe_backend_module *module) {
  if (module->handle)
    dlclose(module->handle);
  module->handle = NULL;
}
