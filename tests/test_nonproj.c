/* Tests of pseudo-projective lifting and its inverse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "io/corpus.h"
#include "models/nonproj.h"
#include "test_util.h"

typedef struct fixture {
    test_alloc_t alloc;
    nlp__chunk_cache_t cache;
    nlp__arena_t arena;
} fixture_t;

static int setup(void **state) {
    static fixture_t f;
    test_alloc_init(&f.alloc);
    nlp__chunk_cache_init(&f.cache, &f.alloc.iface, 1 << 16, 2);
    nlp__arena_init(&f.arena, &f.cache);
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fixture_t *f = *state;
    nlp__arena_destroy(&f->arena);
    nlp__chunk_cache_destroy(&f->cache);
    return f->alloc.live == 0 ? 0 : -1;
}

/* Round trip through label ids: projectivize with strings, number the
 * distinct labels, deprojectivize with ids, and compare with the input.
 * Returns the number of words whose head or label did not come back. */
static size_t roundtrip(nlp__arena_t *a, const int32_t *heads,
                        const char *const *labels, size_t n,
                        size_t *n_lifted) {
    int32_t *h = calloc(n, sizeof *h);
    const char **l = calloc(n, sizeof *l);
    const char **names = calloc(2 * n + 1, sizeof *names);
    uint32_t *ids = calloc(n, sizeof *ids);
    memcpy(h, heads, n * sizeof *h);
    memcpy(l, labels, n * sizeof *l);
    assert_int_equal(nlp__nonproj_projectivize(h, l, n, a, n_lifted), NLP_OK);
    assert_true(nlp__nonproj_is_projective(h, n));

    /* Label set: every label as given plus every decorated one. */
    size_t n_names = 0;
    for (size_t pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            const char *s = pass ? l[i] : labels[i];
            size_t k = 0;
            while (k < n_names && strcmp(names[k], s) != 0)
                k++;
            if (k == n_names)
                names[n_names++] = s;
            if (pass)
                ids[i] = (uint32_t)k;
        }
    }
    nlp__nonproj_map_t map;
    assert_int_equal(nlp__nonproj_map_build(names, n_names, a, &map), NLP_OK);
    assert_int_equal(nlp__nonproj_deprojectivize(h, ids, n, &map, a), NLP_OK);
    assert_int_equal(nlp__nonproj_check_tree(h, n), NLP_OK);
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++)
        wrong += h[i] != heads[i] || strcmp(names[ids[i]], labels[i]) != 0;
    free(h);
    free(l);
    free(names);
    free(ids);
    return wrong;
}

static void test_nonproj_projective_tree_is_untouched(void **state) {
    fixture_t *f = *state;
    /* The cat sat on the mat . */
    int32_t heads[] = {1, 2, -1, 5, 5, 2, 2};
    const char *labels[] = {"det", "nsubj", "root", "case",
                            "det", "obl", "punct"};
    const char *copy[7];
    memcpy(copy, labels, sizeof copy);
    size_t lifted = 99;
    assert_true(nlp__nonproj_is_projective(heads, 7));
    assert_int_equal(nlp__nonproj_projectivize(heads, copy, 7, &f->arena, &lifted),
                     NLP_OK);
    assert_int_equal(lifted, 0);
    for (size_t i = 0; i < 7; i++)
        assert_ptr_equal(copy[i], labels[i]);
}

/* "A hearing is scheduled on the issue today": "issue" depends on
 * "hearing" across "is scheduled". */
static const int32_t hearing_heads[] = {1, 3, 3, -1, 6, 6, 1, 3};
static const char *const hearing_labels[] = {
    "det", "nsubj:pass", "aux:pass", "root", "case", "det", "nmod", "obl:tmod"};

static void test_nonproj_lifts_and_decorates(void **state) {
    fixture_t *f = *state;
    int32_t heads[8];
    const char *labels[8];
    memcpy(heads, hearing_heads, sizeof heads);
    memcpy(labels, hearing_labels, sizeof labels);
    assert_true(nlp__nonproj_is_nonproj_arc(heads, 8, 6));
    assert_false(nlp__nonproj_is_nonproj_arc(heads, 8, 7));
    assert_false(nlp__nonproj_is_projective(heads, 8));
    size_t lifted = 0;
    assert_int_equal(nlp__nonproj_projectivize(heads, labels, 8, &f->arena, &lifted),
                     NLP_OK);
    assert_int_equal(lifted, 1);
    assert_int_equal(heads[6], 3); /* lifted to the grandparent */
    assert_string_equal(labels[6], "nmod||nsubj:pass");
    assert_string_equal(labels[7], "obl:tmod");

    size_t base_len;
    const char *up = nlp__nonproj_split_label(labels[6], &base_len);
    assert_non_null(up);
    assert_int_equal(base_len, 4);
    assert_string_equal(up, "nsubj:pass");
    assert_null(nlp__nonproj_split_label("obl:tmod", &base_len));
    assert_int_equal(base_len, 8);
}

