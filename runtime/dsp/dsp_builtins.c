/*===- dsp_builtins.c - what compiled kernels call on the DSP side ---------===*
 *
 * LLVM's Hexagon backend turns some operations into calls: memory copies,
 * integer division (the core has no divider), f32 square root, rounding to
 * an integer and remainder. There is no libc or compiler-rt for Hexagon on
 * this machine, so the DSP side carries its own, written with shifts and
 * compares only (a `/` here would call itself). Results are exact (f32
 * square root correctly rounded, as IEEE 754 asks).
 *===----------------------------------------------------------------------===*/
#include <stddef.h>
#include <stdint.h>

/*--- memory ---------------------------------------------------------------*/

void *memcpy(void *dst, const void *src, size_t n) {
  uint8_t *d = dst;
  const uint8_t *s = src;
  if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
    for (; n >= 8; n -= 8, d += 8, s += 8)
      *(uint64_t *)d = *(const uint64_t *)s;
  }
  while (n--)
    *d++ = *s++;
  return dst;
}

/* What LLVM calls for a copy of a constant size, a multiple of 8 bytes and
   at least 32, between (likely) 8-byte aligned buffers. */
void *__hexagon_memcpy_likely_aligned_min32bytes_mult8bytes(void *dst, const void *src, size_t n) {
  return memcpy(dst, src, n);
}

void *memmove(void *dst, const void *src, size_t n) {
  uint8_t *d = dst;
  const uint8_t *s = src;
  if (d <= s || d >= s + n)
    return memcpy(dst, src, n);
  while (n--)
    d[n] = s[n];
  return dst;
}

void *memset(void *dst, int value, size_t n) {
  uint8_t *d = dst;
  while (n--)
    *d++ = (uint8_t)value;
  return dst;
}

/*--- integer division -----------------------------------------------------*/

/* Restoring division; a zero divisor gives an all-ones quotient (as most
   hardware dividers do) instead of a trap. */
static uint64_t divide_u64(uint64_t n, uint64_t d, uint64_t *remainder) {
  if (d == 0) {
    *remainder = n;
    return ~UINT64_C(0);
  }
  uint64_t q = 0, r = 0;
  for (int bit = 63; bit >= 0; --bit) {
    r = (r << 1) | ((n >> bit) & 1);
    if (r >= d) {
      r -= d;
      q |= UINT64_C(1) << bit;
    }
  }
  *remainder = r;
  return q;
}

static uint32_t divide_u32(uint32_t n, uint32_t d, uint32_t *remainder) {
  if (d == 0) {
    *remainder = n;
    return ~UINT32_C(0);
  }
  uint32_t q = 0, r = 0;
  for (int bit = 31; bit >= 0; --bit) {
    r = (r << 1) | ((n >> bit) & 1);
    if (r >= d) {
      r -= d;
      q |= UINT32_C(1) << bit;
    }
  }
  *remainder = r;
  return q;
}

uint32_t __hexagon_udivsi3(uint32_t n, uint32_t d) {
  uint32_t r;
  return divide_u32(n, d, &r);
}
uint32_t __hexagon_umodsi3(uint32_t n, uint32_t d) {
  uint32_t r;
  divide_u32(n, d, &r);
  return r;
}
int32_t __hexagon_divsi3(int32_t n, int32_t d) {
  uint32_t r, q = divide_u32(n < 0 ? -(uint32_t)n : (uint32_t)n, d < 0 ? -(uint32_t)d : (uint32_t)d, &r);
  return (n < 0) != (d < 0) ? -(int32_t)q : (int32_t)q;
}
int32_t __hexagon_modsi3(int32_t n, int32_t d) {
  uint32_t r;
  divide_u32(n < 0 ? -(uint32_t)n : (uint32_t)n, d < 0 ? -(uint32_t)d : (uint32_t)d, &r);
  return n < 0 ? -(int32_t)r : (int32_t)r;
}
uint64_t __hexagon_udivdi3(uint64_t n, uint64_t d) {
  uint64_t r;
  return divide_u64(n, d, &r);
}
uint64_t __hexagon_umoddi3(uint64_t n, uint64_t d) {
  uint64_t r;
  divide_u64(n, d, &r);
  return r;
}
int64_t __hexagon_divdi3(int64_t n, int64_t d) {
  uint64_t r, q = divide_u64(n < 0 ? -(uint64_t)n : (uint64_t)n, d < 0 ? -(uint64_t)d : (uint64_t)d, &r);
  return (n < 0) != (d < 0) ? -(int64_t)q : (int64_t)q;
}
int64_t __hexagon_moddi3(int64_t n, int64_t d) {
  uint64_t r;
  divide_u64(n < 0 ? -(uint64_t)n : (uint64_t)n, d < 0 ? -(uint64_t)d : (uint64_t)d, &r);
  return n < 0 ? -(int64_t)r : (int64_t)r;
}

/*--- f32 ------------------------------------------------------------------*/

static uint32_t bits_of(float f) {
  union {
    float f;
    uint32_t u;
  } v = {f};
  return v.u;
}

static float float_of(uint32_t u) {
  union {
    uint32_t u;
    float f;
  } v = {u};
  return v.f;
}

static const uint32_t kQuietNaN = 0x7fc00000u;

