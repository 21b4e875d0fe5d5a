/* Tests of edit trees and the trainable lemmatizer. */
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
#include "models/edit_tree.h"
#include "models/train.h"
#include "models/train_util.h"
#include "pipeline/nlp.h"

/* ---- Edit trees ---------------------------------------------------------- */

static int decode(const char *s, int32_t *cps) {
    int n = nlp__utf8_decode(s, strlen(s), cps);
    assert_true(n >= 0);
    return n;
}

/* The tree of form -> lemma, checked to turn form back into lemma. */
static void tree_of(const char *form, const char *lemma, char *tree, size_t cap) {
    int32_t f[NLP__EDIT_TREE_MAX_CPS], l[NLP__EDIT_TREE_MAX_CPS];
    int nf = decode(form, f), nl = decode(lemma, l);
    assert_int_equal(nlp__edit_tree_build(f, (size_t)nf, l, (size_t)nl, tree, cap), NLP_OK);
}

/* Applies a tree string to a word: the lemma, or NULL when it does not
 * fit. Static storage. */
static const char *apply(const char *tree, const char *form) {
    static char out[4 * NLP__EDIT_TREE_MAX_CPS + 1];
    nlp__edit_tree_t *t;
    assert_int_equal(nlp__edit_tree_parse(NULL, tree, strlen(tree), &t), NLP_OK);
    int32_t f[NLP__EDIT_TREE_MAX_CPS], l[NLP__EDIT_TREE_MAX_CPS];
    int nf = decode(form, f);
    int n = nlp__edit_tree_apply(t, f, (size_t)nf, l);
    nlp__edit_tree_free(NULL, t);
    if (n < 0) return NULL;
    nlp__utf8_encode(l, (size_t)n, out, sizeof out);
    return out;
}

