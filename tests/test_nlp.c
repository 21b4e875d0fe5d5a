/* The public load-and-parse path under allocation failure: with the bundled
 * model, failing each allocation of nlp_load, then each allocation of
 * nlp_parse in a zone and outside one, must give NLP_NOMEM, hand out
 * nothing and leak nothing, and the same pipeline must parse normally once
 * memory is back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spacyc.h"
#include "test_util.h"

/* Words the vocabulary has not seen, so the parse has to add strings and
 * lexemes, and enough sentences for the arrays to grow. */
static const char sample[] =
    "Zorbleflax Industries hired Quentavia Brightwater in Ulaanbaatar last "
    "Tuesday. She said: \"We're expanding, aren't we?\" Mr. O'Neill, 42, "
    "disagreed (see http://example.com/zorb). Frobnitzing glarbs costs "
    "$3.50 per unit -- or so they claim!\n\nThanks,\nQuentavia";

static const char *model_or_skip(void) {
    const char *path = getenv("SPACYC_MODEL");
    if (!path || access(path, R_OK) != 0) skip();
    return path;
}

/* Loads the model at ctx (a path) with `alloc`. */
static nlp_status_t load_attempt(void *ctx, const nlp_allocator_t *alloc) {
    nlp_t *nlp = NULL;
    nlp_status_t st = nlp_load(ctx, alloc, &nlp);
    if (st == NLP_OK) assert_true(nlp_n_components(nlp) > 0);
    else assert_null(nlp);
    nlp_free(nlp);
    return st;
}

static void test_load_out_of_memory_sweep(void **state) {
    (void)state;
    long failures = test_oom_sweep(load_attempt, (void *)model_or_skip(), 100000);
    print_message("nlp_load: %ld allocation failures, each refused cleanly\n", failures);
}

/* The CoNLL-U of a successful parse, for comparison. */
static char *conllu_of(nlp_doc_t *doc) {
    test_buf_t out = {0};
    assert_int_equal(nlp_doc_to_conllu(doc, test_buf_write, &out), NLP_OK);
    return out.data;
}

/* The sample 40 times over with numbered unseen words: some thousands of
 * tokens, so token arrays outgrow a zone chunk. */
static char *long_text(void) {
    size_t cap = 40 * (sizeof sample + 32), len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (int i = 0; i < 40; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s Glorp%dx.\n\n", sample, i);
    return text;
}

/* Loads a fresh pipeline and fails each allocation of its first parse (zone
 * creation included, in a zone when use_zone): NLP_NOMEM and no Doc each
 * time, nothing left once the pipeline is freed, and the same output as a
 * pipeline that never failed when memory suffices. */
static void parse_sweep(const char *path, const char *text, int use_zone,
                        const char *expected) {
    int parsed = 0;
    long k = 1;
    for (; !parsed; k++) {
        test_alloc_t a;
        test_alloc_init(&a);
        nlp_t *nlp;
        assert_int_equal(nlp_load(path, &a.iface, &nlp), NLP_OK);
        a.fail_at = a.total + k;
        nlp_zone_t *zone = NULL;
        nlp_doc_t *doc = NULL;
        nlp_status_t st = use_zone ? nlp_memory_zone_begin(nlp, &zone) : NLP_OK;
        if (st == NLP_OK) st = nlp_parse(nlp, zone, text, strlen(text), &doc);
        a.fail_at = 0;
        if (st == NLP_OK) {
            parsed = 1;
            char *got = conllu_of(doc);
            assert_string_equal(got, expected);
            free(got);
        } else {
            assert_int_equal(st, NLP_NOMEM);
            assert_null(doc);
        }
        if (zone) assert_int_equal(nlp_memory_zone_end(zone), NLP_OK);
        else nlp_doc_free(doc);
        nlp_free(nlp);
        assert_int_equal(a.live, 0);
        assert_true(k < 100000);
    }
    print_message("nlp_parse %s: %ld allocation failures, each refused cleanly\n",
                  use_zone ? "in a zone" : "outside zones", k - 2);
}

static void test_parse_out_of_memory_sweep(void **state) {
    (void)state;
    const char *path = model_or_skip();
    char *text = long_text();
    nlp_t *twin;
    assert_int_equal(nlp_load(path, NULL, &twin), NLP_OK);
    nlp_doc_t *ref;
    assert_int_equal(nlp_parse(twin, NULL, text, strlen(text), &ref), NLP_OK);
    char *expected = conllu_of(ref);
    nlp_doc_free(ref);
    nlp_free(twin);

    parse_sweep(path, text, 1, expected);
    parse_sweep(path, text, 0, expected);
    free(expected);
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_out_of_memory_sweep),
        cmocka_unit_test(test_parse_out_of_memory_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
