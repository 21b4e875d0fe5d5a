/* Reading a gazetteer file for the entity recogniser's training.
 *
 * One name per line, "<category>\t<name>": the category is a short label
 * of the list the name comes from ("CITY", "FIRST_NAME"; at most
 * NLP__NER_GAZ_MAX_CATEGORIES different ones), the name its words
 * separated by single spaces, split as the tokenizer splits text ("st.
 * louis"). Case does not matter: words are lower-cased as lexemes' `lower`
 * is. A name may be listed under several categories. Blank lines and lines
 * starting with '#' are skipped; names of more than NLP__NER_LEX_MAX_PHRASE
 * words are counted and skipped.
 */
#ifndef NLP_IO_GAZETTEER_FILE_H
#define NLP_IO_GAZETTEER_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "models/ner_lexicon.h"
#include "spacyc/common.h"

/* Longest category label, in bytes. */
#define NLP__GAZ_CATEGORY_MAX 31

/* What a read found, for the training log. */
typedef struct nlp__gazetteer_counts {
    size_t names;    /* names stored */
    size_t too_long; /* names skipped for their length */
    uint32_t n_categories;
    char categories[NLP__NER_GAZ_MAX_CATEGORIES][NLP__GAZ_CATEGORY_MAX + 1];
} nlp__gazetteer_counts_t;

/* Reads the file at `path` into a new gazetteer image
 * (nlp__ner_gazetteer_build; caller frees with `alloc`). NLP_FORMAT names
 * the file and line of a malformed line or a category too many; NLP_IO an
 * unreadable file. */
nlp_status_t nlp__gazetteer_read(const nlp_allocator_t *alloc, const char *path,
                                 void **image, size_t *len,
                                 nlp__gazetteer_counts_t *counts);

#endif
