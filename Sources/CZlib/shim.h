// System-library shim: zlib (Debian: zlib1g-dev), for gzip-compressed dataset files.
#ifndef HYPERTUNE_CZLIB_SHIM_H
#define HYPERTUNE_CZLIB_SHIM_H
#include <zlib.h>
#endif
