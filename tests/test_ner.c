/* Tests of the entity recogniser: the BILUO system and its oracle, the
 * entity scorer, training, and the model file round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

#include "core/vocab.h"
#include "doc/doc.h"
#include "eval/ents_score.h"
#include "io/corpus.h"
#include "io/model_file.h"
#include "models/biluo.h"
#include "models/ner_features.h"
#include "models/train.h"
#include "models/train_util.h"

/* ---- BILUO system and oracle --------------------------------------------- */

#define MAX_TOKENS 16

/* A small deterministic generator for the randomised oracle tests. */
static uint32_t next_rand(uint64_t *state) {
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*state >> 33);
}

/* Random non-overlapping gold spans over n tokens with n_labels labels. */
static size_t random_spans(uint64_t *rng, uint32_t n, uint32_t n_labels,
                           nlp__biluo_span_t *spans) {
    size_t k = 0;
    for (uint32_t t = 0; t < n;) {
        if (next_rand(rng) % 3 == 0) {
            uint32_t len = 1 + next_rand(rng) % 3;
            if (t + len > n) len = n - t;
            spans[k++] = (nlp__biluo_span_t){t, t + len, next_rand(rng) % n_labels};
            t += len;
        } else {
            t++;
        }
    }
    return k;
}

/* Errors (false positives + false negatives) of predicted against gold. */
static uint32_t span_loss(const nlp__biluo_span_t *gold, size_t n_gold,
                          const nlp__biluo_span_t *pred, size_t n_pred) {
    uint32_t tp = 0;
    for (size_t p = 0; p < n_pred; p++)
        for (size_t g = 0; g < n_gold; g++)
            tp += pred[p].start == gold[g].start && pred[p].end == gold[g].end &&
                  pred[p].label == gold[g].label;
    return (uint32_t)(n_gold + n_pred - 2 * tp);
}

/* Takes zero-cost actions to the end of the sentence, appending the spans
 * they finish to pred. */
static void finish_with_oracle(nlp__biluo_state_t *s, uint32_t n_labels,
                               const nlp__biluo_gold_t *gold,
                               nlp__biluo_span_t *pred, size_t *n_pred) {
    while (!nlp__biluo_done(s)) {
        uint32_t a = 0;
        while (nlp__biluo_cost(s, n_labels, gold, a) != 0) {
            a++;
            assert_true(a < nlp__biluo_n_actions(n_labels));
        }
        nlp__biluo_span_t done;
        bool has;
        assert_int_equal(nlp__biluo_apply(s, n_labels, a, &done, &has), NLP_OK);
        if (has) pred[(*n_pred)++] = done;
    }
}

/* One random sentence of the oracle tests: gold spans and the oracle's
 * view of them. */
typedef struct trial {
    uint32_t n;
    nlp__biluo_span_t gold[MAX_TOKENS];
    size_t n_gold;
    int32_t start_label[MAX_TOKENS];
    uint32_t last[MAX_TOKENS];
    nlp__biluo_gold_t g;
} trial_t;

static void random_trial(uint64_t *rng, uint32_t n_labels, trial_t *t) {
    t->n = 1 + next_rand(rng) % MAX_TOKENS;
    t->n_gold = random_spans(rng, t->n, n_labels, t->gold);
    nlp__biluo_gold_fill(t->gold, t->n_gold, t->n, t->start_label, t->last);
    t->g = (nlp__biluo_gold_t){t->start_label, t->last};
}

static void test_biluo_oracle_reproduces_gold(void **state) {
    (void)state;
    uint64_t rng = 7;
    const uint32_t n_labels = 3;
    for (int trial = 0; trial < 500; trial++) {
        trial_t t;
        random_trial(&rng, n_labels, &t);
        nlp__biluo_span_t pred[MAX_TOKENS];
        size_t n_pred = 0;
        nlp__biluo_state_t s = nlp__biluo_init(0, t.n);
        finish_with_oracle(&s, n_labels, &t.g, pred, &n_pred);
        assert_int_equal(n_pred, t.n_gold);
        for (size_t k = 0; k < t.n_gold; k++) {
            assert_int_equal(pred[k].start, t.gold[k].start);
            assert_int_equal(pred[k].end, t.gold[k].end);
            assert_int_equal(pred[k].label, t.gold[k].label);
        }
    }
}

/* The dynamic oracle's promise: after any valid prefix, the best reachable
 * loss equals the sum of the costs the prefix paid. */
