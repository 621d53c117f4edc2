#ifndef CJPEG_LANCZOS_AVX2_H
#define CJPEG_LANCZOS_AVX2_H
#include <stdint.h>

/* The reducer's inner loops for opaque images in fixed point, on CPUs with AVX2: 8-bit pixels
 * times 16-bit weights, sixteen multiply-adds per instruction (vpmaddwd), where the float
 * loops do eight. Weights are scaled by 2^14; the horizontally reduced rows in between are
 * 16-bit B, G, R, 0 scaled by 2^6 (a 64th of a level, room for the filter's overshoot). */

#define LANCZOS_WEIGHT_BITS 14
#define LANCZOS_ROW_BITS 6

/* One destination pixel's horizontal taps, in octets of source pixels. Each octet's weights
 * are two vectors of 16 lanes laid out as vpmaddwd meets the pixels: (w0 w1) four times,
 * then (w4 w5) four times; (w2 w3), then (w6 w7). */
typedef struct {
    unsigned start;          /* first source pixel; octets from here stay in the row */
    unsigned octets;         /* groups of eight taps, zero weights as padding */
    const int16_t *weights;  /* 32 * octets, 32-byte aligned */
} lanczos_fixed_taps;

/* 1 when this CPU has AVX2 (x86-64 only). */
int lanczos_avx2_available(void);

/* Reduces two source rows (libgd pixels; the alpha byte is ignored) to `count` pixels each
 * (`count` even: taps has that many entries) of 16-bit lanes. The rows may be the same. */
void lanczos_avx2_horizontal(const int *first, const int *second, int16_t *out_first, int16_t *out_second,
                             const lanczos_fixed_taps *taps, unsigned count);

/* One destination row of `width` libgd pixels (alpha 0) from 2 * pair_count reduced rows
 * (each at least `width` rounded up to 8 pixels long) and their weight pairs. */
void lanczos_avx2_vertical(const int16_t *const *rows, const int32_t *pairs, unsigned pair_count,
                           int *out, unsigned width);

#endif
