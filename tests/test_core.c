/* Tests of the core: string store, lexemes, memory zones, Docs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/vocab.h"
#include "doc/doc.h"
#include "test_util.h"

typedef struct fixture {
    test_alloc_t alloc;
    nlp_vocab_t *vocab;
} fixture_t;

static int setup(void **state) {
    static fixture_t f;
    test_alloc_init(&f.alloc);
    if (nlp__vocab_create(&f.alloc.iface, NULL, &f.vocab)) return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fixture_t *f = *state;
    nlp__vocab_free(f->vocab);
    /* Every allocation made through the vocabulary was given back. */
    return f->alloc.live == 0 ? 0 : -1;
}

static const char *str_of(nlp_vocab_t *v, nlp_zone_t *z, nlp_hash_t id) {
    const char *s = NULL;
    if (nlp_vocab_string(v, z, id, &s, NULL)) return NULL;
    return s;
}

static void test_strings_roundtrip(void **state) {
    fixture_t *f = *state;
    nlp_hash_t a, b, e;
    assert_int_equal(nlp_vocab_add_string(f->vocab, NULL, "apple", 5, &a), NLP_OK);
    assert_int_equal(nlp_vocab_add_string(f->vocab, NULL, "apple", 5, &b), NLP_OK);
    assert_int_equal(nlp_vocab_add_string(f->vocab, NULL, "", 0, &e), NLP_OK);
    assert_true(a == b);
    assert_true(a == nlp_hash_string("apple", 5));
    assert_true(e == 0);
    assert_string_equal(str_of(f->vocab, NULL, a), "apple");
    assert_string_equal(str_of(f->vocab, NULL, 0), "");
    const char *s;
    assert_int_equal(nlp_vocab_string(f->vocab, NULL, 12345, &s, NULL), NLP_NOT_FOUND);
}

static void test_strings_collision_reported(void **state) {
    fixture_t *f = *state;
    nlp_hash_t id;
    assert_int_equal(nlp_vocab_add_string(f->vocab, NULL, "pear", 4, &id), NLP_OK);
    /* Forge a collision: store "pear"'s entry under "plum"'s id. */
    nlp_hash_t plum = nlp_hash_string("plum", 4);
    void *pear_entry = nlp__table_get(&f->vocab->strings, id);
    assert_int_equal(nlp__table_put(&f->vocab->strings, plum, pear_entry), NLP_OK);
    assert_int_equal(nlp_vocab_add_string(f->vocab, NULL, "plum", 4, &id),
                     NLP_HASH_COLLISION);
    assert_non_null(strstr(nlp_error_detail(), "plum"));
}

static const nlp_lexeme_t *lex_of(nlp_vocab_t *v, nlp_zone_t *z, const char *s) {
    const nlp_lexeme_t *lex = NULL;
    assert_int_equal(nlp_vocab_get_lexeme(v, z, s, strlen(s), &lex), NLP_OK);
    return lex;
}

