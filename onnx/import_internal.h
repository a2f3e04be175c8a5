/* import_internal.h: what import.c and attr.c share; protobuf types stay inside onnx/. */
#ifndef DN_ONNX_IMPORT_INTERNAL_H
#define DN_ONNX_IMPORT_INTERNAL_H

#include "core/graph.h"
#include "onnx/onnx.pb-c.h"

/* Decodes a tensor's elements into a malloc'ed buffer (float32, or int64 for
 * int32/int64 data). On failure writes the reason ("has data type INT8; ...")
 * to why, to follow the tensor's name in a message. */
enum dn_status dn_onnx_tensor_decode(const Onnx__TensorProto *t, enum dn_dtype *dtype,
                                     struct dn_shape *shape, void **data, char *why, size_t whylen);

/* Fills n->p from the node's attributes, applying each attribute's ONNX
 * default for n->opset; writes the reason to why on failure. */
enum dn_status dn_onnx_attrs_decode(const Onnx__NodeProto *np, struct dn_node *n, char *why, size_t whylen);

#endif