static void test_edit_tree_round_trips(void **state) {
    (void)state;
    static const char *const pairs[][2] = {
        {"went", "go"},      {"better", "good"},  {"studies", "study"},
        {"running", "run"},  {"walked", "walk"},  {"mice", "mouse"},
        {"was", "be"},       {"cafés", "café"},   {"niños", "niño"},
        {"Ärzte", "Arzt"},   {"größte", "groß"},  {"東京", "東京"},
        {"a", "a"},          {"n't", "not"},      {"unhappiest", "unhappy"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        char tree[256];
        tree_of(pairs[i][0], pairs[i][1], tree, sizeof tree);
        const char *got = apply(tree, pairs[i][0]);
        assert_non_null(got);
        assert_string_equal(got, pairs[i][1]);
    }
}

static void test_edit_tree_shapes(void **state) {
    (void)state;
    char tree[256];
    /* Nothing in common: a literal replacement that fits only its word. */
    tree_of("went", "go", tree, sizeof tree);
    assert_string_equal(tree, "R4:went2:go");
    assert_null(apply(tree, "sent"));
    /* A suffix rule that generalises. */
    tree_of("studies", "study", tree, sizeof tree);
    assert_string_equal(tree, "M0:3:-R3:ies1:y");
    assert_string_equal(apply(tree, "flies"), "fly");
    assert_string_equal(apply(tree, "ladies"), "lady");
    assert_null(apply(tree, "walked"));
    assert_null(apply(tree, "ies")); /* the kept middle may not be empty */
    tree_of("running", "run", tree, sizeof tree);
    assert_string_equal(apply(tree, "planning"), "plan");
    /* Identity fits every word, multi-byte ones included. */
    tree_of("cat", "cat", tree, sizeof tree);
    assert_string_equal(tree, "M0:0:--");
    assert_string_equal(apply(tree, "ß"), "ß");
    /* Code points, not bytes: "é" is one unit of the suffix. */
    tree_of("cafés", "café", tree, sizeof tree);
    assert_string_equal(tree, "M0:1:-R1:s0:");
    assert_string_equal(apply(tree, "thés"), "thé");
}

static void test_edit_tree_parse_rejects_malformed(void **state) {
    (void)state;
    static const char *const bad[] = {
        "", "M", "M0:", "M0:0:", "M0:0:-", "M0:0:--x", "R", "R4:wen",
        "R4:went2:g", "R2:\xff\xfe" "0:", "X0:0:--", "M99999999:0:--", "-",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        nlp__edit_tree_t *t = (nlp__edit_tree_t *)1;
        assert_int_equal(nlp__edit_tree_parse(NULL, bad[i], strlen(bad[i]), &t), NLP_FORMAT);
        assert_null(t);
    }
    /* Nesting deeper than any real word is refused, not recursed into. */
    char deep[1024] = "";
    for (int i = 0; i < 100; i++) strcat(deep, "M0:0:");
    nlp__edit_tree_t *t;
    assert_int_equal(nlp__edit_tree_parse(NULL, deep, strlen(deep), &t), NLP_FORMAT);
}

static void test_edit_tree_utf8_helpers(void **state) {
    (void)state;
    int32_t cps[NLP__EDIT_TREE_MAX_CPS];
    assert_int_equal(nlp__utf8_decode("\xc3", 1, cps), -1); /* truncated */
    char long_word[NLP__EDIT_TREE_MAX_CPS + 2];
    memset(long_word, 'a', sizeof long_word - 1);
    long_word[sizeof long_word - 1] = '\0';
    assert_int_equal(nlp__utf8_decode(long_word, strlen(long_word), cps), -1);
    int n = decode("ÄRZTE", cps);
    assert_true(nlp__cps_lower(cps, (size_t)n));
    char out[64];
    nlp__utf8_encode(cps, (size_t)n, out, sizeof out);
    assert_string_equal(out, "ärzte");
}

/* ---- The lemmatizer -------------------------------------------------------- */

#define W(id, form, lemma, upos, xpos, head, rel, misc)                          \
    id "\t" form "\t" lemma "\t" upos "\t" xpos "\t_\t" head "\t" rel "\t_\t" misc "\n"

static const char fixture[] =
    W("1", "He", "he", "PRON", "PRP", "2", "nsubj", "_")
    W("2", "went", "go", "VERB", "VBD", "0", "root", "_")
    W("3", "home", "home", "ADV", "RB", "2", "advmod", "SpaceAfter=No")
    W("4", ".", ".", "PUNCT", ".", "2", "punct", "_") "\n"
    W("1", "This", "this", "PRON", "DT", "3", "nsubj", "_")
    W("2", "is", "be", "AUX", "VBZ", "3", "cop", "_")
    W("3", "better", "good", "ADJ", "JJR", "0", "root", "SpaceAfter=No")
    W("4", ".", ".", "PUNCT", ".", "3", "punct", "_") "\n"
    W("1", "Cafés", "café", "NOUN", "NNS", "3", "nsubj", "_")
    W("2", "are", "be", "AUX", "VBP", "3", "cop", "_")
    W("3", "better", "good", "ADJ", "JJR", "0", "root", "SpaceAfter=No")
    W("4", ".", ".", "PUNCT", ".", "3", "punct", "_") "\n"
    W("1", "She", "she", "PRON", "PRP", "2", "nsubj", "_")
    W("2", "studies", "study", "VERB", "VBZ", "0", "root", "_")
    W("3", "Müller", "Müller", "PROPN", "NNP", "2", "obj", "SpaceAfter=No")
    W("4", ".", ".", "PUNCT", ".", "2", "punct", "_") "\n"
    W("1", "Dogs", "dog", "NOUN", "NNS", "3", "nsubj", "_")
    W("2", "are", "be", "AUX", "VBP", "3", "aux", "_")
    W("3", "running", "run", "VERB", "VBG", "0", "root", "SpaceAfter=No")
    W("4", ".", ".", "PUNCT", ".", "3", "punct", "_") "\n"
    W("1", "The", "the", "DET", "DT", "2", "det", "_")
    W("2", "niños", "niño", "NOUN", "NNS", "3", "nsubj", "_")
    W("3", "studies", "study", "VERB", "VBZ", "0", "root", "SpaceAfter=No")
    W("4", ".", ".", "PUNCT", ".", "3", "punct", "_") "\n";

static nlp__corpus_t *read_fixture(void) {
    const char *path = test_write_temp(fixture, sizeof fixture - 1);
    nlp__corpus_t *c;
    assert_int_equal(nlp__conllu_read(path, NULL, &c), NLP_OK);
    remove(path);
    assert_int_equal(c->n_sents, 6);
    return c;
}

/* A pipeline with a tagger and a lemmatizer trained on the fixture. */
static nlp_t *train_pipeline(const nlp__corpus_t *c) {
    nlp_t *nlp;
    assert_int_equal(nlp_create_blank("en", NULL, &nlp), NLP_OK);
    nlp__train_opts_t opts = {.epochs = 20, .seed = 3};
    nlp__component_t *tagger, *lemmatizer;
    assert_int_equal(nlp__tagger_train(nlp_get_vocab(nlp), c, c, NULL, 0, &opts, &tagger),
                     NLP_OK);
    const nlp__component_t *upstream[1] = {tagger};
    assert_int_equal(nlp__lemmatizer_train(nlp_get_vocab(nlp), c, c, upstream, 1, &opts,
                                           &lemmatizer),
                     NLP_OK);
    assert_string_equal(lemmatizer->ops->name, "lemmatizer");
    assert_int_equal(nlp__add_component(nlp, tagger), NLP_OK);
    assert_int_equal(nlp__add_component(nlp, lemmatizer), NLP_OK);
    return nlp;
}

/* Counts fixture words whose lemma matches the gold one. */
static size_t count_lemmas(nlp_t *nlp, const nlp__corpus_t *c) {
    size_t ok = 0;
    for (size_t s = 0; s < c->n_sents; s++) {
        nlp_doc_t *doc;
        assert_int_equal(nlp__gold_doc(nlp_get_vocab(nlp), &c->sents[s], &doc), NLP_OK);
        assert_int_equal(nlp_process(nlp, doc), NLP_OK);
        assert_true(nlp_doc_layers(doc) & NLP_HAS_LEMMA);
        for (uint32_t i = 0; i < doc->n_tokens; i++) {
            const char *want = c->sents[s].words[i].lemma;
            const char *got = nlp_doc_str(doc, doc->tokens[i].lemma);
            if (strcmp(want, got) == 0) ok++;
            else print_message("# %s: want %s, got %s\n", c->sents[s].words[i].form, want, got);
        }
        nlp_doc_free(doc);
    }
    return ok;
}

static void test_lemmatizer_learns_fixture(void **state) {
    (void)state;
    nlp__corpus_t *c = read_fixture();
    nlp_t *nlp = train_pipeline(c);
    assert_int_equal(count_lemmas(nlp, c), c->n_words);
    nlp_free(nlp);
    nlp__corpus_free(c);
}

/* Lemmas of words the model never saw are made in the Doc's zone and die
 * with it; the permanent store is left as it was. */
static void test_lemmatizer_new_lemmas_live_in_the_zone(void **state) {
    (void)state;
    nlp__corpus_t *c = read_fixture();
    nlp_t *nlp = train_pipeline(c);
    size_t before = nlp_vocab_n_strings(nlp_get_vocab(nlp));
    nlp_zone_t *zone;
    assert_int_equal(nlp_memory_zone_begin(nlp, &zone), NLP_OK);
    const char *text = "Zorblings are grumbling.";
    nlp_doc_t *doc;
    assert_int_equal(nlp_parse(nlp, zone, text, strlen(text), &doc), NLP_OK);
    const nlp_token_t *toks;
    size_t n;
    assert_int_equal(nlp_doc_tokens(doc, &toks, &n), NLP_OK);
    for (size_t i = 0; i < n; i++) {
        assert_true(toks[i].lemma != 0);
        assert_true(nlp_doc_str(doc, toks[i].lemma)[0] != '\0');
    }
    assert_int_equal(nlp_memory_zone_end(zone), NLP_OK);
    assert_int_equal(nlp_vocab_n_strings(nlp_get_vocab(nlp)), before);
    nlp_free(nlp);
    nlp__corpus_free(c);
}

static void test_lemmatizer_save_load_round_trip(void **state) {
    (void)state;
    nlp__corpus_t *c = read_fixture();
    nlp_t *nlp = train_pipeline(c);
    const char *path = "/tmp/spacyc-test-lemmatizer.spacyc";
    assert_int_equal(nlp__save(nlp, path), NLP_OK);
    nlp_t *loaded;
    assert_int_equal(nlp_load(path, NULL, &loaded), NLP_OK);
    assert_int_equal(nlp_n_components(loaded), 2);
    assert_string_equal(nlp_component_name(loaded, 1), "lemmatizer");
    assert_int_equal(count_lemmas(loaded, c), c->n_words);
    const char *text = "She went home and studies better with the niños in Cafés.";
    const nlp_token_t *ta, *tb;
    size_t na, nb;
    nlp_doc_t *da = test_parse(nlp, text, &ta, &na);
    nlp_doc_t *db = test_parse(loaded, text, &tb, &nb);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++)
        assert_string_equal(nlp_doc_str(da, ta[i].lemma), nlp_doc_str(db, tb[i].lemma));
    nlp_doc_free(da);
    nlp_doc_free(db);
    nlp_free(loaded);
    nlp_free(nlp);
    remove(path);
    nlp__corpus_free(c);
}

