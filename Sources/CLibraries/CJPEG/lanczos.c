#include "lanczos.h"
#include "lanczos_avx2.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Four lanes: blue, green and red premultiplied by opacity, then opacity (0-1). Clang and GCC
 * turn these into SSE/NEON operations. Premultiplying keeps the colour of transparent pixels
 * (often black) from bleeding into their neighbours. */
typedef float v4f __attribute__((vector_size(16)));
typedef float v8f __attribute__((vector_size(32)));  /* two pixels: two rows, or two columns */
typedef int v4i __attribute__((vector_size(16)));
typedef unsigned char v4b __attribute__((vector_size(4)));

/* x86-64 gets a second build for CPUs with AVX2 and FMA (a fused multiply-add per tap),
 * picked when the library loads; elsewhere the portable code is all there is. */
#if defined(__x86_64__) && defined(__ELF__) && defined(__clang__)
#define CPU_VARIANTS __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define CPU_VARIANTS
#endif

/* The taps of one destination pixel along one axis. */
typedef struct {
    unsigned start, count;
    const float *weights;
} taps;

struct lanczos_reducer {
    unsigned src_width, src_height, dst_width, dst_height;
    int opaque;              /* every source pixel opaque: no premultiplying */
    int fixed;               /* opaque, on AVX2: the fixed-point loops of lanczos_avx2.c */
    taps *horizontal, *vertical;
    unsigned ring_rows;      /* the most source rows one destination row needs, plus one */
    size_t stride;           /* pixels per ring row: dst_width rounded up to even (to 8 when fixed) */
    size_t row_bytes;        /* bytes per ring row */
    v8f *source;             /* the current two source rows, as floats, pixel by pixel */
    char *ring;              /* ring_rows horizontally reduced rows: v4f, or 4 int16 when fixed */
    const void **window;     /* the ring rows under one destination row, in order */
    lanczos_fixed_taps *horizontal_fixed;  /* dst_width rounded up to even */
    int32_t *vertical_pairs; /* per destination row, vertical_stride weight pairs */
    unsigned vertical_stride;
    unsigned next_source, next_destination;
    void *blocks[8];
};

static double lanczos3(double x) {
    if (x < 0) x = -x;
    if (x < 1e-9) return 1;
    if (x >= 3) return 0;
    double px = M_PI * x, s = sin(px / 3);
    return 3 * s * (3 * s - 4 * s * s * s) / (px * px);  /* sin 3a = 3 sin a - 4 sin^3 a: one sin */
}

/* Destination pixel u covers source [u*f, (u+1)*f); its centre is at (u + 1/2)*f - 1/2 in
 * source pixel coordinates. The kernel is stretched by f, so it low-passes before the
 * decimation (no aliasing); taps falling outside the image are dropped and the rest
 * renormalised. */
static int make_taps(unsigned src, unsigned dst, taps *out, float *weights, unsigned max_count) {
    double f = (double)src / dst, support = 3 * f;
    for (unsigned u = 0; u < dst; u++) {
        double centre = (u + 0.5) * f - 0.5;
        long first = (long)ceil(centre - support), last = (long)floor(centre + support);
        if (first < 0) first = 0;
        if (last > (long)src - 1) last = (long)src - 1;
        if (last - first + 1 > (long)max_count) last = first + (long)max_count - 1;
        float *w = weights + (size_t)u * max_count;
        double total = 0;
        for (long i = first; i <= last; i++) total += (w[i - first] = (float)lanczos3((i - centre) / f));
        if (total <= 0) return -1;
        for (long i = first; i <= last; i++) w[i - first] = (float)(w[i - first] / total);
        out[u] = (taps){ (unsigned)first, (unsigned)(last - first + 1), w };
    }
    return 0;
}

static void *block(lanczos_reducer *r, int index, size_t size) {
    void *p = NULL;
    if (posix_memalign(&p, 64, size ? size : 1) != 0) return NULL;
    r->blocks[index] = p;
    return p;
}

/* The float taps in fixed point: each destination pixel's weights scaled by 2^14 and
 * rounded, the largest adjusted so that they still sum to exactly one (flat areas stay
 * exact), padded with zeros to whole octets. An octet may not run past the row's end, so near
 * the right edge the start moves left and the zeros go in front. -1 when a row is too short. */
