// zlib: inflates the compressed ICC profile of a PNG (its iCCP chunk).
#include <zlib.h>

// inflateInit is a macro over inflateInit_ with the library's version and struct size.
static inline int czlib_inflate_init(z_stream *stream) { return inflateInit(stream); }
