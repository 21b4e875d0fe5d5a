/* Tests of the entity recogniser's gazetteer: the file reader, the
 * lexicon-format image it builds, and the recogniser's model section. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

#include "core/vocab.h"
#include "doc/doc.h"
#include "io/corpus.h"
#include "io/gazetteer_file.h"
#include "io/model_file.h"
#include "models/ner_features.h"
#include "models/ner_lexicon.h"
#include "models/train.h"
#include "models/train_util.h"

/* Category bits in the order the file below first names them. */
enum { CITY = 1u, FIRST = 2u, LAST = 4u };

static const char names[] =
    "# places and people\n"
    "CITY\tNew York\n"
    "CITY\tParis\n"
    "\n"
    "FIRST\tPARIS\n"
    "LAST\tYork\n"
    "CITY\ta b c d e f g\n";

static uint64_t id(const char *word) { return nlp_hash_string(word, strlen(word)); }

/* Reads `text` as a gazetteer file into a new image. */
static nlp_status_t read_text(const char *text, void **image, size_t *len,
                              nlp__gazetteer_counts_t *counts) {
    const char *path = test_write_temp(text, strlen(text));
    nlp_status_t st = nlp__gazetteer_read(NULL, path, image, len, counts);
    remove(path);
    return st;
}

/* Reads `text` as a gazetteer file and opens its image in *g, failing the
 * test on an error; returns the image (caller frees). */
static void *read_and_open(const char *text, nlp__ner_lexicon_t *g, size_t *len,
                           nlp__gazetteer_counts_t *n) {
    void *image;
    assert_int_equal(read_text(text, &image, len, n), NLP_OK);
    assert_int_equal(nlp__ner_lexicon_open(image, *len, g), NLP_OK);
    return image;
}

static void test_gazetteer_file_reads_names_and_categories(void **state) {
    (void)state;
    size_t len;
    nlp__gazetteer_counts_t n;
    nlp__ner_lexicon_t g;
    void *image = read_and_open(names, &g, &len, &n);
    assert_int_equal(n.names, 4);
    assert_int_equal(n.too_long, 1);
    assert_int_equal(n.n_categories, 3);
    assert_string_equal(n.categories[0], "CITY");
    assert_string_equal(n.categories[1], "FIRST");
    assert_string_equal(n.categories[2], "LAST");
    assert_int_equal(g.is_gazetteer, 1);
    /* Names are lower-cased; one listed twice has both categories. */
    assert_int_equal(NLP__NER_LEX_LABEL(nlp__ner_lexicon_one_word_entry(&g, id("paris"))),
                     CITY | FIRST);
    assert_int_equal(NLP__NER_LEX_LABEL(nlp__ner_lexicon_one_word_entry(&g, id("york"))), LAST);
    assert_int_equal(nlp__ner_lexicon_one_word_entry(&g, id("new")), 0); /* a prefix only */
    assert_int_equal(nlp__ner_lexicon_one_word_entry(&g, id("Paris")), 0);
    assert_int_equal(nlp__ner_lexicon_one_word_entry(&g, id("a")), 0); /* name too long */
    /* The longest name wins: "new york" is one CITY, not a LAST "york". */
    uint64_t text[] = {id("i"), id("love"), id("new"), id("york"), id("york")};
    uint32_t codes[5];
    nlp__ner_lexicon_match(&g, text, 5, codes, NULL);
    assert_int_equal(codes[0], 0);
    assert_int_equal(codes[1], 0);
    assert_int_equal(NLP__NER_LEX_LABEL(codes[2]), CITY);
    assert_int_equal(NLP__NER_LEX_POS(codes[2]), NLP__NER_LEX_POS_B);
    assert_int_equal(NLP__NER_LEX_LABEL(codes[3]), CITY);
    assert_int_equal(NLP__NER_LEX_POS(codes[3]), NLP__NER_LEX_POS_L);
    assert_int_equal(NLP__NER_LEX_LABEL(codes[4]), LAST);
    assert_int_equal(NLP__NER_LEX_POS(codes[4]), NLP__NER_LEX_POS_U);
    /* The one-word entries come along, also inside a longer match. */
    uint32_t one_word[5];
    nlp__ner_lexicon_match(&g, text, 5, codes, one_word);
    for (int i = 0; i < 5; i++)
        assert_int_equal(one_word[i], nlp__ner_lexicon_one_word_entry(&g, text[i]));
    assert_int_equal(NLP__NER_LEX_LABEL(one_word[3]), LAST);
    free(image);
}

