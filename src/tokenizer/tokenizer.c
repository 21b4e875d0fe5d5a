/* The rule-based tokenizer: spaCy's algorithm over byte offsets.
 *
 * The text is cut into chunks at whitespace. A single ' ' after a chunk is
 * consumed and recorded as the chunk's last token's `spacy` flag; any other
 * whitespace (a tab, a newline, a second space, a no-break space) becomes a
 * whitespace token of its own, so the tokens and their flags always spell
 * the text again. Each chunk is looked up in the cache by its xxh3 hash;
 * a miss is split by the rules:
 *
 *   1. while something is left: stop if it is a token match or a special
 *      case; else split off the longest prefix and the longest suffix (stop
 *      early when what remains without one of them is a special case);
 *   2. what is left is a special case, a token or URL match (one token), or
 *      is cut at infixes;
 *   3. prefixes come first, then that, then suffixes innermost first.
 *
 * Invalid UTF-8 is kept byte for byte: each invalid byte reads as U+FFFD, a
 * symbol, so the rules cut it out as a one-byte token of its own (inside a
 * URL it stays part of the URL). A chunk
 * longer than NLP__TOK_MAX_RULE_CHUNK bytes is kept as one token: no word is
 * that long, and the rules would cost time quadratic in its length.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <stdatomic.h>
#include <string.h>

#include "core/alloc.h"
#include "doc/doc.h"
#include "tokenizer_impl.h"
#include "utf8.h"

#define NLP__TOK_MAX_RULE_CHUNK 4096
#define CACHE_CHUNK_SIZE (256u << 10)
#define SMALL_PIECES 64
#define LOOKAHEAD 8 /* chunks; a power of two */

/* ---- split tables ------------------------------------------------------- */

static nlp_status_t table_grow(nlp__split_table_t *t,
                               const nlp_allocator_t *alloc) {
    size_t cap = t->slots ? (t->mask + 1) * 2 : 1024;
    nlp__split_slot_t *slots = nlp__calloc(alloc, cap, sizeof *slots);
    if (!slots) return NLP_NOMEM;
    for (size_t i = 0; t->slots && i <= t->mask; i++) {
        if (!t->slots[i].key) continue;
        size_t j = t->slots[i].key & (cap - 1);
        while (slots[j].key) j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
    }
    nlp__free(alloc, t->slots);
    t->slots = slots;
    t->mask = cap - 1;
    return NLP_OK;
}

nlp_status_t nlp__split_table_put(nlp__split_table_t *t,
                                  const nlp_allocator_t *alloc, uint64_t key,
                                  const nlp__split_t *split) {
    if (key == 0) return NLP_OK;
    /* Keep the load under one half so misses stay short. */
    if (!t->slots || (t->count + 1) * 2 > t->mask + 1) {
        nlp_status_t st = table_grow(t, alloc);
        if (st) return st;
    }
    size_t i = key & t->mask;
    while (t->slots[i].key) {
        if (t->slots[i].key == key) return NLP_OK; /* present, or a collision */
        i = (i + 1) & t->mask;
    }
    t->slots[i].key = key;
    t->slots[i].split = split;
    t->count++;
    return NLP_OK;
}

void nlp__split_table_destroy(nlp__split_table_t *t,
                              const nlp_allocator_t *alloc) {
    nlp__free(alloc, t->slots);
    memset(t, 0, sizeof *t);
}

nlp__split_t *nlp__split_make(nlp__tok_cache_t *cache, const char *text,
                              size_t len, const nlp_lexeme_t *const *lex,
                              const uint32_t *tok_len, size_t n) {
    size_t head = sizeof(nlp__split_t) + n * sizeof(nlp_lexeme_t *);
    nlp__split_t *sp = nlp__arena_alloc(
        &cache->arena, head + n * sizeof(uint32_t) + len, _Alignof(nlp__split_t));
    if (!sp) return NULL;
    uint32_t *lens = (uint32_t *)((char *)sp + head);
    char *bytes = (char *)(lens + n);
    sp->len = (uint32_t)len;
    sp->n = (uint32_t)n;
    memcpy(lens, tok_len, n * sizeof *lens);
    memcpy(bytes, text, len);
    memcpy(sp->lex, lex, n * sizeof *lex);
    sp->tok_len = lens;
    sp->text = bytes;
    return sp;
}

