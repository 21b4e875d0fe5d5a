/* Naming and fetching the model-file sections of one component: each
 * section is "<prefix><suffix>", e.g. "tagger" + ".model". */
#ifndef NLP_MODELS_SECTIONS_H
#define NLP_MODELS_SECTIONS_H

#include <stddef.h>

#include "io/model_file.h"
#include "pipeline/component.h"

/* Writes prefix + suffix into buf (NLP__MODEL_SECTION_NAME_MAX + 1 bytes);
 * NLP_LIMIT when the name does not fit. */
nlp_status_t nlp__section_name(char *buf, const char *prefix,
                               const char *suffix);
/* Adds section prefix + suffix holding data[0..len). */
nlp_status_t nlp__section_put(nlp__model_writer_t *w, const char *prefix,
                              const char *suffix, const void *data, size_t len);
/* The bytes of section prefix + suffix; a missing section is
 * NLP_MODEL_CORRUPT naming it. */
nlp_status_t nlp__section_get(const nlp__model_reader_t *r, const char *prefix,
                              const char *suffix, const void **data,
                              size_t *len);

/* nlp__section_get for a section a model may lack: an absent one gives
 * NLP_OK with *data NULL and *len 0 (and no error detail left behind). */
nlp_status_t nlp__section_get_optional(const nlp__model_reader_t *r,
                                       const char *prefix, const char *suffix,
                                       const void **data, size_t *len);

/* nlp__section_put for n sections: suffix[i] holding data[i][0..len[i]). */
nlp_status_t nlp__sections_put_all(nlp__model_writer_t *w, const char *prefix,
                                   const char *const *suffix, size_t n,
                                   const void *const *data, const size_t *len);
/* nlp__section_get for n sections, stopping at the first missing one. */
nlp_status_t nlp__sections_get_all(const nlp__model_reader_t *r,
                                   const char *prefix,
                                   const char *const *suffix, size_t n,
                                   const void **data, size_t *len);

/* Makes a component usable from its section bytes. */
typedef nlp_status_t (*nlp__attach_fn)(nlp__component_t *c, nlp_vocab_t *vocab);

/* Loads a freshly allocated component `c`, which this call owns: gets its
 * n sections into data/len (arrays inside c) and attaches them. On success
 * *out = c; on failure c is freed through its ops and *out stays NULL. */
nlp_status_t nlp__sections_load(const nlp__model_reader_t *r,
                                const char *prefix,
                                const char *const *suffix, size_t n,
                                const void **data, size_t *len,
                                nlp__component_t *c, nlp_vocab_t *vocab,
                                nlp__attach_fn attach, nlp__component_t **out);

#endif