static void test_biluo_costs_add_up_to_the_loss(void **state) {
    (void)state;
    uint64_t rng = 11;
    const uint32_t n_labels = 2;
    for (int trial = 0; trial < 2000; trial++) {
        trial_t t;
        random_trial(&rng, n_labels, &t);
        nlp__biluo_span_t pred[MAX_TOKENS];
        size_t n_pred = 0;
        nlp__biluo_state_t s = nlp__biluo_init(0, t.n);
        uint32_t paid = 0, prefix = next_rand(&rng) % (t.n + 1);
        for (uint32_t step = 0; step < prefix && !nlp__biluo_done(&s); step++) {
            uint32_t a;
            do a = next_rand(&rng) % nlp__biluo_n_actions(n_labels);
            while (!nlp__biluo_valid(&s, n_labels, a));
            paid += nlp__biluo_cost(&s, n_labels, &t.g, a);
            nlp__biluo_span_t done;
            bool has;
            assert_int_equal(nlp__biluo_apply(&s, n_labels, a, &done, &has), NLP_OK);
            if (has) pred[n_pred++] = done;
        }
        finish_with_oracle(&s, n_labels, &t.g, pred, &n_pred);
        assert_int_equal(span_loss(t.gold, t.n_gold, pred, n_pred), paid);
    }
}

static void test_biluo_rejects_invalid_sequences(void **state) {
    (void)state;
    const uint32_t L = 2;
    nlp__biluo_span_t done;
    bool has;
    nlp__biluo_state_t s = nlp__biluo_init(0, 3);
    /* Nothing open: IN and LAST are invalid. */
    assert_false(nlp__biluo_valid(&s, L, nlp__biluo_action(NLP__BILUO_IN, 0)));
    assert_int_equal(nlp__biluo_apply(&s, L, nlp__biluo_action(NLP__BILUO_LAST, 1), &done, &has),
                     NLP_INVALID_ARG);
    assert_int_equal(s.i, 0);
    /* Actions beyond the label count are invalid. */
    assert_false(nlp__biluo_valid(&s, L, nlp__biluo_n_actions(L)));
    assert_int_equal(nlp__biluo_apply(&s, L, nlp__biluo_action(NLP__BILUO_BEGIN, 1), &done, &has),
                     NLP_OK);
    /* An open entity: only IN/LAST of its own label. */
    assert_false(nlp__biluo_valid(&s, L, 0));
    assert_false(nlp__biluo_valid(&s, L, nlp__biluo_action(NLP__BILUO_UNIT, 1)));
    assert_false(nlp__biluo_valid(&s, L, nlp__biluo_action(NLP__BILUO_BEGIN, 0)));
    assert_false(nlp__biluo_valid(&s, L, nlp__biluo_action(NLP__BILUO_IN, 0)));
    assert_int_equal(nlp__biluo_cost(&s, L, &(nlp__biluo_gold_t){0}, 0), NLP__BILUO_INVALID);
    assert_true(nlp__biluo_valid(&s, L, nlp__biluo_action(NLP__BILUO_IN, 1)));
    assert_int_equal(nlp__biluo_apply(&s, L, nlp__biluo_action(NLP__BILUO_IN, 1), &done, &has),
                     NLP_OK);
    /* At the last token the entity must end: IN would run past it. */
    assert_false(nlp__biluo_valid(&s, L, nlp__biluo_action(NLP__BILUO_IN, 1)));
    assert_int_equal(nlp__biluo_apply(&s, L, nlp__biluo_action(NLP__BILUO_LAST, 1), &done, &has),
                     NLP_OK);
    assert_true(has);
    assert_int_equal(done.start, 0);
    assert_int_equal(done.end, 3);
    assert_int_equal(done.label, 1);
    /* After the end nothing is valid. */
    assert_true(nlp__biluo_done(&s));
    assert_false(nlp__biluo_valid(&s, L, 0));
    /* BEGIN needs a next token in the sentence. */
    nlp__biluo_state_t one = nlp__biluo_init(4, 5);
    assert_false(nlp__biluo_valid(&one, L, nlp__biluo_action(NLP__BILUO_BEGIN, 0)));
    assert_true(nlp__biluo_valid(&one, L, nlp__biluo_action(NLP__BILUO_UNIT, 0)));
}

static void test_biluo_action_ids_round_trip(void **state) {
    (void)state;
    for (uint32_t l = 0; l < 5; l++)
        for (int m = NLP__BILUO_BEGIN; m <= NLP__BILUO_UNIT; m++) {
            uint32_t a = nlp__biluo_action((nlp__biluo_move_t)m, l);
            assert_true(a > 0 && a < nlp__biluo_n_actions(5));
            assert_int_equal(nlp__biluo_move_of(a), m);
            assert_int_equal(nlp__biluo_label_of(a), l);
        }
    assert_int_equal(nlp__biluo_move_of(0), NLP__BILUO_OUT);
}

