/* import.h: loading ONNX models into core graphs. The loaders,
 * dn_onnx_load_file and dn_onnx_load_buffer, are public API and declared in
 * core/densenet.h (their contract is there); this header stays for the
 * code that includes it. */
#ifndef DN_ONNX_IMPORT_H
#define DN_ONNX_IMPORT_H

#include "core/densenet.h"

#endif
