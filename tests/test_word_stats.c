/* Word statistics: cluster codes, the compact table, its files, and the
 * lexeme attributes (cluster, prob) they give through the vocabulary and
 * through a saved model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/vocab.h"
#include "core/word_stats.h"
#include "io/word_stats_files.h"
#include "pipeline/nlp.h"
#include "spacyc.h"
#include "test_util.h"

static uint32_t code(const char *path) { return nlp__cluster_code(path, strlen(path)); }

static void test_cluster_codes_and_prefixes(void **state) {
    (void)state;
    assert_int_equal(code("0110"), 0x16); /* a lead 1, then the path */
    assert_int_equal(code("0"), 2);
    assert_int_not_equal(code("0"), code("00"));
    assert_int_equal(code(""), 0);
    assert_int_equal(code("0120"), 0);
    char path[NLP__CLUSTER_MAX_BITS + 2];
    memset(path, '1', sizeof path);
    assert_int_not_equal(nlp__cluster_code(path, NLP__CLUSTER_MAX_BITS), 0);
    assert_int_equal(nlp__cluster_code(path, NLP__CLUSTER_MAX_BITS + 1), 0);
    assert_int_equal(nlp__cluster_prefix(code("011010"), 3), code("011"));
    assert_int_equal(nlp__cluster_prefix(code("01"), 4), code("01"));
    assert_int_equal(nlp__cluster_prefix(0, 4), 0);
}

static nlp__word_stat_t stat(const char *word, const char *path, float prob) {
    return (nlp__word_stat_t){nlp_hash_string(word, strlen(word)),
                              path ? code(path) : 0, prob};
}

static nlp__word_stat_t lookup(const nlp__word_stats_t *t, const char *word) {
    return nlp__word_stats_get(t, nlp_hash_string(word, strlen(word)));
}

/* A damaged image whose table is all but full: a miss still stops after
 * the longest probe the header records, instead of scanning the table. */
static void test_misses_stop_at_the_longest_probe(void **state) {
    (void)state;
    enum { N_SLOTS = 1u << 16 };
    size_t len = 24 + (size_t)N_SLOTS * 8;
    uint64_t *image = calloc(len / 8, 8);
    memcpy(image, "SPCWST01", 8);
    uint32_t counts[4] = {N_SLOTS, N_SLOTS - 1, 2, 0};
    memcpy((char *)image + 8, counts, sizeof counts);
    for (uint32_t s = 0; s + 1 < N_SLOTS; s++) image[3 + s] = (uint64_t)0xabcdu << 32 | 5;
    /* "needle" sits just before the one empty slot, far from its home: an
     * unbounded scan from almost any home would reach it. */
    uint64_t fp = nlp_hash_string("needle", 6) >> 32;
    image[3 + N_SLOTS - 2] = fp << 32 | 7;
    nlp__word_stats_t t;
    assert_int_equal(nlp__word_stats_open(image, len, &t), NLP_OK);
    assert_int_equal(t.max_probe, 2);
    assert_int_equal(lookup(&t, "needle").cluster, 0);
    assert_int_equal(lookup(&t, "absent").cluster, 0);
    free(image);
}

static void test_table_round_trip(void **state) {
    (void)state;
    nlp__word_stat_t words[] = {
        stat("alpha", "0110", -3.2f),  /* probabilities keep half log units */
        stat("beta", "1", 0.0f),       /* a cluster, no probability */
        stat("gamma", NULL, -20.74f),  /* a probability, no cluster */
        stat("delta", NULL, 0.0f),     /* nothing to store */
    };
    void *image;
    size_t len, dropped;
    assert_int_equal(nlp__word_stats_build(NULL, words, 4, &image, &len, NULL, &dropped), NLP_OK);
    assert_int_equal(dropped, 0);
    nlp__word_stats_t t;
    assert_int_equal(nlp__word_stats_open(image, len, &t), NLP_OK);
    assert_int_equal(t.n_words, 3);
    nlp__word_stat_t a = lookup(&t, "alpha"), b = lookup(&t, "beta");
    nlp__word_stat_t g = lookup(&t, "gamma"), d = lookup(&t, "delta");
    assert_int_equal(a.cluster, code("0110"));
    assert_true(a.prob == -3.0f);
    assert_int_equal(b.cluster, code("1"));
    assert_true(b.prob == 0.0f);
    assert_int_equal(g.cluster, 0);
    assert_true(g.prob == -20.5f);
    assert_int_equal(d.cluster, 0);
    assert_true(d.prob == 0.0f);
    assert_int_equal(lookup(&t, "epsilon").cluster, 0);
    assert_int_equal(lookup(NULL, "alpha").cluster, 0);
    free(image);
}