/* ---- Entity scorer --------------------------------------------------------- */

static nlp_span_t span(uint32_t start, uint32_t end, const char *label) {
    return (nlp_span_t){start, end, 0, 0, nlp_hash_string(label, strlen(label))};
}

static const char *name_of(void *ctx, nlp_hash_t id) {
    (void)ctx;
    static const char *names[] = {"PER", "ORG", "LOC"};
    for (int i = 0; i < 3; i++)
        if (nlp_hash_string(names[i], 3) == id) return names[i];
    return NULL;
}

static void test_ents_score_counts_exact_matches(void **state) {
    (void)state;
    nlp__ents_score_t s;
    nlp__ents_score_init(&s);
    nlp_span_t gold[] = {span(0, 2, "PER"), span(4, 5, "LOC"), span(6, 8, "ORG")};
    /* Right, wrong type, wrong boundary, and a duplicate of the right one. */
    nlp_span_t pred[] = {span(0, 2, "PER"), span(4, 5, "ORG"), span(6, 7, "ORG"),
                         span(0, 2, "PER")};
    nlp__ents_score_add(&s, gold, 3, pred, 4, name_of, NULL);
    assert_int_equal(s.total.tp, 1);
    assert_int_equal(s.total.pred, 4);
    assert_int_equal(s.total.gold, 3);
    nlp__prf_value_t v = nlp__ents_prf(&s.total);
    assert_float_equal(v.p, 0.25, 1e-9);
    assert_float_equal(v.r, 1.0 / 3, 1e-9);
    assert_float_equal(v.f, 2 * 0.25 / 3 / (0.25 + 1.0 / 3), 1e-9);
    const nlp__ents_type_t *org = nlp__ents_score_type(&s, nlp_hash_string("ORG", 3));
    assert_non_null(org);
    assert_string_equal(org->name, "ORG");
    assert_int_equal(org->counts.tp, 0);
    assert_int_equal(org->counts.pred, 2);
    assert_int_equal(org->counts.gold, 1);
    /* A second unit adds up. */
    nlp__ents_score_add(&s, gold, 1, gold, 1, name_of, NULL);
    assert_int_equal(s.total.tp, 2);
    /* Nothing predicted: all zero, no division by zero. */
    nlp__ents_counts_t none = {0, 0, 5};
    v = nlp__ents_prf(&none);
    assert_true(v.p == 0 && v.r == 0 && v.f == 0);
}

static void test_ents_score_reads_iob2_like_seqeval(void **state) {
    (void)state;
    const char *tags[] = {"B-PER", "I-PER", "O", "I-LOC", "I-LOC", "B-ORG", "I-PER", "B-LOC"};
    nlp_span_t spans[8];
    size_t n;
    nlp__ents_from_iob2(tags, 8, spans, 8, &n);
    assert_int_equal(n, 5);
    uint32_t want[][2] = {{0, 2}, {3, 5}, {5, 6}, {6, 7}, {7, 8}};
    const char *labels[] = {"PER", "LOC", "ORG", "PER", "LOC"};
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(spans[k].start, want[k][0]);
        assert_int_equal(spans[k].end, want[k][1]);
        assert_true(spans[k].label == nlp_hash_string(labels[k], 3));
    }
    /* The count is reported even past the capacity. */
    nlp__ents_from_iob2(tags, 8, spans, 2, &n);
    assert_int_equal(n, 5);
}

static void test_ents_score_writes_json(void **state) {
    (void)state;
    nlp__ents_score_t s;
    nlp__ents_score_init(&s);
    nlp_span_t gold[] = {span(0, 1, "PER"), span(2, 3, "LOC")};
    nlp__ents_score_add(&s, gold, 2, gold, 1, name_of, NULL);
    test_buf_t buf = {0};
    assert_int_equal(nlp__ents_score_write_json(&s, test_buf_write, &buf), NLP_OK);
    assert_string_equal(buf.data,
                        "\"ents_p\":1.000000,\"ents_r\":0.500000,\"ents_f\":0.666667,"
                        "\"ents_per_type\":{\"PER\":{\"p\":1.000000,\"r\":1.000000,"
                        "\"f\":1.000000},\"LOC\":{\"p\":0.000000,\"r\":0.000000,"
                        "\"f\":0.000000}}");
    test_buf_free(&buf);
}

/* ---- Training, processing, model files ------------------------------------ */