static void test_lexeme_attributes(void **state) {
    fixture_t *f = *state;
    nlp_vocab_t *v = f->vocab;
    const nlp_lexeme_t *l = lex_of(v, NULL, "Apple");
    assert_string_equal(str_of(v, NULL, l->lower), "apple");
    assert_string_equal(str_of(v, NULL, l->shape), "Xxxxx");
    assert_string_equal(str_of(v, NULL, l->prefix), "A");
    assert_string_equal(str_of(v, NULL, l->suffix), "ple");
    assert_true(l->flags & NLP_FLAG_IS_ALPHA);
    assert_true(l->flags & NLP_FLAG_IS_TITLE);
    assert_false(l->flags & NLP_FLAG_IS_LOWER);
    assert_int_equal(l->length, 5);

    l = lex_of(v, NULL, "Ärger");  /* non-ASCII upper case */
    assert_string_equal(str_of(v, NULL, l->lower), "ärger");
    assert_string_equal(str_of(v, NULL, l->shape), "Xxxxx");
    assert_true(l->flags & NLP_FLAG_IS_ALPHA);
    assert_false(l->flags & NLP_FLAG_IS_ASCII);
    assert_int_equal(l->length, 5);

    l = lex_of(v, NULL, "ΑΘΗΝΑ");
    assert_true(l->flags & NLP_FLAG_IS_UPPER);
    assert_string_equal(str_of(v, NULL, l->lower), "αθηνα");

    l = lex_of(v, NULL, "1,000.50");
    assert_true(l->flags & NLP_FLAG_LIKE_NUM);
    assert_false(l->flags & NLP_FLAG_IS_DIGIT);
    assert_string_equal(str_of(v, NULL, l->shape), "d,ddd.dd");
    assert_true(lex_of(v, NULL, "2024")->flags & NLP_FLAG_IS_DIGIT);
    assert_true(lex_of(v, NULL, "twelve")->flags & NLP_FLAG_LIKE_NUM);
    assert_true(lex_of(v, NULL, "https://spacy.io/x")->flags & NLP_FLAG_LIKE_URL);
    assert_true(lex_of(v, NULL, "www.example.com")->flags & NLP_FLAG_LIKE_URL);
    assert_true(lex_of(v, NULL, "jane.doe@example.org")->flags & NLP_FLAG_LIKE_EMAIL);
    assert_false(lex_of(v, NULL, "jane@")->flags & NLP_FLAG_LIKE_EMAIL);
    assert_true(lex_of(v, NULL, "!?")->flags & NLP_FLAG_IS_PUNCT);
    assert_true(lex_of(v, NULL, "(")->flags & NLP_FLAG_IS_BRACKET);
    assert_true(lex_of(v, NULL, "(")->flags & NLP_FLAG_IS_LEFT_PUNCT);
    assert_true(lex_of(v, NULL, "\u201d")->flags & NLP_FLAG_IS_QUOTE);
    assert_true(lex_of(v, NULL, "\u201d")->flags & NLP_FLAG_IS_RIGHT_PUNCT);
    assert_true(lex_of(v, NULL, "\u20ac")->flags & NLP_FLAG_IS_CURRENCY);
    assert_true(lex_of(v, NULL, "\n\n")->flags & NLP_FLAG_IS_SPACE);
    assert_string_equal(str_of(v, NULL, lex_of(v, NULL, "aaaaaaaa")->shape), "xxxx");
    /* Invalid UTF-8 never fails: the bad byte is a symbol. */
    l = lex_of(v, NULL, "a\xff");
    assert_int_equal(l->length, 2);
    assert_false(l->flags & NLP_FLAG_IS_ALPHA);
}

static void test_lexeme_shared_and_dense_ids(void **state) {
    fixture_t *f = *state;
    size_t before = nlp_vocab_n_lexemes(f->vocab);
    const nlp_lexeme_t *a = lex_of(f->vocab, NULL, "kiwi");
    const nlp_lexeme_t *b = lex_of(f->vocab, NULL, "kiwi");
    assert_ptr_equal(a, b);
    assert_int_equal(a->id, before);
    assert_int_equal(nlp_vocab_n_lexemes(f->vocab), before + 1);
}

/* spaCy's memory-zone tests: nothing inserted; inserted; a permanent word
 * inserted again; an error path inside the zone. */
static void test_zone_no_insertion(void **state) {
    fixture_t *f = *state;
    size_t strings = nlp_vocab_n_strings(f->vocab);
    nlp_zone_t *z;
    assert_int_equal(nlp__zone_begin(f->vocab, &z), NLP_OK);
    assert_int_equal(nlp__zone_end(z), NLP_OK);
    assert_int_equal(nlp_vocab_n_strings(f->vocab), strings);
}

