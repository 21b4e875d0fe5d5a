/* The trainable lemmatizer: a lexicon of (word, tag) -> lemma from the
 * training data, and for every other word an averaged perceptron choosing
 * an edit tree (models/edit_tree.h) from the word's form and its tag.
 *
 * A class is a case step plus a tree: "L" + tree works on the lower-cased
 * form (lemmas without capitals: "Studies" and "studies" share one class),
 * "K" + tree on the form as it is (lemmas with capitals: "Apples" ->
 * "Apple"). At run time the best-scoring class whose tree fits the word
 * wins; a word no class fits keeps its form.
 *
 * The lexicon only lists the (word, tag) pairs of the training data for
 * which the classifier does not already give the usual lemma, so it stays
 * small and holds the irregular words (went -> go, better -> good).
 *
 * Model sections (names prefixed with the component's prefix):
 *   .config   magic, feature version, counts,
 *   .labels   the classes ("L" / "K" + edit tree),
 *   .lemmas   lemma strings of the lexicon,
 *   .lookup   (orth, tag) -> lemma index,
 *   .model    the frozen perceptron.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "doc/doc.h"
#include "models/counts.h"
#include "models/edit_tree.h"
#include "models/features.h"
#include "models/frozen_map.h"
#include "models/labels.h"
#include "models/perceptron.h"
#include "models/sections.h"
#include "models/train.h"
#include "models/train_util.h"

#define CONFIG_MAGIC "SPCLEM01"
#define FEATURE_VERSION 1u
#define DEFAULT_EPOCHS 8u
/* Classes tried, best first, before giving up on a word. */
#define MAX_TRIES 16
#define TREE_MAX 512 /* bytes of one class label */
/* (word, tag) pairs seen this often go in the lexicon even when the
 * classifier gets them right: a lexicon hit costs one lookup, the
 * classifier a scan of every class. */
#ifndef LOOKUP_MIN_COUNT
#define LOOKUP_MIN_COUNT 2
#endif

/* Feature templates. Numbers are part of the model format: append only. */
enum {
    T_BIAS = 1,
    T_TAG,
    T_POS,
    T_SUFFIX1,
    T_SUFFIX2,
    T_SUFFIX3,
    T_SUFFIX4,
    T_SUFFIX5,
    T_TAG_SUFFIX1,
    T_TAG_SUFFIX2,
    T_TAG_SUFFIX3,
    T_TAG_SUFFIX4,
    T_POS_SUFFIX2,
    T_SHAPE,
    T_CASE,
    T_LENGTH,
    T_WORD,
    T_PREFIX1,
    /* Keys of the lexicon, not perceptron features. */
    K_LOOKUP,
};
#define N_FEATS 18

enum { SEC_CONFIG, SEC_LABELS, SEC_LEMMAS, SEC_LOOKUP, SEC_MODEL, N_SECTIONS };
static const char *const section_suffix[N_SECTIONS] = {
    ".config", ".labels", ".lemmas", ".lookup", ".model",
};

typedef struct config_section {
    char magic[8];
    uint32_t feature_version;
    uint32_t n_classes;
    uint32_t n_lemmas;
    uint32_t reserved;
} config_section_t;

typedef struct lem_class {
    int lower; /* apply the tree to the lower-cased form */
    nlp__edit_tree_t *tree;
} lem_class_t;

typedef struct lemmatizer {
    nlp__component_t base;
    const nlp_allocator_t *alloc;
    const void *sec[N_SECTIONS];
    size_t sec_len[N_SECTIONS];
    void *owned[N_SECTIONS];
    nlp__linear_t model;
    nlp__frozen_map_t lookup;
    const char **class_labels;
    lem_class_t *classes;
    size_t n_classes;
    const char **lemma_labels;
    nlp_hash_t *lemmas;
    size_t n_lemmas;
} lemmatizer_t;

/* A word prepared for the features and the trees. */
typedef struct word_form {
    int32_t cps[NLP__EDIT_TREE_MAX_CPS];
    int32_t lower[NLP__EDIT_TREE_MAX_CPS];
    int n; /* code points; -1: not valid UTF-8 or too long */
} word_form_t;

static void prepare_form(const char *s, size_t len, word_form_t *w) {
    w->n = nlp__utf8_decode(s, len, w->cps);
    if (w->n < 0) return;
    memcpy(w->lower, w->cps, (size_t)w->n * sizeof *w->cps);
    nlp__cps_lower(w->lower, (size_t)w->n);
}

/* The id of the last k code points of the lower-cased form. */
static uint64_t suffix_feat(uint32_t tmpl, const word_form_t *w, int k) {
    int n = w->n > 0 ? w->n : 0;
    if (k > n) k = n;
    return nlp__feat_bytes(tmpl, (const char *)(w->lower + n - k),
                           (size_t)k * sizeof *w->lower);
}

