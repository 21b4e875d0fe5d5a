/* Tests of the averaged perceptron and its frozen image. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

#include "core/alloc.h"
#include "models/features.h"
#include "models/perceptron.h"

/* A frozen image copied into fresh 8-byte aligned memory and opened. */
typedef struct opened {
    uint64_t *copy;
    nlp__linear_t view;
} opened_t;

/* `alloc` is the allocator the perceptron was created with (NULL: the
 * default), which owns the image freeze returns. */
static void freeze_and_open(const nlp__perceptron_t *p, const nlp_allocator_t *alloc,
                            const nlp__freeze_opts_t *opts, opened_t *o) {
    void *image;
    size_t len;
    assert_int_equal(nlp__perceptron_freeze_opts(p, opts, &image, &len), NLP_OK);
    o->copy = calloc(len / 8 + 1, 8);
    memcpy(o->copy, image, len);
    nlp__free(nlp__allocator_or_default(alloc), image);
    assert_int_equal(nlp__linear_open(o->copy, len, &o->view), NLP_OK);
}

static uint32_t argmax(const float *scores, uint32_t n) {
    uint32_t best = 0;
    for (uint32_t c = 1; c < n; c++)
        if (scores[c] > scores[best]) best = c;
    return best;
}

/* A toy problem: the class is decided by one of 3 "signal" features; every
 * instance also has 3 noise features shared by all classes. */
#define TOY_N 60
#define TOY_CLASSES 3
static void toy_instance(int i, uint64_t feats[4], uint32_t *truth) {
    *truth = (uint32_t)(i % TOY_CLASSES);
    feats[0] = nlp__feat1(1, *truth);
    feats[1] = nlp__feat1(2, (uint64_t)(i % 7));
    feats[2] = nlp__feat1(3, (uint64_t)(i % 5));
    feats[3] = nlp__feat1(4, 0); /* a bias */
}

static void train_toy(nlp__perceptron_t *p, int epochs) {
    for (int e = 0; e < epochs; e++) {
        for (int i = 0; i < TOY_N; i++) {
            uint64_t feats[4];
            uint32_t truth;
            float scores[TOY_CLASSES];
            toy_instance(i, feats, &truth);
            nlp__perceptron_scores(p, feats, 4, scores);
            /* A tie counts as a mistake, so the result is strictly
             * separated rather than right by the tie-break. */
            uint32_t guess = truth;
            for (uint32_t c = 0; c < TOY_CLASSES; c++)
                if (c != truth && scores[c] >= scores[truth] &&
                    (guess == truth || scores[c] > scores[guess]))
                    guess = c;
            assert_int_equal(nlp__perceptron_update(p, feats, 4, truth, guess, 1.0f),
                             NLP_OK);
            nlp__perceptron_tick(p);
        }
    }
}

static void test_perceptron_learns_separable(void **state) {
    (void)state;
    test_alloc_t ta;
    test_alloc_init(&ta);
    nlp__perceptron_t *p;
    assert_int_equal(nlp__perceptron_create(&ta.iface, TOY_CLASSES, &p), NLP_OK);
    train_toy(p, 5);
    opened_t o;
    freeze_and_open(p, &ta.iface, NULL, &o);
    for (int i = 0; i < TOY_N; i++) {
        uint64_t feats[4];
        uint32_t truth;
        float scores[TOY_CLASSES];
        toy_instance(i, feats, &truth);
        nlp__perceptron_scores(p, feats, 4, scores);
        assert_int_equal(argmax(scores, TOY_CLASSES), truth);
        nlp__linear_scores(&o.view, feats, 4, scores);
        assert_int_equal(argmax(scores, TOY_CLASSES), truth);
    }
    free(o.copy);
    nlp__perceptron_free(p);
    assert_int_equal(ta.live, 0);
}