static void test_zone_insertion_is_transient(void **state) {
    fixture_t *f = *state;
    size_t strings = nlp_vocab_n_strings(f->vocab);
    size_t lexemes = nlp_vocab_n_lexemes(f->vocab);
    nlp_zone_t *z;
    assert_int_equal(nlp__zone_begin(f->vocab, &z), NLP_OK);
    const nlp_lexeme_t *l = lex_of(f->vocab, z, "xyzzy-42");
    nlp_hash_t orth = l->orth;
    assert_string_equal(str_of(f->vocab, z, orth), "xyzzy-42");
    assert_null(str_of(f->vocab, NULL, orth)); /* not permanent */
    assert_int_equal(nlp__zone_end(z), NLP_OK);
    assert_int_equal(nlp_vocab_n_strings(f->vocab), strings);
    assert_int_equal(nlp_vocab_n_lexemes(f->vocab), lexemes);
    assert_null(str_of(f->vocab, NULL, orth));
    const nlp_lexeme_t *found;
    assert_int_equal(nlp_vocab_find_lexeme(f->vocab, NULL, "xyzzy-42", 8, &found),
                     NLP_NOT_FOUND);
    assert_non_null(strstr(nlp_error_detail(), "nlp_vocab_find_lexeme"));
}

static void test_zone_redundant_permanent_insertion(void **state) {
    fixture_t *f = *state;
    const nlp_lexeme_t *perm = lex_of(f->vocab, NULL, "banana");
    size_t strings = nlp_vocab_n_strings(f->vocab);
    nlp_zone_t *z;
    assert_int_equal(nlp__zone_begin(f->vocab, &z), NLP_OK);
    /* A word known permanently resolves to the permanent lexeme. */
    assert_ptr_equal(lex_of(f->vocab, z, "banana"), perm);
    nlp_hash_t id;
    assert_int_equal(nlp_vocab_add_string(f->vocab, z, "banana", 6, &id), NLP_OK);
    assert_int_equal(z->strings.count, 0);
    assert_int_equal(nlp__zone_end(z), NLP_OK);
    assert_int_equal(nlp_vocab_n_strings(f->vocab), strings);
    assert_ptr_equal(lex_of(f->vocab, NULL, "banana"), perm);
}

static void test_zone_error_path_cleans_up(void **state) {
    fixture_t *f = *state;
    size_t strings = nlp_vocab_n_strings(f->vocab);
    nlp_zone_t *z;
    assert_int_equal(nlp__zone_begin(f->vocab, &z), NLP_OK);
    lex_of(f->vocab, z, "transient-word");
    /* Permanent additions are refused while a zone is open... */
    nlp_hash_t id;
    assert_int_equal(nlp_vocab_add_string(f->vocab, NULL, "nope", 4, &id),
                     NLP_ZONE_OPEN);
    const nlp_lexeme_t *l;
    assert_int_equal(nlp_vocab_get_lexeme(f->vocab, NULL, "nope", 4, &l),
                     NLP_ZONE_OPEN);
    /* ... and the zone still ends cleanly, leaving nothing behind. */
    assert_int_equal(nlp__zone_end(z), NLP_OK);
    assert_int_equal(nlp_vocab_n_strings(f->vocab), strings);
    assert_int_equal(nlp_vocab_add_string(f->vocab, NULL, "nope", 4, &id), NLP_OK);
    assert_int_equal(nlp__zone_end(z), NLP_STALE_HANDLE);
}

/* An ended zone is refused by every vocabulary call before its tables
 * would be searched (they are gone). */
static void test_vocab_calls_refuse_ended_zone(void **state) {
    fixture_t *f = *state;
    nlp_zone_t *z;
    assert_int_equal(nlp__zone_begin(f->vocab, &z), NLP_OK);
    lex_of(f->vocab, z, "zoned-word");
    assert_int_equal(nlp__zone_end(z), NLP_OK);
    nlp_hash_t id;
    const nlp_lexeme_t *l;
    const char *s;
    assert_int_equal(nlp_vocab_add_string(f->vocab, z, "zoned-word", 10, &id),
                     NLP_STALE_HANDLE);
    assert_int_equal(nlp_vocab_add_string(f->vocab, z, "", 0, &id),
                     NLP_STALE_HANDLE);
    assert_int_equal(nlp_vocab_get_lexeme(f->vocab, z, "zoned-word", 10, &l),
                     NLP_STALE_HANDLE);
    assert_null(l);
    assert_int_equal(nlp_vocab_get_lexeme(f->vocab, z, "", 0, &l),
                     NLP_STALE_HANDLE);
    assert_int_equal(nlp_vocab_find_lexeme(f->vocab, z, "zoned-word", 10, &l),
                     NLP_STALE_HANDLE);
    assert_int_equal(nlp_vocab_string(f->vocab, z, 1, &s, NULL),
                     NLP_STALE_HANDLE);
}

