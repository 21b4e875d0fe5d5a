/* The public load-and-parse path with the bundled model: under allocation
 * failure, failing each allocation of nlp_load, then each allocation of
 * nlp_parse in a zone and outside one, must give NLP_NOMEM with a detail of
 * its own, hand out nothing and leak nothing, and the same pipeline must
 * parse normally once
 * memory is back; loading with components left out; whitespace tokens. */
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
    test_set_stale_detail();
    nlp_status_t st = nlp_load(ctx, alloc, &nlp);
    if (st == NLP_OK) {
        assert_true(nlp_n_components(nlp) > 0);
    } else {
        assert_null(nlp);
        assert_true(test_detail_is_fresh());
    }
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
        test_set_stale_detail();
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
            if (!test_detail_is_fresh())
                fail_msg("allocation %ld failed without a detail of its own", k);
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

/* Parses `sample` with the model at `path` less the components `exclude`
 * names; returns the Doc (heap) and its tokens, and the pipeline. */
static nlp_doc_t *parse_excluding(const char *path, const char *exclude, nlp_t **nlp,
                                  const nlp_token_t **tokens, size_t *n) {
    assert_int_equal(nlp_load_exclude(path, exclude, NULL, nlp), NLP_OK);
    return test_parse(*nlp, sample, tokens, n);
}

/* Leaving out components: they do not run, the others give exactly what
 * they give in the whole pipeline, and the pipeline metadata says which
 * ran. Names the model lacks, empty names and removing a component whose
 * output a kept one reads are refused with NLP_INVALID_ARG and no pipeline. */
static void test_load_exclude(void **state) {
    (void)state;
    const char *path = model_or_skip();
    nlp_t *full, *no_ner, *tags_only;
    const nlp_token_t *ta, *tb, *tc;
    size_t na, nb, nc;
    nlp_doc_t *a = parse_excluding(path, NULL, &full, &ta, &na);
    nlp_doc_t *b = parse_excluding(path, "ner", &no_ner, &tb, &nb);
    nlp_doc_t *c = parse_excluding(path, "parser,ner", &tags_only, &tc, &nc);
    assert_int_equal(nlp_n_components(no_ner), nlp_n_components(full) - 1);
    assert_string_equal(nlp_meta(no_ner, "pipeline"), "tagger,lemmatizer,supertagger,parser");
    assert_string_equal(nlp_meta(tags_only, "pipeline"), "tagger,lemmatizer,supertagger");

    const nlp_span_t *ents;
    size_t n_ents;
    assert_int_equal(na, nb);
    assert_int_equal(na, nc);
    assert_int_equal(nlp_doc_ents(a, &ents, &n_ents), NLP_OK);
    assert_true(n_ents > 0); /* so that their absence below means something */
    assert_int_equal(nlp_doc_ents(b, &ents, &n_ents), NLP_OK);
    assert_int_equal(n_ents, 0);
    size_t heads = 0;
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(ta[i].tag, tb[i].tag);
        assert_int_equal(ta[i].lemma, tb[i].lemma);
        assert_int_equal(ta[i].head, tb[i].head);
        assert_int_equal(ta[i].dep, tb[i].dep);
        assert_int_equal(ta[i].tag, tc[i].tag);
        assert_int_equal(tc[i].dep, 0);
        assert_int_equal(tb[i].ent_type, 0);
        heads += ta[i].head != 0;
    }
    assert_true(heads > 0);
    nlp_doc_free(a);
    nlp_doc_free(b);
    nlp_doc_free(c);
    nlp_free(full);
    nlp_free(no_ner);
    nlp_free(tags_only);

    static const struct {
        const char *exclude, *detail;
    } refused[] = {
        {"tagger", "lemmatizer reads what tagger writes"},
        {"tagger,lemmatizer", "parser reads what tagger writes"},
        {"supertagger", "parser reads what supertagger writes"},
        {"morphologizer", "\"morphologizer\" is not a component"},
        {"ner,", "\"\" is not a component"},
        {",ner", "\"\" is not a component"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        nlp_t *nlp = (nlp_t *)1;
        assert_int_equal(nlp_load_exclude(path, refused[i].exclude, NULL, &nlp),
                         NLP_INVALID_ARG);
        assert_null(nlp);
        assert_non_null(strstr(nlp_error_detail(), refused[i].detail));
    }
}

/* nlp_process refuses a Doc whose vocabulary is another pipeline's (the
 * ids it would write could not be read back); nlp_component_labels counts
 * labels without an array and refuses a missing one. */
