/*===- elf_image.c - an ELF image lies within its bytes -------------------===*
 *
 * The cpu backend hands its code to the dynamic loader and the hexagon
 * backend to the DSP side; both map the segments the program headers name.
 * A segment past the end of a (truncated or tampered) image faults when it
 * is touched, in the loader, far from any status. So before either sees an
 * image, its ELF header, program headers and every loadable segment's file
 * bytes are checked to lie within it, and its class and machine to be the
 * ones the backend runs.
 *===----------------------------------------------------------------------===*/
#include "internal.h"

#include <elf.h>
#include <string.h>

static lathe_status_code bad(lathe_status *status, const char *what, const char *why) {
  return lathe_fail(status, LATHE_INVALID_ARTIFACT, "%s is not a whole ELF image: %s", what, why);
}

lathe_status_code lathe_elf_check(const uint8_t *image, uint64_t size, int elf_class,
                                  uint16_t machine, const char *what, lathe_status *status) {
  if (size < EI_NIDENT || memcmp(image, ELFMAG, SELFMAG) != 0)
    return bad(status, what, "no ELF magic");
  if (image[EI_CLASS] != elf_class || image[EI_DATA] != ELFDATA2LSB)
    return bad(status, what, "another ELF class or byte order");
  uint64_t phoff, phnum, phentsize, shoff, shnum, shentsize;
  uint16_t type, found_machine;
  /* The same fields of either class's header. */
#define LATHE_READ_ELF_HEADER(Ehdr, Phdr)                                                          \
  do {                                                                                             \
    Ehdr h;                                                                                        \
    if (size < sizeof(h))                                                                          \
      return bad(status, what, "truncated header");                                                \
    memcpy(&h, image, sizeof(h));                                                                  \
    type = h.e_type, found_machine = h.e_machine;                                                  \
    phoff = h.e_phoff, phnum = h.e_phnum, phentsize = h.e_phentsize;                               \
    shoff = h.e_shoff, shnum = h.e_shnum, shentsize = h.e_shentsize;                               \
    if (phentsize != sizeof(Phdr))                                                                 \
      return bad(status, what, "program headers of another size");                                \
  } while (0)
  if (elf_class == ELFCLASS64)
    LATHE_READ_ELF_HEADER(Elf64_Ehdr, Elf64_Phdr);
  else
    LATHE_READ_ELF_HEADER(Elf32_Ehdr, Elf32_Phdr);
#undef LATHE_READ_ELF_HEADER
  if (found_machine != machine)
    return lathe_fail(status, LATHE_UNSUPPORTED,
                      "%s is for ELF machine %u; this runtime runs machine %u", what, found_machine,
                      machine);
  if (type != ET_DYN && type != ET_EXEC)
    return bad(status, what, "neither a shared object nor an executable");
  if (phnum == 0 || !lathe_within(size, phoff, phnum * phentsize))
    return bad(status, what, "program headers outside the image");
  if (shnum && !lathe_within(size, shoff, shnum * shentsize))
    return bad(status, what, "section headers outside the image");
  int loads = 0;
  for (uint64_t i = 0; i < phnum; ++i) {
    uint64_t offset, filesz, memsz, ptype;
    if (elf_class == ELFCLASS64) {
      Elf64_Phdr p;
      memcpy(&p, image + phoff + i * phentsize, sizeof(p));
      ptype = p.p_type, offset = p.p_offset, filesz = p.p_filesz, memsz = p.p_memsz;
    } else {
      Elf32_Phdr p;
      memcpy(&p, image + phoff + i * phentsize, sizeof(p));
      ptype = p.p_type, offset = p.p_offset, filesz = p.p_filesz, memsz = p.p_memsz;
    }
    if (ptype == PT_NULL)
      continue;
    if (!lathe_within(size, offset, filesz))
      return bad(status, what, "a segment outside the image");
    if (ptype == PT_LOAD) {
      ++loads;
      if (memsz < filesz || memsz > LATHE_MAX_TENSOR_BYTES)
        return bad(status, what, "a loadable segment of an impossible size");
    }
  }
  if (!loads)
    return bad(status, what, "nothing to load");
  return LATHE_OK;
}
