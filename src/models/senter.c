/* The trained sentence segmenter ("senter"): one averaged perceptron
 * decides, token by token from left to right, whether a sentence starts
 * there, from the words, shapes and tags around the token and the distance
 * to the last start.
 *
 * It proposes starts and leaves the other tokens undecided (sent_start -1):
 * a parser after it keeps every proposed start and may add its own. Without
 * a parser the undecided tokens read as inside a sentence. Boundaries set
 * by an earlier component (0 or 1) are kept. It never sees whitespace
 * tokens (pipeline/space_view.h). On raw EWT text it finds boundaries that the parser alone misses (lines of e-mail
 * signatures and headers without punctuation); see models/README.md.
 *
 * It trains on whole paragraphs of a CoNLL-U corpus, whose sentence
 * boundaries are the gold starts, tagged by the upstream components
 * (jackknifed when the trainer gives folds, so the tags are as noisy as on
 * new text).
 *
 * Model sections (names prefixed with the component's prefix):
 *   .config  magic and feature version,
 *   .model   the frozen perceptron (models/perceptron.h), 2 classes.
 */
#include <string.h>

#include "core/alloc.h"
#include "doc/doc.h"
#include "models/features.h"
#include "models/jackknife.h"
#include "models/perceptron.h"
#include "models/sections.h"
#include "models/train.h"
#include "models/train_util.h"

#define CONFIG_MAGIC "SPCSNT01"
#define FEATURE_VERSION 2u
#define DEFAULT_EPOCHS 8u
/* Distances to the last start are exact up to this. */
#define MAX_DISTANCE 12u

enum { CLASS_INSIDE, CLASS_START, N_CLASSES };

/* Feature templates. Numbers are part of the model format: append only. */
enum {
    T_BIAS = 1, T_NORM, T_NORM_M1, T_NORM_M2, T_NORM_P1,
    T_SHAPE, T_SHAPE_M1, T_SHAPE_P1,
    T_NORM_M1_SHAPE, T_SHAPE_M1_SHAPE, T_NORM_M1_NORM, T_SHAPE_M2_M1_0,
    T_SHAPE_SHAPE_P1, T_NORM_SHAPE_M1,
    T_TAG, T_TAG_M1, T_TAG_P1, T_TAG_M1_TAG, T_TAG_TAG_P1, T_TAG_M1_0_P1,
    T_NORM_M1_TAG, T_SPACE_M1_SHAPE,
    /* Templates of the decisions so far. */
    T_DISTANCE, T_DISTANCE_SHAPE_M1, T_DISTANCE_NORM_M1,
    /* Static again (feature version 2): tag and word pairs across the
     * boundary, worth 0.7 point of raw-text sentence F on EWT dev. */
    T_TAG_M2_M1, T_NORM_P1_SHAPE, T_SHAPE_M1_TAG, T_TAG_M1_NORM, T_TAG_NORM_P1,
    T_SHAPE_M1_0_TAG_P1,
};

#define N_STATIC 28
#define N_HISTORY 3
#define N_FEATS (N_STATIC + N_HISTORY)

enum { SEC_CONFIG, SEC_MODEL, N_SECTIONS };
static const char *const section_suffix[N_SECTIONS] = {".config", ".model"};

typedef struct config_section {
    char magic[8];
    uint32_t feature_version;
    uint32_t reserved;
} config_section_t;

typedef struct senter {
    nlp__component_t base;
    const nlp_allocator_t *alloc;
    /* Section bytes: inside the mapped file, or owned (after training). */
    const void *sec[N_SECTIONS];
    size_t sec_len[N_SECTIONS];
    void *owned[N_SECTIONS];
    nlp__linear_t model;
} senter_t;

/* ---- Features ------------------------------------------------------------ */

/* The token attributes the features read; index -1 and n are padding. */
typedef struct word {
    uint64_t norm, shape, tag;
    uint64_t space; /* a space follows the token */
} word_t;

static word_t *gather_words(const nlp_doc_t *doc, nlp__arena_t *scratch) {
    uint32_t n = doc->n_tokens;
    word_t *w = NLP__ARENA_NEW(scratch, word_t, (size_t)n + 4);
    if (!w) return NULL;
    memset(w, 0, ((size_t)n + 4) * sizeof *w);
    w += 2;
    for (uint32_t i = 0; i < n; i++) {
        const nlp_token_t *t = &doc->tokens[i];
        w[i] = (word_t){t->lex->norm, t->lex->shape, t->tag, (uint64_t)t->spacy + 1};
    }
    return w;
}

