/*
 * Private SIMD helpers of the Armv7E-M DSP extension (Cortex-M4/M7/M33/M55),
 * shared by the DSP paths of the multiply-accumulate kernels.
 *
 * TE_DSP is 1 where the DSP paths are compiled:
 *  - on an Arm build with __ARM_FEATURE_DSP, through <arm_acle.h> and one
 *    inline-asm form GCC 12 lacks (SXTB16/SXTAB16 with ROR #8, as __ror is
 *    missing);
 *  - on any other build with TE_EMULATE_DSP defined: the same helpers in
 *    portable C with the instructions' exact semantics, so the host can run
 *    the DSP paths under ASan/UBSan and compare them with TF Lite Micro.
 * TE_FORCE_PORTABLE turns the DSP paths off (the firmware's portable build,
 * to measure the ratio).
 *
 * Values pack two int16 lanes in a uint32 (low lane = bits 0-15); lane
 * arithmetic wraps modulo 2^16 like the hardware's.
 */
#ifndef TE_DSP_H
#define TE_DSP_H

#include <stdint.h>
#include <string.h>

#if !defined(TE_FORCE_PORTABLE) && defined(__ARM_FEATURE_DSP) && defined(__arm__)
#define TE_DSP 1
#define TE_DSP_NATIVE 1
#include <arm_acle.h>
#elif !defined(TE_FORCE_PORTABLE) && defined(TE_EMULATE_DSP) && !defined(__arm__)
#define TE_DSP 1
#define TE_DSP_NATIVE 0
#else
#define TE_DSP 0
#endif

#if defined(__GNUC__)
/* For the inner kernels GCC's size heuristics would leave as calls (a call costs more than a short row). */
#define TE_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define TE_ALWAYS_INLINE inline
#endif

/*
 * The high word of (acc << 32) + a * b + 2^31 (SMMLAR). Outside the TE_DSP
 * block: the portable depthwise requantization uses the same exact form.
 */
#if TE_DSP && TE_DSP_NATIVE
static inline int32_t te_smmlar(int32_t a, int32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}
#else
static inline int32_t te_smmlar(int32_t a, int32_t b, int32_t acc)
{
    const uint64_t p = ((uint64_t)(uint32_t)acc << 32) + (uint64_t)((int64_t)a * b) + 0x80000000u;
    return (int32_t)(uint32_t)(p >> 32);
}
#endif

/*
 * Requantization of a doubled sum S = 2 s, for a multiplier m in (2^30, 2^31)
 * and a right shift e >= 1 (te_rqd_make: e <= 23). The one-SMLAL form of TF Lite's
 * MultiplyByQuantizedMultiplier, floor((s m + 2^30 + 2^(30+e) - [s < 0] 2^31)
 * / 2^(31+e)), with numerator and denominator doubled, leaves every term but
 * S m and the 2^31 rounding constant a whole multiple of 2^32: the value
 * plus the output offset z is SMMLAR(S, m, (2z + 1) 2^(e-1) - [S < 0]) >> e.
 * Callers keep S, k and the SMMLAR high word in range (|S m / 2^32| < 2^29,
 * |k| < 2^29); the pointwise and first-conv kernels
 * (te_mac_dsp.h), the depthwise rows (te_dw_rows.h) and the squeeze-and-excite
 * MUL (te_mul_fast.h) share it.
 */
typedef struct {
    int32_t m; /* multiplier */
    int32_t k; /* (2 out_off + 1) 2^(e-1) */
    int32_t e; /* right shift */
} te_rqd;

static inline te_rqd te_rqd_make(int32_t multiplier, int32_t shift, int32_t out_off)
{
    te_rqd q;
    q.m = multiplier;
    q.e = -shift;
    q.k = (int32_t)((uint32_t)(2 * out_off + 1) << (q.e - 1));
    return q;
}

/* TF Lite's requantization of S / 2 plus the output offset, before the clamp. */
static inline int32_t te_rqd_rq(int32_t s2, te_rqd q) { return te_smmlar(s2, q.m, q.k + (s2 >> 31)) >> q.e; }

#if TE_DSP

