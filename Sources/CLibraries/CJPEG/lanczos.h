#ifndef CJPEG_LANCZOS_H
#define CJPEG_LANCZOS_H

/* A streaming Lanczos-3 reducer: source rows go in top to bottom, each
 * destination row comes out as soon as the source rows under its filter have arrived. Only
 * a window of horizontally reduced rows is kept, never the source image. */
typedef struct lanczos_reducer lanczos_reducer;

typedef enum {
    LANCZOS_ALPHA,         /* any transparency: filtered premultiplied, in float */
    LANCZOS_OPAQUE,        /* every pixel opaque (the alpha byte is ignored, 0 is written):
                              fixed point on AVX2, else the float loops without premultiplying */
    LANCZOS_OPAQUE_FLOAT,  /* the same in the float loops on every CPU, for tests */
} lanczos_pixels;

/* NULL when out of memory. Sizes must be non-zero; the destination no larger. */
lanczos_reducer *lanczos_create(unsigned src_width, unsigned src_height,
                                unsigned dst_width, unsigned dst_height, lanczos_pixels pixels);
void lanczos_destroy(lanczos_reducer *reducer);

/* Feeds the next `count` source rows (src_width pixels each in libgd's layout, 0xAARRGGBB
 * with 7-bit transparency; the top byte is ignored when opaque) and writes every destination
 * row they complete into dst_rows (dst_height row pointers of dst_width ints, same layout).
 * Rows go fastest in pairs. */
void lanczos_push_rows(lanczos_reducer *reducer, const int *const *rows, unsigned count, int **dst_rows);

#endif
