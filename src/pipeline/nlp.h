/* The Language object's internals. */
#ifndef NLP_PIPELINE_NLP_H
#define NLP_PIPELINE_NLP_H

#include "component.h"
#include "core/vocab.h"
#include "io/model_file.h"
#include "space_view.h"
#include "spacyc/nlp.h"
#include "tokenizer/tokenizer.h"

#define NLP__MAX_COMPONENTS 16
#define NLP__MAX_META 16

struct nlp {
    const nlp_allocator_t *alloc;
    nlp_vocab_t *vocab;
    nlp__tokenizer_t *tokenizer;
    nlp__component_t *components[NLP__MAX_COMPONENTS];
    size_t n_components;
    nlp__model_reader_t *model; /* the mapped model file, or NULL */
    char *meta_keys[NLP__MAX_META], *meta_values[NLP__MAX_META];
    size_t n_meta;
    /* Temporaries for Docs processed outside zones (single-threaded). */
    nlp__chunk_cache_t scratch_cache;
    nlp__arena_t scratch;
    nlp__space_ids_t space; /* annotation of whitespace tokens */
};

/* Appends a component; the pipeline owns it from then on (also on error). */
nlp_status_t nlp__add_component(nlp_t *nlp, nlp__component_t *c);
/* Sets a metadata value (copied). */
nlp_status_t nlp__set_meta(nlp_t *nlp, const char *key, const char *value);
/* Writes the pipeline (metadata and every component) to a model file. */
nlp_status_t nlp__save(const nlp_t *nlp, const char *path);
/* Runs components [first, n_components) on `doc`. */
nlp_status_t nlp__run_components(nlp_t *nlp, nlp_doc_t *doc, size_t first);

#endif