/* Writes the features of one word: its lower-cased affixes, case, shape
 * and length, its identity, and its predicted tag and POS. (The tags of the
 * neighbours were tried and cost 0.05 points of lemma_acc.) */
static size_t word_features(const nlp_token_t *tok, const word_form_t *w,
                            uint64_t *f) {
    const nlp_lexeme_t *lex = tok->lex;
    uint64_t s1 = suffix_feat(0, w, 1), s2 = suffix_feat(0, w, 2);
    uint64_t s3 = suffix_feat(0, w, 3), s4 = suffix_feat(0, w, 4);
    uint64_t case_bits = lex->flags & (NLP_FLAG_IS_LOWER | NLP_FLAG_IS_UPPER |
                                       NLP_FLAG_IS_TITLE | NLP_FLAG_IS_ALPHA);
    size_t k = 0;
    f[k++] = nlp__feat1(T_BIAS, 0);
    f[k++] = nlp__feat1(T_TAG, tok->tag);
    f[k++] = nlp__feat1(T_POS, tok->pos);
    f[k++] = nlp__feat1(T_SUFFIX1, s1);
    f[k++] = nlp__feat1(T_SUFFIX2, s2);
    f[k++] = nlp__feat1(T_SUFFIX3, s3);
    f[k++] = nlp__feat1(T_SUFFIX4, s4);
    f[k++] = suffix_feat(T_SUFFIX5, w, 5);
    f[k++] = nlp__feat2(T_TAG_SUFFIX1, tok->tag, s1);
    f[k++] = nlp__feat2(T_TAG_SUFFIX2, tok->tag, s2);
    f[k++] = nlp__feat2(T_TAG_SUFFIX3, tok->tag, s3);
    f[k++] = nlp__feat2(T_TAG_SUFFIX4, tok->tag, s4);
    f[k++] = nlp__feat2(T_POS_SUFFIX2, tok->pos, s2);
    f[k++] = nlp__feat1(T_SHAPE, lex->shape);
    f[k++] = nlp__feat1(T_CASE, case_bits);
    f[k++] = nlp__feat1(T_LENGTH, w->n < 0 ? 13 : w->n < 12 ? (uint64_t)w->n : 12);
    f[k++] = nlp__feat1(T_WORD, lex->norm);
    f[k++] = nlp__feat1(T_PREFIX1, w->n > 0 ? (uint64_t)w->lower[0] : 0);
    return k;
}

static uint64_t lookup_key(const nlp_token_t *tok) {
    return nlp__feat2(K_LOOKUP, tok->lex->orth, tok->tag);
}

/* Applies class c to the word; returns the lemma length in code points
 * (lemma in out) or -1 when the class does not fit. */
static int apply_class(const lemmatizer_t *lm, uint32_t c, const word_form_t *w,
                       int32_t *out) {
    const lem_class_t *k = &lm->classes[c];
    return nlp__edit_tree_apply(k->tree, k->lower ? w->lower : w->cps, (size_t)w->n, out);
}

/* The lemma the classifier gives for a word: the best-scoring class that
 * fits. Returns its length (code points in out) or -1 when none fits.
 * `scores` is clobbered. */
static int classify(const lemmatizer_t *lm, const nlp_token_t *tok,
                    const word_form_t *w, float *scores, int32_t *out) {
    uint64_t feats[N_FEATS];
    size_t n = word_features(tok, w, feats);
    nlp__linear_scores(&lm->model, feats, n, scores);
    for (int tries = 0; tries < MAX_TRIES; tries++) {
        uint32_t best = 0;
        for (uint32_t c = 1; c < lm->n_classes; c++)
            if (scores[c] > scores[best]) best = c;
        if (scores[best] == -INFINITY) break;
        int len = apply_class(lm, best, w, out);
        if (len >= 0) return len;
        scores[best] = -INFINITY;
    }
    return -1;
}

