#include "cwebp.h"
#include <stdlib.h>
#include <webp/encode.h>

/* libgd's transparency 0-127 as alpha 0-255, the way libgd maps it. */
static inline uint8_t alpha_of(int pixel) {
    int t = (pixel >> 24) & 0x7F;
    return t == 127 ? 0 : (uint8_t)(255 - ((t << 1) + (t >> 6)));
}

size_t cwebp_encode(int *const *rows, int width, int height, int opaque, int quality, uint8_t **output) {
    *output = NULL;
    if (width <= 0 || height <= 0 || width > WEBP_MAX_DIMENSION || height > WEBP_MAX_DIMENSION) return 0;
    int channels = opaque ? 3 : 4, stride = channels * width;
    uint8_t *pixels = malloc((size_t)stride * (size_t)height);
    if (!pixels) return 0;
    for (int y = 0; y < height; y++) {
        const int *row = rows[y];
        uint8_t *p = pixels + (size_t)y * (size_t)stride;
        if (opaque) {
            for (int x = 0; x < width; x++, p += 3) {
                int c = row[x];
                p[0] = (uint8_t)(c >> 16), p[1] = (uint8_t)(c >> 8), p[2] = (uint8_t)c;
            }
        } else {
            for (int x = 0; x < width; x++, p += 4) {
                int c = row[x];
                p[0] = (uint8_t)(c >> 16), p[1] = (uint8_t)(c >> 8), p[2] = (uint8_t)c, p[3] = alpha_of(c);
            }
        }
    }
    size_t size;
    if (quality > 100)
        size = opaque ? WebPEncodeLosslessRGB(pixels, width, height, stride, output)
                      : WebPEncodeLosslessRGBA(pixels, width, height, stride, output);
    else
        size = opaque ? WebPEncodeRGB(pixels, width, height, stride, (float)quality, output)
                      : WebPEncodeRGBA(pixels, width, height, stride, (float)quality, output);
    free(pixels);
    if (size == 0 && *output) {
        WebPFree(*output);
        *output = NULL;
    }
    return size;
}

void cwebp_free(void *output) { WebPFree(output); }
