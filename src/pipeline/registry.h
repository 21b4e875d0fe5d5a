/* The component kinds a model file may name, and how to load each. */
#ifndef NLP_PIPELINE_REGISTRY_H
#define NLP_PIPELINE_REGISTRY_H

#include <stddef.h>

#include "component.h"

typedef struct nlp__component_kind {
    const char *name;
    nlp__component_load_fn load;
    unsigned reads;  /* NLP_HAS_* layers its predictions depend on */
    unsigned writes; /* NLP_HAS_* layers it sets */
} nlp__component_kind_t;

/* The kind called name[0..len), or NULL. */
const nlp__component_kind_t *nlp__find_component_kind(const char *name,
                                                      size_t len);

#endif