static nlp_status_t lemmatizer_process(const nlp__component_t *self,
                                       nlp_doc_t *doc, nlp__arena_t *scratch) {
    const lemmatizer_t *lm = (const lemmatizer_t *)self;
    float *scores = NLP__ARENA_NEW(scratch, float, lm->n_classes);
    word_form_t *w = NLP__ARENA_NEW(scratch, word_form_t, 1);
    int32_t *lemma = NLP__ARENA_NEW(scratch, int32_t, NLP__EDIT_TREE_MAX_CPS);
    char *bytes = NLP__ARENA_NEW(scratch, char, 4 * NLP__EDIT_TREE_MAX_CPS + 1);
    if (!scores || !w || !lemma || !bytes) return NLP_NOMEM;
    for (uint32_t i = 0; i < doc->n_tokens; i++) {
        nlp_token_t *tok = &doc->tokens[i];
        uint32_t v;
        if (nlp__frozen_map_get(&lm->lookup, lookup_key(tok), &v)) {
            tok->lemma = lm->lemmas[v];
            continue;
        }
        prepare_form(doc->text + tok->idx, tok->len, w);
        int n = w->n > 0 ? classify(lm, tok, w, scores, lemma) : -1;
        if (n <= 0) {
            /* Nothing fits (or invalid UTF-8): the form is its own lemma. */
            tok->lemma = tok->lex->orth;
            continue;
        }
        size_t len = nlp__utf8_encode(lemma, (size_t)n, bytes, 4 * NLP__EDIT_TREE_MAX_CPS + 1);
        nlp_hash_t id = nlp__doc_intern(doc, bytes, len);
        if (!id) return nlp__fail(NLP_NOMEM, "lemmatizer: cannot store a lemma");
        tok->lemma = id;
    }
    doc->layers |= NLP_HAS_LEMMA;
    return NLP_OK;
}

static nlp_status_t lemmatizer_labels(const nlp__component_t *self,
                                      const char **labels, size_t cap, size_t *n) {
    const lemmatizer_t *lm = (const lemmatizer_t *)self;
    for (size_t i = 0; i < lm->n_classes && i < cap; i++) labels[i] = lm->class_labels[i];
    *n = lm->n_classes;
    return NLP_OK;
}

static nlp_status_t lemmatizer_save(const nlp__component_t *self,
                                    nlp__model_writer_t *w, const char *prefix) {
    const lemmatizer_t *lm = (const lemmatizer_t *)self;
    return nlp__sections_put_all(w, prefix, section_suffix, N_SECTIONS, lm->sec,
                                 lm->sec_len);
}

static void lemmatizer_free(nlp__component_t *self) {
    lemmatizer_t *lm = (lemmatizer_t *)self;
    if (!lm) return;
    for (size_t c = 0; lm->classes && c < lm->n_classes; c++)
        nlp__edit_tree_free(lm->alloc, lm->classes[c].tree);
    for (int s = 0; s < N_SECTIONS; s++) nlp__free(lm->alloc, lm->owned[s]);
    nlp__free(lm->alloc, lm->classes);
    nlp__free(lm->alloc, lm->class_labels);
    nlp__free(lm->alloc, lm->lemma_labels);
    nlp__free(lm->alloc, lm->lemmas);
    nlp__free(lm->alloc, lm);
}

static const nlp__component_ops_t lemmatizer_ops = {
    .name = "lemmatizer",
    .process = lemmatizer_process,
    .labels = lemmatizer_labels,
    .save = lemmatizer_save,
    .free = lemmatizer_free,
};

static nlp_status_t parse_classes(lemmatizer_t *lm) {
    lm->classes = nlp__calloc(lm->alloc, lm->n_classes, sizeof *lm->classes);
    if (!lm->classes) return NLP_NOMEM;
    for (size_t c = 0; c < lm->n_classes; c++) {
        const char *label = lm->class_labels[c];
        if (label[0] != 'L' && label[0] != 'K')
            return nlp__fail(NLP_MODEL_CORRUPT, "lemmatizer: class %zu has no case step", c);
        lm->classes[c].lower = label[0] == 'L';
        nlp_status_t st = nlp__edit_tree_parse(lm->alloc, label + 1, strlen(label + 1),
                                               &lm->classes[c].tree);
        if (st == NLP_FORMAT) return nlp__fail(NLP_MODEL_CORRUPT, "lemmatizer: class %zu: %s",
                                               c, nlp_error_detail());
        if (st) return st;
    }
    return NLP_OK;
}

static nlp_status_t intern_lemmas(lemmatizer_t *lm, nlp_vocab_t *vocab) {
    lm->lemmas = nlp__calloc(lm->alloc, lm->n_lemmas ? lm->n_lemmas : 1, sizeof *lm->lemmas);
    if (!lm->lemmas) return NLP_NOMEM;
    for (size_t i = 0; i < lm->n_lemmas; i++) {
        nlp_status_t st = nlp_vocab_add_string(vocab, NULL, lm->lemma_labels[i],
                                               strlen(lm->lemma_labels[i]), &lm->lemmas[i]);
        if (st == NLP_ZONE_OPEN)
            return nlp__fail(st, "lemmatizer lemmas are added permanently: no "
                                 "memory zone may be open while a model loads");
        if (st) return st;
    }
    return NLP_OK;
}