/* ---- creation ------------------------------------------------------------ */

/* Appends s[0..len) and a space to buf (growing it); returns 0 when out of
 * memory. */
static int append(const nlp_allocator_t *alloc, char **buf, size_t *n,
                  size_t *cap, const char *s, size_t len) {
    if (*n + len + 1 > *cap) {
        size_t c = (*n + len + 1) * 2;
        char *b = nlp__realloc_array(alloc, *buf, c, 1);
        if (!b) return 0;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *n, s, len);
    (*buf)[*n + len] = ' ';
    *n += len + 1;
    return 1;
}

/* Tokenizes the language's seed text and its stop words (as written and
 * title-cased) outside zones, which caches those chunks with permanent
 * lexemes: a server that tokenizes only inside zones never fills the
 * cache itself, and these are the most frequent chunks of any text. */
static nlp_status_t warm_cache(nlp__tokenizer_t *tok,
                               const nlp__tokenizer_rules_t *rules) {
    const nlp_allocator_t *alloc = tok->alloc;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int ok = 1;
    if (rules->cache_seed)
        ok = append(alloc, &buf, &n, &cap, rules->cache_seed,
                    strlen(rules->cache_seed));
    const nlp__lex_lang_t *lex = tok->vocab->lang;
    for (const char *const *w = lex ? lex->stop_words : NULL; ok && w && *w; w++) {
        size_t len = strlen(*w);
        ok = append(alloc, &buf, &n, &cap, *w, len);
        if (ok && len && (*w)[0] >= 'a' && (*w)[0] <= 'z') {
            size_t at = n;
            ok = append(alloc, &buf, &n, &cap, *w, len);
            if (ok) buf[at] = (char)(buf[at] - 'a' + 'A');
        }
    }
    nlp_status_t st = ok ? NLP_OK : NLP_NOMEM;
    nlp_doc_t *doc = NULL;
    if (!st && n && !(st = nlp__doc_create(tok->vocab, NULL, buf, n, &doc)))
        st = nlp__tokenizer_run(tok, doc);
    nlp_doc_free(doc);
    nlp__free(alloc, buf);
    return st;
}

nlp_status_t nlp__tokenizer_create(nlp_vocab_t *vocab, const char *lang,
                                   nlp__tokenizer_t **out) {
    if (!out) return NLP_INVALID_ARG;
    *out = NULL;
    if (!vocab) return NLP_INVALID_ARG;
    const nlp__tokenizer_rules_t *rules = nlp__tokenizer_rules_for(lang);
    if (!rules)
        return nlp__fail(NLP_UNSUPPORTED, "no tokenizer rules for \"%s\"",
                         lang ? lang : "(null)");
    if (atomic_load(&vocab->open_zones) > 0)
        return nlp__fail(NLP_ZONE_OPEN, "creating a tokenizer adds permanent "
                                        "lexemes; end all zones first");
    const nlp_allocator_t *alloc = vocab->alloc;
    nlp__tokenizer_t *tok = nlp__calloc(alloc, 1, sizeof *tok);
    nlp__tok_cache_t *cache = nlp__calloc(alloc, 1, sizeof *cache);
    if (!tok || !cache) {
        nlp__free(alloc, tok);
        nlp__free(alloc, cache);
        return NLP_NOMEM;
    }
    tok->vocab = vocab;
    tok->alloc = alloc;
    tok->cache = cache;
    nlp__chunk_cache_init(&cache->chunks, alloc, CACHE_CHUNK_SIZE, 0);
    nlp__arena_init(&cache->arena, &cache->chunks);
    nlp_status_t st;
    if ((st = nlp__pattern_set_compile(alloc, rules->prefixes,
                                       NLP__PATTERN_FORWARD, &tok->prefixes)) ||
        (st = nlp__pattern_set_compile(alloc, rules->suffixes,
                                       NLP__PATTERN_BACKWARD, &tok->suffixes)) ||
        (st = nlp__pattern_set_compile(alloc, rules->infixes,
                                       NLP__PATTERN_FORWARD, &tok->infixes)) ||
        (st = nlp__pattern_set_compile(alloc, rules->token_match,
                                       NLP__PATTERN_FORWARD, &tok->token_match)) ||
        (st = nlp__pattern_set_compile(alloc, rules->url_match,
                                       NLP__PATTERN_FORWARD, &tok->url_match)) ||
        (st = nlp__specials_build(tok, rules)) ||
        (st = nlp__context_build(tok, rules)) ||
        (st = warm_cache(tok, rules))) {
        nlp__tokenizer_free(tok);
        return st;
    }
    *out = tok;
    return NLP_OK;
}