/* A small IOB2 corpus: names recur in fixed contexts. */
static const char fixture[] =
    "# text = John Smith lives in Paris .\n"
    "1\tJohn\tB-PER\n2\tSmith\tI-PER\n3\tlives\tO\n4\tin\tO\n5\tParis\tB-LOC\n6\t.\tO\n\n"
    "# text = Mary works for Acme Corp .\n"
    "1\tMary\tB-PER\n2\tworks\tO\n3\tfor\tO\n4\tAcme\tB-ORG\n5\tCorp\tI-ORG\n6\t.\tO\n\n"
    "# text = the weather is nice today .\n"
    "1\tthe\tO\n2\tweather\tO\n3\tis\tO\n4\tnice\tO\n5\ttoday\tO\n6\t.\tO\n\n"
    "# text = Acme Corp hired John Smith in London .\n"
    "1\tAcme\tB-ORG\n2\tCorp\tI-ORG\n3\thired\tO\n4\tJohn\tB-PER\n5\tSmith\tI-PER\n"
    "6\tin\tO\n7\tLondon\tB-LOC\n8\t.\tO\n\n"
    "# text = we met Mary in London .\n"
    "1\twe\tO\n2\tmet\tO\n3\tMary\tB-PER\n4\tin\tO\n5\tLondon\tB-LOC\n6\t.\tO\n\n";

typedef struct trained {
    nlp_vocab_t *vocab;
    nlp__corpus_t *corpus;
    nlp__component_t *ner;
} trained_t;

static void train_fixture(trained_t *t, const nlp_allocator_t *alloc) {
    t->corpus = test_read_iob2(fixture, sizeof fixture - 1, alloc);
    assert_int_equal(nlp__vocab_create(alloc, NULL, &t->vocab), NLP_OK);
    nlp__train_opts_t opts = {.epochs = 20, .seed = 1, .alloc = alloc};
    assert_int_equal(nlp__ner_train(t->vocab, t->corpus, t->corpus, NULL, 0, &opts, &t->ner),
                     NLP_OK);
}

static void trained_free(trained_t *t) {
    t->ner->ops->free(t->ner);
    nlp__corpus_free(t->corpus);
    nlp__vocab_free(t->vocab);
}

/* Runs `ner` on every corpus sentence and checks its entities against the
 * gold tags exactly (labels, token and character offsets, IOB on tokens). */
static void expect_gold_entities(nlp_vocab_t *vocab, const nlp__corpus_t *c,
                                 const nlp__component_t *ner) {
    nlp__chunk_cache_t cache;
    nlp__arena_t scratch;
    nlp__chunk_cache_init(&cache, NULL, 64u << 10, 2);
    nlp__arena_init(&scratch, &cache);
    for (size_t s = 0; s < c->n_sents; s++) {
        const nlp__gold_sent_t *sent = &c->sents[s];
        nlp_doc_t *doc;
        assert_int_equal(nlp__gold_doc(vocab, sent, &doc), NLP_OK);
        assert_int_equal(ner->ops->process(ner, doc, &scratch), NLP_OK);
        nlp__arena_reset(&scratch);
        assert_true(nlp_doc_layers(doc) & NLP_HAS_ENTS);
        const char *tags[16];
        nlp_span_t gold[16];
        size_t n_gold;
        for (uint32_t i = 0; i < sent->n_words; i++) tags[i] = sent->words[i].ner;
        nlp__ents_from_iob2(tags, sent->n_words, gold, 16, &n_gold);
        const nlp_span_t *ents;
        size_t n_ents;
        assert_int_equal(nlp_doc_ents(doc, &ents, &n_ents), NLP_OK);
        assert_int_equal(n_ents, n_gold);
        const nlp_token_t *tokens;
        size_t n_tokens;
        nlp_doc_tokens(doc, &tokens, &n_tokens);
        for (size_t k = 0; k < n_ents; k++) {
            assert_int_equal(ents[k].start, gold[k].start);
            assert_int_equal(ents[k].end, gold[k].end);
            assert_true(ents[k].label == gold[k].label);
            assert_int_equal(ents[k].start_char, tokens[ents[k].start].idx);
            assert_int_equal(ents[k].end_char,
                             tokens[ents[k].end - 1].idx + tokens[ents[k].end - 1].len);
            assert_int_equal(tokens[ents[k].start].ent_iob, NLP_IOB_B);
            assert_true(tokens[ents[k].start].ent_type == gold[k].label);
        }
        for (size_t i = 0; i < n_tokens; i++)
            if (sent->words[i].ner[0] == 'O') assert_int_equal(tokens[i].ent_iob, NLP_IOB_O);
        nlp_doc_free(doc);
    }
    nlp__arena_destroy(&scratch);
    nlp__chunk_cache_destroy(&cache);
}

