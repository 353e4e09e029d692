/*===- dsp_syscalls.h - the DSP side's system calls -------------*- C -*-===*
 *
 * The DSP side has no libc. Under qemu-hexagon (user mode) it makes Linux
 * system calls directly: `trap0(#1)`, the number in r6, arguments in r0-r5,
 * the result in r0 (negative errno on failure). A FastRPC skel on a phone
 * has QuRT instead, and none of these.
 *===----------------------------------------------------------------------===*/
#ifndef LATHE_DSP_SYSCALLS_H
#define LATHE_DSP_SYSCALLS_H

enum {
  LATHE_SYS_READ = 63,
  LATHE_SYS_WRITE = 64,
  LATHE_SYS_EXIT = 93,
  LATHE_SYS_MMAP2 = 222,
};

static inline long lathe_syscall(long number, long a, long b, long c, long d, long e, long f) {
  register long r0 __asm__("r0") = a;
  register long r1 __asm__("r1") = b;
  register long r2 __asm__("r2") = c;
  register long r3 __asm__("r3") = d;
  register long r4 __asm__("r4") = e;
  register long r5 __asm__("r5") = f;
  register long r6 __asm__("r6") = number;
  __asm__ volatile("trap0(#1)"
                   : "+r"(r0)
                   : "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r6)
                   : "memory");
  return r0;
}

#endif /* LATHE_DSP_SYSCALLS_H */