static nlp_doc_t *words_doc(nlp_vocab_t *v, nlp_zone_t *z) {
    const char *words[] = {"Hello", "new-token-123", "!"};
    size_t lens[] = {5, 13, 1};
    uint8_t spaces[] = {1, 0, 0};
    nlp_doc_t *doc = NULL;
    assert_int_equal(nlp__doc_from_words(v, z, words, lens, spaces, 3, &doc), NLP_OK);
    return doc;
}

/* Arrays grown by nlp__arena_grow keep their contents, grow in place at
 * the end of the bump chunk, and once larger than a chunk resize their own
 * chunk without leaving the old block behind. */
static void test_arena_grow_keeps_contents(void **state) {
    (void)state;
    test_alloc_t alloc;
    test_alloc_init(&alloc);
    nlp__chunk_cache_t cache;
    nlp__arena_t arena;
    nlp__chunk_cache_init(&cache, &alloc.iface, 4096, 2);
    nlp__arena_init(&arena, &cache);

    unsigned char *small = nlp__arena_grow(&arena, NULL, 0, 100, 8);
    assert_non_null(small);
    memset(small, 7, 100);
    unsigned char *same = nlp__arena_grow(&arena, small, 100, 400, 8);
    assert_ptr_equal(same, small); /* it ended the bump chunk */
    assert_int_equal(arena.used, 400);

    unsigned char *other = nlp__arena_alloc(&arena, 16, 8); /* now p is not last */
    assert_non_null(other);
    unsigned char *moved = nlp__arena_grow(&arena, same, 400, 800, 8);
    assert_non_null(moved);
    assert_ptr_not_equal(moved, same);
    for (size_t i = 0; i < 100; i++) assert_int_equal(moved[i], 7);

    /* Past the chunk size: a chunk of its own, then resized in place. */
    size_t size = 8192;
    unsigned char *big = nlp__arena_grow(&arena, moved, 800, size, 8);
    assert_non_null(big);
    for (size_t i = 0; i < 100; i++) assert_int_equal(big[i], 7);
    memset(big, 9, size);
    size_t used = arena.used, chunks = (size_t)alloc.live;
    unsigned char *tail = nlp__arena_alloc(&arena, 32, 8); /* from the bump chunk */
    assert_non_null(tail);
    assert_int_equal(alloc.live, chunks);
    for (int k = 0; k < 6; k++, size *= 2) {
        big = nlp__arena_grow(&arena, big, size, 2 * size, 64);
        assert_non_null(big);
        assert_int_equal((uintptr_t)big % 64, 0);
        for (size_t i = 0; i < size; i += 997) assert_int_equal(big[i], 9);
        memset(big + size, 9, size);
        assert_int_equal(alloc.live, chunks); /* resized, not added */
    }
    assert_int_equal(arena.used, used + 32 + size - 8192);

    /* A block that outgrows the chunk size leaves the bump chunk, even
     * where the bump chunk (made larger for alignment) has room. */
    nlp__arena_reset(&arena);
    unsigned char *edge = nlp__arena_alloc(&arena, 4090, 64);
    assert_non_null(edge);
    edge = nlp__arena_grow(&arena, edge, 4090, 4097, 64);
    assert_non_null(edge);
    edge = nlp__arena_grow(&arena, edge, 4097, 20000, 64);
    assert_non_null(edge);
    unsigned char *after = nlp__arena_alloc(&arena, 4, 8);
    assert_non_null(after);
    after[0] = 1; /* AddressSanitizer: the bump chunk is still live */
    nlp__arena_destroy(&arena);
    nlp__chunk_cache_destroy(&cache);
    assert_int_equal(alloc.live, 0);
}