static void test_ner_learns_tiny_fixture(void **state) {
    (void)state;
    test_alloc_t ta;
    test_alloc_init(&ta);
    trained_t t;
    train_fixture(&t, &ta.iface);
    expect_gold_entities(t.vocab, t.corpus, t.ner);
    const char *labels[8];
    size_t n;
    assert_int_equal(t.ner->ops->labels(t.ner, labels, 8, &n), NLP_OK);
    assert_int_equal(n, 3);
    assert_string_equal(labels[0], "LOC");
    assert_string_equal(labels[1], "ORG");
    assert_string_equal(labels[2], "PER");
    assert_string_equal(t.ner->ops->name, "ner");
    trained_free(&t);
    assert_int_equal(ta.live, 0);
}

static void test_ner_save_load_keeps_predictions(void **state) {
    (void)state;
    trained_t t;
    train_fixture(&t, NULL);
    const char *path = test_write_temp("", 0);
    nlp__model_reader_t *r = test_save_component(t.ner, "ner", path);
    nlp__component_t *loaded;
    assert_int_equal(nlp__ner_load(t.vocab, r, "ner", &loaded), NLP_OK);
    expect_gold_entities(t.vocab, t.corpus, loaded);
    /* The loaded component saves the same sections again, byte for byte. */
    char path2[512];
    snprintf(path2, sizeof path2, "%s.again", path);
    nlp__model_reader_t *r2 = test_save_component(loaded, "ner", path2);
    assert_int_equal(nlp__model_reader_n_sections(r2), nlp__model_reader_n_sections(r));
    for (size_t i = 0; i < nlp__model_reader_n_sections(r); i++) {
        const char *name = nlp__model_reader_section_name(r, i);
        const void *a, *b;
        size_t a_len, b_len;
        assert_int_equal(nlp__model_reader_section(r, name, &a, &a_len), NLP_OK);
        assert_int_equal(nlp__model_reader_section(r2, name, &b, &b_len), NLP_OK);
        assert_int_equal(a_len, b_len);
        assert_memory_equal(a, b, a_len);
    }
    nlp__model_reader_close(r2);
    remove(path2);
    loaded->ops->free(loaded);
    nlp__model_reader_close(r);
    remove(path);
    trained_free(&t);
}

static void test_ner_load_rejects_bad_config(void **state) {
    (void)state;
    trained_t t;
    train_fixture(&t, NULL);
    const char *path = test_write_temp("", 0);
    nlp__model_reader_t *r = test_save_component(t.ner, "ner", path);
    /* Sections under another prefix are simply absent. */
    nlp__component_t *loaded = NULL;
    assert_int_equal(nlp__ner_load(t.vocab, r, "other", &loaded), NLP_MODEL_CORRUPT);
    assert_null(loaded);
    /* A model whose sections disagree: the labels of one, the rest absent. */
    const void *labels;
    size_t labels_len;
    assert_int_equal(nlp__model_reader_section(r, "ner.labels", &labels, &labels_len), NLP_OK);
    nlp__model_writer_t *bad;
    assert_int_equal(nlp__model_writer_create(NULL, &bad), NLP_OK);
    static const char junk[24] = "NOTANER!";
    const char *names[] = {"ner.model", "ner.lexicon"};
    assert_int_equal(nlp__model_writer_add(bad, "ner.config", junk, sizeof junk), NLP_OK);
    assert_int_equal(nlp__model_writer_add(bad, "ner.labels", labels, labels_len), NLP_OK);
    for (int i = 0; i < 2; i++) {
        const void *d;
        size_t len;
        assert_int_equal(nlp__model_reader_section(r, names[i], &d, &len), NLP_OK);
        assert_int_equal(nlp__model_writer_add(bad, names[i], d, len), NLP_OK);
    }
    char bad_path[512];
    snprintf(bad_path, sizeof bad_path, "%s.bad", path);
    assert_int_equal(nlp__model_writer_save(bad, bad_path), NLP_OK);
    nlp__model_writer_free(bad);
    nlp__model_reader_t *rb;
    assert_int_equal(nlp__model_reader_open(bad_path, NULL, &rb), NLP_OK);
    assert_int_equal(nlp__ner_load(t.vocab, rb, "ner", &loaded), NLP_MODEL_CORRUPT);
    assert_null(loaded);
    nlp__model_reader_close(rb);
    remove(bad_path);
    nlp__model_reader_close(r);
    remove(path);
    trained_free(&t);
}

