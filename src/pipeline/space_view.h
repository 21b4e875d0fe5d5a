/* Whitespace tokens and the pipeline's components.
 *
 * The tokenizer keeps whitespace other than one space after a word as
 * tokens ("\n", "\n\n", "  "), as spaCy does, but treebank text has none:
 * models would give them arbitrary tags and arcs, and they would push real
 * neighbours out of every feature window. So components run on a view of
 * the Doc without them, in which a word before whitespace counts as
 * followed by a space. Afterwards each whitespace token gets spaCy's
 * annotation for the layers the components set: tag "_SP", POS "SPACE",
 * its own text as lemma, and a "dep" arc from the previous word (the next
 * one for leading whitespace), whose sentence it joins; it is inside an
 * entity only when words of the entity surround it.
 *
 * Thread-safe for different Docs; the ids are read-only once made.
 */
#ifndef NLP_PIPELINE_SPACE_VIEW_H
#define NLP_PIPELINE_SPACE_VIEW_H

#include "core/arena.h"
#include "spacyc/common.h"
#include "spacyc/doc.h"
#include "spacyc/vocab.h"

/* The string ids whitespace tokens are annotated with. */
typedef struct nlp__space_ids {
    nlp_hash_t tag, pos, dep;
} nlp__space_ids_t;

/* Adds "_SP", "SPACE" and "dep" to the permanent string store. */
nlp_status_t nlp__space_ids_init(nlp_vocab_t *vocab, nlp__space_ids_t *ids);

/* Runs run(ctx, d) on `doc` itself when it has no whitespace tokens, else on
 * a view without them, then carries the view's annotation back and
 * annotates the whitespace tokens. The view's memory comes from `cache` (the
 * zone's, so a steady stream of Docs makes no system allocation) and goes
 * back to it before returning. On failure the Doc is as it was. */
nlp_status_t nlp__run_without_spaces(nlp_doc_t *doc, nlp__chunk_cache_t *cache,
                                     const nlp__space_ids_t *ids,
                                     nlp_status_t (*run)(void *ctx, nlp_doc_t *d),
                                     void *ctx);

#endif