/* A Doc of many tokens holds one token array, not every outgrown copy. */
static void test_doc_token_array_is_not_copied_into_the_arena(void **state) {
    fixture_t *f = *state;
    size_t n_words = 100000;
    char *text = malloc(n_words * 2);
    assert_non_null(text);
    for (size_t i = 0; i < n_words; i++) {
        text[2 * i] = "abcdefgh"[i % 8];
        text[2 * i + 1] = ' ';
    }
    nlp_doc_t *doc;
    assert_int_equal(nlp__doc_create(f->vocab, NULL, text, n_words * 2, &doc), NLP_OK);
    const nlp_lexeme_t *lex;
    assert_int_equal(nlp_vocab_get_lexeme(f->vocab, NULL, "a", 1, &lex), NLP_OK);
    size_t before = doc->own_arena.used;
    for (size_t i = 0; i < n_words; i++)
        assert_int_equal(nlp__doc_push(doc, lex, (uint32_t)(2 * i), 1, 1), NLP_OK);
    size_t block = ((size_t)doc->cap_tokens + 2 * NLP__DOC_PAD) * sizeof(nlp_token_t);
    /* Outgrown copies smaller than a chunk may stay behind: 2 x 16 KB. */
    assert_true(doc->own_arena.used - before <= block + (32u << 10));
    assert_true(doc->cap_tokens < 2 * n_words);
    assert_ptr_equal(doc->tokens[n_words - 1].lex, lex);
    assert_ptr_equal(doc->tokens[n_words].lex, &nlp__empty_lexeme); /* padding */
    assert_ptr_equal(doc->tokens[-1].lex, &nlp__empty_lexeme);
    nlp_doc_free(doc);
    free(text);
}

static void test_zone_stale_doc_is_detected(void **state) {
    fixture_t *f = *state;
    nlp_zone_t *z;
    assert_int_equal(nlp__zone_begin(f->vocab, &z), NLP_OK);
    nlp_doc_t *doc = words_doc(f->vocab, z);
    size_t n;
    assert_int_equal(nlp_doc_tokens(doc, NULL, &n), NLP_OK);
    assert_int_equal(n, 3);
    assert_int_equal(nlp__zone_end(z), NLP_OK);
    assert_int_equal(nlp_doc_check(doc), NLP_STALE_HANDLE);
    assert_int_equal(nlp_doc_tokens(doc, NULL, &n), NLP_STALE_HANDLE);
    assert_null(nlp_doc_text(doc, NULL));
    assert_int_equal(nlp_doc_layers(doc), 0);
    assert_string_equal(nlp_doc_str(doc, 1), "");
    assert_non_null(strstr(nlp_error_detail(), "zone"));
}

static void test_doc_text_tokens_and_json(void **state) {
    fixture_t *f = *state;
    nlp_doc_t *doc = words_doc(f->vocab, NULL);
    size_t len;
    assert_string_equal(nlp_doc_text(doc, &len), "Hello new-token-123!");
    const nlp_token_t *t;
    size_t n;
    assert_int_equal(nlp_doc_tokens(doc, &t, &n), NLP_OK);
    assert_int_equal(t[1].idx, 6);
    assert_int_equal(t[1].len, 13);
    assert_int_equal(t[0].spacy, 1);
    assert_int_equal(t[1].spacy, 0);
    /* Padding reads as empty tokens on both sides. */
    assert_ptr_equal(t[-1].lex, &nlp__empty_lexeme);
    assert_ptr_equal(t[n].lex, &nlp__empty_lexeme);
    nlp_span_t ent = {.start = 1, .end = 2, .label = nlp__doc_intern(doc, "ORG", 3)};
    assert_int_equal(nlp__doc_set_ents(doc, &ent, 1), NLP_OK);
    test_buf_t buf = {0};
    assert_int_equal(nlp_doc_to_json(doc, test_buf_write, &buf), NLP_OK);
    assert_string_equal(buf.data,
        "{\"text\":\"Hello new-token-123!\",\"ents\":[{\"start\":6,\"end\":19,"
        "\"label\":\"ORG\"}],\"tokens\":[{\"id\":0,\"start\":0,\"end\":5},"
        "{\"id\":1,\"start\":6,\"end\":19},{\"id\":2,\"start\":19,\"end\":20}]}");
    test_buf_free(&buf);
    nlp_doc_free(doc);
}

