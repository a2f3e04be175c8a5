/* import.h: loading ONNX models into core graphs. The caller owns the returned
 * graph (dn_graph_free). Failures are logged through dn_log, one line per
 * problem, and return DN_ERR_INVALID (malformed), DN_ERR_UNSUPPORTED (valid
 * but not runnable here), DN_ERR_IO or DN_ERR_NOMEM. */
#ifndef DN_ONNX_IMPORT_H
#define DN_ONNX_IMPORT_H

#include "core/densenet.h"

/* path "-" reads standard input */
enum dn_status dn_onnx_load_file(const char *path, struct dn_graph **out);
enum dn_status dn_onnx_load_buffer(const void *buf, size_t len, struct dn_graph **out);

#endif