/* Writes the features of token i that do not depend on earlier decisions
 * to f[0..N_STATIC). */
static void static_features(const word_t *w, uint32_t i, uint64_t *f) {
    const word_t *x = w + i, *m1 = x - 1, *m2 = x - 2, *p1 = x + 1;
    size_t k = 0;
    f[k++] = nlp__feat1(T_BIAS, 0);
    f[k++] = nlp__feat1(T_NORM, x->norm);
    f[k++] = nlp__feat1(T_NORM_M1, m1->norm);
    f[k++] = nlp__feat1(T_NORM_M2, m2->norm);
    f[k++] = nlp__feat1(T_NORM_P1, p1->norm);
    f[k++] = nlp__feat1(T_SHAPE, x->shape);
    f[k++] = nlp__feat1(T_SHAPE_M1, m1->shape);
    f[k++] = nlp__feat1(T_SHAPE_P1, p1->shape);
    f[k++] = nlp__feat2(T_NORM_M1_SHAPE, m1->norm, x->shape);
    f[k++] = nlp__feat2(T_SHAPE_M1_SHAPE, m1->shape, x->shape);
    f[k++] = nlp__feat2(T_NORM_M1_NORM, m1->norm, x->norm);
    f[k++] = nlp__feat3(T_SHAPE_M2_M1_0, m2->shape, m1->shape, x->shape);
    f[k++] = nlp__feat2(T_SHAPE_SHAPE_P1, x->shape, p1->shape);
    f[k++] = nlp__feat2(T_NORM_SHAPE_M1, x->norm, m1->shape);
    f[k++] = nlp__feat1(T_TAG, x->tag);
    f[k++] = nlp__feat1(T_TAG_M1, m1->tag);
    f[k++] = nlp__feat1(T_TAG_P1, p1->tag);
    f[k++] = nlp__feat2(T_TAG_M1_TAG, m1->tag, x->tag);
    f[k++] = nlp__feat2(T_TAG_TAG_P1, x->tag, p1->tag);
    f[k++] = nlp__feat3(T_TAG_M1_0_P1, m1->tag, x->tag, p1->tag);
    f[k++] = nlp__feat2(T_NORM_M1_TAG, m1->norm, x->tag);
    f[k++] = nlp__feat2(T_SPACE_M1_SHAPE, m1->space, x->shape);
    f[k++] = nlp__feat2(T_TAG_M2_M1, m2->tag, m1->tag);
    f[k++] = nlp__feat2(T_NORM_P1_SHAPE, p1->norm, x->shape);
    f[k++] = nlp__feat2(T_SHAPE_M1_TAG, m1->shape, x->tag);
    f[k++] = nlp__feat2(T_TAG_M1_NORM, m1->tag, x->norm);
    f[k++] = nlp__feat2(T_TAG_NORM_P1, x->tag, p1->norm);
    f[k++] = nlp__feat3(T_SHAPE_M1_0_TAG_P1, m1->shape, x->shape, p1->tag);
}

_Static_assert((T_SPACE_M1_SHAPE - T_BIAS + 1) +
                       (T_SHAPE_M1_0_TAG_P1 - T_TAG_M2_M1 + 1) ==
                   N_STATIC,
               "N_STATIC counts the static templates");

/* Writes the features of the distance d to the last start, with the
 * previous token's norm and shape, to f[0..N_HISTORY). */
static void history_features(uint32_t d, uint64_t norm_m1, uint64_t shape_m1,
                             uint64_t *f) {
    uint64_t dist = d < MAX_DISTANCE ? d : MAX_DISTANCE;
    f[0] = nlp__feat1(T_DISTANCE, dist);
    f[1] = nlp__feat2(T_DISTANCE_SHAPE_M1, dist, shape_m1);
    f[2] = nlp__feat2(T_DISTANCE_NORM_M1, dist, norm_m1);
}

/* Whether the scores say a sentence starts here. */
static bool says_start(const float *scores) {
    return scores[CLASS_START] > scores[CLASS_INSIDE];
}

/* The model's decision on features f[0..N_FEATS). */
static bool predicts_start(const nlp__linear_t *m, const uint64_t *f) {
    float scores[N_CLASSES];
    nlp__linear_scores(m, f, N_FEATS, scores);
    return says_start(scores);
}

/* ---- The component --------------------------------------------------------- */