static int make_fixed_taps(const taps *t, unsigned count, unsigned padded_count, unsigned src,
                           lanczos_fixed_taps *out, int16_t *weights, unsigned max_octets) {
    for (unsigned u = 0; u < padded_count; u++) {
        const taps *f = &t[u < count ? u : count - 1];
        unsigned octets = (f->count + 7) / 8, start = f->start, lead = 0;
        if (8 * octets > src) return -1;
        if (start + 8 * octets > src) lead = start + 8 * octets - src, start -= lead;
        int16_t w[8 * max_octets];
        memset(w, 0, sizeof w);
        int total = 0;
        unsigned largest = lead;
        for (unsigned k = 0; k < f->count; k++) {
            w[lead + k] = (int16_t)lrintf(f->weights[k] * (1 << LANCZOS_WEIGHT_BITS));
            total += w[lead + k];
            if (w[lead + k] > w[largest]) largest = lead + k;
        }
        w[largest] += (1 << LANCZOS_WEIGHT_BITS) - total;
        int16_t *v = weights + (size_t)u * 32 * max_octets;
        for (unsigned o = 0; o < octets; o++) {
            const int16_t *k = w + 8 * o;
            static const unsigned first[4] = { 0, 4, 2, 6 };  /* each half's pair, in vector order */
            for (unsigned half = 0; half < 4; half++)
                for (unsigned lane = 0; lane < 4; lane++) {
                    v[32 * o + 8 * half + 2 * lane] = k[first[half]];
                    v[32 * o + 8 * half + 2 * lane + 1] = k[first[half] + 1];
                }
        }
        out[u] = (lanczos_fixed_taps){ start, octets, v };
    }
    return 0;
}

/* The vertical taps in fixed point, as pairs of rows (a zero weight pairs up an odd last row). */
static void make_vertical_pairs(const taps *t, unsigned count, int32_t *pairs, unsigned stride) {
    for (unsigned j = 0; j < count; j++) {
        int16_t w[2 * stride];
        memset(w, 0, sizeof w);
        int total = 0;
        unsigned largest = 0;
        for (unsigned k = 0; k < t[j].count; k++) {
            w[k] = (int16_t)lrintf(t[j].weights[k] * (1 << LANCZOS_WEIGHT_BITS));
            total += w[k];
            if (w[k] > w[largest]) largest = k;
        }
        w[largest] += (1 << LANCZOS_WEIGHT_BITS) - total;
        for (unsigned k = 0; k < 2 * stride; k += 2)
            pairs[(size_t)j * stride + k / 2] = (int32_t)((uint16_t)w[k] | (uint32_t)(uint16_t)w[k + 1] << 16);
    }
}

lanczos_reducer *lanczos_create(unsigned sw, unsigned sh, unsigned dw, unsigned dh, lanczos_pixels pixels) {
    if (!sw || !sh || !dw || !dh || dw > sw || dh > sh) return NULL;
    lanczos_reducer *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    *r = (lanczos_reducer){ .src_width = sw, .src_height = sh, .dst_width = dw, .dst_height = dh,
                            .opaque = pixels != LANCZOS_ALPHA };
    unsigned hmax = (unsigned)ceil(6.0 * sw / dw) + 2, vmax = (unsigned)ceil(6.0 * sh / dh) + 2;
    if (hmax > sw) hmax = sw;
    if (vmax > sh) vmax = sh;
    /* Rows arrive in pairs: one more ring row than a destination row spans keeps the second
     * of a pair from overwriting a row the first one's destination rows still need. */
    r->ring_rows = vmax + 1;
    r->fixed = pixels == LANCZOS_OPAQUE && lanczos_avx2_available();
    float *hw, *vw;
    if (!(r->horizontal = block(r, 0, sizeof(taps) * dw)) || !(r->vertical = block(r, 1, sizeof(taps) * dh)) ||
        !(hw = block(r, 2, sizeof(float) * ((size_t)dw * hmax + (size_t)dh * vmax))) ||
        !(r->window = block(r, 4, sizeof(void *) * (vmax + 1))) ||
        make_taps(sw, dw, r->horizontal, hw, hmax) != 0 ||
        make_taps(sh, dh, r->vertical, vw = hw + (size_t)dw * hmax, vmax) != 0)
        goto fail;
    if (r->fixed) {
        unsigned pairs_dw = (dw + 1) & ~1u, max_octets = (hmax + 7) / 8;
        int16_t *horizontal_weights;
        r->vertical_stride = (vmax + 1) / 2;
        r->stride = (dw + 7) & ~7u;
        r->row_bytes = sizeof(int16_t) * 4 * r->stride;
        if (!(r->horizontal_fixed = block(r, 5, sizeof(lanczos_fixed_taps) * pairs_dw)) ||
            !(horizontal_weights = block(r, 7, sizeof(int16_t) * 32 * max_octets * pairs_dw)) ||
            !(r->vertical_pairs = block(r, 6, sizeof(int32_t) * (size_t)dh * r->vertical_stride)) ||
            !(r->ring = block(r, 3, r->row_bytes * r->ring_rows)))
            goto fail;
        if (make_fixed_taps(r->horizontal, dw, pairs_dw, sw, r->horizontal_fixed, horizontal_weights, max_octets) != 0)
            r->fixed = 0;  /* a row narrower than an octet: the float loops take it */
        else
            make_vertical_pairs(r->vertical, dh, r->vertical_pairs, r->vertical_stride);
    }
    if (!r->fixed) {
        r->stride = (dw + 1) & ~1u;
        r->row_bytes = sizeof(v4f) * r->stride;
        free(r->blocks[3]);
        r->blocks[3] = NULL;
        if (!(r->source = block(r, 3, sizeof(v8f) * sw + r->row_bytes * r->ring_rows))) goto fail;
        r->ring = (char *)(r->source + sw);
    }
    memset(r->ring, 0, r->row_bytes * r->ring_rows);  /* the padding pixels stay 0 */
    return r;
fail:
    lanczos_destroy(r);
    return NULL;
}

