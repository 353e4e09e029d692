/* The machine's fp32 FMA peak on one core, measured: independent chains of
 * vector fused multiply-adds, as many as hide the FMA latency, in the widest
 * vectors the compiler targets (-march=native). Prints GFLOP/s (an FMA is
 * two floating-point operations) as JSON for bench/compare_ort.mjs.
 *
 *   cc -O2 -march=native bench/fma_peak.c -o fma_peak && ./fma_peak
 */
#include <stdio.h>
#include <time.h>

#if defined(__AVX512F__)
#define LANES 16
#elif defined(__AVX__) || defined(__AVX2__)
#define LANES 8
#else
#define LANES 4
#endif
#define CHAINS 12

typedef float vec __attribute__((vector_size(LANES * sizeof(float))));

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
  vec acc[CHAINS], a, b;
  for (int l = 0; l < LANES; ++l) {
    a[l] = 0.999999f;
    b[l] = 1e-7f;
  }
  for (int c = 0; c < CHAINS; ++c)
    acc[c] = a * (float)c;
  double best = 0;
  const long steps = 20000000;
  for (int trial = 0; trial < 5; ++trial) {
    double start = now();
    for (long i = 0; i < steps; ++i)
      for (int c = 0; c < CHAINS; ++c)
        acc[c] = __builtin_elementwise_fma(acc[c], a, b);
    double seconds = now() - start;
    double gflops = 2.0 * LANES * CHAINS * steps / seconds * 1e-9;
    if (gflops > best)
      best = gflops;
  }
  float sink = 0;
  for (int c = 0; c < CHAINS; ++c)
    for (int l = 0; l < LANES; ++l)
      sink += acc[c][l];
  printf("{\"fma_peak_gflops\": %.1f, \"lanes\": %d, \"checksum\": %g}\n", best, LANES, sink);
  return 0;
}