/* Loads the model at path under the prefix "ner" and returns the status. */
static nlp_status_t load_status(nlp_vocab_t *vocab, const char *path) {
    nlp__model_reader_t *r;
    assert_int_equal(nlp__model_reader_open(path, NULL, &r), NLP_OK);
    nlp__component_t *loaded = NULL;
    nlp_status_t st = nlp__ner_load(vocab, r, "ner", &loaded);
    if (st == NLP_OK) loaded->ops->free(loaded);
    else assert_null(loaded);
    nlp__model_reader_close(r);
    return st;
}

/* The label biases are optional (older models have none) but must match
 * the label count and be finite when present. */
static void test_ner_label_bias_section(void **state) {
    (void)state;
    trained_t t;
    train_fixture(&t, NULL);
    const char *path = test_write_temp("", 0);
    nlp__model_reader_t *r = test_save_component(t.ner, "ner", path);
    const void *bias;
    size_t bias_len;
    assert_int_equal(nlp__model_reader_section(r, "ner.label_bias", &bias, &bias_len), NLP_OK);
    assert_int_equal(bias_len, 3 * sizeof(float));
    char other[512];
    test_rewrite_model(r, "ner.label_bias", NULL, 0, other, sizeof other, path);
    assert_int_equal(load_status(t.vocab, other), NLP_OK);
    static const float short_bias[2] = {0, 0};
    test_rewrite_model(r, "ner.label_bias", short_bias, sizeof short_bias, other, sizeof other, path);
    assert_int_equal(load_status(t.vocab, other), NLP_MODEL_CORRUPT);
    float nan_bias[3] = {0, 0, 0};
    nan_bias[1] = NAN;
    test_rewrite_model(r, "ner.label_bias", nan_bias, sizeof nan_bias, other, sizeof other, path);
    assert_int_equal(load_status(t.vocab, other), NLP_MODEL_CORRUPT);
    remove(other);
    nlp__model_reader_close(r);
    remove(path);
    trained_free(&t);
}

/* Hiding a word drops the features of a capitalised word's identity and
 * nothing else; lower-case words keep all their features. */
static void test_ner_hide_word_features(void **state) {
    (void)state;
    nlp__corpus_t *c = test_read_iob2(fixture, sizeof fixture - 1, NULL);
    nlp_vocab_t *v;
    assert_int_equal(nlp__vocab_create(NULL, NULL, &v), NLP_OK);
    nlp_doc_t *doc;
    assert_int_equal(nlp__gold_doc(v, &c->sents[0], &doc), NLP_OK); /* John Smith lives ... */
    nlp__chunk_cache_t cache;
    nlp__arena_t scratch;
    nlp__chunk_cache_init(&cache, NULL, 64u << 10, 2);
    nlp__arena_init(&scratch, &cache);
    nlp__ner_token_t *tokens;
    assert_int_equal(nlp__ner_tokens_fill(doc, (nlp__ner_lexicons_t){0}, &scratch, &tokens), NLP_OK);
    uint64_t shown[NLP__NER_N_STATIC], hidden[NLP__NER_N_STATIC];
    nlp__ner_static_features(tokens, 0, false, shown);
    nlp__ner_static_features(tokens, 0, true, hidden);
    size_t changed = 0;
    for (size_t k = 0; k < NLP__NER_N_STATIC; k++)
        if (shown[k] != hidden[k]) {
            assert_int_equal(hidden[k], 0);
            changed++;
        }
    assert_true(changed >= 2 && changed < NLP__NER_N_STATIC / 4);
    nlp__ner_static_features(tokens, 2, false, shown);
    nlp__ner_static_features(tokens, 2, true, hidden);
    assert_memory_equal(shown, hidden, sizeof shown);
    nlp__arena_destroy(&scratch);
    nlp__chunk_cache_destroy(&cache);
    nlp_doc_free(doc);
    nlp__vocab_free(v);
    nlp__corpus_free(c);
}

/* A Doc of two sentences gives each token the features it has in a Doc of
 * its sentence alone: no template reads across a sentence boundary. */
