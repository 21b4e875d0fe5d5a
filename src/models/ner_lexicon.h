/* The entity lexicon: gazetteer-like statistics the recogniser learns from
 * its training corpus.
 *
 * Two kinds of entries, keyed by hashes of lower-cased words:
 *   words    every training word, with how often it occurs in lower case
 *            and how often (and under which label) it is part of an
 *            entity;
 *   phrases  every gold entity's word sequence (up to
 *            NLP__NER_LEX_MAX_PHRASE words), with how often that sequence
 *            is an entity of each label against how often it occurs at all;
 *            the proper prefixes of such sequences are marked so a match can
 *            stop as soon as no longer entry can follow.
 * Only coarse, bucketed codes are kept (dominant label, share, frequency),
 * which is what the features use and keeps the table small.
 *
 * The image is immutable and used in place; lookups are thread-safe.
 *
 * The same image format also holds a gazetteer (nlp__ner_gazetteer_build):
 * lists of names from outside the training data, whose codes carry a set of
 * categories instead of label statistics.
 *
 * Image layout (little-endian, 8-byte aligned): 32-byte header (magic
 * "SPCLEX01", slot count, entry count, label or category count, 1 for a
 * gazetteer else 0), keys[n_slots] (uint64, 0 = empty), codes[n_slots]
 * (uint32), zero padding to 8 bytes.
 */
#ifndef NLP_MODELS_NER_LEXICON_H
#define NLP_MODELS_NER_LEXICON_H

#include <stddef.h>
#include <stdint.h>

#include "models/biluo.h"
#include "spacyc/common.h"

/* Longest entity phrase the lexicon stores, in words. */
#define NLP__NER_LEX_MAX_PHRASE 6
/* Labels beyond this many share the last code value. */
#define NLP__NER_LEX_MAX_LABELS 255

/* A code packs: bits 0-7 dominant label + 1 (0: never in an entity),
 * bits 8-10 share bucket (how often an entity, 0..4), bits 11-12
 * frequency bucket (0..3), bits 13-14 lower-case use (words only: never,
 * sometimes, mostly, always), bit 16 "is a prefix of a longer phrase", bit 17 "is an entry". */
#define NLP__NER_LEX_LABEL(code) ((code) & 0xffu)
#define NLP__NER_LEX_SHARE(code) (((code) >> 8) & 7u)
#define NLP__NER_LEX_FREQ(code) (((code) >> 11) & 3u)
#define NLP__NER_LEX_LOWER(code) (((code) >> 13) & 3u)
#define NLP__NER_LEX_PREFIX (1u << 16)
#define NLP__NER_LEX_ENTRY (1u << 17)

/* One training sentence: the lower-case word ids, its gold entities and
 * its fold (see nlp__ner_lexicon_build). */
typedef struct nlp__ner_lex_sent {
    const uint64_t *lower;
    const uint8_t *is_lower; /* 1 when the word is written in lower case */
    uint32_t n;
    const nlp__biluo_span_t *ents;
    uint32_t n_ents;
    uint32_t fold;
} nlp__ner_lex_sent_t;

/* One gazetteer entry: a name of up to NLP__NER_LEX_MAX_PHRASE lower-case
 * word ids and its category (0..NLP__NER_GAZ_MAX_CATEGORIES-1). */
typedef struct nlp__ner_gaz_entry {
    const uint64_t *lower;
    uint32_t n;
    uint32_t category;
} nlp__ner_gaz_entry_t;

/* Most categories a gazetteer may have (one code bit each). */
#define NLP__NER_GAZ_MAX_CATEGORIES 8u

/* A read-only view of a lexicon image. */
typedef struct nlp__ner_lexicon {
    uint32_t n_slots, n_entries, n_labels;
    uint32_t is_gazetteer; /* built by nlp__ner_gazetteer_build */
    const uint64_t *keys;
    const uint32_t *codes;
} nlp__ner_lexicon_t;

/* Counts the statistics over sents[0..n) whose fold differs from
 * `exclude_fold` (UINT32_MAX: use them all) and freezes them into a new
 * image (caller frees with `alloc`) that nlp__ner_lexicon_open accepts.
 * Leaving out the fold a sentence belongs to gives training the same view
 * of unseen names that new text will have. */
nlp_status_t nlp__ner_lexicon_build(const nlp_allocator_t *alloc,
                                    const nlp__ner_lex_sent_t *sents, size_t n,
                                    uint32_t n_labels, uint32_t exclude_fold,
                                    void **image, size_t *len);

/* Freezes a gazetteer (lists of names from outside the training data,
 * such as cities or first names) into a lexicon image (caller frees with
 * `alloc`). Its codes differ from a corpus lexicon's: the label bits hold
 * the set of categories (bit c for category c) of the entries with that
 * word sequence and the share bucket is always the highest; there are no
 * word codes (see nlp__ner_lexicon_one_word_entry). Matching is the same.
 * Entries longer than NLP__NER_LEX_MAX_PHRASE words are skipped. */
nlp_status_t nlp__ner_gazetteer_build(const nlp_allocator_t *alloc,
                                      const nlp__ner_gaz_entry_t *entries,
                                      size_t n, uint32_t n_categories,
                                      void **image, size_t *len);

/* Validates an image (8-byte aligned, outliving the view) and makes a view;
 * NLP_MODEL_CORRUPT with a detail when it is damaged. */
nlp_status_t nlp__ner_lexicon_open(const void *image, size_t len,
                                   nlp__ner_lexicon_t *out);

/* The code of a word (0 when the word was never seen). */
uint32_t nlp__ner_lexicon_word(const nlp__ner_lexicon_t *lx, uint64_t lower);

/* The code of the one-word phrase `lower` (without the entry and prefix
 * flags), or 0 when it is not an entry: a gazetteer's word lookup. */
uint32_t nlp__ner_lexicon_one_word_entry(const nlp__ner_lexicon_t *lx, uint64_t lower);

/* The position of a token inside a phrase match, kept in bits 18-19 of the
 * codes nlp__ner_lexicon_match writes. */
#define NLP__NER_LEX_POS(code) (((code) >> 18) & 3u)
enum { NLP__NER_LEX_POS_B, NLP__NER_LEX_POS_I, NLP__NER_LEX_POS_L, NLP__NER_LEX_POS_U };

/* Finds entity phrases in the words lower[0..n) (leftmost, then longest
 * first; a phrase must have been an entity in at least one tenth of its
 * occurrences) and writes, for each word, the matched phrase's code with
 * the word's position in it, or 0 where no phrase matched. With
 * `one_word_codes`, also writes each word's nlp__ner_lexicon_one_word_entry,
 * reusing the lookups the match makes anyway. */
void nlp__ner_lexicon_match(const nlp__ner_lexicon_t *lx, const uint64_t *lower,
                            uint32_t n, uint32_t *codes, uint32_t *one_word_codes);

#endif