void nlp__tokenizer_free(nlp__tokenizer_t *tok) {
    if (!tok) return;
    const nlp_allocator_t *alloc = tok->alloc;
    nlp__pattern_set_free(tok->prefixes);
    nlp__pattern_set_free(tok->suffixes);
    nlp__pattern_set_free(tok->infixes);
    nlp__pattern_set_free(tok->token_match);
    nlp__pattern_set_free(tok->url_match);
    nlp__context_free(tok);
    nlp__split_table_destroy(&tok->specials, alloc);
    nlp__split_table_destroy(&tok->cache->table, alloc);
    nlp__arena_destroy(&tok->cache->arena);
    nlp__chunk_cache_destroy(&tok->cache->chunks);
    nlp__free(alloc, tok->cache);
    nlp__free(alloc, tok);
}

/* ---- splitting one chunk by the rules ----------------------------------- */

/* A piece of a chunk: one token, or a special case's tokens. Offsets are
 * into the Doc text. */
typedef struct piece {
    uint32_t off, len;
    const nlp__split_t *special;
} piece_t;

typedef struct run {
    const nlp__tokenizer_t *tok;
    nlp_doc_t *doc;
    const char *text;
    int fill_cache;
} run_t;

static const nlp__split_t *find_special(const nlp__tokenizer_t *tok,
                                        const char *s, size_t a, size_t b) {
    if (b - a > tok->max_special_len) return NULL;
    return nlp__split_table_find(&tok->specials, XXH3_64bits(s + a, b - a),
                                 s + a, b - a);
}

/* Cuts s[a, b) at infixes into pieces from *n on. An infix at the very
 * start is not split off, as in spaCy. */
static void split_infixes(const nlp__tokenizer_t *tok, const char *s, size_t a,
                          size_t b, piece_t *out, size_t *n) {
    size_t start = a, p = a;
    while (p < b) {
        size_t m = nlp__pattern_longest_at(tok->infixes, s, a, b, p);
        if (!m) {
            size_t k;
            nlp__utf8_next(s, p, b, &k);
            p += k;
            continue;
        }
        if (p != a) {
            if (p > start)
                out[(*n)++] = (piece_t){(uint32_t)start, (uint32_t)(p - start), NULL};
            out[(*n)++] = (piece_t){(uint32_t)p, (uint32_t)m, NULL};
            start = p + m;
        }
        p += m;
    }
    if (start < b)
        out[(*n)++] = (piece_t){(uint32_t)start, (uint32_t)(b - start), NULL};
}

/* Splits the chunk s[a, b) into pieces; `out` has room for one piece per
 * byte (pieces are never empty). Returns the number of pieces. */
