#include "cjpeg.h"
#include "lanczos.h"
#include <jpeglib.h>
#include <jerror.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

struct cjpeg_decoder {
    struct jpeg_decompress_struct cinfo;   /* first, so a j_common_ptr is a decoder pointer */
    struct jpeg_error_mgr jerr;
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    int max_scans;
    int cmyk;                              /* output is CMYK, converted here */
    lanczos_reducer *reducer;              /* malloc'd: freed by cjpeg_destroy even after a longjmp */
    JOCTET *icc;                           /* malloc'd by jpeg_read_icc_profile; freed by cjpeg_destroy */
    char message[JMSG_LENGTH_MAX + 64];
};

static void fail(j_common_ptr cinfo) {
    cjpeg_decoder *d = (cjpeg_decoder *)cinfo;
    (*cinfo->err->format_message)(cinfo, d->message);
    longjmp(d->jump, 1);
}

/* Warnings are mostly recoverable damage and ignored, except running out of data: libjpeg
 * would pad with grey, but a truncated upload must be refused. */
static void emit_message(j_common_ptr cinfo, int level) {
    if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) fail(cinfo);
}

static void check_scans(j_common_ptr cinfo) {
    cjpeg_decoder *d = (cjpeg_decoder *)cinfo;
    if (d->cinfo.input_scan_number > d->max_scans) {
        snprintf(d->message, sizeof d->message, "progressive JPEG with more than %d scans", d->max_scans);
        longjmp(d->jump, 1);
    }
}

cjpeg_decoder *cjpeg_create(FILE *file, int max_scans) {
    cjpeg_decoder *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->cinfo.err = jpeg_std_error(&d->jerr);
    d->jerr.error_exit = fail;
    d->jerr.emit_message = emit_message;
    d->max_scans = max_scans;
    if (setjmp(d->jump)) {   /* only out of memory can fail here */
        jpeg_destroy_decompress(&d->cinfo);
        free(d);
        return NULL;
    }
    jpeg_create_decompress(&d->cinfo);
    d->progress.progress_monitor = check_scans;
    d->cinfo.progress = &d->progress;
    jpeg_stdio_src(&d->cinfo, file);
    return d;
}

void cjpeg_destroy(cjpeg_decoder *d) {
    if (!d) return;
    lanczos_destroy(d->reducer);
    free(d->icc);
    jpeg_destroy_decompress(&d->cinfo);
    free(d);
}

const char *cjpeg_error(const cjpeg_decoder *d) { return d->message; }

int cjpeg_read_header(cjpeg_decoder *d, cjpeg_header *h) {
    if (setjmp(d->jump)) return -1;
    jpeg_save_markers(&d->cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_save_markers(&d->cinfo, JPEG_APP0 + 2, 0xFFFF);   /* ICC profile, possibly in parts */
    jpeg_read_header(&d->cinfo, TRUE);
    memset(h, 0, sizeof *h);
    h->width = d->cinfo.image_width;
    h->height = d->cinfo.image_height;
    h->components = d->cinfo.num_components;
    h->progressive = d->cinfo.progressive_mode;
    for (jpeg_saved_marker_ptr m = d->cinfo.marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 && memcmp(m->data, "Exif\0\0", 6) == 0) {
            h->exif = m->data;
            h->exif_length = m->data_length;
            break;
        }
    }
    /* libjpeg-turbo joins the parts in sequence order; an incomplete set gives no profile. */
    unsigned int icc_length = 0;
    if (jpeg_read_icc_profile(&d->cinfo, &d->icc, &icc_length)) {
        h->icc = d->icc;
        h->icc_length = icc_length;
    }
    return 0;
}

int cjpeg_start(cjpeg_decoder *d, unsigned scale_denom, int resampling, unsigned *width, unsigned *height) {
    if (setjmp(d->jump)) return -1;
    switch (d->cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: case JCS_YCbCr: case JCS_RGB:
        /* libjpeg-turbo writes the pixel's bytes in memory order; gd's int is 0x00RRGGBB. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        d->cinfo.out_color_space = JCS_EXT_BGRX;
#else
        d->cinfo.out_color_space = JCS_EXT_XRGB;
#endif
        break;
    case JCS_CMYK: case JCS_YCCK:
        d->cinfo.out_color_space = JCS_CMYK;   /* libjpeg turns YCCK into CMYK, not into RGB */
        d->cmyk = 1;
        break;
    default:
        snprintf(d->message, sizeof d->message, "JPEG colour space %d is not supported",
                 (int)d->cinfo.jpeg_color_space);
        return -1;
    }
    d->cinfo.scale_num = 1;
    d->cinfo.scale_denom = scale_denom;
    /* Merged (box) chroma upsampling: a quarter of the decode time at full scale; the
     * reduction that follows averages far more than the two pixels it differs in. */
    if (resampling) d->cinfo.do_fancy_upsampling = FALSE;
    jpeg_start_decompress(&d->cinfo);
    *width = d->cinfo.output_width;
    *height = d->cinfo.output_height;
    return 0;
}