static void test_nonproj_roundtrip_restores_tree(void **state) {
    fixture_t *f = *state;
    size_t lifted;
    assert_int_equal(roundtrip(&f->arena, hearing_heads, hearing_labels, 8, &lifted),
                     0);
    assert_int_equal(lifted, 1);

    /* Several crossing arcs: w1 and w2 hang from w5 across w3, which hangs
     * from w0, and w4 hangs from w1 across w2 and w3. */
    int32_t nested[] = {-1, 5, 5, 0, 1, 0};
    const char *nested_labels[] = {"root", "obj", "nsubj",
                                   "obl", "acl", "conj"};
    assert_false(nlp__nonproj_is_projective(nested, 6));
    assert_int_equal(roundtrip(&f->arena, nested, nested_labels, 6, &lifted), 0);
    assert_true(lifted >= 2);

    /* Two sentences in one array: only the second is non-projective. */
    int32_t two[] = {1, -1, 1, 6, 6, 7, -1, 6, 6};
    const char *two_labels[] = {"nsubj", "root", "obj", "det", "nmod",
                                "advmod", "root", "obj", "punct"};
    assert_int_equal(nlp__nonproj_check_tree(two, 9), NLP_OK);
    assert_false(nlp__nonproj_is_projective(two, 9));
    assert_int_equal(roundtrip(&f->arena, two, two_labels, 9, &lifted), 0);
}

static void test_nonproj_random_trees_become_projective(void **state) {
    fixture_t *f = *state;
    srand(7);
    for (int trial = 0; trial < 2000; trial++) {
        size_t n = 2 + (size_t)(rand() % 14);
        int32_t heads[16];
        const char *labels[16];
        static const char *const pool[] = {"a", "b", "c", "d"};
        /* A random tree: attach each word of a random order to an earlier
         * one, so there is no cycle. */
        size_t order[16] = {0};
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        for (size_t i = n; i > 1; i--) {
            size_t j = (size_t)rand() % i, t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        heads[order[0]] = -1;
        for (size_t i = 1; i < n; i++)
            heads[order[i]] = (int32_t)order[(size_t)rand() % i];
        for (size_t i = 0; i < n; i++)
            labels[i] = pool[rand() % 4];
        int32_t h[16];
        memcpy(h, heads, sizeof h);
        assert_int_equal(nlp__nonproj_projectivize(h, labels, n, &f->arena, NULL),
                         NLP_OK);
        assert_true(nlp__nonproj_is_projective(h, n));
        assert_int_equal(nlp__nonproj_check_tree(h, n), NLP_OK);
        /* Lifting only ever moves a word to one of its ancestors. */
        for (size_t i = 0; i < n; i++) {
            int32_t a = heads[i];
            while (a != -1 && a != h[i])
                a = heads[a];
            assert_int_equal(a, h[i]);
        }
        nlp__arena_reset(&f->arena);
    }
}

static void test_nonproj_rejects_malformed_trees(void **state) {
    fixture_t *f = *state;
    int32_t cycle[] = {1, 2, 0};
    int32_t self[] = {-1, 1};
    int32_t out_of_range[] = {-1, 5};
    /* Words are named as CoNLL-U numbers them, from 1. */
    assert_int_equal(nlp__nonproj_check_tree(cycle, 3), NLP_FORMAT);
    assert_string_equal(nlp_error_detail(), "word 1 is on a cycle of heads");
    assert_int_equal(nlp__nonproj_check_tree(self, 2), NLP_FORMAT);
    assert_string_equal(nlp_error_detail(), "word 2 has invalid head 2");
    assert_int_equal(nlp__nonproj_check_tree(out_of_range, 2), NLP_FORMAT);
    assert_string_equal(nlp_error_detail(), "word 2 has invalid head 6");
    assert_int_equal(nlp__nonproj_projectivize(cycle, NULL, 3, &f->arena, NULL),
                     NLP_FORMAT);

    const char *names[] = {"", "obj", "obj||nsubj"};
    nlp__nonproj_map_t map;
    assert_int_equal(nlp__nonproj_map_build(names, 3, &f->arena, &map),
                     NLP_FORMAT); /* "nsubj" is not a label */
    const char *good[] = {"", "obj", "nsubj", "obj||nsubj"};
    assert_int_equal(nlp__nonproj_map_build(good, 4, &f->arena, &map), NLP_OK);
    assert_int_equal(map.base[3], 1);
    assert_int_equal(map.head_label[3], 2);
    assert_int_equal(map.head_label[1], UINT32_MAX);
}

/* Every non-projective tree of EWT train comes back after the round trip
 * (almost: the head-label encoding is ambiguous when two candidates carry
 * the same label). */
static void test_nonproj_roundtrip_on_ewt(void **state) {
    fixture_t *f = *state;
    const char *path = test_ewt_path("train.conllu");
    if (!path)
        skip();
    nlp__corpus_t *c;
    assert_int_equal(nlp__conllu_read(path, &f->alloc.iface, &c), NLP_OK);
    size_t nonproj = 0, arcs = 0, wrong = 0, lifted_total = 0;
    for (size_t s = 0; s < c->n_sents; s++) {
        const nlp__gold_sent_t *sent = &c->sents[s];
        int32_t heads[512];
        const char *labels[512];
        if (sent->n_words > 512)
            continue;
        for (uint32_t i = 0; i < sent->n_words; i++) {
            heads[i] = sent->words[i].head - 1;
            labels[i] = sent->words[i].deprel;
        }
        if (nlp__nonproj_is_projective(heads, sent->n_words))
            continue;
        size_t lifted;
        nonproj++;
        arcs += sent->n_words;
        wrong += roundtrip(&f->arena, heads, labels, sent->n_words, &lifted);
        lifted_total += lifted;
        nlp__arena_reset(&f->arena);
    }
    nlp__corpus_free(c);
    print_message("%zu non-projective sentences, %zu lifts, %zu of %zu words "
                  "not restored\n", nonproj, lifted_total, wrong, arcs);
    assert_true(nonproj > 100);
    assert_true(wrong * 100 < arcs);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_nonproj_projective_tree_is_untouched,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonproj_lifts_and_decorates, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_nonproj_roundtrip_restores_tree,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonproj_random_trees_become_projective,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonproj_rejects_malformed_trees,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonproj_roundtrip_on_ewt, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