/* Four int8 from any address (LDR is unaligned-safe on Armv7E-M; memcpy compiles to it). */
static inline uint32_t te_ld4(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline void te_st4(int8_t *p, uint32_t v) { memcpy(p, &v, 4); }

#if TE_DSP_NATIVE

/* Bytes 0 and 2, sign-extended to two int16 lanes. */
static inline uint32_t te_sxtb16(uint32_t x) { return (uint32_t)__sxtb16((int32_t)x); }

/* Bytes 1 and 3, sign-extended to two int16 lanes. */
static inline uint32_t te_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* a + bytes 0 and 2 of x, lane by lane. */
static inline uint32_t te_sxtab16(uint32_t a, uint32_t x) { return (uint32_t)__sxtab16((int32_t)a, (int32_t)x); }

/* a + bytes 1 and 3 of x, lane by lane. */
static inline uint32_t te_sxtab16_ror8(uint32_t a, uint32_t x)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
    return r;
}

/* acc + lo(a) * lo(b) + hi(a) * hi(b) (wraps modulo 2^32). */
static inline int32_t te_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlad((int16x2_t)a, (int16x2_t)b, acc);
}

/* acc + lo(a) * lo(b), acc + hi(a) * hi(b): one lane each. */
static inline int32_t te_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smlabb %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}

static inline int32_t te_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smlatt %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}

/* acc + lo(a) * hi(b), acc + hi(a) * lo(b): the crossed lanes. */
static inline int32_t te_smlabt(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smlabt %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}

static inline int32_t te_smlatb(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smlatb %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}

/* The high word of (hi:lo) + a * b, signed 64-bit (SMLAL; the low word is dropped). */
static inline int32_t te_smlal_hi(uint32_t lo, int32_t hi, int32_t a, int32_t b)
{
    __asm__("smlal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(a), "r"(b));
    return hi;
}

/* x saturated to [-128, 127] (SSAT #8). */
static inline int32_t te_ssat8(int32_t x)
{
    int32_t r;
    __asm__("ssat %0, #8, %1" : "=r"(r) : "r"(x));
    return r;
}

#else /* emulation: the instructions' semantics in portable C */

static inline int32_t te_lane_lo(uint32_t x) { return (int32_t)(int16_t)(uint16_t)(x & 0xFFFFu); }
static inline int32_t te_lane_hi(uint32_t x) { return (int32_t)(int16_t)(uint16_t)(x >> 16); }
static inline uint32_t te_byte_s(uint32_t x, int k) { return (uint32_t)(int32_t)(int8_t)(uint8_t)(x >> (8 * k)); }
static inline uint32_t te_pack16(uint32_t lo, uint32_t hi) { return (lo & 0xFFFFu) | ((hi & 0xFFFFu) << 16); }

static inline uint32_t te_sxtb16(uint32_t x) { return te_pack16(te_byte_s(x, 0), te_byte_s(x, 2)); }
static inline uint32_t te_sxtb16_ror8(uint32_t x) { return te_pack16(te_byte_s(x, 1), te_byte_s(x, 3)); }
static inline uint32_t te_sxtab16(uint32_t a, uint32_t x)
{
    return te_pack16((a & 0xFFFFu) + te_byte_s(x, 0), (a >> 16) + te_byte_s(x, 2));
}
static inline uint32_t te_sxtab16_ror8(uint32_t a, uint32_t x)
{
    return te_pack16((a & 0xFFFFu) + te_byte_s(x, 1), (a >> 16) + te_byte_s(x, 3));
}
static inline int32_t te_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    const uint32_t p0 = (uint32_t)(te_lane_lo(a) * te_lane_lo(b));
    const uint32_t p1 = (uint32_t)(te_lane_hi(a) * te_lane_hi(b));
    return (int32_t)((uint32_t)acc + p0 + p1);
}
static inline int32_t te_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(te_lane_lo(a) * te_lane_lo(b)));
}
static inline int32_t te_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(te_lane_hi(a) * te_lane_hi(b)));
}
static inline int32_t te_smlabt(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(te_lane_lo(a) * te_lane_hi(b)));
}
static inline int32_t te_smlatb(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(te_lane_hi(a) * te_lane_lo(b)));
}

static inline int32_t te_smlal_hi(uint32_t lo, int32_t hi, int32_t a, int32_t b)
{
    const uint64_t acc = ((uint64_t)(uint32_t)hi << 32) | lo;
    return (int32_t)(uint32_t)((acc + (uint64_t)((int64_t)a * b)) >> 32);
}
static inline int32_t te_ssat8(int32_t x) { return x < -128 ? -128 : (x > 127 ? 127 : x); }

#endif /* TE_DSP_NATIVE */

/* Two int16 lanes holding v each (v in [-32768, 32767]). */
static inline uint32_t te_dup16(int32_t v) { return ((uint32_t)v & 0xFFFFu) * 0x00010001u; }

#endif /* TE_DSP */

#endif /* TE_DSP_H */
