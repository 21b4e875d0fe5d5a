/* The one interface every pipeline component implements.
 *
 * A loaded component is read-only: `process` must be safe to call from many
 * threads at once on different Docs. Temporaries go in `scratch`, an arena
 * owned by the calling thread and reset by the caller between Docs.
 */
#ifndef NLP_PIPELINE_COMPONENT_H
#define NLP_PIPELINE_COMPONENT_H

#include "core/arena.h"
#include "io/model_file.h"
#include "spacyc/doc.h"

typedef struct nlp__component nlp__component_t;

typedef struct nlp__component_ops {
    const char *name; /* "tagger", "parser", "ner", ... */
    /* Annotates one Doc. */
    nlp_status_t (*process)(const nlp__component_t *self, nlp_doc_t *doc,
                            nlp__arena_t *scratch);
    /* Labels the component predicts (borrowed). */
    nlp_status_t (*labels)(const nlp__component_t *self, const char **labels,
                           size_t cap, size_t *n);
    /* Writes the component's sections, names prefixed with `prefix`. */
    nlp_status_t (*save)(const nlp__component_t *self,
                         nlp__model_writer_t *writer, const char *prefix);
    void (*free)(nlp__component_t *self);
} nlp__component_ops_t;

struct nlp__component {
    const nlp__component_ops_t *ops;
};

/* Loads a component of kind `name` from sections named with `prefix`;
 * weights may point into the mapped file, which outlives the component. */
typedef nlp_status_t (*nlp__component_load_fn)(nlp_vocab_t *vocab,
                                               const nlp__model_reader_t *r,
                                               const char *prefix,
                                               nlp__component_t **out);

#endif