static void expect_format_error(const char *text, const char *detail) {
    void *image = NULL;
    size_t len;
    nlp__gazetteer_counts_t n;
    assert_int_equal(read_text(text, &image, &len, &n), NLP_FORMAT);
    assert_null(image);
    assert_non_null(strstr(nlp_error_detail(), detail));
}

static void test_gazetteer_file_errors_name_the_line(void **state) {
    (void)state;
    expect_format_error("CITY\tParis\nno tab here\n", ":2: expected");
    expect_format_error("CITY\tParis\nCITY\t \n", ":2: the name has no words");
    expect_format_error("A\ta\nB\tb\nC\tc\nD\td\nE\te\nF\tf\nG\tg\nH\th\nI\ti\n",
                        ":9: category \"I\" is one too many");
    expect_format_error("CITY\tParis\nA_CATEGORY_NAME_OF_MORE_THAN_31_BYTES\tx\n",
                        ":2: category \"A_CATEGORY_NAME_OF_MORE_THAN_31_BYTES\" is longer");
    expect_format_error("# nothing\n\n", "no names");
    void *image;
    size_t len;
    nlp__gazetteer_counts_t n;
    assert_int_equal(nlp__gazetteer_read(NULL, "/nonexistent/gazetteer.tsv", &image,
                                         &len, &n),
                     NLP_IO);
}

/* Windows line ends are read like Unix ones. */
static void test_gazetteer_file_reads_crlf(void **state) {
    (void)state;
    size_t len;
    nlp__gazetteer_counts_t n;
    nlp__ner_lexicon_t g;
    void *image = read_and_open("CITY\tSan Rafael\r\nFIRST\tElyse\r\n", &g, &len, &n);
    assert_int_equal(n.names, 2);
    assert_string_equal(n.categories[1], "FIRST");
    assert_int_equal(NLP__NER_LEX_LABEL(nlp__ner_lexicon_one_word_entry(&g, id("elyse"))),
                     2);
    free(image);
}

static nlp_status_t read_attempt(void *ctx, const nlp_allocator_t *alloc) {
    void *image;
    size_t len;
    nlp__gazetteer_counts_t n;
    nlp_status_t st = nlp__gazetteer_read(alloc, ctx, &image, &len, &n);
    if (st == NLP_OK) alloc->free_fn(alloc->ctx, image);
    return st;
}

/* Every allocation the reader makes may fail, cleanly. */
static void test_gazetteer_read_survives_out_of_memory(void **state) {
    (void)state;
    /* Enough names that every array has to grow. */
    static char text[64 * 1024];
    size_t len = 0;
    for (int i = 0; i < 3000; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s\tname%d town\n",
                                i % 2 ? "CITY" : "LAST", i);
    char path[64];
    snprintf(path, sizeof path, "%s", test_write_temp(text, len));
    assert_true(test_oom_sweep(read_attempt, path, 1000) > 5);
    remove(path);
}

static void test_gazetteer_build_checks_categories(void **state) {
    (void)state;
    uint64_t words[] = {id("paris")};
    nlp__ner_gaz_entry_t e = {words, 1, 3};
    void *image;
    size_t len;
    assert_int_equal(nlp__ner_gazetteer_build(NULL, &e, 1, 3, &image, &len),
                     NLP_INVALID_ARG);
    assert_int_equal(nlp__ner_gazetteer_build(NULL, &e, 1, 9, &image, &len),
                     NLP_INVALID_ARG);
}

/* ---- The recogniser's section ------------------------------------------- */

static const char fixture[] =
    "# text = John Smith lives in Paris .\n"
    "1\tJohn\tB-PER\n2\tSmith\tI-PER\n3\tlives\tO\n4\tin\tO\n5\tParis\tB-LOC\n6\t.\tO\n\n"
    "# text = we met Mary in London .\n"
    "1\twe\tO\n2\tmet\tO\n3\tMary\tB-PER\n4\tin\tO\n5\tLondon\tB-LOC\n6\t.\tO\n\n";

/* The number of tokens of "we met Mary in New York ." whose gazetteer
 * match code is set, as `ner` sees them. */