/* Hand-computed averages: weights held over known numbers of instances. */
static void test_perceptron_averaging_exact(void **state) {
    (void)state;
    nlp__perceptron_t *p;
    assert_int_equal(nlp__perceptron_create(NULL, 3, &p), NLP_OK);
    uint64_t a = nlp__feat1(1, 1), b = nlp__feat1(1, 2);
    /* clock 0: A[0] = 1, A[1] = -1, held for instances 0 and 1 */
    assert_int_equal(nlp__perceptron_update(p, &a, 1, 0, 1, 1.0f), NLP_OK);
    nlp__perceptron_tick(p);
    nlp__perceptron_tick(p);
    /* clock 2: A[0] = 2, A[1] = -2, held for instances 2 and 3 */
    assert_int_equal(nlp__perceptron_update(p, &a, 1, 0, 1, 1.0f), NLP_OK);
    nlp__perceptron_tick(p);
    /* clock 3: B[2] = 1, B[0] = -1, held for instance 3 only */
    assert_int_equal(nlp__perceptron_update(p, &b, 1, 2, 0, 1.0f), NLP_OK);
    nlp__perceptron_tick(p);
    assert_int_equal(nlp__perceptron_n_features(p), 2);

    float cur[3];
    uint64_t ab[2] = {a, b};
    nlp__perceptron_scores(p, ab, 2, cur);
    assert_float_equal(cur[0], 1.0f, 1e-6);
    assert_float_equal(cur[1], -2.0f, 1e-6);
    assert_float_equal(cur[2], 1.0f, 1e-6);

    opened_t o;
    freeze_and_open(p, NULL, NULL, &o);
    float avg[3];
    nlp__linear_scores(&o.view, &a, 1, avg);
    assert_float_equal(avg[0], 1.5f, 1e-3);
    assert_float_equal(avg[1], -1.5f, 1e-3);
    assert_float_equal(avg[2], 0.0f, 1e-6);
    nlp__linear_scores(&o.view, ab, 2, avg);
    assert_float_equal(avg[0], 1.25f, 1e-3);
    assert_float_equal(avg[1], -1.5f, 1e-3);
    assert_float_equal(avg[2], 0.25f, 1e-3);
    free(o.copy);
    nlp__perceptron_free(p);
}

/* A pseudo-random walk of updates checked against brute-force averages:
 * after every instance the test adds up the current weights itself. */
static void test_perceptron_averaging_matches_brute_force(void **state) {
    (void)state;
    enum { N_FEATS = 64, N_CLASSES = 5, N_STEPS = 400 };
    nlp__perceptron_t *p;
    assert_int_equal(nlp__perceptron_create(NULL, N_CLASSES, &p), NLP_OK);
    static double totals[N_FEATS][N_CLASSES];
    memset(totals, 0, sizeof totals);
    uint64_t rng = 12345;
    for (int step = 0; step < N_STEPS; step++) {
        uint64_t feats[3];
        for (int k = 0; k < 3; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            feats[k] = nlp__feat1(7, (rng >> 33) % N_FEATS);
        }
        uint32_t truth = (uint32_t)((rng >> 20) % N_CLASSES);
        uint32_t guess = (uint32_t)((rng >> 40) % N_CLASSES);
        float stepsize = (step % 3) ? 1.0f : 0.5f;
        assert_int_equal(nlp__perceptron_update(p, feats, 3, truth, guess, stepsize),
                         NLP_OK);
        nlp__perceptron_tick(p);
        for (int f = 0; f < N_FEATS; f++) {
            uint64_t id = nlp__feat1(7, (uint64_t)f);
            float w[N_CLASSES];
            nlp__perceptron_scores(p, &id, 1, w);
            for (int c = 0; c < N_CLASSES; c++) totals[f][c] += w[c];
        }
    }
    opened_t o;
    freeze_and_open(p, NULL, NULL, &o);
    for (int f = 0; f < N_FEATS; f++) {
        uint64_t id = nlp__feat1(7, (uint64_t)f);
        float w[N_CLASSES];
        nlp__linear_scores(&o.view, &id, 1, w);
        for (int c = 0; c < N_CLASSES; c++)
            assert_float_equal(w[c], totals[f][c] / N_STEPS, 1e-3);
    }
    free(o.copy);
    nlp__perceptron_free(p);
}

static void test_perceptron_freeze_is_deterministic(void **state) {
    (void)state;
    nlp__perceptron_t *p;
    assert_int_equal(nlp__perceptron_create(NULL, TOY_CLASSES, &p), NLP_OK);
    train_toy(p, 3);
    void *img1, *img2;
    size_t len1, len2;
    assert_int_equal(nlp__perceptron_freeze(p, &img1, &len1), NLP_OK);
    assert_int_equal(nlp__perceptron_freeze(p, &img2, &len2), NLP_OK);
    assert_int_equal(len1, len2);
    assert_memory_equal(img1, img2, len1);

    /* Two copies of the image in different places score identically. */
    uint64_t *c1 = calloc(len1 / 8 + 1, 8), *c2 = calloc(len1 / 8 + 1, 8);
    memcpy(c1, img1, len1);
    memcpy(c2, img1, len1);
    nlp__linear_t v1, v2;
    assert_int_equal(nlp__linear_open(c1, len1, &v1), NLP_OK);
    assert_int_equal(nlp__linear_open(c2, len1, &v2), NLP_OK);
    for (int i = 0; i < TOY_N; i++) {
        uint64_t feats[4];
        uint32_t truth;
        float s1[TOY_CLASSES], s2[TOY_CLASSES];
        toy_instance(i, feats, &truth);
        nlp__linear_scores(&v1, feats, 4, s1);
        nlp__linear_scores(&v2, feats, 4, s2);
        assert_memory_equal(s1, s2, sizeof s1);
    }
    free(c1);
    free(c2);
    free(img1);
    free(img2);
    nlp__perceptron_free(p);
}