static inline int mul255(int a, int b) {
    int t = a * b + 128;
    return (t + (t >> 8)) >> 8;
}

/* Adobe writes CMYK inverted (0 = full ink) and says so with its APP14 marker; others write
 * it plain. RGB = (1 - C)(1 - K) in plain terms. */
static void cmyk_to_rgb(const JSAMPLE *in, int *out, unsigned width, int inverted) {
    for (unsigned x = 0; x < width; x++, in += 4) {
        int c = in[0], m = in[1], y = in[2], k = in[3];
        if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
        out[x] = mul255(c, k) << 16 | mul255(m, k) << 8 | mul255(y, k);
    }
}

/* Up to `count` output rows into `rows`, as gd pixels; returns how many. `opaque_byte` says
 * the alpha byte must be 0 (libjpeg-turbo writes 0xFF there, which gd would read as
 * transparent); the reducer ignores it, so rows it takes are left as they come. */
static unsigned read_scanlines(cjpeg_decoder *d, int **rows, unsigned count, JSAMPARRAY cmyk, int opaque_byte) {
    j_decompress_ptr c = &d->cinfo;
    unsigned width = c->output_width, n;
    if (cmyk) {
        if (count > c->rec_outbuf_height) count = c->rec_outbuf_height;
        n = jpeg_read_scanlines(c, cmyk, count);
        for (unsigned i = 0; i < n; i++) cmyk_to_rgb(cmyk[i], rows[i], width, c->saw_Adobe_marker);
    } else {
        n = jpeg_read_scanlines(c, (JSAMPARRAY)rows, count);
        for (unsigned i = 0; opaque_byte && i < n; i++) {
            int *row = rows[i];
            for (unsigned x = 0; x < width; x++) row[x] &= 0x00FFFFFF;
        }
    }
    return n;
}

int cjpeg_read_rows(cjpeg_decoder *d, int **rows, unsigned width, unsigned height) {
    if (setjmp(d->jump)) return -1;
    j_decompress_ptr c = &d->cinfo;
    unsigned source_width = c->output_width, batch = c->rec_outbuf_height < 2 ? 2 : c->rec_outbuf_height;
    JSAMPARRAY cmyk = NULL;
    if (d->cmyk) cmyk = (*c->mem->alloc_sarray)((j_common_ptr)c, JPOOL_IMAGE, source_width * 4, batch);
    if (width == source_width && height == c->output_height) {
        while (c->output_scanline < c->output_height) {
            unsigned first = c->output_scanline;
            read_scanlines(d, rows + first, c->output_height - first, cmyk, 1);
        }
    } else {
        if (!(d->reducer = lanczos_create(source_width, c->output_height, width, height, LANCZOS_OPAQUE))) {
            snprintf(d->message, sizeof d->message, "cannot reduce %ux%u to %ux%u", source_width,
                     c->output_height, width, height);
            return -1;
        }
        JSAMPARRAY scratch = (*c->mem->alloc_sarray)((j_common_ptr)c, JPOOL_IMAGE, source_width * 4, batch);
        while (c->output_scanline < c->output_height) {
            unsigned n = 0;
            /* Two rows at a time: the reducer filters a pair with one set of instructions. */
            while (n < batch && c->output_scanline < c->output_height)
                n += read_scanlines(d, (int **)scratch + n, batch - n, cmyk, 0);
            lanczos_push_rows(d->reducer, (const int *const *)scratch, n, rows);
        }
    }
    /* Not jpeg_finish_decompress: every row is here, and a missing EOI after them is harmless. */
    jpeg_abort_decompress(c);
    return 0;
}

int cjpeg_reduce_rows(int *const *source, unsigned source_width, unsigned source_height,
                      int **destination, unsigned width, unsigned height, int opaque) {
    if (opaque < 0 || opaque > 2) return -1;
    lanczos_pixels pixels = opaque == 2 ? LANCZOS_OPAQUE_FLOAT : opaque ? LANCZOS_OPAQUE : LANCZOS_ALPHA;
    lanczos_reducer *reducer = lanczos_create(source_width, source_height, width, height, pixels);
    if (!reducer) return -1;
    lanczos_push_rows(reducer, (const int *const *)source, source_height, destination);
    lanczos_destroy(reducer);
    return 0;
}