void lanczos_destroy(lanczos_reducer *r) {
    if (!r) return;
    for (int i = 0; i < 8; i++) free(r->blocks[i]);
    free(r);
}

/* libgd's pixel as four float lanes in the order B, G, R, transparency (0-127). */
static inline v4f unpack(int pixel) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v4b bytes;
    memcpy(&bytes, &pixel, 4);
    return __builtin_convertvector(bytes, v4f);
#else
    return (v4f){ pixel & 0xFF, pixel >> 8 & 0xFF, pixel >> 16 & 0xFF, pixel >> 24 & 0x7F };
#endif
}

static inline int pack(v4f v) {
    float opacity = v[3];
    if (opacity < 0.5f / 127) return 127 << 24;  /* fully transparent */
    if (opacity < 0.999f || opacity > 1.001f) v /= opacity;
    v[3] = (1 - opacity) * 127;  /* back to libgd's transparency */
    const v4f low = { 0, 0, 0, 0 }, high = { 255, 255, 255, 127 }, half = { 0.5f, 0.5f, 0.5f, 0.5f };
    v4i below = v < low, above = v > high;  /* lane masks: all ones where true */
    v = (v4f)(((v4i)v & ~below & ~above) | ((v4i)high & above));
    v4i c = __builtin_convertvector(v + half, v4i);
    return c[3] << 24 | c[2] << 16 | c[1] << 8 | c[0];
}

/* The first and second pixel of a pair (macros: a function taking a v8f changes its ABI
 * with the CPU variant). */
#define LOW(v) __builtin_shufflevector((v), (v), 0, 1, 2, 3)
#define HIGH(v) __builtin_shufflevector((v), (v), 4, 5, 6, 7)

/* Destination row j from the ring rows under its vertical taps, eight pixels at a time in
 * registers so that partial sums never go through memory. */
CPU_VARIANTS
static void emit(lanczos_reducer *r, int *out) {
    const taps *t = &r->vertical[r->next_destination];
    const v8f **window = (const v8f **)r->window;
    for (unsigned k = 0; k < t->count; k++)
        window[k] = (const v8f *)(r->ring + (size_t)((t->start + k) % r->ring_rows) * r->row_bytes);
    const float *w = t->weights;
    size_t pairs = r->stride / 2, dw = r->dst_width, p = 0;
    for (; p + 4 <= pairs; p += 4) {
        v8f a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };
        for (unsigned k = 0; k < t->count; k++) {
            const v8f *row = window[k] + p;
            a += row[0] * w[k];
            b += row[1] * w[k];
            c += row[2] * w[k];
            d += row[3] * w[k];
        }
        int *o = out + 2 * p;
        o[0] = pack(LOW(a)), o[1] = pack(HIGH(a)), o[2] = pack(LOW(b)), o[3] = pack(HIGH(b));
        o[4] = pack(LOW(c)), o[5] = pack(HIGH(c)), o[6] = pack(LOW(d));
        if (2 * p + 7 < dw) o[7] = pack(HIGH(d));
    }
    for (; p < pairs; p++) {
        v8f a = { 0 };
        for (unsigned k = 0; k < t->count; k++) a += window[k][p] * w[k];
        out[2 * p] = pack(LOW(a));
        if (2 * p + 1 < dw) out[2 * p + 1] = pack(HIGH(a));
    }
}

