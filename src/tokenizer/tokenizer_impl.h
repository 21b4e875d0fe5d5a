/* Tokenizer internals shared by tokenizer.c and specials.c. */
#ifndef NLP_TOKENIZER_IMPL_H
#define NLP_TOKENIZER_IMPL_H

#include <stdbool.h>
#include <string.h>

#include "core/arena.h"
#include "lang/lang.h"
#include "pattern.h"
#include "tokenizer.h"

/* How a chunk splits into tokens: a special case or a cached result. It
 * holds permanent lexemes only, lives in the tokenizer's arena and is
 * read-only once published. */
typedef struct nlp__split {
    uint32_t len;             /* bytes of the chunk */
    uint32_t n;               /* tokens */
    const char *text;         /* the chunk's bytes, for collision checks */
    const uint32_t *tok_len;  /* bytes of each token */
    const nlp_lexeme_t *lex[];
} nlp__split_t;

/* Open addressing over the chunk's xxh3 hash, one slot per cache line
 * half, so a lookup usually touches one line before the split itself. */
typedef struct nlp__split_slot {
    uint64_t key; /* 0: empty */
    const nlp__split_t *split;
} nlp__split_slot_t;

typedef struct nlp__split_table {
    nlp__split_slot_t *slots;
    size_t mask, count;
} nlp__split_table_t;

/* What a run may change although the tokenizer is shared read-only: the
 * cache. It is written only outside zones (single-threaded by contract). */
typedef struct nlp__tok_cache {
    nlp__split_table_t table;
    nlp__chunk_cache_t chunks;
    nlp__arena_t arena; /* splits of the cache and of the special cases */
} nlp__tok_cache_t;

/* A context split with its pattern compiled. */
typedef struct nlp__context_rule {
    const nlp__context_split_t *def;
    size_t len;
    nlp__pattern_set_t *next;
} nlp__context_rule_t;

struct nlp__tokenizer {
    nlp_vocab_t *vocab;
    const nlp_allocator_t *alloc;
    nlp__pattern_set_t *prefixes, *suffixes, *infixes, *token_match,
        *url_match;
    nlp__split_table_t specials;
    size_t max_special_len; /* longer strings skip the specials lookup */
    nlp__context_rule_t *context;
    size_t n_context;
    uint64_t context_lens; /* bit k set: some context form is k bytes */
    int split_final_abbreviation;
    nlp__tok_cache_t *cache;
};

/* The split stored for s[0..len) with hash `key`, or NULL. Inline: it is
 * the tokenizer's hot path. */
static inline const nlp__split_t *
nlp__split_table_find(const nlp__split_table_t *t, uint64_t key, const char *s,
                      size_t len) {
    if (!t->slots) return NULL;
    for (size_t i = key & t->mask;; i = (i + 1) & t->mask) {
        const nlp__split_slot_t *slot = &t->slots[i];
        if (slot->key == key) {
            const nlp__split_t *sp = slot->split;
            return sp->len == len && memcmp(sp->text, s, len) == 0 ? sp : NULL;
        }
        if (slot->key == 0) return NULL;
    }
}
/* Stores `split` under `key` (nothing happens for key 0 or a key already
 * present). The table's arrays come from `alloc`. */
nlp_status_t nlp__split_table_put(nlp__split_table_t *t,
                                  const nlp_allocator_t *alloc, uint64_t key,
                                  const nlp__split_t *split);
void nlp__split_table_destroy(nlp__split_table_t *t,
                              const nlp_allocator_t *alloc);

/* Copies tokens (lexemes and lengths, which must add up to len) and the
 * chunk text into a new split in the cache arena; NULL when out of memory. */
nlp__split_t *nlp__split_make(nlp__tok_cache_t *cache, const char *text,
                              size_t len, const nlp_lexeme_t *const *lex,
                              const uint32_t *tok_len, size_t n);

/* Expands the language's special-case rows into tok->specials and the
 * cache, making their lexemes permanent. */
/* Compiles the language's context splits into tok->context. */
nlp_status_t nlp__context_build(nlp__tokenizer_t *tok,
                                const nlp__tokenizer_rules_t *rules);
void nlp__context_free(nlp__tokenizer_t *tok);

/* Whether the chunk s[start, end) may split by context at all: its length
 * is that of a context form, or it ends in '.' where a final abbreviation
 * may split. Cheap, so the tokenizer looks ahead only for these chunks. */
static inline bool nlp__context_candidate(const nlp__tokenizer_t *tok,
                                          const char *s, size_t start,
                                          size_t end) {
    size_t len = end - start;
    return (len < 64 && (tok->context_lens >> len & 1)) ||
           (tok->split_final_abbreviation && len > 1 && s[end - 1] == '.');
}

/* Where the chunk s[start, end), whose xxh3 hash is `key`, splits given
 * the chunk s[next, next_end) that follows it (next == next_end: none
 * follows), by the context splits and the final abbreviation rule: the
 * length of the first part, or 0 to keep the chunk whole. */
size_t nlp__context_split_at(const nlp__tokenizer_t *tok, const char *s,
                             size_t start, size_t end, uint64_t key,
                             size_t next, size_t next_end);

nlp_status_t nlp__specials_build(nlp__tokenizer_t *tok,
                                 const nlp__tokenizer_rules_t *rules);

#endif