static void test_ner_features_stay_in_their_sentence(void **state) {
    (void)state;
    static const char *words[] = {"I", "met", "John", "Smith", ".",
                                  "Paris", "was", "cold", "."};
    enum { N = 9, SECOND = 5 };
    size_t lens[N];
    uint8_t spaces[N];
    for (size_t i = 0; i < N; i++) {
        lens[i] = strlen(words[i]);
        spaces[i] = 1;
    }
    nlp_vocab_t *v;
    assert_int_equal(nlp__vocab_create(NULL, NULL, &v), NLP_OK);
    nlp_doc_t *both, *first, *second;
    assert_int_equal(nlp__doc_from_words(v, NULL, words, lens, spaces, N, &both), NLP_OK);
    assert_int_equal(nlp__doc_from_words(v, NULL, words, lens, spaces, SECOND, &first), NLP_OK);
    assert_int_equal(nlp__doc_from_words(v, NULL, words + SECOND, lens + SECOND,
                                         spaces + SECOND, N - SECOND, &second), NLP_OK);
    for (size_t i = 0; i < N; i++) both->tokens[i].sent_start = i == 0 || i == SECOND;
    nlp__chunk_cache_t cache;
    nlp__arena_t scratch;
    nlp__chunk_cache_init(&cache, NULL, 64u << 10, 2);
    nlp__arena_init(&scratch, &cache);
    nlp__ner_token_t *t_both, *t_first, *t_second;
    assert_int_equal(nlp__ner_tokens_fill(both, (nlp__ner_lexicons_t){0}, &scratch, &t_both), NLP_OK);
    assert_int_equal(nlp__ner_tokens_fill(first, (nlp__ner_lexicons_t){0}, &scratch, &t_first), NLP_OK);
    assert_int_equal(nlp__ner_tokens_fill(second, (nlp__ner_lexicons_t){0}, &scratch, &t_second), NLP_OK);
    const nlp__ner_token_t *second_in_both = t_both + SECOND + NLP__NER_TOKEN_PAD;
    uint64_t a[NLP__NER_N_STATIC], b[NLP__NER_N_STATIC];
    for (uint32_t i = 0; i < SECOND; i++) {
        nlp__ner_static_features(t_both, i, false, a);
        nlp__ner_static_features(t_first, i, false, b);
        assert_memory_equal(a, b, sizeof a);
    }
    for (uint32_t i = 0; i < N - SECOND; i++) {
        nlp__ner_static_features(second_in_both, i, false, a);
        nlp__ner_static_features(t_second, i, false, b);
        assert_memory_equal(a, b, sizeof a);
    }
    nlp__arena_destroy(&scratch);
    nlp__chunk_cache_destroy(&cache);
    nlp_doc_free(both);
    nlp_doc_free(first);
    nlp_doc_free(second);
    nlp__vocab_free(v);
}

/* One Doc of every fixture sentence, longest first (so the per-sentence
 * buffers hold leftovers of longer sentences), gets exactly the entities
 * each sentence gets alone, shifted by its offset. */
static void test_ner_doc_of_many_sentences_matches_each_alone(void **state) {
    (void)state;
    trained_t t;
    train_fixture(&t, NULL);
    const nlp__corpus_t *c = t.corpus;
    const char *words[256];
    size_t lens[256], order[64], n = 0;
    uint8_t spaces[256];
    for (size_t s = 0; s < c->n_sents; s++) order[s] = s;
    for (size_t a = 0; a < c->n_sents; a++) /* longest first */
        for (size_t b = a + 1; b < c->n_sents; b++)
            if (c->sents[order[b]].n_words > c->sents[order[a]].n_words) {
                size_t x = order[a];
                order[a] = order[b];
                order[b] = x;
            }
    nlp__chunk_cache_t cache;
    nlp__arena_t scratch;
    nlp__chunk_cache_init(&cache, NULL, 64u << 10, 2);
    nlp__arena_init(&scratch, &cache);
    nlp_span_t expected[64];
    size_t n_expected = 0, firsts[64];
    for (size_t k = 0; k < c->n_sents; k++) {
        const nlp__gold_sent_t *sent = &c->sents[order[k]];
        firsts[k] = n;
        for (uint32_t i = 0; i < sent->n_words; i++, n++) {
            words[n] = sent->words[i].form;
            lens[n] = strlen(words[n]);
            spaces[n] = 1;
        }
        nlp_doc_t *alone;
        assert_int_equal(nlp__gold_doc(t.vocab, sent, &alone), NLP_OK);
        assert_int_equal(t.ner->ops->process(t.ner, alone, &scratch), NLP_OK);
        nlp__arena_reset(&scratch);
        const nlp_span_t *ents;
        size_t n_ents;
        assert_int_equal(nlp_doc_ents(alone, &ents, &n_ents), NLP_OK);
        for (size_t e = 0; e < n_ents; e++) {
            expected[n_expected] = ents[e];
            expected[n_expected].start += (uint32_t)firsts[k];
            expected[n_expected++].end += (uint32_t)firsts[k];
        }
        nlp_doc_free(alone);
    }
    assert_true(n_expected > 0);
    nlp_doc_t *doc;
    assert_int_equal(nlp__doc_from_words(t.vocab, NULL, words, lens, spaces, n, &doc), NLP_OK);
    for (size_t i = 0; i < n; i++) doc->tokens[i].sent_start = 0;
    for (size_t k = 0; k < c->n_sents; k++) doc->tokens[firsts[k]].sent_start = 1;
    doc->layers |= NLP_HAS_SENTS;
    assert_int_equal(t.ner->ops->process(t.ner, doc, &scratch), NLP_OK);
    const nlp_span_t *ents;
    size_t n_ents;
    assert_int_equal(nlp_doc_ents(doc, &ents, &n_ents), NLP_OK);
    assert_int_equal(n_ents, n_expected);
    for (size_t e = 0; e < n_ents; e++) {
        assert_int_equal(ents[e].start, expected[e].start);
        assert_int_equal(ents[e].end, expected[e].end);
        assert_true(ents[e].label == expected[e].label);
    }
    nlp_doc_free(doc);
    nlp__arena_destroy(&scratch);
    nlp__chunk_cache_destroy(&cache);
    trained_free(&t);
}

