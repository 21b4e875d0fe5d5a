/* Gold-annotated corpora read from CoNLL-U and IOB2 files. */
#ifndef NLP_IO_CORPUS_H
#define NLP_IO_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "spacyc/common.h"

/* One syntactic word. Strings are NUL-terminated, "_" fields are "" (but a
 * FORM "_" is the underscore itself, and so is its LEMMA). */
typedef struct nlp__gold_word {
    const char *form, *lemma, *upos, *xpos, *feats, *deprel, *misc;
    const char *ner; /* IOB2 tag ("B-PER", "O") or "" when absent */
    int32_t head;    /* 1-based head word, 0 = root, -1 = none given */
    /* 0 when MISC has SpaceAfter=No; inside a multiword token 0 between
     * its words and the token's own value after the last. IOB2 files take
     * it from the "# text" line where the forms can be found there. */
    uint8_t space_after;
} nlp__gold_word_t;

/* A multiword token spanning words [first, last] (0-based, inclusive),
 * e.g. "didn't" over "did" + "n't". */
typedef struct nlp__gold_mwt {
    uint32_t first, last;
    const char *form;
    uint8_t space_after;
} nlp__gold_mwt_t;

typedef struct nlp__gold_sent {
    const char *sent_id; /* "" when absent */
    const char *text;    /* the "# text = " line, "" when absent */
    uint8_t newdoc, newpar;
    uint32_t line;       /* line number of the first line, for messages */
    nlp__gold_word_t *words;
    uint32_t n_words;
    nlp__gold_mwt_t *mwts;
    uint32_t n_mwts;
} nlp__gold_sent_t;

typedef struct nlp__corpus {
    nlp__chunk_cache_t cache;
    nlp__arena_t arena; /* every string and array of the corpus */
    nlp__gold_sent_t *sents;
    size_t n_sents, cap_sents;
    size_t n_words;
} nlp__corpus_t;

/* Raw text is read a paragraph at a time, but at most this many sentences:
 * the unit the evaluation parses and the senter trains on. */
#define NLP__RAW_UNIT_MAX_SENTS 64u

/* The end of the raw-text unit that starts at sentence s: the next
 * paragraph or document, or NLP__RAW_UNIT_MAX_SENTS sentences on. */
static inline size_t nlp__raw_unit_end(const nlp__corpus_t *c, size_t s) {
    size_t e = s + 1;
    while (e < c->n_sents && !c->sents[e].newpar && !c->sents[e].newdoc &&
           e - s < NLP__RAW_UNIT_MAX_SENTS)
        e++;
    return e;
}

/* Reads a CoNLL-U file; empty nodes (8.1) are skipped. Errors are
 * NLP_IO / NLP_FORMAT with "FILE:LINE: what" in the detail message. */
nlp_status_t nlp__conllu_read(const char *path, const nlp_allocator_t *alloc,
                              nlp__corpus_t **out);
/* Reads an IOB2 file (id, form, tag, ...; "# text = " comments kept);
 * an I- tag that does not continue an entity of the same type, or an
 * unknown tag, is NLP_FORMAT with the line number. */
nlp_status_t nlp__iob2_read(const char *path, const nlp_allocator_t *alloc,
                            nlp__corpus_t **out);
void nlp__corpus_free(nlp__corpus_t *c);

#endif
