/* Vocabulary internals: the permanent string store and lexeme table, and
 * the memory zones that overlay them.
 *
 * Permanent entries live in the vocabulary's own arena, which is never
 * reset. A zone owns an arena and two overlay tables (strings, lexemes);
 * lookups try the permanent tables first, then the zone's. Permanent tables
 * are read-only while any zone is open, which is what lets zones on
 * different threads run without locks.
 */
#ifndef NLP_CORE_VOCAB_H
#define NLP_CORE_VOCAB_H

#include <pthread.h>
#include <stdatomic.h>

#include "arena.h"
#include "spacyc/vocab.h"
#include "table.h"
#include "word_stats.h"

/* A stored string: its length, then the bytes and a NUL. */
typedef struct nlp__string {
    uint32_t len;
    char bytes[];
} nlp__string_t;

/* Language-specific lexical data used when lexemes are made. */
typedef struct nlp__lex_lang {
    const char *const *stop_words; /* lower-case, NULL-terminated */
    /* Pairs {form, norm}, NULL-terminated: "n't" -> "not", "'s" ... */
    const char *const (*norm_exceptions)[2];
} nlp__lex_lang_t;

struct nlp_zone {
    nlp_vocab_t *vocab;
    struct nlp_zone *parent;      /* set for a pipe() worker's sub-zone */
    struct nlp_zone *children;    /* sub-zones, ended with this zone */
    struct nlp_zone *next_sibling;
    struct nlp_doc *docs;         /* marked dead when the zone ends */
    /* Doc headers live outside the arena, so a stale handle stays readable
     * (and is reported) after the arena is released; freed headers queue up
     * and are reused only after NLP__DOC_QUARANTINE others, oldest first. */
    struct nlp_doc *free_docs_head, *free_docs_tail;
    size_t n_free_docs;
    void **doc_slabs;
    size_t n_doc_slabs;
    nlp__chunk_cache_t cache; /* this zone object's retained chunks */
    nlp__arena_t arena;
    nlp__arena_t scratch;  /* components' temporaries, reset per Doc */
    nlp__table_t strings;  /* id -> nlp__string_t*, zone strings only */
    nlp__table_t lexemes;  /* orth id -> nlp_lexeme_t*, zone lexemes only */
    uint64_t generation;   /* unique while open; bumped when it ends */
    int open;
    struct nlp_zone *next_free; /* in the vocabulary's pool of ended zones */
};

struct nlp_vocab {
    const nlp_allocator_t *alloc;
    nlp__chunk_cache_t cache;
    nlp__arena_t arena;   /* permanent strings and lexemes */
    nlp__table_t strings; /* id -> nlp__string_t* */
    nlp__table_t lexemes; /* orth id -> nlp_lexeme_t* */
    nlp_lexeme_t **lexeme_list; /* permanent lexemes by id */
    size_t n_lexemes, lexeme_cap;
    const nlp__lex_lang_t *lang;
    nlp__table_t stop_words;      /* lower-case id -> non-NULL */
    nlp__table_t norm_exceptions; /* orth id -> nlp__string_t* of the norm */
    nlp__word_stats_t word_stats; /* empty unless a model or trainer sets it */
    const void *word_stats_image; /* its image, saved with the pipeline */
    size_t word_stats_len;
    int word_stats_owned;         /* 1: freed with the vocabulary */
    atomic_int open_zones;
    atomic_uint_fast64_t next_generation;
    pthread_mutex_t pool_lock; /* guards the pool of ended zone objects */
    struct nlp_zone *zone_pool;
    struct nlp_zone **all_zones; /* every zone object, freed at the end */
    size_t n_all_zones, all_zones_cap;
};

nlp_status_t nlp__vocab_create(const nlp_allocator_t *alloc,
                               const nlp__lex_lang_t *lang, nlp_vocab_t **out);
/* Frees the vocabulary and every zone object; all zones must have ended. */
void nlp__vocab_free(nlp_vocab_t *vocab);

/* Gives lexemes their word statistics (cluster, prob) from a
 * nlp__word_stats image, and updates the permanent lexemes made so far.
 * With `owned` the vocabulary frees the image (with its allocator) when it
 * is freed or replaced, also on failure; otherwise the image must outlive
 * it. NLP_ZONE_OPEN while a zone is open, NLP_MODEL_CORRUPT for a damaged
 * image (the statistics stay as they were). Not thread-safe: call it while
 * loading or training, before the vocabulary is shared. */
nlp_status_t nlp__vocab_set_word_stats(nlp_vocab_t *vocab, const void *image,
                                       size_t len, int owned);

nlp_status_t nlp__zone_begin(nlp_vocab_t *vocab, nlp_zone_t **out);
nlp_status_t nlp__zone_end(nlp_zone_t *zone);

/* A lexeme with the stored orth string beside it, so collision checks need
 * no second lookup. The public struct comes first: casts are safe. */
typedef struct nlp__lexeme_entry {
    nlp_lexeme_t lex;
    const nlp__string_t *orth_str;
} nlp__lexeme_entry_t;

/* Opens a sub-zone of `parent` for one worker thread: lookups see the
 * permanent tables, then the parent's overlay (read-only meanwhile), then
 * its own. It ends with its parent, or earlier with nlp__zone_end. */
nlp_status_t nlp__zone_begin_child(nlp_zone_t *parent, nlp_zone_t **out);

/* Doc headers a zone object reuses only after this many newer ones. */
#define NLP__DOC_QUARANTINE 64
/* A Doc header from the zone's pool (not zeroed), or NULL. */
struct nlp_doc *nlp__zone_take_doc(nlp_zone_t *zone);
/* Frees the zone object's Doc header slabs (at vocabulary free). */
void nlp__zone_free_doc_slabs(nlp_zone_t *zone);

/* NLP_OK when `zone` is NULL or an open zone of `vocab`. */
nlp_status_t nlp__zone_check(const nlp_vocab_t *vocab, const nlp_zone_t *zone);

/* Adds a string (same contract as nlp_vocab_add_string) and returns the
 * stored copy, or NULL with the status in *status. */
const nlp__string_t *nlp__vocab_intern(nlp_vocab_t *vocab, nlp_zone_t *zone,
                                       const char *s, size_t len,
                                       nlp_hash_t *id, nlp_status_t *status);

/* The stored string for an id (permanent first, then zone), or NULL. */
const nlp__string_t *nlp__vocab_lookup_string(const nlp_vocab_t *vocab,
                                              const nlp_zone_t *zone,
                                              nlp_hash_t id);

/* Lexeme lookup by precomputed id, without creating. NULL if absent or if
 * the stored bytes differ (a collision). */
const nlp_lexeme_t *nlp__vocab_find_lexeme_hashed(const nlp_vocab_t *vocab,
                                                  const nlp_zone_t *zone,
                                                  nlp_hash_t id, const char *s,
                                                  size_t len);

/* A zero lexeme for padding around token arrays (all ids 0). */
extern const nlp_lexeme_t nlp__empty_lexeme;

#endif
