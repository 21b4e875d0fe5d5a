/* The component kinds a model file may name, and how to load each. */
#ifndef NLP_PIPELINE_REGISTRY_H
#define NLP_PIPELINE_REGISTRY_H

#include <stddef.h>

#include "component.h"

/* A layer outside the public NLP_HAS_* bits: the supertags the parser
 * reads (kept in the Doc, not in nlp_doc_layers()). */
#define NLP__LAYER_SUPERTAGS (1u << 7)

typedef struct nlp__component_kind {
    const char *name;
    nlp__component_load_fn load;
    unsigned reads;  /* layers (NLP_HAS_*, NLP__LAYER_*) its predictions use */
    unsigned writes; /* layers it sets */
} nlp__component_kind_t;

/* The kind called name[0..len), or NULL. */
const nlp__component_kind_t *nlp__find_component_kind(const char *name,
                                                      size_t len);

#endif