/* Makes the lemmatizer usable from its section bytes. */
static nlp_status_t lemmatizer_attach(lemmatizer_t *lm, nlp_vocab_t *vocab) {
    config_section_t cfg;
    if (lm->sec_len[SEC_CONFIG] != sizeof cfg)
        return nlp__fail(NLP_MODEL_CORRUPT, "lemmatizer: config of %zu bytes",
                         lm->sec_len[SEC_CONFIG]);
    memcpy(&cfg, lm->sec[SEC_CONFIG], sizeof cfg);
    if (memcmp(cfg.magic, CONFIG_MAGIC, sizeof cfg.magic) != 0 ||
        cfg.feature_version != FEATURE_VERSION)
        return nlp__fail(NLP_MODEL_VERSION, "lemmatizer: unknown model version");
    nlp_status_t st;
    if ((st = nlp__labels_decode(lm->alloc, lm->sec[SEC_LABELS], lm->sec_len[SEC_LABELS],
                                 &lm->class_labels, &lm->n_classes)) ||
        (st = nlp__labels_decode(lm->alloc, lm->sec[SEC_LEMMAS], lm->sec_len[SEC_LEMMAS],
                                 &lm->lemma_labels, &lm->n_lemmas)))
        return st;
    if (lm->n_classes == 0 || lm->n_classes != cfg.n_classes || lm->n_lemmas != cfg.n_lemmas)
        return nlp__fail(NLP_MODEL_CORRUPT, "lemmatizer: label counts disagree");
    if ((st = parse_classes(lm)) || (st = intern_lemmas(lm, vocab)) ||
        (st = nlp__frozen_map_open(lm->sec[SEC_LOOKUP], lm->sec_len[SEC_LOOKUP], &lm->lookup)))
        return st;
    for (uint32_t s = 0; s < lm->lookup.n_slots; s++)
        if (lm->lookup.keys[s] && lm->lookup.values[s] >= lm->n_lemmas)
            return nlp__fail(NLP_MODEL_CORRUPT, "lemmatizer: lemma %u out of range",
                             lm->lookup.values[s]);
    if (!lm->sec[SEC_MODEL]) return NLP_OK;
    st = nlp__linear_open(lm->sec[SEC_MODEL], lm->sec_len[SEC_MODEL], &lm->model);
    if (!st && lm->model.n_classes != lm->n_classes)
        st = nlp__fail(NLP_MODEL_CORRUPT, "lemmatizer: the weights have %u classes, "
                       "the labels %zu", lm->model.n_classes, lm->n_classes);
    return st;
}

static lemmatizer_t *lemmatizer_alloc(const nlp_allocator_t *alloc) {
    lemmatizer_t *lm = nlp__calloc(alloc, 1, sizeof *lm);
    if (!lm) return NULL;
    lm->base.ops = &lemmatizer_ops;
    lm->alloc = alloc;
    return lm;
}

static nlp_status_t lemmatizer_attach_base(nlp__component_t *c, nlp_vocab_t *vocab) {
    return lemmatizer_attach((lemmatizer_t *)c, vocab);
}

nlp_status_t nlp__lemmatizer_load(nlp_vocab_t *vocab, const nlp__model_reader_t *r,
                                  const char *prefix, nlp__component_t **out) {
    *out = NULL;
    lemmatizer_t *lm = lemmatizer_alloc(vocab->alloc);
    if (!lm) return NLP_NOMEM;
    return nlp__sections_load(r, prefix, section_suffix, N_SECTIONS, lm->sec,
                              lm->sec_len, &lm->base, vocab, lemmatizer_attach_base, out);
}

/* ---- Training ---------------------------------------------------------- */

/* The class label ("L"/"K" + tree) turning `form` into `lemma`, written
 * into label (TREE_MAX bytes). NLP_NOT_FOUND when the pair cannot be
 * learnt (invalid UTF-8, too long, empty lemma). */
static nlp_status_t class_label(const word_form_t *w, const char *lemma,
                                char *label) {
    int32_t l[NLP__EDIT_TREE_MAX_CPS], lower[NLP__EDIT_TREE_MAX_CPS];
    int nl = nlp__utf8_decode(lemma, strlen(lemma), l);
    if (w->n <= 0 || nl <= 0) return NLP_NOT_FOUND;
    memcpy(lower, l, (size_t)nl * sizeof *l);
    /* A lemma without capitals is learnt from the lower-cased form. */
    int lower_case = !nlp__cps_lower(lower, (size_t)nl);
    label[0] = lower_case ? 'L' : 'K';
    nlp_status_t st = nlp__edit_tree_build(lower_case ? w->lower : w->cps, (size_t)w->n,
                                           l, (size_t)nl, label + 1, TREE_MAX - 1);
    return st == NLP_LIMIT ? NLP_NOT_FOUND : st;
}