static size_t split_chunk(const nlp__tokenizer_t *tok, const char *s, size_t a,
                          size_t b, piece_t *out, size_t cap) {
    size_t n_pre = 0, n_suf = 0; /* suffixes fill `out` from the back */
    const nlp__split_t *special = find_special(tok, s, a, b);
    size_t last = 0;
    while (!special && a < b && b - a != last) {
        if (nlp__pattern_matches_all(tok->token_match, s, a, b)) break;
        last = b - a;
        size_t pre = nlp__pattern_longest_at(tok->prefixes, s, a, b, a);
        if (pre && a + pre < b && (special = find_special(tok, s, a + pre, b))) {
            out[n_pre++] = (piece_t){(uint32_t)a, (uint32_t)pre, NULL};
            a += pre;
            break;
        }
        size_t suf = nlp__pattern_longest_suffix(tok->suffixes, s, a + pre, b);
        if (suf && b - suf > a && (special = find_special(tok, s, a, b - suf))) {
            out[cap - 1 - n_suf++] = (piece_t){(uint32_t)(b - suf), (uint32_t)suf, NULL};
            b -= suf;
            break;
        }
        if (pre) {
            out[n_pre++] = (piece_t){(uint32_t)a, (uint32_t)pre, NULL};
            a += pre;
        }
        if (suf) {
            out[cap - 1 - n_suf++] = (piece_t){(uint32_t)(b - suf), (uint32_t)suf, NULL};
            b -= suf;
        }
        if (a < b) special = find_special(tok, s, a, b);
    }
    size_t n = n_pre;
    if (a < b) {
        if (special)
            out[n++] = (piece_t){(uint32_t)a, (uint32_t)(b - a), special};
        else if (nlp__pattern_matches_all(tok->token_match, s, a, b) ||
                 nlp__pattern_matches_all(tok->url_match, s, a, b))
            out[n++] = (piece_t){(uint32_t)a, (uint32_t)(b - a), NULL};
        else
            split_infixes(tok, s, a, b, out, &n);
    }
    /* Suffixes were found outermost first; they follow innermost first. */
    memmove(out + n, out + cap - n_suf, n_suf * sizeof *out);
    return n + n_suf;
}

/* Appends the tokens of a cached split or special case at offset `at`. */
static nlp_status_t push_split(nlp_doc_t *doc, const nlp__split_t *sp,
                               uint32_t at) {
    for (uint32_t i = 0; i < sp->n; i++) {
        nlp_status_t st = nlp__doc_push(doc, sp->lex[i], at, sp->tok_len[i], 0);
        if (st) return st;
        at += sp->tok_len[i];
    }
    return NLP_OK;
}

/* Records the tokens the Doc got for s[start, end) as a cached split. */
static nlp_status_t remember(const run_t *r, size_t start, size_t end,
                             uint64_t key, uint32_t first) {
    nlp_doc_t *doc = r->doc;
    size_t n = doc->n_tokens - first;
    const nlp_lexeme_t *small_lex[SMALL_PIECES];
    uint32_t small_len[SMALL_PIECES];
    const nlp_lexeme_t **lex = small_lex;
    uint32_t *lens = small_len;
    if (n > SMALL_PIECES) {
        lex = nlp__doc_alloc(doc, n * sizeof *lex, _Alignof(const nlp_lexeme_t *));
        lens = nlp__doc_alloc(doc, n * sizeof *lens, _Alignof(uint32_t));
        if (!lex || !lens) return NLP_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        lex[i] = doc->tokens[first + i].lex;
        lens[i] = doc->tokens[first + i].len;
    }
    nlp__tok_cache_t *cache = r->tok->cache;
    nlp__split_t *sp =
        nlp__split_make(cache, r->text + start, end - start, lex, lens, n);
    if (!sp) return NLP_NOMEM;
    return nlp__split_table_put(&cache->table, r->tok->alloc, key, sp);
}

