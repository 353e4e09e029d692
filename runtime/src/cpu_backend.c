/*===- cpu_backend.c - host code loaded from memory -----------------------===*
 *
 * The cpu partitions' code is an ELF shared object inside the artifact. It
 * is checked to lie within its bytes, written to an anonymous memory file
 * (memfd) and dlopen'ed from there: nothing touches the file system. The
 * memory file stays open while its code is loaded: the loader knows an
 * object by its path, /proc/self/fd/N, and a second model's code loaded
 * from a reused descriptor number would be taken for the first's. A step
 * calls its entry directly with its buffers, the constants, the arena and
 * the session's kernel services (its threads).
 *===----------------------------------------------------------------------===*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "internal.h"

#include <dlfcn.h>
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static lathe_status_code check_code(lathe_model *model, lathe_code_desc *code, lathe_status *status) {
  (void)model;
#if defined(__x86_64__)
  return lathe_elf_check(code->blob, code->blob_size, ELFCLASS64, EM_X86_64, "cpu code", status);
#elif defined(__aarch64__)
  return lathe_elf_check(code->blob, code->blob_size, ELFCLASS64, EM_AARCH64, "cpu code", status);
#else
  (void)code;
  return lathe_fail(status, LATHE_UNSUPPORTED, "this runtime's host has no cpu backend");
#endif
}

static lathe_status_code load(lathe_code_desc *code, lathe_status *status) {
  int fd = memfd_create("lathe-cpu-code", MFD_CLOEXEC);
  if (fd < 0)
    return lathe_fail(status, LATHE_BACKEND_ERROR, "cpu backend: memfd_create failed");
  uint64_t written = 0;
  while (written < code->blob_size) {
    ssize_t n = write(fd, code->blob + written, code->blob_size - written);
    if (n <= 0) {
      close(fd);
      return lathe_fail(status, LATHE_BACKEND_ERROR, "cpu backend: cannot write the code");
    }
    written += (uint64_t)n;
  }
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    close(fd);
    const char *why = dlerror();
    return lathe_fail(status, LATHE_BACKEND_ERROR, "cpu backend: cannot load the code: %s",
                      why ? why : "unknown error");
  }
  code->loaded = handle;
  code->loaded_fd = fd;
  return LATHE_OK;
}

static lathe_status_code prepare_step(lathe_model *model, lathe_step *step, lathe_status *status) {
  lathe_code_desc *code = &model->code[step->code_section];
  if (!code->loaded) {
    lathe_status_code result = load(code, status);
    if (result != LATHE_OK)
      return result;
  }
  step->prepared = dlsym(code->loaded, step->entry_name);
  if (!step->prepared)
    return lathe_fail(status, LATHE_INVALID_ARTIFACT, "cpu code has no entry '%s'", step->entry_name);
  return LATHE_OK;
}

static void release_code(lathe_model *model, lathe_code_desc *code) {
  (void)model;
  if (code->loaded) {
    dlclose(code->loaded);
    close(code->loaded_fd);
  }
  code->loaded = NULL;
}

static lathe_status_code run_step(lathe_session *session, size_t index, void **io, lathe_status *status) {
  (void)status;
  const lathe_model *model = session->model;
  const lathe_step *step = &model->steps[index];
  lathe_cpu_entry_fn entry;
  memcpy(&entry, &step->prepared, sizeof(entry));
  entry(io, model->constants + step->constants_offset, session->arena, &session->services);
  return LATHE_OK;
}

const lathe_backend lathe_cpu_backend = {
    .target = LATHE_TARGET_CPU,
    .check_code = check_code,
    .prepare_step = prepare_step,
    .release_code = release_code,
    .run_step = run_step,
};
