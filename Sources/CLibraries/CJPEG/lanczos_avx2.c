#include "lanczos_avx2.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#include <string.h>

#define AVX2 __attribute__((target("avx2")))

int lanczos_avx2_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

AVX2
void lanczos_avx2_horizontal(const int *first, const int *second, int16_t *out_first, int16_t *out_second,
                             const lanczos_fixed_taps *taps, unsigned count) {
    /* Eight pixels B G R X, four per 128-bit half, become two vectors of 16-bit lanes with
     * pixel k beside pixel k + 1 for each colour, X left out (an opaque image's alpha is 0
     * and the reducer writes 0): pixels (0, 1 | 4, 5) and (2, 3 | 6, 7), to meet the weights
     * laid out the same way in one vpmaddwd each. */
    const __m256i take01 = _mm256_setr_epi8(0, -1, 4, -1, 1, -1, 5, -1, 2, -1, 6, -1, -1, -1, -1, -1,
                                            0, -1, 4, -1, 1, -1, 5, -1, 2, -1, 6, -1, -1, -1, -1, -1);
    const __m256i take23 = _mm256_setr_epi8(8, -1, 12, -1, 9, -1, 13, -1, 10, -1, 14, -1, -1, -1, -1, -1,
                                            8, -1, 12, -1, 9, -1, 13, -1, 10, -1, 14, -1, -1, -1, -1, -1);
    const __m256i round = _mm256_set1_epi32(1 << (LANCZOS_WEIGHT_BITS - LANCZOS_ROW_BITS - 1));
    for (unsigned x = 0; x < count; x += 2) {
        __m256i sums[2];
        for (unsigned i = 0; i < 2; i++) {
            const lanczos_fixed_taps *t = &taps[x + i];
            const __m256i *a = (const __m256i *)(first + t->start), *b = (const __m256i *)(second + t->start);
            const __m256i *w = (const __m256i *)t->weights, *end = w + 2 * t->octets;
            __m256i a0 = _mm256_setzero_si256(), a1 = a0, b0 = a0, b1 = a0;
            for (; w < end; w += 2, a++, b++) {
                __m256i pa = _mm256_loadu_si256(a), pb = _mm256_loadu_si256(b);
                a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_shuffle_epi8(pa, take01), w[0]));
                a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_shuffle_epi8(pa, take23), w[1]));
                b0 = _mm256_add_epi32(b0, _mm256_madd_epi16(_mm256_shuffle_epi8(pb, take01), w[0]));
                b1 = _mm256_add_epi32(b1, _mm256_madd_epi16(_mm256_shuffle_epi8(pb, take23), w[1]));
            }
            /* Each row's sum is split over the two halves: first row's halves beside the
             * second's, then added. */
            __m256i sa = _mm256_add_epi32(a0, a1), sb = _mm256_add_epi32(b0, b1);
            __m256i sum = _mm256_add_epi32(_mm256_permute2x128_si256(sa, sb, 0x20), _mm256_permute2x128_si256(sa, sb, 0x31));
            sums[i] = _mm256_srai_epi32(_mm256_add_epi32(sum, round), LANCZOS_WEIGHT_BITS - LANCZOS_ROW_BITS);
        }
        /* Lane 0: the first row's pixels x and x + 1; lane 1: the second row's. */
        __m256i packed = _mm256_packs_epi32(sums[0], sums[1]);
        _mm_storeu_si128((__m128i *)(out_first + 4 * (size_t)x), _mm256_castsi256_si128(packed));
        _mm_storeu_si128((__m128i *)(out_second + 4 * (size_t)x), _mm256_extracti128_si256(packed, 1));
    }
}

AVX2
void lanczos_avx2_vertical(const int16_t *const *rows, const int32_t *pairs, unsigned pair_count,
                           int *out, unsigned width) {
    const __m256i round = _mm256_set1_epi32(1 << (LANCZOS_WEIGHT_BITS + LANCZOS_ROW_BITS - 1));
    const int shift = LANCZOS_WEIGHT_BITS + LANCZOS_ROW_BITS;
    for (size_t x = 0; x < width; x += 8) {
        /* Eight pixels, 16 bytes of 16-bit lanes each two: rows k and k + 1 interleaved lane by
         * lane meet their weight pair in one vpmaddwd. a0 holds pixels 0 and 2, a1 1 and 3,
         * a2 4 and 6, a3 5 and 7 (unpack works within 128-bit halves). */
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
        for (unsigned p = 0; p < pair_count; p++) {
            const int16_t *r0 = rows[2 * p] + 4 * x, *r1 = rows[2 * p + 1] + 4 * x;
            __m256i w = _mm256_set1_epi32(pairs[p]);
            __m256i u0 = _mm256_loadu_si256((const __m256i *)r0), v0 = _mm256_loadu_si256((const __m256i *)r1);
            __m256i u1 = _mm256_loadu_si256((const __m256i *)(r0 + 16)), v1 = _mm256_loadu_si256((const __m256i *)(r1 + 16));
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_unpacklo_epi16(u0, v0), w));
            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_unpackhi_epi16(u0, v0), w));
            a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(_mm256_unpacklo_epi16(u1, v1), w));
            a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(_mm256_unpackhi_epi16(u1, v1), w));
        }
        a0 = _mm256_srai_epi32(_mm256_add_epi32(a0, round), shift);
        a1 = _mm256_srai_epi32(_mm256_add_epi32(a1, round), shift);
        a2 = _mm256_srai_epi32(_mm256_add_epi32(a2, round), shift);
        a3 = _mm256_srai_epi32(_mm256_add_epi32(a3, round), shift);
        /* Saturating packs clamp to 0-255; the quadwords come out as pixels 01 45 23 67. */
        __m256i bytes = _mm256_packus_epi16(_mm256_packs_epi32(a0, a1), _mm256_packs_epi32(a2, a3));
        bytes = _mm256_permute4x64_epi64(bytes, _MM_SHUFFLE(3, 1, 2, 0));
        if (x + 8 <= width) {
            _mm256_storeu_si256((__m256i *)(out + x), bytes);
        } else {
            int last[8];
            _mm256_storeu_si256((__m256i *)last, bytes);
            memcpy(out + x, last, sizeof(int) * (width - x));
        }
    }
}

#else

int lanczos_avx2_available(void) { return 0; }

void lanczos_avx2_horizontal(const int *first, const int *second, int16_t *out_first, int16_t *out_second,
                             const lanczos_fixed_taps *taps, unsigned count) {
    (void)first, (void)second, (void)out_first, (void)out_second, (void)taps, (void)count;
}

void lanczos_avx2_vertical(const int16_t *const *rows, const int32_t *pairs, unsigned pair_count,
                           int *out, unsigned width) {
    (void)rows, (void)pairs, (void)pair_count, (void)out, (void)width;
}

#endif