static int refuse_write(void *ctx, const char *data, size_t len) {
    (void)ctx;
    (void)data;
    (void)len;
    return 1;
}

/* A write callback that asks to stop ends serialising with NLP_CANCELLED
 * and a detail that says so. */
static void test_doc_writers_stop_when_asked(void **state) {
    fixture_t *f = *state;
    const char *words[] = {"a", "b"};
    size_t lens[] = {1, 1};
    nlp_doc_t *doc = NULL;
    assert_int_equal(nlp__doc_from_words(f->vocab, NULL, words, lens, NULL, 2, &doc),
                     NLP_OK);
    test_set_stale_detail();
    assert_int_equal(nlp_doc_to_json(doc, refuse_write, NULL), NLP_CANCELLED);
    assert_non_null(strstr(nlp_error_detail(), "write callback"));
    test_set_stale_detail();
    assert_int_equal(nlp_doc_to_conllu(doc, refuse_write, NULL), NLP_CANCELLED);
    assert_non_null(strstr(nlp_error_detail(), "write callback"));
    nlp_doc_free(doc);
}

/* CoNLL-U lines: newlines in the "# text" line and tabs and newlines in
 * the forms become spaces, so lines and columns stay intact; token numbers
 * count from 1. */
static void test_doc_conllu_keeps_columns(void **state) {
    fixture_t *f = *state;
    const char *words[] = {"a\tb", "\n", "c"};
    size_t lens[] = {3, 1, 1};
    uint8_t spaces[] = {0, 0, 0};
    nlp_doc_t *doc = NULL;
    assert_int_equal(nlp__doc_from_words(f->vocab, NULL, words, lens, spaces, 3, &doc),
                     NLP_OK);
    test_buf_t buf = {0};
    assert_int_equal(nlp_doc_to_conllu(doc, test_buf_write, &buf), NLP_OK);
    assert_string_equal(buf.data,
        "# text = a\tb c\n"
        "1\ta b\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No\n"
        "2\t \t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No\n"
        "3\tc\t_\t_\t_\t_\t_\t_\t_\t_\n"
        "\n");
    test_buf_free(&buf);
    nlp_doc_free(doc);
}

static void test_zone_steady_state_makes_no_system_allocation(void **state) {
    fixture_t *f = *state;
    long before = 0;
    for (int round = 0; round < 200; round++) {
        if (round == 100) before = f->alloc.total;
        nlp_zone_t *z;
        assert_int_equal(nlp__zone_begin(f->vocab, &z), NLP_OK);
        char word[32];
        for (int k = 0; k < 50; k++) {
            snprintf(word, sizeof word, "id-%d-%d", round, k);
            lex_of(f->vocab, z, word);
        }
        words_doc(f->vocab, z);
        assert_int_equal(nlp__zone_end(z), NLP_OK);
    }
#ifdef __SANITIZE_ADDRESS__
    (void)before; /* sanitizer builds never reuse chunks, by design */
#else
    assert_int_equal(f->alloc.total, before);
#endif
}

static void test_zone_million_cycles(void **state) {
    fixture_t *f = *state;
    for (int i = 0; i < 1000000; i++) {
        nlp_zone_t *z;
        if (nlp__zone_begin(f->vocab, &z) || nlp__zone_end(z)) fail();
    }
    assert_int_equal(atomic_load(&f->vocab->open_zones), 0);
}

typedef struct worker_arg {
    nlp_vocab_t *vocab;
    int id;
    int errors;
} worker_arg_t;