static void test_perceptron_unknown_features_score_zero(void **state) {
    (void)state;
    nlp__perceptron_t *p;
    assert_int_equal(nlp__perceptron_create(NULL, TOY_CLASSES, &p), NLP_OK);
    train_toy(p, 2);
    opened_t o;
    freeze_and_open(p, NULL, NULL, &o);
    uint64_t unseen[3] = {0, nlp__feat1(99, 1), nlp__feat2(99, 2, 3)};
    float s[TOY_CLASSES];
    nlp__linear_scores(&o.view, unseen, 3, s);
    for (int c = 0; c < TOY_CLASSES; c++) assert_true(s[c] == 0.0f);
    nlp__perceptron_scores(p, unseen, 3, s);
    for (int c = 0; c < TOY_CLASSES; c++) assert_true(s[c] == 0.0f);
    free(o.copy);
    nlp__perceptron_free(p);
}

static void test_perceptron_pruning_drops_small_weights(void **state) {
    (void)state;
    nlp__perceptron_t *p;
    assert_int_equal(nlp__perceptron_create(NULL, 2, &p), NLP_OK);
    uint64_t big = nlp__feat1(1, 1), small = nlp__feat1(1, 2);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(nlp__perceptron_update(p, &big, 1, 0, 1, 1.0f), NLP_OK);
        if (i == 99)
            assert_int_equal(nlp__perceptron_update(p, &small, 1, 0, 1, 1.0f), NLP_OK);
        nlp__perceptron_tick(p);
    }
    opened_t all, pruned;
    freeze_and_open(p, NULL, NULL, &all);
    nlp__freeze_opts_t opts = {.min_weight = 0.05f};
    freeze_and_open(p, NULL, &opts, &pruned);
    assert_int_equal(all.view.n_features, 2);
    assert_int_equal(pruned.view.n_features, 1);
    float s[2];
    nlp__linear_scores(&pruned.view, &small, 1, s);
    assert_true(s[0] == 0.0f && s[1] == 0.0f);
    nlp__linear_scores(&pruned.view, &big, 1, s);
    assert_float_equal(s[0], 50.5f, 1e-2);
    free(all.copy);
    free(pruned.copy);
    nlp__perceptron_free(p);
}

/* A model with more classes than the scorer adds at once (2048), with a
 * dense row and a sparse row that reach past that window, scores as the
 * weights it was frozen from. */
static void test_linear_scores_many_classes(void **state) {
    (void)state;
    enum { N = 2500 };
    nlp__perceptron_t *p;
    assert_int_equal(nlp__perceptron_create(NULL, N, &p), NLP_OK);
    uint64_t dense = nlp__feat1(1, 1), sparse = nlp__feat1(1, 2);
    /* One instance: the averaged weights equal the final ones. */
    for (uint32_t c = 0; c + 1 < N; c += 3)
        assert_int_equal(nlp__perceptron_update(p, &dense, 1, c, c + 1, 1.0f), NLP_OK);
    const uint32_t sparse_classes[] = {3, 2047, 2048, 2100, N - 1};
    for (size_t k = 0; k < sizeof sparse_classes / sizeof *sparse_classes; k++)
        assert_int_equal(nlp__perceptron_update(p, &sparse, 1, sparse_classes[k],
                                                (sparse_classes[k] + 7) % N, 2.0f),
                         NLP_OK);
    nlp__perceptron_tick(p);
    opened_t o;
    freeze_and_open(p, NULL, NULL, &o);
    uint64_t feats[3] = {sparse, nlp__feat1(9, 9), dense};
    static float want[N], got[N];
    nlp__perceptron_scores(p, feats, 3, want);
    nlp__linear_scores(&o.view, feats, 3, got);
    for (uint32_t c = 0; c < N; c++) assert_float_equal(got[c], want[c], 1e-3);
    free(o.copy);
    nlp__perceptron_free(p);
}