static void test_process_and_labels_arguments(void **state) {
    (void)state;
    const char *path = model_or_skip();
    nlp_t *nlp, *other;
    assert_int_equal(nlp_load(path, NULL, &nlp), NLP_OK);
    assert_int_equal(nlp_create_blank("en", NULL, &other), NLP_OK);
    nlp_doc_t *doc;
    assert_int_equal(nlp_tokenize(other, NULL, "Hello there.", 12, &doc), NLP_OK);
    assert_int_equal(nlp_process(nlp, doc), NLP_INVALID_ARG);
    assert_non_null(strstr(nlp_error_detail(), "another pipeline"));
    assert_int_equal(nlp_doc_layers(doc), 0);
    assert_int_equal(nlp_process(other, doc), NLP_OK);
    nlp_doc_free(doc);

    size_t n = 0;
    assert_int_equal(nlp_component_labels(nlp, 0, NULL, 0, &n), NLP_OK);
    assert_true(n > 10);
    assert_int_equal(nlp_component_labels(nlp, 0, NULL, 5, &n), NLP_INVALID_ARG);
    nlp_free(other);
    nlp_free(nlp);
}

/* A refused argument leaves a detail naming the call, not the detail of an
 * earlier failure; an allocator missing a function is refused up front. */
static void test_refused_arguments_say_which_call(void **state) {
    (void)state;
    nlp_t *nlp;
    assert_int_equal(nlp_create_blank("en", NULL, &nlp), NLP_OK);
    assert_int_equal(nlp_create_blank("xx", NULL, &(nlp_t *){0}), NLP_UNSUPPORTED);
    assert_int_equal(nlp_pipe_fd(nlp, 0, NULL, NULL, NULL), NLP_INVALID_ARG);
    assert_non_null(strstr(nlp_error_detail(), "nlp_pipe_fd"));
    assert_int_equal(nlp_tokenize(nlp, NULL, NULL, 3, &(nlp_doc_t *){0}),
                     NLP_INVALID_ARG);
    assert_non_null(strstr(nlp_error_detail(), "nlp_tokenize"));
    nlp_hash_t id;
    assert_int_equal(nlp_vocab_add_string(nlp_get_vocab(nlp), NULL, "a", 1, NULL),
                     NLP_INVALID_ARG);
    assert_non_null(strstr(nlp_error_detail(), "nlp_vocab_add_string"));
    assert_int_equal(nlp_vocab_add_string(nlp_get_vocab(nlp), NULL, "a", 1, &id),
                     NLP_OK);
    test_alloc_t counted;
    test_alloc_init(&counted);
    nlp_allocator_t partial = counted.iface;
    partial.realloc_fn = NULL;
    assert_int_equal(nlp_create_blank("en", &partial, &(nlp_t *){0}), NLP_INVALID_ARG);
    assert_non_null(strstr(nlp_error_detail(), "allocator"));
    assert_int_equal(nlp_load("/nonexistent", &partial, &(nlp_t *){0}), NLP_INVALID_ARG);
    nlp_free(nlp);
}

/* The string of id `id` in the pipeline's vocabulary ("" when unknown). */
static const char *str(nlp_t *nlp, nlp_hash_t id) {
    const char *s = "";
    size_t len;
    if (nlp_vocab_string(nlp_get_vocab(nlp), NULL, id, &s, &len)) return "";
    return s;
}

/* Whitespace tokens ("\n", "\n\n", "  ") get spaCy's annotation (tag _SP,
 * POS SPACE, their text as lemma, a "dep" arc from the previous word, or
 * the next one when leading) and change nothing for the words: every word
 * has the tag, lemma, arc and entity it has in the same text with single
 * spaces. */