static nlp_status_t senter_process(const nlp__component_t *self, nlp_doc_t *doc,
                                   nlp__arena_t *scratch) {
    const senter_t *sn = (const senter_t *)self;
    uint32_t n = doc->n_tokens;
    if (n == 0) return NLP_OK;
    const word_t *w = gather_words(doc, scratch);
    if (!w) return nlp__fail(NLP_NOMEM, "senter: %u tokens", n);
    uint64_t f[N_FEATS];
    /* Boundaries an earlier component decided (0 or 1) are kept. */
    bool preset = doc->layers & NLP_HAS_SENTS;
    uint32_t last_start = 0;
    doc->tokens[0].sent_start = 1;
    for (uint32_t i = 1; i < n; i++) {
        nlp_token_t *t = &doc->tokens[i];
        if (!preset || t->sent_start == -1) {
            static_features(w, i, f);
            history_features(i - last_start, w[i - 1].norm, w[i - 1].shape,
                             f + N_STATIC);
            t->sent_start = predicts_start(&sn->model, f) ? 1 : -1;
        }
        if (t->sent_start == 1) last_start = i;
    }
    doc->layers |= NLP_HAS_SENTS;
    return NLP_OK;
}

static nlp_status_t senter_labels(const nlp__component_t *self,
                                  const char **labels, size_t cap, size_t *n) {
    *n = 0;
    return NLP_OK;
}

static nlp_status_t senter_save(const nlp__component_t *self,
                                nlp__model_writer_t *w, const char *prefix) {
    const senter_t *sn = (const senter_t *)self;
    return nlp__sections_put_all(w, prefix, section_suffix, N_SECTIONS, sn->sec,
                                 sn->sec_len);
}

static void senter_free(nlp__component_t *self) {
    senter_t *sn = (senter_t *)self;
    if (!sn) return;
    for (int s = 0; s < N_SECTIONS; s++) nlp__free(sn->alloc, sn->owned[s]);
    nlp__free(sn->alloc, sn);
}

static const nlp__component_ops_t senter_ops = {
    .name = "senter",
    .process = senter_process,
    .labels = senter_labels,
    .save = senter_save,
    .free = senter_free,
};

static nlp_status_t senter_attach(nlp__component_t *c, nlp_vocab_t *vocab) {
    (void)vocab;
    senter_t *sn = (senter_t *)c;
    config_section_t cfg;
    if (sn->sec_len[SEC_CONFIG] != sizeof cfg)
        return nlp__fail(NLP_MODEL_CORRUPT, "senter: config of %zu bytes",
                         sn->sec_len[SEC_CONFIG]);
    memcpy(&cfg, sn->sec[SEC_CONFIG], sizeof cfg);
    if (memcmp(cfg.magic, CONFIG_MAGIC, sizeof cfg.magic) != 0)
        return nlp__fail(NLP_MODEL_VERSION, "senter: unknown model version");
    if (cfg.feature_version != FEATURE_VERSION)
        return nlp__fail(NLP_MODEL_VERSION, "senter: feature version %u, this "
                         "library reads %u", cfg.feature_version, FEATURE_VERSION);
    nlp_status_t st = nlp__linear_open(sn->sec[SEC_MODEL], sn->sec_len[SEC_MODEL],
                                       &sn->model);
    if (!st && sn->model.n_classes != N_CLASSES)
        st = nlp__fail(NLP_MODEL_CORRUPT, "senter: %u classes, not %u",
                       sn->model.n_classes, N_CLASSES);
    return st;
}

static senter_t *senter_alloc(const nlp_allocator_t *alloc) {
    senter_t *sn = nlp__calloc(alloc, 1, sizeof *sn);
    if (!sn) return NULL;
    sn->base.ops = &senter_ops;
    sn->alloc = alloc;
    return sn;
}

nlp_status_t nlp__senter_load(nlp_vocab_t *vocab, const nlp__model_reader_t *r,
                              const char *prefix, nlp__component_t **out) {
    *out = NULL;
    senter_t *sn = senter_alloc(vocab->alloc);
    if (!sn) return NLP_NOMEM;
    return nlp__sections_load(r, prefix, section_suffix, N_SECTIONS, sn->sec,
                              sn->sec_len, &sn->base, vocab, senter_attach, out);
}

/* ---- Training ---------------------------------------------------------- */

/* The tokens of all units of a corpus: static features, what the history
 * features read, and the gold starts. */
