#ifndef CJPEG_H
#define CJPEG_H
#include <stdio.h>

/* libjpeg reports errors by calling error_exit, which must not return; the usual answer is
 * longjmp, and a longjmp must never cross Swift frames. So every libjpeg call is made here,
 * inside a C function that did setjmp itself, and errors come back as return values. */

typedef struct cjpeg_decoder cjpeg_decoder;

typedef struct {
    unsigned width, height;        /* as stored, before EXIF orientation */
    int components;                /* 1 (grey), 3 (YCbCr/RGB) or 4 (CMYK/YCCK) */
    int progressive;
    const unsigned char *exif;     /* the APP1 payload starting "Exif\0\0", or NULL; valid until
                                      the decoder is destroyed or started */
    unsigned exif_length;
    const unsigned char *icc;      /* the embedded ICC profile, joined from its APP2 parts, or
                                      NULL; valid until the decoder is destroyed */
    unsigned icc_length;
} cjpeg_header;

/* A decoder reading `file` (which stays the caller's to close). A progressive JPEG with more
 * than `max_scans` scans is refused: each scan is a pass over the whole image, so a crafted
 * file with thousands of them would take minutes. NULL when out of memory. */
cjpeg_decoder *cjpeg_create(FILE *file, int max_scans);
void cjpeg_destroy(cjpeg_decoder *decoder);

/* The last error, e.g. "Premature end of JPEG file". */
const char *cjpeg_error(const cjpeg_decoder *decoder);

/* Each returns 0 on success, -1 on error (then see cjpeg_error). */
int cjpeg_read_header(cjpeg_decoder *decoder, cjpeg_header *header);

/* Starts decoding at 1/scale_denom of the stored size (1, 2, 4 or 8, libjpeg's DCT scaling)
 * and gives the output size. `resampling` says the output will be resampled further, so
 * chroma may be upsampled the cheap way (no visible difference after a 1.5x reduction). */
int cjpeg_start(cjpeg_decoder *decoder, unsigned scale_denom, int resampling,
                unsigned *output_width, unsigned *output_height);

/* Decodes every row into `rows`: `height` row pointers of `width` ints in libgd's truecolor
 * layout, 0x00RRGGBB with alpha 0 (opaque). Grey and CMYK (plain or Adobe's inverted) become
 * RGB. When width x height is smaller than the started output size, rows are reduced with a
 * Lanczos-3 filter as they are decoded, so the full-size image never exists in memory.
 * A file that ends early is an error, not a grey bottom. */
int cjpeg_read_rows(cjpeg_decoder *decoder, int **rows, unsigned width, unsigned height);

/* The same Lanczos-3 reduction for rows already in memory (libgd's layout, alpha included,
 * filtered premultiplied): the thumbnail made from the preview, and images libgd decoded.
 * `opaque` 1 promises every pixel's transparency is 0 (as this decoder writes them), which
 * skips premultiplying and, on CPUs with AVX2, filters in fixed point as the decoder does;
 * 2 is the same promise through the float loops every CPU has (so tests can compare);
 * 0 is any transparency. Returns -1 when out of memory or the sizes are not a reduction. */
int cjpeg_reduce_rows(int *const *source, unsigned source_width, unsigned source_height,
                      int **destination, unsigned width, unsigned height, int opaque);

/* Writes `source` (`height` rows of `width` libgd pixels) turned as EXIF orientation 5, 6, 7
 * or 8 says, into `destination` (`width` rows of `height` pixels), in one pass (libgd's
 * gdImageRotateInterpolated sets pixels one call at a time, and 5 and 7 would need a flip
 * after it). The other orientations keep the axes: libgd flips those in place. */
void cjpeg_turn(int *const *source, unsigned width, unsigned height, int **destination, int orientation);

#endif