/* Tokenizes a chunk the cache does not know. */
static nlp_status_t split_new_chunk(const run_t *r, size_t start, size_t end,
                                    uint64_t key) {
    nlp_doc_t *doc = r->doc;
    size_t len = end - start;
    piece_t small[SMALL_PIECES];
    piece_t *pieces = small;
    size_t n;
    if (len > NLP__TOK_MAX_RULE_CHUNK) {
        small[0] = (piece_t){(uint32_t)start, (uint32_t)len, NULL};
        n = 1;
    } else {
        if (len > SMALL_PIECES) {
            pieces = nlp__doc_alloc(doc, len * sizeof *pieces, _Alignof(piece_t));
            if (!pieces) return NLP_NOMEM;
        }
        n = split_chunk(r->tok, r->text, start, end, pieces,
                        len > SMALL_PIECES ? len : SMALL_PIECES);
    }
    uint32_t first = doc->n_tokens;
    for (size_t i = 0; i < n; i++) {
        const piece_t *p = &pieces[i];
        nlp_status_t st;
        if (p->special) {
            st = push_split(doc, p->special, p->off);
        } else {
            const nlp_lexeme_t *lex;
            st = nlp_vocab_get_lexeme(doc->vocab, doc->zone, r->text + p->off,
                                      p->len, &lex);
            if (!st) st = nlp__doc_push(doc, lex, p->off, p->len, 0);
        }
        if (st) return st;
    }
    if (r->fill_cache && len <= NLP__TOK_MAX_RULE_CHUNK)
        return remember(r, start, end, key, first);
    return NLP_OK;
}


/* ---- whitespace ---------------------------------------------------------- */

/* Byte kinds: 0 no whitespace, 1 ' ', 2 other ASCII whitespace, 3 the lead
 * byte of a multi-byte character that may be whitespace (U+0085, U+00A0,
 * U+1680, U+2000..U+205F, U+3000). */
static const uint8_t byte_kind[256] = {
    ['\t'] = 2, ['\n'] = 2, ['\v'] = 2, ['\f'] = 2, ['\r'] = 2, [' '] = 1,
    [0xC2] = 3, [0xE1] = 3, [0xE2] = 3, [0xE3] = 3,
};

/* Length of the whitespace character at s[i], or 0 if there is none. */
static inline size_t space_at(const char *s, size_t i, size_t n) {
    uint8_t kind = byte_kind[(unsigned char)s[i]];
    if (kind < 3) return kind != 0;
    size_t k;
    int32_t cp = nlp__utf8_next(s, i, n, &k);
    return nlp__utf8_is_space(cp) ? k : 0;
}

/* Finds chunks one after the other: a run of non-whitespace, or a run of
 * whitespace minus the single ' ' consumed after the chunk before it. */
typedef struct scanner {
    const char *s;
    size_t n, i;
    int in_space;
} scanner_t;

typedef struct chunk {
    size_t start, end;
    uint64_t key;
    int spacy; /* a ' ' after it was consumed */
} chunk_t;

static int next_chunk(scanner_t *sc, chunk_t *c) {
    const char *s = sc->s;
    size_t n = sc->n, i = sc->i;
    while (i < n) {
        size_t start = i;
        if (sc->in_space) {
            size_t k;
            while (i < n && (k = space_at(s, i, n))) i += k;
            sc->in_space = 0;
            if (i == start) continue; /* only the consumed ' ' was there */
            *c = (chunk_t){start, i, 0, 0};
            sc->i = i;
            return 1;
        }
        for (; i < n; i++) {
            uint8_t kind = byte_kind[(unsigned char)s[i]];
            if (kind && (kind < 3 || space_at(s, i, n))) break;
        }
        *c = (chunk_t){start, i, 0, 0};
        if (i < n && s[i] == ' ') { /* the chunk's trailing space */
            c->spacy = 1;
            i++;
        }
        sc->in_space = 1;
        sc->i = i;
        return 1;
    }
    sc->i = i;
    return 0;
}

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

/* Hashes a chunk and starts loading its cache slot. */
static void prefetch_slot(const run_t *r, chunk_t *c) {
    c->key = XXH3_64bits(r->text + c->start, c->end - c->start);
    const nlp__split_table_t *t = &r->tok->cache->table;
    if (t->slots) PREFETCH(&t->slots[c->key & t->mask]);
}

/* Starts loading the split a chunk's slot points to (the slot should be in
 * cache by now). */