typedef struct train_data {
    nlp__string_set_t classes, lemma_strings;
    nlp__pair_counter_t lookup_counts; /* (orth, tag) -> lemma string */
    size_t n_sents, n_words;
    uint32_t *sent_start;
    uint64_t *feats;  /* n_words x N_FEATS */
    uint32_t *gold;   /* class, or UINT32_MAX when not learnable */
    uint32_t *lemma;  /* gold lemma string index */
    uint32_t *form;   /* index into forms: the word's text */
    nlp__string_set_t forms;
} train_data_t;

static void train_data_free(train_data_t *td, const nlp_allocator_t *alloc) {
    nlp__string_set_free(&td->classes, alloc);
    nlp__string_set_free(&td->lemma_strings, alloc);
    nlp__string_set_free(&td->forms, alloc);
    nlp__pair_free(&td->lookup_counts, alloc);
    nlp__free(alloc, td->sent_start);
    nlp__free(alloc, td->feats);
    nlp__free(alloc, td->gold);
    nlp__free(alloc, td->lemma);
    nlp__free(alloc, td->form);
}

/* Runs the upstream components on every training sentence and records
 * each word's features, class and lemma, and the lexicon counts. */
static nlp_status_t build_train_set(train_data_t *td, nlp_vocab_t *vocab,
                                    const nlp_allocator_t *alloc,
                                    const nlp__corpus_t *train,
                                    const nlp__component_t *const *upstream,
                                    size_t n_upstream, nlp__arena_t *scratch) {
    nlp_status_t st;
    if ((st = nlp__string_set_init(&td->classes, alloc)) ||
        (st = nlp__string_set_init(&td->lemma_strings, alloc)) ||
        (st = nlp__string_set_init(&td->forms, alloc)) ||
        (st = nlp__pair_init(&td->lookup_counts, alloc)))
        return st;
    size_t n_words = 0;
    for (size_t s = 0; s < train->n_sents; s++) n_words += train->sents[s].n_words;
    td->n_sents = train->n_sents;
    td->n_words = n_words;
    td->sent_start = nlp__calloc(alloc, td->n_sents + 1, sizeof *td->sent_start);
    td->feats = nlp__calloc(alloc, n_words ? n_words * N_FEATS : 1, sizeof *td->feats);
    td->gold = nlp__calloc(alloc, n_words ? n_words : 1, sizeof *td->gold);
    td->lemma = nlp__calloc(alloc, n_words ? n_words : 1, sizeof *td->lemma);
    td->form = nlp__calloc(alloc, n_words ? n_words : 1, sizeof *td->form);
    if (!td->sent_start || !td->feats || !td->gold || !td->lemma || !td->form)
        return NLP_NOMEM;
    word_form_t *w = nlp__malloc(alloc, sizeof *w);
    if (!w) return NLP_NOMEM;
    char label[TREE_MAX];
    size_t k = 0;
    for (size_t s = 0; s < td->n_sents && !st; s++) {
        const nlp__gold_sent_t *sent = &train->sents[s];
        td->sent_start[s] = (uint32_t)k;
        nlp_doc_t *doc;
        if ((st = nlp__gold_doc(vocab, sent, &doc))) break;
        st = nlp__run_components_on(upstream, n_upstream, doc, scratch);
        for (uint32_t i = 0; i < sent->n_words && !st; i++, k++) {
            const nlp_token_t *tok = &doc->tokens[i];
            const char *text = doc->text + tok->idx, *lemma = sent->words[i].lemma;
            prepare_form(text, tok->len, w);
            word_features(tok, w, td->feats + k * N_FEATS);
            td->gold[k] = UINT32_MAX;
            st = nlp__string_set_add(&td->lemma_strings, alloc, lemma, strlen(lemma),
                                     &td->lemma[k]);
            if (!st) st = nlp__string_set_add(&td->forms, alloc, text, tok->len, &td->form[k]);
            if (!st && lemma[0])
                st = nlp__pair_add(&td->lookup_counts, alloc, lookup_key(tok), td->lemma[k],
                                   (uint32_t)k);
            if (st || !lemma[0]) continue;
            st = class_label(w, lemma, label);
            if (st == NLP_NOT_FOUND) {
                st = NLP_OK;
                continue;
            }
            if (!st) st = nlp__string_set_add(&td->classes, alloc, label, strlen(label),
                                              &td->gold[k]);
        }
        nlp_doc_free(doc);
    }
    nlp__free(alloc, w);
    if (st) return st;
    td->sent_start[td->n_sents] = (uint32_t)k;
    if (td->classes.n == 0)
        return nlp__fail(NLP_INVALID_ARG, "lemmatizer: the training corpus has no lemmas");
    if (td->classes.n > NLP__PERCEPTRON_MAX_CLASSES)
        return nlp__fail(NLP_LIMIT, "lemmatizer: %zu classes", td->classes.n);
    return nlp__pair_group(&td->lookup_counts, alloc);
}