typedef struct unit_set {
    uint64_t *feats;        /* N_STATIC per token */
    uint64_t *norm, *shape; /* per token */
    uint8_t *gold_start;    /* per token */
    uint32_t *unit_first;   /* n_units + 1 token offsets */
    size_t n_units, n_tokens;
} unit_set_t;

static void unit_set_free(unit_set_t *u, const nlp_allocator_t *alloc) {
    nlp__free(alloc, u->feats);
    nlp__free(alloc, u->norm);
    nlp__free(alloc, u->shape);
    nlp__free(alloc, u->gold_start);
    nlp__free(alloc, u->unit_first);
    memset(u, 0, sizeof *u);
}

/* Stores the static features and gold starts of one unit's Doc at token
 * offset `at`. */
static nlp_status_t add_unit(unit_set_t *u, const nlp__corpus_t *c, size_t s,
                             size_t e, const nlp_doc_t *doc, size_t at,
                             nlp__arena_t *scratch) {
    const word_t *w = gather_words(doc, scratch);
    if (!w) return NLP_NOMEM;
    size_t k = 0;
    for (size_t q = s; q < e; q++)
        for (uint32_t i = 0; i < c->sents[q].n_words; i++, k++)
            u->gold_start[at + k] = i == 0;
    for (uint32_t i = 0; i < doc->n_tokens; i++) {
        static_features(w, i, u->feats + (at + i) * N_STATIC);
        u->norm[at + i] = w[i].norm;
        u->shape[at + i] = w[i].shape;
    }
    return NLP_OK;
}

/* Runs the upstream components over every raw-text unit of `c`
 * (nlp__raw_unit_end; fold fold[s]'s components when `folds` is given) and
 * stores its tokens. */
static nlp_status_t build_units(nlp_vocab_t *vocab, const nlp__corpus_t *c,
                                const nlp__component_t *const *upstream,
                                size_t n_upstream,
                                const nlp__component_t *const *const *folds,
                                const uint32_t *fold, nlp__arena_t *scratch,
                                const nlp_allocator_t *alloc, unit_set_t *u) {
    size_t n_words = 0, n_units = 0;
    for (size_t s = 0; s < c->n_sents; s = nlp__raw_unit_end(c, s)) n_units++;
    for (size_t s = 0; s < c->n_sents; s++) n_words += c->sents[s].n_words;
    size_t cap = n_words ? n_words : 1;
    u->feats = nlp__calloc(alloc, cap * N_STATIC, sizeof *u->feats);
    u->norm = nlp__calloc(alloc, cap, sizeof *u->norm);
    u->shape = nlp__calloc(alloc, cap, sizeof *u->shape);
    u->gold_start = nlp__calloc(alloc, cap, 1);
    u->unit_first = nlp__calloc(alloc, n_units + 1, sizeof *u->unit_first);
    if (!u->feats || !u->norm || !u->shape || !u->gold_start || !u->unit_first)
        return NLP_NOMEM;
    size_t at = 0;
    for (size_t s = 0; s < c->n_sents;) {
        size_t e = nlp__raw_unit_end(c, s);
        const nlp__component_t *const *comps = folds ? folds[fold[s]] : upstream;
        nlp_doc_t *doc;
        nlp_status_t st = nlp__gold_paragraph_doc(vocab, c->sents + s, e - s, &doc);
        if (!st) st = nlp__run_components_on(comps, n_upstream, doc, scratch);
        if (!st) st = add_unit(u, c, s, e, doc, at, scratch);
        size_t n = st ? 0 : doc->n_tokens;
        nlp_doc_free(doc);
        nlp__arena_reset(scratch);
        if (st) return st;
        u->unit_first[u->n_units++] = (uint32_t)at;
        at += n;
        s = e;
    }
    u->unit_first[u->n_units] = (uint32_t)at;
    u->n_tokens = at;
    return NLP_OK;
}

/* The features of token a + i, given the last start before it. */
static void unit_features(const unit_set_t *u, uint32_t a, uint32_t i,
                          uint32_t last_start, uint64_t *f) {
    memcpy(f, u->feats + (size_t)(a + i) * N_STATIC, N_STATIC * sizeof *f);
    history_features(i - last_start, u->norm[a + i - 1], u->shape[a + i - 1],
                     f + N_STATIC);
}

/* One pass over the training units in a shuffled order, each decision made
 * after the gold starts before it; *errors counts the mistakes. */