static size_t gazetteer_hits(nlp_vocab_t *vocab, const nlp__ner_lexicon_t *gazetteer) {
    static const char *words[] = {"we", "met", "Mary", "in", "New", "York", "."};
    static const size_t lens[] = {2, 3, 4, 2, 3, 4, 1};
    nlp_doc_t *doc;
    assert_int_equal(nlp__doc_from_words(vocab, NULL, words, lens, NULL, 7, &doc), NLP_OK);
    nlp__chunk_cache_t cache;
    nlp__arena_t scratch;
    nlp__chunk_cache_init(&cache, NULL, 64u << 10, 2);
    nlp__arena_init(&scratch, &cache);
    nlp__ner_token_t *t;
    assert_int_equal(nlp__ner_tokens_fill(doc, (nlp__ner_lexicons_t){NULL, gazetteer},
                                          &scratch, &t),
                     NLP_OK);
    size_t hits = 0;
    for (size_t i = 0; i < 7; i++) hits += t[i].gaz_phrase != 0;
    assert_int_equal(t[2].has_gazetteer, gazetteer != NULL);
    /* Without a gazetteer its templates stay absent (id 0), so older
     * models score exactly as before; with one they are all present. */
    uint64_t feats[NLP__NER_MAX_FEATS];
    nlp__ner_static_features(t, 4, false, feats);
    for (size_t k = NLP__NER_N_STATIC - 6; k < NLP__NER_N_STATIC - 1; k++)
        assert_true((feats[k] != 0) == (gazetteer != NULL));
    nlp__biluo_state_t s = nlp__biluo_init(4, 7);
    size_t n_state = nlp__ner_state_features(t, &s, NLP__NER_NO_ACTION,
                                             NLP__NER_NO_ACTION, feats);
    assert_int_equal(n_state, gazetteer ? 9 : 8);
    nlp__arena_destroy(&scratch);
    nlp__chunk_cache_destroy(&cache);
    nlp_doc_free(doc);
    return hits;
}

static void test_ner_keeps_its_gazetteer(void **state) {
    (void)state;
    size_t len;
    nlp__gazetteer_counts_t n;
    nlp__ner_lexicon_t g;
    void *image = read_and_open(names, &g, &len, &n);

    nlp__corpus_t *corpus = test_read_iob2(fixture, sizeof fixture - 1, NULL);
    nlp_vocab_t *vocab;
    assert_int_equal(nlp__vocab_create(NULL, NULL, &vocab), NLP_OK);
    assert_int_equal(gazetteer_hits(vocab, &g), 2); /* "New York" */
    assert_int_equal(gazetteer_hits(vocab, NULL), 0);

    nlp__train_opts_t opts = {.epochs = 5, .seed = 1, .gazetteer = image,
                              .gazetteer_len = len};
    nlp__component_t *ner;
    assert_int_equal(nlp__ner_train(vocab, corpus, corpus, NULL, 0, &opts, &ner), NLP_OK);
    free(image); /* the recogniser keeps its own copy */

    char model[64];
    snprintf(model, sizeof model, "%s", test_write_temp("", 0));
    nlp__model_reader_t *r = test_save_component(ner, "ner", model);
    const void *section;
    size_t section_len;
    assert_int_equal(nlp__model_reader_section(r, "ner.gazetteer", &section, &section_len),
                     NLP_OK);
    assert_int_equal(section_len, len);
    nlp__component_t *loaded;
    assert_int_equal(nlp__ner_load(vocab, r, "ner", &loaded), NLP_OK);
    loaded->ops->free(loaded);

    /* A corpus lexicon where the gazetteer belongs is refused. */
    const void *lexicon;
    size_t lexicon_len;
    assert_int_equal(nlp__model_reader_section(r, "ner.lexicon", &lexicon, &lexicon_len),
                     NLP_OK);
    char swapped[512];
    test_rewrite_model(r, "ner.gazetteer", lexicon, lexicon_len, swapped, sizeof swapped,
                       model);
    nlp__model_reader_t *r2;
    assert_int_equal(nlp__model_reader_open(swapped, NULL, &r2), NLP_OK);
    assert_int_equal(nlp__ner_load(vocab, r2, "ner", &loaded), NLP_MODEL_CORRUPT);
    assert_non_null(strstr(nlp_error_detail(), "gazetteer"));
    nlp__model_reader_close(r2);
    remove(swapped);

    nlp__model_reader_close(r);
    remove(model);
    ner->ops->free(ner);
    nlp__vocab_free(vocab);
    nlp__corpus_free(corpus);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gazetteer_file_reads_names_and_categories),
        cmocka_unit_test(test_gazetteer_file_errors_name_the_line),
        cmocka_unit_test(test_gazetteer_file_reads_crlf),
        cmocka_unit_test(test_gazetteer_read_survives_out_of_memory),
        cmocka_unit_test(test_gazetteer_build_checks_categories),
        cmocka_unit_test(test_ner_keeps_its_gazetteer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