static nlp_status_t train_epoch(const train_data_t *td, nlp__perceptron_t *p,
                                uint32_t n_classes, uint32_t *order, uint64_t *rng,
                                float *scores, size_t *correct) {
    nlp__shuffle_order(order, td->n_sents, rng);
    *correct = 0;
    nlp_status_t st = NLP_OK;
    for (size_t k = 0; k < td->n_sents && !st; k++) {
        uint32_t s = order[k];
        for (uint32_t w = td->sent_start[s]; w < td->sent_start[s + 1] && !st; w++) {
            if (td->gold[w] == UINT32_MAX) continue;
            const uint64_t *feats = td->feats + (size_t)w * N_FEATS;
            nlp__perceptron_scores(p, feats, N_FEATS, scores);
            uint32_t guess = 0;
            for (uint32_t c = 1; c < n_classes; c++)
                if (scores[c] > scores[guess]) guess = c;
            *correct += guess == td->gold[w];
            st = nlp__perceptron_update(p, feats, N_FEATS, td->gold[w], guess, 1.0f);
            nlp__perceptron_tick(p);
        }
    }
    return st;
}

static nlp_status_t score_dev(const lemmatizer_t *lm, nlp_vocab_t *vocab,
                              const nlp__corpus_t *dev,
                              const nlp__component_t *const *upstream,
                              size_t n_upstream, nlp__arena_t *scratch,
                              size_t *words, size_t *ok) {
    *words = *ok = 0;
    for (size_t s = 0; s < dev->n_sents; s++) {
        const nlp__gold_sent_t *sent = &dev->sents[s];
        nlp_doc_t *doc;
        nlp_status_t st = nlp__gold_doc(vocab, sent, &doc);
        if (st) return st;
        st = nlp__run_components_on(upstream, n_upstream, doc, scratch);
        if (!st) st = lemmatizer_process(&lm->base, doc, scratch);
        nlp__arena_reset(scratch);
        for (uint32_t i = 0; i < sent->n_words && !st; i++) {
            const char *gold = sent->words[i].lemma;
            (*words)++;
            *ok += doc->tokens[i].lemma == nlp_hash_string(gold, strlen(gold));
        }
        nlp_doc_free(doc);
        if (st) return st;
    }
    return NLP_OK;
}

/* A new config section (caller frees with `alloc`). */
static nlp_status_t make_config(const nlp_allocator_t *alloc, size_t n_classes,
                                size_t n_lemmas, void **out) {
    config_section_t cfg;
    memset(&cfg, 0, sizeof cfg);
    memcpy(cfg.magic, CONFIG_MAGIC, sizeof cfg.magic);
    cfg.feature_version = FEATURE_VERSION;
    cfg.n_classes = (uint32_t)n_classes;
    cfg.n_lemmas = (uint32_t)n_lemmas;
    *out = nlp__malloc(alloc, sizeof cfg);
    if (!*out) return NLP_NOMEM;
    memcpy(*out, &cfg, sizeof cfg);
    return NLP_OK;
}

/* The config, labels, lexicon and weights sections of a trained model.
 * The lexicon keeps the (orth, tag) pairs whose usual lemma the classifier
 * (with weights `image`) does not produce. */
