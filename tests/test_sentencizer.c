/* Tests of the rule-based sentencizer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/vocab.h"
#include "doc/doc.h"
#include "io/model_file.h"
#include "models/train.h"
#include "test_util.h"

typedef struct fixture {
    test_alloc_t alloc;
    nlp_vocab_t *vocab;
    nlp__component_t *sentencizer;
    nlp__chunk_cache_t cache;
    nlp__arena_t scratch;
} fixture_t;

static int setup(void **state) {
    static fixture_t f;
    test_alloc_init(&f.alloc);
    if (nlp__vocab_create(&f.alloc.iface, NULL, &f.vocab) ||
        nlp__sentencizer_create(f.vocab, &f.sentencizer))
        return -1;
    nlp__chunk_cache_init(&f.cache, &f.alloc.iface, 1 << 12, 1);
    nlp__arena_init(&f.scratch, &f.cache);
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fixture_t *f = *state;
    nlp__arena_destroy(&f->scratch);
    nlp__chunk_cache_destroy(&f->cache);
    f->sentencizer->ops->free(f->sentencizer);
    nlp__vocab_free(f->vocab);
    return f->alloc.live == 0 ? 0 : -1;
}

/* Splits `tokens` (separated by '|'; a token ending in '_' is followed by
 * a space, written without the '_'), runs the sentencizer and returns the
 * sentence starts as a string of '1'/'0', one per token (static). */
static const char *starts(fixture_t *f, const char *tokens) {
    static char out[128];
    const char *words[64];
    size_t lens[64];
    uint8_t spaces[64];
    size_t n = 0;
    for (const char *p = tokens; *p; n++) {
        const char *end = strchr(p, '|');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        words[n] = p;
        spaces[n] = len > 1 && p[len - 1] == '_';
        lens[n] = len - spaces[n];
        p += len + (end != NULL);
    }
    nlp_doc_t *doc;
    assert_int_equal(nlp__doc_from_words(f->vocab, NULL, words, lens, spaces, n,
                                         &doc),
                     NLP_OK);
    assert_int_equal(f->sentencizer->ops->process(f->sentencizer, doc, &f->scratch),
                     NLP_OK);
    assert_true(nlp_doc_layers(doc) & NLP_HAS_SENTS);
    for (size_t i = 0; i < n; i++)
        out[i] = doc->tokens[i].sent_start == 1 ? '1' : '0';
    out[n] = '\0';
    nlp_doc_free(doc);
    return out;
}

static void test_sentencizer_splits_after_terminators(void **state) {
    fixture_t *f = *state;
    assert_string_equal(starts(f, "Hello_|world|._|How_|are_|you|?_|Fine|!"),
                        "100100010");
    assert_string_equal(starts(f, "no_|punctuation_|here"), "100");
    assert_string_equal(starts(f, "Done|."), "10");
}

static void test_sentencizer_keeps_closing_quotes_and_brackets(void **state) {
    fixture_t *f = *state;
    /* He said "hi." Then left. */
    assert_string_equal(starts(f, "He_|said_|\"|hi|.|\"_|Then_|left|."),
                        "100000100");
    /* (It works.) Next one. */
    assert_string_equal(starts(f, "(|It_|works|.|)_|Next_|one|."), "10000100");
    /* She asked: “Why?” He smiled. */
    assert_string_equal(starts(f, "She_|asked|:_|“|Why|?|”_|He_|smiled|."),
                        "1000000100");
}

static void test_sentencizer_opening_quote_starts_sentence(void **state) {
    fixture_t *f = *state;
    /* Stop. "Go now." */
    assert_string_equal(starts(f, "Stop|._|\"|Go_|now|.|\""), "1010000");
}

static void test_sentencizer_runs_of_terminators(void **state) {
    fixture_t *f = *state;
    /* Wait... what?! No. */
    assert_string_equal(starts(f, "Wait|..._|what|?!_|No|."), "101010");
    assert_string_equal(starts(f, "Really|?|?|?_|Yes|."), "100010");
}

static void test_sentencizer_abbreviations_and_numbers_do_not_split(void **state) {
    fixture_t *f = *state;
    assert_string_equal(starts(f, "Mr._|Smith_|paid_|3.50_|dollars|."), "100000");
}

static void test_sentencizer_other_scripts_and_spaces(void **state) {
    fixture_t *f = *state;
    assert_string_equal(starts(f, "你好|。|再见|。"), "1010");
    assert_string_equal(starts(f, "Hi|.|\n\n|Bye|."), "10010");
    assert_string_equal(starts(f, "Ja|！|Nein|？"), "1010");
}

static void test_sentencizer_save_and_load(void **state) {
    fixture_t *f = *state;
    char path[] = "/tmp/spacyc-sent-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    nlp__model_writer_t *w;
    assert_int_equal(nlp__model_writer_create(&f->alloc.iface, &w), NLP_OK);
    assert_int_equal(f->sentencizer->ops->save(f->sentencizer, w, "sentencizer."),
                     NLP_OK);
    assert_int_equal(nlp__model_writer_save(w, path), NLP_OK);
    nlp__model_writer_free(w);
    nlp__model_reader_t *r;
    nlp__component_t *loaded;
    assert_int_equal(nlp__model_reader_open(path, &f->alloc.iface, &r), NLP_OK);
    assert_int_equal(nlp__sentencizer_load(f->vocab, r, "sentencizer.", &loaded),
                     NLP_OK);
    assert_string_equal(loaded->ops->name, "sentencizer");
    size_t n = 1;
    assert_int_equal(loaded->ops->labels(loaded, NULL, 0, &n), NLP_OK);
    assert_int_equal(n, 0);
    loaded->ops->free(loaded);
    nlp__model_reader_close(r);
    remove(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sentencizer_splits_after_terminators,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_sentencizer_keeps_closing_quotes_and_brackets, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_sentencizer_opening_quote_starts_sentence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sentencizer_runs_of_terminators,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_sentencizer_abbreviations_and_numbers_do_not_split, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_sentencizer_other_scripts_and_spaces,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sentencizer_save_and_load, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