/* x * 2^-k for a mantissa with its implicit bit and an unbiased exponent:
   the float nearest to m * 2^(e - 23), rounded to nearest even, with
   `sticky` saying whether bits below m were lost. m has 24 bits or more. */
static float pack(uint32_t sign, uint64_t m, int e, int sticky) {
  while (m >= (UINT64_C(1) << 25)) {
    sticky |= (int)(m & 1);
    m >>= 1;
    ++e;
  }
  /* m has 24 or 25 bits: with 25 the lowest is the rounding bit. */
  if (m >= (UINT64_C(1) << 24)) {
    int round = (int)(m & 1);
    m >>= 1;
    ++e;
    if (round && (sticky || (m & 1)))
      ++m;
    if (m == (UINT64_C(1) << 24)) {
      m >>= 1;
      ++e;
    }
  }
  if (e > 127)
    return float_of(sign | 0x7f800000u);
  return float_of(sign | ((uint32_t)(e + 127) << 23) | ((uint32_t)m & 0x7fffffu));
}

float __hexagon_sqrtf(float x) {
  uint32_t ix = bits_of(x);
  if ((ix & 0x7fffffffu) == 0 || ix == 0x7f800000u || (ix & 0x7fffffffu) > 0x7f800000u)
    return x; /* +-0, +inf, NaN */
  if (ix >> 31)
    return float_of(kQuietNaN);
  int e = (int)(ix >> 23);
  uint64_t m = ix & 0x7fffffu;
  if (e == 0) { /* subnormal: normalize */
    e = 1;
    while (!(m & 0x800000u)) {
      m <<= 1;
      --e;
    }
  } else {
    m |= 0x800000u;
  }
  /* x = m * 2^(e - 150); make the exponent even, then scale m up so that
     its square root has two bits below the 24 kept. */
  int scale = e - 150;
  if (scale & 1) {
    m <<= 1;
    --scale;
  }
  m <<= 26;
  scale -= 26;
  /* Integer square root, one bit at a time. */
  uint64_t root = 0, rest = m, bit = UINT64_C(1) << 62;
  while (bit > rest)
    bit >>= 2;
  while (bit) {
    if (rest >= root + bit) {
      rest -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  /* sqrt(x) = root * 2^(scale / 2), root of 25 or 26 bits. */
  return pack(0, root, scale / 2 + 23, rest != 0);
}

float sqrtf(float x) { return __hexagon_sqrtf(x); }

float truncf(float x) {
  uint32_t ix = bits_of(x);
  int e = (int)((ix >> 23) & 0xff) - 127;
  if (e >= 23)
    return x; /* integral already, or inf, or NaN */
  if (e < 0)
    return float_of(ix & 0x80000000u);
  return float_of(ix & ~(0x7fffffu >> e));
}

float floorf(float x) {
  float t = truncf(x);
  return x < 0 && t != x ? t - 1.0f : t;
}

float ceilf(float x) {
  float t = truncf(x);
  return x > 0 && t != x ? t + 1.0f : t;
}

static float fabs_of(float x) { return float_of(bits_of(x) & 0x7fffffffu); }

/* Halfway cases away from zero. */
float roundf(float x) {
  float t = truncf(x);
  if (fabs_of(x - t) >= 0.5f)
    t += x < 0 ? -1.0f : 1.0f;
  return t;
}

/* Halfway cases to even. */
float roundevenf(float x) {
  float t = truncf(x);
  float d = fabs_of(x - t);
  if (d > 0.5f || (d == 0.5f && fabs_of(t) < 16777216.0f && ((int32_t)t & 1)))
    t += x < 0 ? -1.0f : 1.0f;
  return t;
}

float rintf(float x) { return roundevenf(x); }
float nearbyintf(float x) { return roundevenf(x); }

/* The exact remainder x - n*y, n = trunc(x / y), by long division of the
   mantissas. */
float fmodf(float x, float y) {
  uint32_t ix = bits_of(x), iy = bits_of(y), sign = ix & 0x80000000u;
  uint32_t ax = ix & 0x7fffffffu, ay = iy & 0x7fffffffu;
  if (ay == 0 || ax >= 0x7f800000u || ay > 0x7f800000u)
    return float_of(kQuietNaN);
  if (ax < ay)
    return x;
  int ex = (int)(ax >> 23), ey = (int)(ay >> 23);
  uint32_t mx = ax & 0x7fffffu, my = ay & 0x7fffffu;
  if (ex == 0) {
    for (ex = 1; !(mx & 0x800000u); --ex)
      mx <<= 1;
  } else {
    mx |= 0x800000u;
  }
  if (ey == 0) {
    for (ey = 1; !(my & 0x800000u); --ey)
      my <<= 1;
  } else {
    my |= 0x800000u;
  }
  for (; ex > ey; --ex) {
    if (mx >= my)
      mx -= my;
    mx <<= 1;
  }
  if (mx >= my)
    mx -= my;
  if (mx == 0)
    return float_of(sign);
  while (!(mx & 0x800000u)) {
    mx <<= 1;
    --ex;
  }
  if (ex <= 0) /* subnormal: exact, the low bits are zero */
    return float_of(sign | (mx >> (1 - ex)));
  return float_of(sign | ((uint32_t)ex << 23) | (mx & 0x7fffffu));
}