static void test_whitespace_tokens(void **state) {
    (void)state;
    const char *path = model_or_skip();
    static const char spaced[] =
        "\n Hi John,\nthe meeting with Angela Merkel moved to\n\nFriday  in "
        "Paris.\r\nPlease bring the slides.\n";
    static const char single[] =
        "Hi John, the meeting with Angela Merkel moved to Friday in "
        "Paris. Please bring the slides.";
    nlp_t *nlp;
    assert_int_equal(nlp_load(path, NULL, &nlp), NLP_OK);
    const nlp_token_t *ta, *tb;
    size_t na, nb;
    nlp_doc_t *a = test_parse(nlp, spaced, &ta, &na);
    nlp_doc_t *b = test_parse(nlp, single, &tb, &nb);

    /* word[i]: the token of `single` that token i of `spaced` is (or the
     * word a whitespace token belongs to). */
    size_t word[64], spaces = 0, k = 0;
    assert_true(na < 64);
    for (size_t i = 0; i < na; i++) {
        int space = (ta[i].lex->flags & NLP_FLAG_IS_SPACE) != 0;
        spaces += space;
        word[i] = space ? (size_t)-1 : k++;
    }
    assert_int_equal(k, nb);
    assert_int_equal(spaces, 6);
    size_t first_word = 0;
    while (word[first_word] == (size_t)-1) first_word++;
    for (size_t i = 0; i < na; i++) {
        size_t h = (size_t)((ptrdiff_t)i + ta[i].head);
        if (word[i] == (size_t)-1) {
            assert_string_equal(str(nlp, ta[i].tag), "_SP");
            assert_string_equal(str(nlp, ta[i].pos), "SPACE");
            assert_string_equal(str(nlp, ta[i].dep), "dep");
            assert_int_equal(ta[i].lemma, ta[i].lex->orth);
            /* Attached to the previous word, or the first when leading. */
            size_t want = i;
            while (want > 0 && word[want] == (size_t)-1) want--;
            if (word[want] == (size_t)-1) want = first_word;
            assert_int_equal(h, want);
            assert_int_equal(ta[i].sent_start, i == 0);
            continue;
        }
        const nlp_token_t *w = &tb[word[i]];
        assert_int_equal(ta[i].tag, w->tag);
        assert_int_equal(ta[i].pos, w->pos);
        assert_int_equal(ta[i].lemma, w->lemma);
        assert_int_equal(ta[i].dep, w->dep);
        assert_int_equal(word[h], (size_t)((ptrdiff_t)word[i] + w->head));
        assert_int_equal(ta[i].ent_type, w->ent_type);
        if (i != first_word) assert_int_equal(ta[i].sent_start, w->sent_start);
    }
    const nlp_span_t *ea, *eb;
    size_t n_ea, n_eb;
    assert_int_equal(nlp_doc_ents(a, &ea, &n_ea), NLP_OK);
    assert_int_equal(nlp_doc_ents(b, &eb, &n_eb), NLP_OK);
    assert_int_equal(n_ea, n_eb);
    assert_true(n_ea > 0);
    for (size_t e = 0; e < n_ea; e++) {
        assert_int_equal(word[ea[e].start], eb[e].start);
        assert_int_equal(word[ea[e].end - 1] + 1, eb[e].end);
        assert_int_equal(ea[e].label, eb[e].label);
    }
    nlp_doc_free(a);
    nlp_doc_free(b);

    /* Only whitespace: every token attached to the first, one sentence. */
    a = test_parse(nlp, " \n\n  \t", &ta, &na);
    assert_true(na > 0);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal((ptrdiff_t)i + ta[i].head, 0);
        assert_string_equal(str(nlp, ta[i].pos), "SPACE");
        assert_int_equal(ta[i].sent_start, i == 0);
    }
    nlp_doc_free(a);
    nlp_free(nlp);
}

/* The JSON of a Doc, for comparison. */
static char *json_of(const nlp_doc_t *doc) {
    test_buf_t out = {0};
    assert_int_equal(nlp_doc_to_json(doc, test_buf_write, &out), NLP_OK);
    return out.data;
}

/* nlp_process on a Doc with whitespace tokens runs the components on a
 * view: failing any of its allocations leaves the Doc exactly as it was
 * (no entity marks without entities, no half-copied layers). */
static void test_whitespace_view_out_of_memory(void **state) {
    (void)state;
    const char *path = model_or_skip();
    static const char text[] = "Angela Merkel met\nEmmanuel Macron in\n\nParis on Monday .";
    int done = 0;
    for (long k = 1; !done; k++) {
        test_alloc_t a;
        test_alloc_init(&a);
        nlp_t *nlp;
        assert_int_equal(nlp_load(path, &a.iface, &nlp), NLP_OK);
        nlp_doc_t *doc;
        assert_int_equal(nlp_tokenize(nlp, NULL, text, strlen(text), &doc), NLP_OK);
        char *before = json_of(doc);
        a.fail_at = a.total + k;
        nlp_status_t st = nlp_process(nlp, doc);
        a.fail_at = 0;
        if (st == NLP_OK) {
            done = 1;
            const nlp_span_t *ents;
            size_t n_ents;
            assert_int_equal(nlp_doc_ents(doc, &ents, &n_ents), NLP_OK);
            assert_true(n_ents > 0);
        } else {
            assert_int_equal(st, NLP_NOMEM);
            char *after = json_of(doc);
            assert_string_equal(after, before);
            free(after);
        }
        free(before);
        nlp_doc_free(doc);
        nlp_free(nlp);
        assert_int_equal(a.live, 0);
        assert_true(k < 10000);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_out_of_memory_sweep),
        cmocka_unit_test(test_parse_out_of_memory_sweep),
        cmocka_unit_test(test_load_exclude),
        cmocka_unit_test(test_process_and_labels_arguments),
        cmocka_unit_test(test_refused_arguments_say_which_call),
        cmocka_unit_test(test_whitespace_tokens),
        cmocka_unit_test(test_whitespace_view_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
