#ifndef CWEBP_H
#define CWEBP_H
#include <stddef.h>
#include <stdint.h>

/* WebP from libgd's truecolor rows (0xAARRGGBB ints, 7-bit transparency), encoded exactly as
 * libgd 2.3.3's gdImageWebpPtrEx encodes them: libwebp's simple API, lossy at `quality`
 * 1-100 (the default preset, method 4), lossless at 101 or more (gdWebpLossless). libgd
 * copies every pixel into RGBA one at a time and libwebp then checks the alpha it made;
 * here an image known to be `opaque` goes in as RGB, which libwebp converts with its SIMD
 * routines, and the result is the same file. Returns its size and sets *output (free it
 * with cwebp_free), or returns 0 when the sizes are out of WebP's range or memory runs out. */
size_t cwebp_encode(int *const *rows, int width, int height, int opaque, int quality, uint8_t **output);

void cwebp_free(void *output);

#endif