/* libgd's pixel as premultiplied floats: B, G, R times opacity, then opacity. */
static inline v4f premultiplied(int pixel) {
    v4f v = unpack(pixel);
    float opacity = (127 - v[3]) * (1.0f / 127);
    v *= (v4f){ opacity, opacity, opacity, 0 };
    v[3] = opacity;
    return v;
}

/* Reduces source rows `first` and `second` (which may be the same row) horizontally, both at
 * once: they share every tap, so one eight-lane multiply-add serves both. */
CPU_VARIANTS
static void reduce_pair(lanczos_reducer *r, const int *first, const int *second, v4f *out_first, v4f *out_second) {
    v8f *restrict source = r->source;
    if (r->opaque) {
        /* Half the work of this function is here: for opaque rows, conversion only. Opacity is
         * 1 whatever the alpha byte holds (libjpeg-turbo leaves 0xFF there). */
        const v8f one = { 1, 1, 1, 1, 1, 1, 1, 1 };
        for (size_t x = 0, n = r->src_width; x < n; x++)
            source[x] = __builtin_shufflevector(__builtin_shufflevector(unpack(first[x]), unpack(second[x]), 0, 1, 2, 3, 4, 5, 6, 7),
                                                one, 0, 1, 2, 11, 4, 5, 6, 15);
    } else {
        for (size_t x = 0, n = r->src_width; x < n; x++)
            source[x] = __builtin_shufflevector(premultiplied(first[x]), premultiplied(second[x]), 0, 1, 2, 3, 4, 5, 6, 7);
    }
    const taps *restrict horizontal = r->horizontal;
    for (size_t x = 0, n = r->dst_width; x < n; x++) {
        const v8f *restrict s = source + horizontal[x].start;
        const float *restrict w = horizontal[x].weights;
        size_t count = horizontal[x].count, k = 0;
        /* Four partial sums: one would wait on the adder's latency at every tap. */
        v8f a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };
        for (; k + 4 <= count; k += 4) {
            a += s[k] * w[k];
            b += s[k + 1] * w[k + 1];
            c += s[k + 2] * w[k + 2];
            d += s[k + 3] * w[k + 3];
        }
        for (; k < count; k++) a += s[k] * w[k];
        v8f sum = (a + b) + (c + d);
        out_first[x] = LOW(sum);
        out_second[x] = HIGH(sum);
    }
}

static void *ring_row(lanczos_reducer *r, unsigned y) {
    return r->ring + (size_t)(y % r->ring_rows) * r->row_bytes;
}

/* The fixed-point destination row: the window in pairs, an odd last row paired with itself
 * (its partner's weight is 0). */
static void emit_fixed(lanczos_reducer *r, int *out) {
    unsigned j = r->next_destination;
    const taps *t = &r->vertical[j];
    const int16_t **window = (const int16_t **)r->window;
    for (unsigned k = 0; k < t->count; k++) window[k] = ring_row(r, t->start + k);
    if (t->count % 2) window[t->count] = window[t->count - 1];
    lanczos_avx2_vertical(window, r->vertical_pairs + (size_t)j * r->vertical_stride, (t->count + 1) / 2,
                          out, r->dst_width);
}

static void reduce(lanczos_reducer *r, const int *first, const int *second, void *out_first, void *out_second) {
    if (r->fixed)
        lanczos_avx2_horizontal(first, second, out_first, out_second, r->horizontal_fixed, (r->dst_width + 1) & ~1u);
    else
        reduce_pair(r, first, second, out_first, out_second);
}

/* Every destination row whose last tap has arrived is complete. */
static void emit_ready(lanczos_reducer *r, int **dst_rows) {
    while (r->next_destination < r->dst_height) {
        const taps *t = &r->vertical[r->next_destination];
        if (t->start + t->count > r->next_source) break;
        if (r->fixed)
            emit_fixed(r, dst_rows[r->next_destination]);
        else
            emit(r, dst_rows[r->next_destination]);
        r->next_destination++;
    }
}

void lanczos_push_rows(lanczos_reducer *r, const int *const *rows, unsigned count, int **dst_rows) {
    for (unsigned i = 0; i < count && r->next_source < r->src_height; ) {
        unsigned y = r->next_source;
        if (i + 1 < count && y + 1 < r->src_height) {
            reduce(r, rows[i], rows[i + 1], ring_row(r, y), ring_row(r, y + 1));
            r->next_source += 2;
            i += 2;
        } else {
            void *row = ring_row(r, y);
            reduce(r, rows[i], rows[i], row, row);
            r->next_source += 1;
            i += 1;
        }
        emit_ready(r, dst_rows);
    }
}
