/* passes.h: exact graph rewrites run by dn_session_init on its clone (see passes.c). */
#ifndef DN_PASSES_H
#define DN_PASSES_H

#include "graph.h"

void dn_pass_remove_copies(struct dn_graph *g);
void dn_pass_alias_reshapes(struct dn_graph *g);

#endif