static void test_perceptron_create_rejects_bad_class_count(void **state) {
    (void)state;
    nlp__perceptron_t *p = (nlp__perceptron_t *)1;
    assert_int_equal(nlp__perceptron_create(NULL, 0, &p), NLP_INVALID_ARG);
    assert_null(p);
    assert_int_equal(nlp__perceptron_create(NULL, 70000, &p), NLP_INVALID_ARG);
    assert_int_equal(nlp__perceptron_create(NULL, 2, &p), NLP_OK);
    uint64_t f = 5;
    assert_int_equal(nlp__perceptron_update(p, &f, 1, 0, 2, 1.0f), NLP_INVALID_ARG);
    nlp__perceptron_free(p);
    nlp__perceptron_free(NULL);
}

/* Copies a valid image, lets `damage` change it, and expects rejection. */
static void expect_corrupt(const void *image, size_t len,
                           void (*damage)(uint8_t *buf, size_t *len)) {
    uint64_t *copy = calloc(len / 8 + 2, 8);
    memcpy(copy, image, len);
    size_t n = len;
    damage((uint8_t *)copy, &n);
    nlp__linear_t view;
    assert_int_equal(nlp__linear_open(copy, n, &view), NLP_MODEL_CORRUPT);
    free(copy);
}

static void damage_truncate(uint8_t *buf, size_t *len) { (void)buf; *len -= 8; }
static void damage_tiny(uint8_t *buf, size_t *len) { (void)buf; *len = 16; }
static void damage_magic(uint8_t *buf, size_t *len) { (void)len; buf[0] ^= 1; }
static void damage_classes(uint8_t *buf, size_t *len) {
    (void)len;
    memset(buf + 8, 0, 4); /* n_classes = 0 */
}
static uint32_t header_field(const uint8_t *buf, size_t at) {
    uint32_t v;
    memcpy(&v, buf + at, 4);
    return v;
}
static void damage_len_bits(uint8_t *buf, size_t *len) {
    (void)len;
    buf[28] ^= 1; /* row lengths read with another width */
}
/* Offsets of the block starts and of the row data, from the header. */
static size_t block_starts_at(const uint8_t *buf) {
    return 64 + (size_t)header_field(buf, 12) * 4;
}
static size_t cells_at(const uint8_t *buf) {
    return block_starts_at(buf) + ((size_t)header_field(buf, 12) / 16 + 1) * 4;
}
/* Offset of the first occupied slot. */
static size_t first_used_slot_at(const uint8_t *buf) {
    for (uint32_t s = 0; s < header_field(buf, 12); s++)
        if (header_field(buf, 64 + 4 * (size_t)s) != 0) return 64 + 4 * (size_t)s;
    fail_msg("no occupied slot in the image");
    return 0;
}
static void damage_first_start(uint8_t *buf, size_t *len) {
    (void)len;
    uint32_t one = 1;
    memcpy(buf + block_starts_at(buf), &one, 4); /* block_starts[0] = 1 */
}
static void damage_full_table(uint8_t *buf, size_t *len) {
    (void)len;
    uint32_t n_slots = header_field(buf, 12);
    memcpy(buf + 16, &n_slots, 4); /* n_features = n_slots: no empty slot */
}
static void damage_entry_length(uint8_t *buf, size_t *len) {
    (void)len;
    /* One row one unit longer: the rows no longer tile the data. */
    size_t at = first_used_slot_at(buf);
    uint32_t e = header_field(buf, at) + 1;
    memcpy(buf + at, &e, 4);
}
static void damage_entry_class(uint8_t *buf, size_t *len) {
    /* The image has only sparse rows: the first row's first class goes out
     * of range. */
    uint32_t mask = (1u << header_field(buf, 28)) - 1;
    assert_int_equal(header_field(buf, first_used_slot_at(buf)) & mask, 2);
    assert_true(cells_at(buf) + 4 <= *len);
    uint16_t bad = 500;
    memcpy(buf + cells_at(buf), &bad, 2);
}
static void damage_scale(uint8_t *buf, size_t *len) {
    (void)len;
    float nan = NAN;
    memcpy(buf + 24, &nan, 4);
}

