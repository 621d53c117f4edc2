#include "cjpeg.h"

/* Square tiles: a tile's source rows and destination rows both stay in the L1 cache while
 * it is copied, though one is read along rows and the other written down columns. */
#define TILE 16

void cjpeg_turn(int *const *source, unsigned width, unsigned height, int **destination, int orientation) {
    for (unsigned y0 = 0; y0 < height; y0 += TILE) {
        unsigned y1 = y0 + TILE < height ? y0 + TILE : height;
        for (unsigned x0 = 0; x0 < width; x0 += TILE) {
            unsigned x1 = x0 + TILE < width ? x0 + TILE : width;
            for (unsigned y = y0; y < y1; y++) {
                const int *row = source[y];
                switch (orientation) {
                case 5:  /* across the main diagonal */
                    for (unsigned x = x0; x < x1; x++) destination[x][y] = row[x];
                    break;
                case 6:  /* a quarter turn clockwise */
                    for (unsigned x = x0; x < x1; x++) destination[x][height - 1 - y] = row[x];
                    break;
                case 7:  /* across the other diagonal */
                    for (unsigned x = x0; x < x1; x++) destination[width - 1 - x][height - 1 - y] = row[x];
                    break;
                default:  /* 8: a quarter turn anticlockwise */
                    for (unsigned x = x0; x < x1; x++) destination[width - 1 - x][y] = row[x];
                    break;
                }
            }
        }
    }
}