static void test_damaged_images_are_refused(void **state) {
    (void)state;
    nlp__word_stat_t words[] = {stat("alpha", "0110", -3.0f), stat("beta", "1", -5.0f)};
    void *image;
    size_t len;
    assert_int_equal(nlp__word_stats_build(NULL, words, 2, &image, &len, NULL, NULL), NLP_OK);
    nlp__word_stats_t t;
    uint8_t *b = image;
    assert_int_equal(nlp__word_stats_open(image, len - 8, &t), NLP_MODEL_CORRUPT);
    assert_int_equal(nlp__word_stats_open(image, 8, &t), NLP_MODEL_CORRUPT);
    assert_int_equal(nlp__word_stats_open(NULL, len, &t), NLP_MODEL_CORRUPT);
    b[0] ^= 1; /* magic */
    assert_int_equal(nlp__word_stats_open(image, len, &t), NLP_MODEL_CORRUPT);
    b[0] ^= 1;
    b[12] -= 1; /* word count no longer matches the slots */
    assert_int_equal(nlp__word_stats_open(image, len, &t), NLP_MODEL_CORRUPT);
    assert_non_null(strstr(nlp_error_detail(), "header says"));
    b[12] += 1;
    b[16] = 0xff; /* longest probe beyond the table */
    assert_int_equal(nlp__word_stats_open(image, len, &t), NLP_MODEL_CORRUPT);
    b[16] = 0;
    uint64_t *slots = (uint64_t *)(b + 24), kept = slots[0];
    slots[0] = kept ? 0 : 1; /* a slot emptied or filled */
    assert_int_equal(nlp__word_stats_open(image, len, &t), NLP_MODEL_CORRUPT);
    slots[0] = kept;
    assert_int_equal(nlp__word_stats_open(image, len, &t), NLP_OK);
    /* Misaligned: the same bytes one byte further on. */
    uint8_t *copy = malloc(len + 8);
    memcpy(copy + 1, image, len);
    assert_int_equal(nlp__word_stats_open(copy + 1, len, &t), NLP_MODEL_CORRUPT);
    free(copy);
    free(image);
}

/* A table for the lexeme tests, from the fixture's allocator. */
static void houston_stats(const nlp_allocator_t *alloc, void **image, size_t *len) {
    nlp__word_stat_t words[] = {
        stat("Houston", "0101", -11.5f),
        stat("houston", "0111", -14.5f),
        stat("may", "1", -7.5f),
    };
    assert_int_equal(nlp__word_stats_build(alloc, words, 3, image, len, NULL, NULL), NLP_OK);
}

static const nlp_lexeme_t *lexeme(nlp_vocab_t *v, nlp_zone_t *z, const char *s) {
    const nlp_lexeme_t *lex;
    assert_int_equal(nlp_vocab_get_lexeme(v, z, s, strlen(s), &lex), NLP_OK);
    return lex;
}

static void test_lexemes_carry_statistics(void **state) {
    test_blank_nlp_t *f = *state;
    nlp_vocab_t *v = nlp_get_vocab(f->nlp);
    /* Made before the statistics: updated when they arrive. */
    const nlp_lexeme_t *early = lexeme(v, NULL, "houston");
    assert_int_equal(early->cluster, 0);
    void *image;
    size_t len;
    houston_stats(&f->alloc.iface, &image, &len);
    assert_int_equal(nlp__vocab_set_word_stats(v, image, len, 1), NLP_OK);
    assert_int_equal(early->cluster, code("0111"));
    assert_true(early->prob == -14.5f);
    const nlp_lexeme_t *title = lexeme(v, NULL, "Houston");
    assert_int_equal(title->cluster, code("0101"));
    assert_true(title->prob == -11.5f);
    /* Forms without their own entry borrow the lower case's cluster but
     * keep no probability: capitalisation is what the probability tells. */
    const nlp_lexeme_t *upper = lexeme(v, NULL, "HOUSTON");
    assert_int_equal(upper->cluster, code("0111"));
    assert_true(upper->prob == 0.0f);
    nlp_zone_t *z;
    assert_int_equal(nlp_memory_zone_begin(f->nlp, &z), NLP_OK);
    const nlp_lexeme_t *in_zone = lexeme(v, z, "May");
    assert_int_equal(in_zone->cluster, code("1"));
    assert_true(in_zone->prob == 0.0f);
    /* No change while a zone reads the tables; the offered image is freed. */
    void *other;
    houston_stats(&f->alloc.iface, &other, &len);
    assert_int_equal(nlp__vocab_set_word_stats(v, other, len, 1), NLP_ZONE_OPEN);
    assert_int_equal(nlp_memory_zone_end(z), NLP_OK);
    assert_int_equal(lexeme(v, NULL, "xyzzy")->cluster, 0);
}