static void *zone_worker(void *p) {
    worker_arg_t *arg = p;
    for (int round = 0; round < 2000; round++) {
        nlp_zone_t *z;
        if (nlp__zone_begin(arg->vocab, &z)) {
            arg->errors++;
            continue;
        }
        char word[48];
        for (int k = 0; k < 20; k++) {
            snprintf(word, sizeof word, "t%d-r%d-k%d", arg->id, round, k);
            const nlp_lexeme_t *l;
            const char *s;
            if (nlp_vocab_get_lexeme(arg->vocab, z, word, strlen(word), &l) ||
                nlp_vocab_string(arg->vocab, z, l->orth, &s, NULL) ||
                strcmp(s, word) != 0)
                arg->errors++;
            /* Permanent words are visible from every zone. */
            if (nlp_vocab_find_lexeme(arg->vocab, z, "shared", 6, &l))
                arg->errors++;
        }
        if (nlp__zone_end(z)) arg->errors++;
    }
    return NULL;
}

static void test_zone_concurrent_threads(void **state) {
    fixture_t *f = *state;
    lex_of(f->vocab, NULL, "shared");
    size_t strings = nlp_vocab_n_strings(f->vocab);
    pthread_t threads[4];
    worker_arg_t args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (worker_arg_t){f->vocab, i, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, zone_worker, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(args[i].errors, 0);
    }
    assert_int_equal(nlp_vocab_n_strings(f->vocab), strings);
}

static void test_zone_child_sees_parent(void **state) {
    fixture_t *f = *state;
    nlp_zone_t *parent, *child;
    assert_int_equal(nlp__zone_begin(f->vocab, &parent), NLP_OK);
    const nlp_lexeme_t *p = lex_of(f->vocab, parent, "parent-only");
    assert_int_equal(nlp__zone_begin_child(parent, &child), NLP_OK);
    assert_ptr_equal(lex_of(f->vocab, child, "parent-only"), p);
    nlp_doc_t *doc = words_doc(f->vocab, child);
    /* Ending the parent ends the child and its Docs. */
    assert_int_equal(nlp__zone_end(parent), NLP_OK);
    assert_int_equal(nlp_doc_check(doc), NLP_STALE_HANDLE);
    assert_int_equal(atomic_load(&f->vocab->open_zones), 0);
}

static void test_vocab_out_of_memory_sweep(void **state) {
    (void)state;
    /* Fail allocation 1, 2, 3, ... in turn: each must fail cleanly. */
    for (long k = 1;; k++) {
        test_alloc_t a;
        test_alloc_init(&a);
        a.fail_at = k;
        nlp_vocab_t *v = NULL;
        nlp_status_t st = nlp__vocab_create(&a.iface, NULL, &v);
        const nlp_lexeme_t *l = NULL;
        int created = st == NLP_OK;
        if (created) {
            test_set_stale_detail();
            st = nlp_vocab_get_lexeme(v, NULL, "word", 4, &l);
        }
        nlp__vocab_free(v);
        assert_int_equal(a.live, 0);
        if (st == NLP_OK) break;
        assert_int_equal(st, NLP_NOMEM);
        if (created) assert_true(test_detail_is_fresh());
        assert_true(k < 1000);
    }
}

static void test_status_strings(void **state) {
    (void)state;
    assert_string_equal(nlp_status_name(NLP_STALE_HANDLE), "STALE_HANDLE");
    assert_string_equal(nlp_strerror(NLP_OK), "success");
    assert_string_equal(nlp_strerror(-5), "unknown status");
    assert_int_equal(nlp_version(), NLP_VERSION_NUMBER);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_strings),
        cmocka_unit_test(test_vocab_out_of_memory_sweep),
        cmocka_unit_test_setup_teardown(test_strings_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strings_collision_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lexeme_attributes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lexeme_shared_and_dense_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zone_no_insertion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zone_insertion_is_transient, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zone_redundant_permanent_insertion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zone_error_path_cleans_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zone_stale_doc_is_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vocab_calls_refuse_ended_zone, setup, teardown),
        cmocka_unit_test(test_arena_grow_keeps_contents),
        cmocka_unit_test_setup_teardown(test_doc_token_array_is_not_copied_into_the_arena, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_text_tokens_and_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_conllu_keeps_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_writers_stop_when_asked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zone_steady_state_makes_no_system_allocation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zone_million_cycles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zone_concurrent_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zone_child_sees_parent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
