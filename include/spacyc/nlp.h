/* libspacyc: the Language object (nlp_t): vocabulary, tokenizer and an
 * ordered list of pipeline components sharing one read-only model.
 *
 * Thread safety: after creation or loading, nlp_tokenize/nlp_parse may run on
 * any number of threads at once, each with its own zone (or with zone == NULL
 * only when no zone is open and no other call runs: that path adds permanent
 * lexemes). Creation, loading and nlp_free are not thread-safe.
 */
#ifndef SPACYC_NLP_H
#define SPACYC_NLP_H

#include "common.h"
#include "doc.h"
#include "vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Creates a pipeline with a tokenizer for `lang` ("en") and no components.
 * `alloc` may be NULL (the C library's malloc). Free with nlp_free. */
NLP_API nlp_status_t nlp_create_blank(const char *lang,
                                      const nlp_allocator_t *alloc,
                                      nlp_t **out);

/* Loads a pipeline from a model file (memory-mapped, read-only). Returns
 * NLP_IO, NLP_MODEL_CORRUPT or NLP_MODEL_VERSION with a detail message for
 * an unreadable, damaged or incompatible file. */
NLP_API nlp_status_t nlp_load(const char *path, const nlp_allocator_t *alloc,
                              nlp_t **out);

/* Like nlp_load, but leaves out the components that `exclude` names
 * (comma-separated, as "ner" or "parser,ner"; NULL or "" for none), like
 * spaCy's spacy.load(name, exclude=[...]): they are neither loaded nor run,
 * and the "pipeline" metadata lists the others. Returns NLP_INVALID_ARG,
 * with a detail message, for a name that is not in the model's pipeline, or
 * when a kept component reads what an excluded one writes (the lemmatizer,
 * senter and parser read the tagger's tags, the parser the supertagger's
 * supertags where the model has a supertagger). Sentence boundaries are used
 * but not required: without the senter or parser, the parser and entity
 * recognizer may decide a little differently. */
NLP_API nlp_status_t nlp_load_exclude(const char *path, const char *exclude,
                                      const nlp_allocator_t *alloc,
                                      nlp_t **out);

/* Loads the bundled default English model: the file named by the environment
 * variable SPACYC_MODEL if set, else the installed copy. */
NLP_API nlp_status_t nlp_load_default(const nlp_allocator_t *alloc,
                                      nlp_t **out);
/* Path nlp_load_default() would use (borrowed, static storage). */
NLP_API const char *nlp_default_model_path(void);

/* Frees the pipeline, its vocabulary and model. All zones must have ended
 * and all zone-free Docs been freed. NULL is a no-op. */
NLP_API void nlp_free(nlp_t *nlp);

/* The pipeline's vocabulary (borrowed until nlp_free). */
NLP_API nlp_vocab_t *nlp_get_vocab(nlp_t *nlp);

/* Tokenizes `text` (any bytes; see README for invalid UTF-8) into a new Doc
 * made in `zone` (or on the heap when NULL; free with nlp_doc_free). */
NLP_API nlp_status_t nlp_tokenize(nlp_t *nlp, nlp_zone_t *zone,
                                  const char *text, size_t len,
                                  nlp_doc_t **out);

/* Tokenizes and runs every pipeline component in order. */
NLP_API nlp_status_t nlp_parse(nlp_t *nlp, nlp_zone_t *zone, const char *text,
                               size_t len, nlp_doc_t **out);

/* Runs the pipeline components on an existing Doc (e.g. one built from gold
 * words with nlp_doc_from_words). The Doc must come from this pipeline (or
 * another sharing its vocabulary): NLP_INVALID_ARG otherwise. */
NLP_API nlp_status_t nlp_process(nlp_t *nlp, nlp_doc_t *doc);

/* Builds a Doc from pre-split words; spaces[i] != 0 when word i is followed
 * by a space (NULL: all followed by one space but the last). */
NLP_API nlp_status_t nlp_doc_from_words(nlp_t *nlp, nlp_zone_t *zone,
                                        const char *const *words,
                                        const size_t *lens,
                                        const uint8_t *spaces, size_t n,
                                        nlp_doc_t **out);

/* Number of pipeline components and the name of component i ("tagger"). */
NLP_API size_t nlp_n_components(const nlp_t *nlp);
NLP_API const char *nlp_component_name(const nlp_t *nlp, size_t i);
/* Labels a component predicts: writes up to cap label strings and the
 * total to *n (labels may be NULL when cap is 0, to count them). Borrowed
 * until nlp_free. */
NLP_API nlp_status_t nlp_component_labels(const nlp_t *nlp, size_t i,
                                          const char **labels, size_t cap,
                                          size_t *n);
/* Model metadata value for `key` ("name", "lang", "version", ...) or NULL. */
NLP_API const char *nlp_meta(const nlp_t *nlp, const char *key);

#ifdef __cplusplus
}
#endif
#endif