static void test_linear_open_rejects_corrupt_images(void **state) {
    (void)state;
    nlp__perceptron_t *p;
    assert_int_equal(nlp__perceptron_create(NULL, TOY_CLASSES, &p), NLP_OK);
    train_toy(p, 2);
    void *image;
    size_t len;
    assert_int_equal(nlp__perceptron_freeze(p, &image, &len), NLP_OK);
    expect_corrupt(image, len, damage_truncate);
    expect_corrupt(image, len, damage_tiny);
    expect_corrupt(image, len, damage_magic);
    expect_corrupt(image, len, damage_classes);
    expect_corrupt(image, len, damage_len_bits);
    expect_corrupt(image, len, damage_first_start);
    expect_corrupt(image, len, damage_full_table);
    expect_corrupt(image, len, damage_entry_length);
    expect_corrupt(image, len, damage_scale);
    free(image);
    nlp__perceptron_free(p);

    /* Many classes and one update per feature: sparse rows. */
    assert_int_equal(nlp__perceptron_create(NULL, 40, &p), NLP_OK);
    for (uint64_t i = 0; i < 10; i++) {
        uint64_t f = nlp__feat1(5, i);
        assert_int_equal(nlp__perceptron_update(p, &f, 1, (uint32_t)i, (uint32_t)i + 1, 1.0f),
                         NLP_OK);
        nlp__perceptron_tick(p);
    }
    assert_int_equal(nlp__perceptron_freeze(p, &image, &len), NLP_OK);
    expect_corrupt(image, len, damage_entry_class);

    /* A misaligned image is refused rather than read unaligned. */
    uint8_t *buf = malloc(len + 8);
    memcpy(buf + 1, image, len);
    nlp__linear_t view;
    assert_int_equal(nlp__linear_open(buf + 1, len, &view), NLP_MODEL_CORRUPT);
    free(buf);
    free(image);
    nlp__perceptron_free(p);
}

/* An image of another format version is refused as such, not as damage. */
static void test_linear_open_rejects_other_versions(void **state) {
    (void)state;
    nlp__perceptron_t *p;
    assert_int_equal(nlp__perceptron_create(NULL, TOY_CLASSES, &p), NLP_OK);
    train_toy(p, 1);
    opened_t o;
    freeze_and_open(p, NULL, NULL, &o);
    size_t len = 64 + (size_t)o.view.n_slots * 4 + ((size_t)o.view.n_slots / 16 + 1) * 4 +
                 (size_t)o.view.n_units * 4;
    len = (len + 7) & ~(size_t)7;
    memcpy(o.copy, "SPCLIN02", 8);
    nlp__linear_t view;
    assert_int_equal(nlp__linear_open(o.copy, len, &view), NLP_MODEL_VERSION);
    assert_non_null(strstr(nlp_error_detail(), "SPCLIN02"));
    free(o.copy);
    nlp__perceptron_free(p);
}

/* Every allocation of training and freezing fails in turn; each failure is
 * reported and nothing leaks. */
static void test_perceptron_out_of_memory_sweep(void **state) {
    (void)state;
    for (long fail = 1;; fail++) {
        test_alloc_t ta;
        test_alloc_init(&ta);
        ta.fail_at = fail;
        nlp__perceptron_t *p = NULL;
        nlp_status_t st = nlp__perceptron_create(&ta.iface, 4, &p);
        for (int i = 0; st == NLP_OK && i < 600; i++) {
            uint64_t f[2] = {nlp__feat1(1, (uint64_t)i), nlp__feat1(2, (uint64_t)i % 3)};
            st = nlp__perceptron_update(p, f, 2, (uint32_t)i % 4, (uint32_t)(i + 1) % 4, 1.0f);
            nlp__perceptron_tick(p);
        }
        void *image = NULL;
        size_t len;
        if (st == NLP_OK) st = nlp__perceptron_freeze(p, &image, &len);
        nlp__free(&ta.iface, image);
        nlp__perceptron_free(p);
        assert_int_equal(ta.live, 0);
        if (st == NLP_OK) {
            assert_true(fail > ta.total);
            break;
        }
        assert_int_equal(st, NLP_NOMEM);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_perceptron_learns_separable),
        cmocka_unit_test(test_perceptron_averaging_exact),
        cmocka_unit_test(test_perceptron_averaging_matches_brute_force),
        cmocka_unit_test(test_perceptron_freeze_is_deterministic),
        cmocka_unit_test(test_perceptron_unknown_features_score_zero),
        cmocka_unit_test(test_perceptron_pruning_drops_small_weights),
        cmocka_unit_test(test_linear_scores_many_classes),
        cmocka_unit_test(test_perceptron_create_rejects_bad_class_count),
        cmocka_unit_test(test_linear_open_rejects_corrupt_images),
        cmocka_unit_test(test_linear_open_rejects_other_versions),
        cmocka_unit_test(test_perceptron_out_of_memory_sweep),
    };
    return cmocka_run_group_tests(tests, 0, NULL);
}