static void test_lemmatizer_frees_everything(void **state) {
    (void)state;
    nlp__corpus_t *c = read_fixture();
    test_alloc_t ta;
    test_alloc_init(&ta);
    nlp_vocab_t *vocab;
    assert_int_equal(nlp__vocab_create(&ta.iface, NULL, &vocab), NLP_OK);
    nlp__train_opts_t opts = {.epochs = 2, .seed = 1, .alloc = &ta.iface};
    nlp__component_t *tagger, *lemmatizer;
    assert_int_equal(nlp__tagger_train(vocab, c, NULL, NULL, 0, &opts, &tagger), NLP_OK);
    const nlp__component_t *upstream[1] = {tagger};
    assert_int_equal(nlp__lemmatizer_train(vocab, c, c, upstream, 1, &opts, &lemmatizer),
                     NLP_OK);
    lemmatizer->ops->free(lemmatizer);
    tagger->ops->free(tagger);
    nlp__vocab_free(vocab);
    assert_int_equal(ta.live, 0);
    nlp__corpus_free(c);
}

/* With EWT present: short training runs already lemmatize dev well. */
static void test_lemmatizer_ewt_accuracy(void **state) {
    (void)state;
    nlp__corpus_t *train, *dev;
    test_read_ewt_or_skip(&train, &dev);
    nlp_t *nlp;
    assert_int_equal(nlp_create_blank("en", NULL, &nlp), NLP_OK);
    nlp__train_opts_t opts = {.epochs = 2, .seed = 1};
    nlp__component_t *tagger, *lemmatizer;
    assert_int_equal(nlp__tagger_train(nlp_get_vocab(nlp), train, NULL, NULL, 0, &opts, &tagger),
                     NLP_OK);
    const nlp__component_t *upstream[1] = {tagger};
    assert_int_equal(nlp__lemmatizer_train(nlp_get_vocab(nlp), train, NULL, upstream, 1, &opts,
                                           &lemmatizer),
                     NLP_OK);
    assert_int_equal(nlp__add_component(nlp, tagger), NLP_OK);
    assert_int_equal(nlp__add_component(nlp, lemmatizer), NLP_OK);
    size_t ok = 0, words = 0;
    for (size_t s = 0; s < dev->n_sents; s++) {
        nlp_doc_t *doc;
        assert_int_equal(nlp__gold_doc(nlp_get_vocab(nlp), &dev->sents[s], &doc), NLP_OK);
        assert_int_equal(nlp_process(nlp, doc), NLP_OK);
        for (uint32_t i = 0; i < doc->n_tokens; i++, words++) {
            const char *want = dev->sents[s].words[i].lemma;
            ok += doc->tokens[i].lemma == nlp_hash_string(want, strlen(want));
        }
        nlp_doc_free(doc);
    }
    printf("# EWT dev after 2+2 epochs: lemma_acc %.4f\n", (double)ok / words);
    assert_true((double)ok / words > 0.96);
    nlp_free(nlp);
    nlp__corpus_free(train);
    nlp__corpus_free(dev);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edit_tree_round_trips),
        cmocka_unit_test(test_edit_tree_shapes),
        cmocka_unit_test(test_edit_tree_parse_rejects_malformed),
        cmocka_unit_test(test_edit_tree_utf8_helpers),
        cmocka_unit_test(test_lemmatizer_learns_fixture),
        cmocka_unit_test(test_lemmatizer_new_lemmas_live_in_the_zone),
        cmocka_unit_test(test_lemmatizer_save_load_round_trip),
        cmocka_unit_test(test_lemmatizer_frees_everything),
        cmocka_unit_test(test_lemmatizer_ewt_accuracy),
    };
    return cmocka_run_group_tests(tests, 0, NULL);
}