static nlp_status_t train_epoch(nlp__perceptron_t *p, const unit_set_t *u,
                                uint32_t *order, uint64_t *rng, size_t *errors) {
    nlp__shuffle_order(order, u->n_units, rng);
    uint64_t f[N_FEATS];
    float scores[N_CLASSES];
    *errors = 0;
    for (size_t k = 0; k < u->n_units; k++) {
        uint32_t a = u->unit_first[order[k]], n = u->unit_first[order[k] + 1] - a;
        uint32_t last_start = 0;
        for (uint32_t i = 1; i < n; i++) {
            unit_features(u, a, i, last_start, f);
            nlp__perceptron_scores(p, f, N_FEATS, scores);
            uint32_t truth = u->gold_start[a + i] ? CLASS_START : CLASS_INSIDE;
            uint32_t guess = says_start(scores) ? CLASS_START : CLASS_INSIDE;
            if (guess != truth) {
                nlp_status_t st = nlp__perceptron_update(p, f, N_FEATS, truth, guess, 1.0f);
                if (st) return st;
                ++*errors;
            }
            nlp__perceptron_tick(p);
            if (truth == CLASS_START) last_start = i;
        }
    }
    return NLP_OK;
}

/* Sentence counts: a predicted sentence is right when both its ends are
 * gold ends. */
typedef struct sent_counts {
    size_t gold, pred, tp;
} sent_counts_t;

static void count_sentences(const uint8_t *gold, const uint8_t *pred, uint32_t n,
                            sent_counts_t *c) {
    uint32_t g0 = 0, p0 = 0;
    for (uint32_t i = 1; i <= n; i++) {
        bool g_end = i == n || gold[i], p_end = i == n || pred[i];
        c->gold += g_end;
        c->pred += p_end;
        c->tp += g_end && p_end && g0 == p0;
        if (g_end) g0 = i;
        if (p_end) p0 = i;
    }
}

/* Sentence F of model m on the units of `dev`. */
static double dev_sents_f(const nlp__linear_t *m, const unit_set_t *dev,
                          uint8_t *pred) {
    sent_counts_t c = {0};
    uint64_t f[N_FEATS];
    for (size_t k = 0; k < dev->n_units; k++) {
        uint32_t a = dev->unit_first[k], n = dev->unit_first[k + 1] - a;
        if (!n) continue;
        uint32_t last_start = 0;
        pred[0] = 1;
        for (uint32_t i = 1; i < n; i++) {
            unit_features(dev, a, i, last_start, f);
            pred[i] = predicts_start(m, f);
            if (pred[i]) last_start = i;
        }
        count_sentences(dev->gold_start + a, pred, n, &c);
    }
    return c.gold + c.pred ? 2.0 * (double)c.tp / (double)(c.gold + c.pred) : 0.0;
}

/* Trains the perceptron for the given epochs, keeping the frozen image of
 * the epoch with the best dev sentence F (the last one without dev). */
static nlp_status_t train_model(const unit_set_t *train, const unit_set_t *dev,
                                const nlp__train_opts_t *opts,
                                const nlp_allocator_t *alloc, void **best,
                                size_t *best_len) {
    uint32_t epochs = opts->epochs ? opts->epochs : DEFAULT_EPOCHS;
    uint64_t rng = opts->seed;
    nlp__perceptron_t *p = NULL;
    size_t longest = 1;
    for (size_t k = 0; dev && k < dev->n_units; k++)
        if (dev->unit_first[k + 1] - dev->unit_first[k] > longest)
            longest = dev->unit_first[k + 1] - dev->unit_first[k];
    uint32_t *order = nlp__calloc(alloc, train->n_units ? train->n_units : 1, sizeof *order);
    uint8_t *pred = nlp__calloc(alloc, longest, 1);
    nlp_status_t st = order && pred ? nlp__perceptron_create(alloc, N_CLASSES, &p)
                                    : NLP_NOMEM;
    double best_f = -1.0;
    for (uint32_t e = 0; e < epochs && !st; e++) {
        size_t errors;
        void *image = NULL;
        size_t len = 0;
        nlp__linear_t m;
        st = train_epoch(p, train, order, &rng, &errors);
        if (!st) st = nlp__perceptron_freeze(p, &image, &len);
        if (!st) st = nlp__linear_open(image, len, &m);
        if (st) {
            nlp__free(alloc, image);
            break;
        }
        double f = dev ? dev_sents_f(&m, dev, pred) : (double)e;
        if (opts->log)
            fprintf(opts->log, "senter epoch %u: train_err %.4f sents_f %.4f\n", e + 1,
                    train->n_tokens ? (double)errors / (double)train->n_tokens : 0.0,
                    dev ? f : 0.0);
        if (f > best_f) {
            best_f = f;
            nlp__free(alloc, *best);
            *best = image;
            *best_len = len;
        } else {
            nlp__free(alloc, image);
        }
    }
    nlp__perceptron_free(p);
    nlp__free(alloc, order);
    nlp__free(alloc, pred);
    return st;
}

