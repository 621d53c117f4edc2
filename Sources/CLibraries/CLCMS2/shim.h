// Little CMS 2: colour management for photos tagged with a profile other than sRGB.
#include <lcms2.h>

// Pixel layouts are macros built from shifts, which Swift does not import: as constants.
// libgd's truecolor pixel is an int 0xAARRGGBB, in memory (little-endian) B, G, R, A.
static const cmsUInt32Number clcms2_type_bgra_8 = TYPE_BGRA_8;