/* Reads the two files from text; returns the status. */
static nlp_status_t read_texts(const char *clusters, const char *probs,
                               nlp__word_stats_counts_t *n, nlp__word_stats_t *view,
                               void **image) {
    char cpath[256] = "", ppath[256] = "";
    if (clusters) snprintf(cpath, sizeof cpath, "%s", test_write_temp(clusters, strlen(clusters)));
    if (probs) snprintf(ppath, sizeof ppath, "%s", test_write_temp(probs, strlen(probs)));
    size_t len;
    nlp_status_t st = nlp__word_stats_read(NULL, clusters ? cpath : NULL,
                                           probs ? ppath : NULL, -17.0f, image, &len, n);
    if (!st) assert_int_equal(nlp__word_stats_open(*image, len, view), NLP_OK);
    if (clusters) unlink(cpath);
    if (probs) unlink(ppath);
    return st;
}

static void test_files_are_read_and_merged(void **state) {
    (void)state;
    nlp__word_stats_counts_t n;
    nlp__word_stats_t t;
    void *image = NULL;
    assert_int_equal(read_texts("0101\tHouston\t120\n0111\thouston\t9\n",
                                "-11.5\tHouston\n-14.5\thouston\n-18.0\trare\n-3\tthe\n",
                                &n, &t, &image), NLP_OK);
    assert_int_equal(n.clusters, 2);
    assert_int_equal(n.probs, 3); /* "rare" is below -17 */
    assert_int_equal(n.words, 3);
    assert_int_equal(t.n_words, 3);
    assert_int_equal(lookup(&t, "Houston").cluster, code("0101"));
    assert_true(lookup(&t, "Houston").prob == -11.5f);
    assert_true(lookup(&t, "the").prob == -3.0f);
    assert_int_equal(lookup(&t, "rare").cluster, 0);
    assert_true(lookup(&t, "rare").prob == 0.0f);
    free(image);
    /* Either file alone. */
    assert_int_equal(read_texts(NULL, "-2.5\tof\n", &n, &t, &image), NLP_OK);
    assert_true(lookup(&t, "of").prob == -2.5f);
    free(image);
}

static void expect_format_error(const char *clusters, const char *probs,
                                const char *where) {
    nlp__word_stats_counts_t n;
    nlp__word_stats_t t;
    void *image = (void *)1;
    assert_int_equal(read_texts(clusters, probs, &n, &t, &image), NLP_FORMAT);
    assert_null(image);
    assert_non_null(strstr(nlp_error_detail(), where));
}

static void test_bad_lines_name_file_and_line(void **state) {
    (void)state;
    expect_format_error("0101\tok\n01a1\tbad\n", NULL, ":2: cluster path");
    expect_format_error("0101 no-tab\n", NULL, ":1: expected");
    expect_format_error("0101\tword\n1\tword\n", NULL, ":2: word listed twice");
    expect_format_error(NULL, "-1\tfine\nx\tword\n", ":2: \"x\" is not");
    expect_format_error(NULL, "0.5\tword\n", ":1: \"0.5\" is not");
    expect_format_error(NULL, "-inf\tword\n", ":1: \"-inf\" is not");
    /* A repeat is an error even when the first entry fell below min_prob. */
    expect_format_error(NULL, "-30\tword\n-3\tword\n", ":2: word listed twice");
    expect_format_error(NULL, "-1\t\n", ":1: expected");
    void *image;
    size_t len;
    nlp__word_stats_counts_t n;
    assert_int_equal(nlp__word_stats_read(NULL, "/nonexistent/paths", NULL, -17.0f,
                                          &image, &len, &n), NLP_IO);
}

static void test_saved_model_keeps_statistics(void **state) {
    test_blank_nlp_t *f = *state;
    void *image;
    size_t len;
    houston_stats(&f->alloc.iface, &image, &len);
    assert_int_equal(nlp__vocab_set_word_stats(nlp_get_vocab(f->nlp), image, len, 1), NLP_OK);
    char path[] = "/tmp/spacyc-word-stats-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(nlp__save(f->nlp, path), NLP_OK);
    nlp_t *loaded;
    assert_int_equal(nlp_load(path, &f->alloc.iface, &loaded), NLP_OK);
    const nlp_lexeme_t *lex = lexeme(nlp_get_vocab(loaded), NULL, "Houston");
    assert_int_equal(lex->cluster, code("0101"));
    assert_true(lex->prob == -11.5f);
    nlp_free(loaded);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_codes_and_prefixes),
        cmocka_unit_test(test_table_round_trip),
        cmocka_unit_test(test_misses_stop_at_the_longest_probe),
        cmocka_unit_test(test_damaged_images_are_refused),
        TEST_WITH_BLANK_NLP(test_lexemes_carry_statistics),
        cmocka_unit_test(test_files_are_read_and_merged),
        cmocka_unit_test(test_bad_lines_name_file_and_line),
        TEST_WITH_BLANK_NLP(test_saved_model_keeps_statistics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