/* Wraps a trained image and its config into a component. */
static nlp_status_t make_senter(nlp_vocab_t *vocab, const nlp_allocator_t *alloc,
                                void *image, size_t len, nlp__component_t **out) {
    senter_t *sn = senter_alloc(alloc);
    config_section_t *cfg = nlp__calloc(alloc, 1, sizeof *cfg);
    if (!sn || !cfg) {
        nlp__free(alloc, sn);
        nlp__free(alloc, cfg);
        nlp__free(alloc, image);
        return NLP_NOMEM;
    }
    memcpy(cfg->magic, CONFIG_MAGIC, sizeof cfg->magic);
    cfg->feature_version = FEATURE_VERSION;
    sn->owned[SEC_CONFIG] = cfg;
    sn->owned[SEC_MODEL] = image;
    sn->sec[SEC_CONFIG] = cfg;
    sn->sec_len[SEC_CONFIG] = sizeof *cfg;
    sn->sec[SEC_MODEL] = image;
    sn->sec_len[SEC_MODEL] = len;
    nlp_status_t st = senter_attach(&sn->base, vocab);
    if (st) {
        senter_free(&sn->base);
        return st;
    }
    *out = &sn->base;
    return NLP_OK;
}

nlp_status_t nlp__senter_train_jackknifed(
    nlp_vocab_t *vocab, const nlp__corpus_t *train, const nlp__corpus_t *dev,
    const nlp__component_t *const *upstream, size_t n_upstream,
    const nlp__component_t *const *const *fold_upstream, uint32_t n_folds,
    const nlp__train_opts_t *opts, nlp__component_t **out) {
    *out = NULL;
    const nlp_allocator_t *alloc = opts->alloc ? opts->alloc : vocab->alloc;
    if (!train || train->n_sents == 0)
        return nlp__fail(NLP_INVALID_ARG, "senter: no training sentences");
    uint32_t *fold = NULL;
    if (fold_upstream && n_folds) {
        fold = nlp__calloc(alloc, train->n_sents, sizeof *fold);
        if (!fold) return NLP_NOMEM;
        if (!nlp__jackknife_folds(train, n_folds, fold)) {
            nlp__free(alloc, fold);
            return nlp__fail(NLP_INVALID_ARG, "senter: too few paragraphs for "
                             "%u jackknife folds", n_folds);
        }
    }
    nlp__chunk_cache_t cache;
    nlp__arena_t scratch;
    nlp__chunk_cache_init(&cache, alloc, 64u << 10, 2);
    nlp__arena_init(&scratch, &cache);
    unit_set_t tu = {0}, du = {0};
    void *best = NULL;
    size_t best_len = 0;
    nlp_status_t st = build_units(vocab, train, upstream, n_upstream,
                                  fold ? fold_upstream : NULL, fold, &scratch,
                                  alloc, &tu);
    if (!st && dev)
        st = build_units(vocab, dev, upstream, n_upstream, NULL, NULL, &scratch,
                         alloc, &du);
    if (!st) st = train_model(&tu, dev ? &du : NULL, opts, alloc, &best, &best_len);
    if (!st && !best) st = nlp__fail(NLP_INVALID_ARG, "senter: no epochs trained");
    unit_set_free(&tu, alloc);
    unit_set_free(&du, alloc);
    nlp__arena_destroy(&scratch);
    nlp__chunk_cache_destroy(&cache);
    nlp__free(alloc, fold);
    if (st) {
        nlp__free(alloc, best);
        return st;
    }
    return make_senter(vocab, alloc, best, best_len, out);
}

nlp_status_t nlp__senter_train(nlp_vocab_t *vocab, const nlp__corpus_t *train,
                               const nlp__corpus_t *dev,
                               const nlp__component_t *const *upstream,
                               size_t n_upstream, const nlp__train_opts_t *opts,
                               nlp__component_t **out) {
    return nlp__senter_train_jackknifed(vocab, train, dev, upstream, n_upstream,
                                        NULL, 0, opts, out);
}
