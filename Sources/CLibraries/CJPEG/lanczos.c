#include "lanczos.h"
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
    taps *horizontal, *vertical;
    unsigned ring_rows;      /* the most source rows one destination row needs, plus one */
    size_t stride;           /* pixels per ring row: dst_width rounded up to even */
    v8f *source;             /* the current two source rows, as floats, pixel by pixel */
    v4f *ring;               /* ring_rows horizontally reduced rows */
    const v4f **window;      /* the ring rows under one destination row, in order */
    unsigned next_source, next_destination;
    void *blocks[5];
};

static double lanczos3(double x) {
    if (x < 0) x = -x;
    if (x < 1e-9) return 1;
    if (x >= 3) return 0;
    double px = M_PI * x;
    return 3 * sin(px) * sin(px / 3) / (px * px);
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

lanczos_reducer *lanczos_create(unsigned sw, unsigned sh, unsigned dw, unsigned dh, int opaque) {
    if (!sw || !sh || !dw || !dh || dw > sw || dh > sh) return NULL;
    lanczos_reducer *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    *r = (lanczos_reducer){ .src_width = sw, .src_height = sh, .dst_width = dw, .dst_height = dh, .opaque = opaque };
    unsigned hmax = (unsigned)ceil(6.0 * sw / dw) + 2, vmax = (unsigned)ceil(6.0 * sh / dh) + 2;
    if (hmax > sw) hmax = sw;
    if (vmax > sh) vmax = sh;
    /* Rows arrive in pairs: one more ring row than a destination row spans keeps the second
     * of a pair from overwriting a row the first one's destination rows still need. */
    r->ring_rows = vmax + 1;
    r->stride = (dw + 1) & ~1u;
    float *hw, *vw;
    if (!(r->horizontal = block(r, 0, sizeof(taps) * dw)) || !(r->vertical = block(r, 1, sizeof(taps) * dh)) ||
        !(hw = block(r, 2, sizeof(float) * ((size_t)dw * hmax + (size_t)dh * vmax))) ||
        !(r->source = block(r, 3, sizeof(v8f) * sw + sizeof(v4f) * r->stride * r->ring_rows)) ||
        !(r->window = block(r, 4, sizeof(v4f *) * vmax)) ||
        make_taps(sw, dw, r->horizontal, hw, hmax) != 0 ||
        make_taps(sh, dh, r->vertical, vw = hw + (size_t)dw * hmax, vmax) != 0) {
        lanczos_destroy(r);
        return NULL;
    }
    r->ring = (v4f *)(r->source + sw);
    memset(r->ring, 0, sizeof(v4f) * r->stride * r->ring_rows);  /* the padding pixel stays 0 */
    return r;
}

void lanczos_destroy(lanczos_reducer *r) {
    if (!r) return;
    for (int i = 0; i < 5; i++) free(r->blocks[i]);
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
        window[k] = (const v8f *)(r->ring + (size_t)((t->start + k) % r->ring_rows) * r->stride);
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
        /* Half the work of this function is here: for opaque rows, conversion only. */
        const v8f one = { 0, 0, 0, 1, 0, 0, 0, 1 };
        for (size_t x = 0, n = r->src_width; x < n; x++)
            source[x] = __builtin_shufflevector(unpack(first[x]), unpack(second[x]), 0, 1, 2, 3, 4, 5, 6, 7) + one;
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

static v4f *ring_row(lanczos_reducer *r, unsigned y) {
    return r->ring + (size_t)(y % r->ring_rows) * r->stride;
}

/* Every destination row whose last tap has arrived is complete. */
static void emit_ready(lanczos_reducer *r, int **dst_rows) {
    while (r->next_destination < r->dst_height) {
        const taps *t = &r->vertical[r->next_destination];
        if (t->start + t->count > r->next_source) break;
        emit(r, dst_rows[r->next_destination]);
        r->next_destination++;
    }
}

void lanczos_push_rows(lanczos_reducer *r, const int *const *rows, unsigned count, int **dst_rows) {
    for (unsigned i = 0; i < count && r->next_source < r->src_height; ) {
        unsigned y = r->next_source;
        if (i + 1 < count && y + 1 < r->src_height) {
            reduce_pair(r, rows[i], rows[i + 1], ring_row(r, y), ring_row(r, y + 1));
            r->next_source += 2;
            i += 2;
        } else {
            v4f *row = ring_row(r, y);
            reduce_pair(r, rows[i], rows[i], row, row);
            r->next_source += 1;
            i += 1;
        }
        emit_ready(r, dst_rows);
    }
}