static void test_ner_train_rejects_corpus_without_entities(void **state) {
    (void)state;
    static const char plain[] = "1\tno\tO\n2\tnames\tO\n3\there\tO\n\n";
    nlp__corpus_t *c = test_read_iob2(plain, sizeof plain - 1, NULL);
    nlp_vocab_t *v;
    assert_int_equal(nlp__vocab_create(NULL, NULL, &v), NLP_OK);
    nlp__train_opts_t opts = {.epochs = 2, .seed = 1};
    nlp__component_t *ner = NULL;
    assert_int_equal(nlp__ner_train(v, c, NULL, NULL, 0, &opts, &ner), NLP_INVALID_ARG);
    assert_null(ner);
    nlp__corpus_free(c);
    nlp__vocab_free(v);
}

/* Trains briefly on the EWT entities and checks the dev score is sane
 * (the full model is measured with the CLI, not here). */
static void test_ner_ewt_dev_score(void **state) {
    (void)state;
    const char *train_path = test_ewt_path("ner-train.iob2");
    if (!train_path) skip();
    char train_copy[1024];
    snprintf(train_copy, sizeof train_copy, "%s", train_path);
    const char *dev_path = test_ewt_path("ner-dev.iob2");
    if (!dev_path) skip();
    nlp__corpus_t *train, *dev;
    assert_int_equal(nlp__iob2_read(train_copy, NULL, &train), NLP_OK);
    assert_int_equal(nlp__iob2_read(dev_path, NULL, &dev), NLP_OK);
    nlp_vocab_t *v;
    assert_int_equal(nlp__vocab_create(NULL, NULL, &v), NLP_OK);
    char log_buf[4096] = "";
    FILE *log = fmemopen(log_buf, sizeof log_buf - 1, "w");
    nlp__train_opts_t opts = {.epochs = 3, .seed = 1, .log = log};
    nlp__component_t *ner;
    assert_int_equal(nlp__ner_train(v, train, dev, NULL, 0, &opts, &ner), NLP_OK);
    fclose(log);
    /* The log reports each tuned bias with the dev F-score it gives. */
    const char *line = strstr(log_buf, "gives ents_f ");
    assert_non_null(line);
    double f = atof(line + strlen("gives ents_f "));
    assert_true(f > 0.6);
    ner->ops->free(ner);
    nlp__corpus_free(train);
    nlp__corpus_free(dev);
    nlp__vocab_free(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_biluo_oracle_reproduces_gold),
        cmocka_unit_test(test_biluo_costs_add_up_to_the_loss),
        cmocka_unit_test(test_biluo_rejects_invalid_sequences),
        cmocka_unit_test(test_biluo_action_ids_round_trip),
        cmocka_unit_test(test_ents_score_counts_exact_matches),
        cmocka_unit_test(test_ents_score_reads_iob2_like_seqeval),
        cmocka_unit_test(test_ents_score_writes_json),
        cmocka_unit_test(test_ner_learns_tiny_fixture),
        cmocka_unit_test(test_ner_save_load_keeps_predictions),
        cmocka_unit_test(test_ner_load_rejects_bad_config),
        cmocka_unit_test(test_ner_label_bias_section),
        cmocka_unit_test(test_ner_hide_word_features),
        cmocka_unit_test(test_ner_features_stay_in_their_sentence),
        cmocka_unit_test(test_ner_doc_of_many_sentences_matches_each_alone),
        cmocka_unit_test(test_ner_train_rejects_corpus_without_entities),
        cmocka_unit_test(test_ner_ewt_dev_score),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