static void prefetch_split(const run_t *r, const chunk_t *c) {
    const nlp__split_table_t *t = &r->tok->cache->table;
    if (!t->slots) return;
    const nlp__split_slot_t *slot = &t->slots[c->key & t->mask];
    if (slot->key == c->key) PREFETCH(slot->split);
}

/* Appends the tokens of text[start, end), whose hash is `key`. */
static nlp_status_t emit_range(const run_t *r, size_t start, size_t end,
                               uint64_t key) {
    const nlp__split_t *sp = nlp__split_table_find(
        &r->tok->cache->table, key, r->text + start, end - start);
    if (sp) return push_split(r->doc, sp, (uint32_t)start);
    return split_new_chunk(r, start, end, key);
}

/* Appends the tokens of ring[head], split in two where a context split
 * applies; `count` chunks from head on are in the ring, and fewer than
 * LOOKAHEAD only at the end of the text. */
static nlp_status_t emit_chunk(const run_t *r, const chunk_t *ring, size_t head,
                               size_t count) {
    const chunk_t *c = &ring[head];
    if (nlp__context_candidate(r->tok, r->text, c->start, c->end)) {
        /* The next chunk with text: whitespace chunks never start one. */
        size_t next = c->end, next_end = c->end;
        for (size_t k = 1; k < count; k++) {
            const chunk_t *d = &ring[(head + k) % LOOKAHEAD];
            if (space_at(r->text, d->start, r->doc->text_len)) continue;
            next = d->start;
            next_end = d->end;
            break;
        }
        size_t at = nlp__context_split_at(r->tok, r->text, c->start, c->end,
                                          c->key, next, next_end);
        if (at) {
            size_t mid = c->start + at;
            nlp_status_t st = emit_range(
                r, c->start, mid, XXH3_64bits(r->text + c->start, at));
            if (st) return st;
            return emit_range(r, mid, c->end,
                              XXH3_64bits(r->text + mid, c->end - mid));
        }
    }
    return emit_range(r, c->start, c->end, c->key);
}

nlp_status_t nlp__tokenizer_run(const nlp__tokenizer_t *tok, nlp_doc_t *doc) {
    if (!tok) return NLP_INVALID_ARG;
    nlp_status_t st = nlp__doc_check(doc);
    if (st) return st;
    if (doc->n_tokens)
        return nlp__fail(NLP_INVALID_ARG, "the Doc is already tokenized");
    run_t r = {
        .tok = tok,
        .doc = doc,
        .text = doc->text,
        /* Zones only read the cache; so does a heap Doc while a zone is
         * open elsewhere (its new lexemes would fail anyway). */
        .fill_cache = !doc->zone && atomic_load(&tok->vocab->open_zones) == 0,
    };
    /* Leading whitespace is a chunk of its own, as in spaCy. */
    scanner_t sc = {doc->text, doc->text_len, 0,
                    doc->text_len > 0 && space_at(doc->text, 0, doc->text_len)};
    /* A window of chunks ahead of the one being emitted: the cache lookups
     * of a chunk miss the CPU caches, so its slot is fetched LOOKAHEAD
     * chunks before it is needed and its split half as many. */
    chunk_t ring[LOOKAHEAD];
    size_t head = 0, count = 0;
    int more = 1;
    for (;;) {
        while (more && count < LOOKAHEAD) {
            chunk_t *c = &ring[(head + count) % LOOKAHEAD];
            if ((more = next_chunk(&sc, c))) {
                prefetch_slot(&r, c);
                count++;
            }
        }
        if (!count) break;
        if (count > LOOKAHEAD / 2)
            prefetch_split(&r, &ring[(head + LOOKAHEAD / 2) % LOOKAHEAD]);
        const chunk_t *c = &ring[head];
        if ((st = emit_chunk(&r, ring, head, count))) return st;
        if (c->spacy) doc->tokens[doc->n_tokens - 1].spacy = 1;
        head = (head + 1) % LOOKAHEAD;
        count--;
    }
    return NLP_OK;
}