static nlp_status_t build_sections(lemmatizer_t *lm, nlp_vocab_t *vocab,
                                   const train_data_t *td) {
    const nlp_allocator_t *alloc = lm->alloc;
    size_t n_groups = 0;
    for (size_t i = 0; i < td->lookup_counts.n; i++)
        n_groups += i == 0 || td->lookup_counts.recs[i].group != td->lookup_counts.recs[i - 1].group;
    uint64_t *keys = nlp__calloc(alloc, n_groups + 1, sizeof *keys);
    uint32_t *values = nlp__calloc(alloc, n_groups + 1, sizeof *values);
    uint32_t *remap = nlp__calloc(alloc, td->lemma_strings.n + 1, sizeof *remap);
    const char **kept = nlp__calloc(alloc, td->lemma_strings.n + 1, sizeof *kept);
    float *scores = nlp__calloc(alloc, td->classes.n, sizeof *scores);
    word_form_t *w = nlp__malloc(alloc, sizeof *w);
    nlp_status_t st = keys && values && remap && kept && scores && w ? NLP_OK : NLP_NOMEM;
    size_t n_keys = 0, n_kept = 0;
    int32_t out[NLP__EDIT_TREE_MAX_CPS];
    char bytes[4 * NLP__EDIT_TREE_MAX_CPS + 1];
    for (size_t i = 0, end; i < td->lookup_counts.n && !st; i = end) {
        uint32_t best = nlp__pair_best(&td->lookup_counts, i, &end);
        uint32_t total = 0;
        for (size_t j = i; j < end; j++) total += td->lookup_counts.recs[j].count;
        /* A token of the group, to ask the classifier about it. */
        uint32_t tok_index = td->lookup_counts.recs[i].aux;
        const char *form = td->forms.items[td->form[tok_index]];
        const char *lemma = td->lemma_strings.items[best];
        prepare_form(form, strlen(form), w);
        int n = -1;
        if (w->n > 0) {
            const uint64_t *feats = td->feats + (size_t)tok_index * N_FEATS;
            nlp__linear_scores(&lm->model, feats, N_FEATS, scores);
            for (int tries = 0; tries < MAX_TRIES && n < 0; tries++) {
                uint32_t c = 0;
                for (uint32_t j = 1; j < lm->n_classes; j++)
                    if (scores[j] > scores[c]) c = j;
                if (scores[c] == -INFINITY) break;
                n = apply_class(lm, c, w, out);
                scores[c] = -INFINITY;
            }
        }
        const char *predicted = form;
        if (n > 0) {
            nlp__utf8_encode(out, (size_t)n, bytes, sizeof bytes);
            predicted = bytes;
        }
        if (total < LOOKUP_MIN_COUNT && strcmp(predicted, lemma) == 0) continue;
        if (!remap[best]) {
            kept[n_kept] = lemma;
            remap[best] = (uint32_t)++n_kept;
        }
        keys[n_keys] = td->lookup_counts.recs[i].group;
        values[n_keys] = remap[best] - 1;
        n_keys++;
    }
    /* The new sections replace the training-time ones only when all
     * three are built, since the old lexicon is in use until then. */
    void *cfg_sec = NULL, *lemmas_sec = NULL, *lookup_sec = NULL;
    size_t lemmas_len = 0, lookup_len = 0;
    if (!st) st = make_config(alloc, td->classes.n, n_kept, &cfg_sec);
    if (!st) st = nlp__labels_encode(alloc, kept, n_kept, &lemmas_sec, &lemmas_len);
    if (!st) st = nlp__frozen_map_build(alloc, keys, values, n_keys, &lookup_sec, &lookup_len);
    if (!st) {
        nlp__free(alloc, lm->owned[SEC_CONFIG]);
        nlp__free(alloc, lm->owned[SEC_LEMMAS]);
        nlp__free(alloc, lm->owned[SEC_LOOKUP]);
        lm->owned[SEC_CONFIG] = cfg_sec;
        lm->owned[SEC_LEMMAS] = lemmas_sec;
        lm->owned[SEC_LOOKUP] = lookup_sec;
        lm->sec_len[SEC_LEMMAS] = lemmas_len;
        lm->sec_len[SEC_LOOKUP] = lookup_len;
    } else {
        nlp__free(alloc, cfg_sec);
        nlp__free(alloc, lemmas_sec);
        nlp__free(alloc, lookup_sec);
    }
    nlp__free(alloc, keys);
    nlp__free(alloc, values);
    nlp__free(alloc, remap);
    nlp__free(alloc, kept);
    nlp__free(alloc, scores);
    nlp__free(alloc, w);
    if (st) return st;
    /* Re-attach from the finished sections, as a loaded model would be. */
    for (size_t c = 0; c < lm->n_classes; c++) nlp__edit_tree_free(alloc, lm->classes[c].tree);
    nlp__free(alloc, lm->classes);
    nlp__free(alloc, lm->class_labels);
    nlp__free(alloc, lm->lemma_labels);
    nlp__free(alloc, lm->lemmas);
    lm->classes = NULL;
    lm->class_labels = lm->lemma_labels = NULL;
    lm->lemmas = NULL;
    for (int s = 0; s < N_SECTIONS; s++) lm->sec[s] = lm->owned[s];
    return lemmatizer_attach(lm, vocab);
}

/* Sections for training: the labels and an empty lexicon, so the
 * classifier can be scored on dev words while it learns. */
static nlp_status_t start_sections(lemmatizer_t *lm, nlp_vocab_t *vocab,
                                   const train_data_t *td) {
    const nlp_allocator_t *alloc = lm->alloc;
    nlp_status_t st;
    lm->sec_len[SEC_CONFIG] = sizeof(config_section_t);
    if ((st = make_config(alloc, td->classes.n, 0, &lm->owned[SEC_CONFIG])) ||
        (st = nlp__labels_encode(alloc, (const char *const *)td->classes.items, td->classes.n,
                                 &lm->owned[SEC_LABELS], &lm->sec_len[SEC_LABELS])) ||
        (st = nlp__labels_encode(alloc, NULL, 0, &lm->owned[SEC_LEMMAS],
                                 &lm->sec_len[SEC_LEMMAS])) ||
        (st = nlp__frozen_map_build(alloc, NULL, NULL, 0, &lm->owned[SEC_LOOKUP],
                                    &lm->sec_len[SEC_LOOKUP])))
        return st;
    for (int s = 0; s < N_SECTIONS; s++) lm->sec[s] = lm->owned[s];
    return lemmatizer_attach(lm, vocab);
}

static double ratio(size_t a, size_t b) { return b ? (double)a / (double)b : 0.0; }

nlp_status_t nlp__lemmatizer_train(nlp_vocab_t *vocab, const nlp__corpus_t *train,
                                   const nlp__corpus_t *dev,
                                   const nlp__component_t *const *upstream,
                                   size_t n_upstream, const nlp__train_opts_t *opts,
                                   nlp__component_t **out) {
    *out = NULL;
    const nlp_allocator_t *alloc = opts->alloc ? opts->alloc : vocab->alloc;
    uint32_t epochs = opts->epochs ? opts->epochs : DEFAULT_EPOCHS;
    train_data_t td;
    memset(&td, 0, sizeof td);
    nlp__chunk_cache_t cache;
    nlp__arena_t scratch;
    nlp__chunk_cache_init(&cache, alloc, 64u << 10, 2);
    nlp__arena_init(&scratch, &cache);
    lemmatizer_t *lm = lemmatizer_alloc(alloc);
    nlp__perceptron_t *p = NULL;
    uint32_t *order = NULL;
    float *scores = NULL;
    void *best = NULL;
    size_t best_len = 0;
    nlp_status_t st = lm ? NLP_OK : NLP_NOMEM;
    if (!st) st = build_train_set(&td, vocab, alloc, train, upstream, n_upstream, &scratch);
    if (!st) st = start_sections(lm, vocab, &td);
    if (!st) st = nlp__perceptron_create(alloc, (uint32_t)td.classes.n, &p);
    if (!st) {
        order = nlp__calloc(alloc, td.n_sents ? td.n_sents : 1, sizeof *order);
        scores = nlp__calloc(alloc, td.classes.n, sizeof *scores);
        if (!order || !scores) st = NLP_NOMEM;
    }
    uint64_t rng = opts->seed;
    double best_score = -1.0;
    for (uint32_t e = 0; e < epochs && !st; e++) {
        size_t correct, words = 0, ok = 0;
        void *image = NULL;
        size_t len = 0;
        st = train_epoch(&td, p, (uint32_t)td.classes.n, order, &rng, scores, &correct);
        if (!st) st = nlp__perceptron_freeze(p, &image, &len);
        if (!st) st = nlp__linear_open(image, len, &lm->model);
        if (!st && dev) st = score_dev(lm, vocab, dev, upstream, n_upstream, &scratch, &words, &ok);
        if (st) {
            nlp__free(alloc, image);
            break;
        }
        if (opts->log)
            fprintf(opts->log, "lemmatizer epoch %u: train_acc %.4f classifier "
                    "lemma_acc %.4f classes %zu weights %zu bytes\n", e + 1,
                    ratio(correct, td.n_words), ratio(ok, words), td.classes.n, len);
        if (!words || ratio(ok, words) > best_score) {
            best_score = ratio(ok, words);
            nlp__free(alloc, best);
            best = image;
            best_len = len;
        } else {
            nlp__free(alloc, image);
        }
    }
    if (!st && !best) st = nlp__fail(NLP_INVALID_ARG, "lemmatizer: no epoch was trained");
    if (!st) {
        lm->owned[SEC_MODEL] = best;
        lm->sec[SEC_MODEL] = best;
        lm->sec_len[SEC_MODEL] = best_len;
        best = NULL;
        st = nlp__linear_open(best_len ? lm->sec[SEC_MODEL] : NULL, best_len, &lm->model);
    }
    if (!st) st = build_sections(lm, vocab, &td);
    if (!st && dev && opts->log) {
        size_t words, ok;
        st = score_dev(lm, vocab, dev, upstream, n_upstream, &scratch, &words, &ok);
        if (!st)
            fprintf(opts->log, "lemmatizer: lemma_acc %.4f with %u lexicon entries\n",
                    ratio(ok, words), lm->lookup.n_items);
    }
    nlp__free(alloc, best);
    nlp__free(alloc, order);
    nlp__free(alloc, scores);
    nlp__perceptron_free(p);
    train_data_free(&td, alloc);
    nlp__arena_destroy(&scratch);
    nlp__chunk_cache_destroy(&cache);
    if (st) {
        lemmatizer_free(lm ? &lm->base : NULL);
        return st;
    }
    *out = &lm->base;
    return NLP_OK;
}
