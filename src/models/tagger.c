/* The tagger: fine-grained tag, universal POS and morphology predicted
 * together, greedily from left to right, by one averaged perceptron.
 *
 * Each class is one joint label "XPOS\tUPOS\tFEATS" seen in training, so a
 * prediction can never pair a tag with a POS or features it never occurs
 * with, and one table lookup per feature scores all three layers at once.
 *
 * Model sections (names prefixed with the component's prefix):
 *   .config  magic + version + class count,
 *   .labels  the joint labels (models/labels.h),
 *   .model   the frozen perceptron image (models/perceptron.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "doc/doc.h"
#include "models/features.h"
#include "models/labels.h"
#include "models/perceptron.h"
#include "models/train.h"
#include "models/train_util.h"

#define CONFIG_MAGIC "SPCTAG01"
#define FEATURE_VERSION 1u
#define DEFAULT_EPOCHS 12u
#define LABEL_SEP '\t'

/* Feature templates. Numbers are part of the model format: append only. */
enum {
    T_BIAS = 1,
    T_NORM,
    T_PREFIX1,
    T_SUFFIX3,
    T_SUFFIX1,
    T_SUFFIX2,
    T_SUFFIX4,
    T_PREFIX3,
    T_SHAPE,
    T_FLAGS,
    T_NORM_M1,
    T_NORM_M2,
    T_NORM_P1,
    T_NORM_P2,
    T_SUFFIX3_M1,
    T_SUFFIX3_P1,
    T_SUFFIX3_P2,
    T_SHAPE_M1,
    T_SHAPE_P1,
    T_NORM_M1_NORM,
    T_NORM_NORM_P1,
    T_TAG_M1,
    T_TAG_M2,
    T_TAG_M1_M2,
    T_TAG_M1_NORM,
    T_TAG_M1_SUFFIX3,
    T_AMB,
    T_AMB_P1,
    T_AMB_P2,
    T_AMB_M1,
    T_AMB_AMB_P1,
    T_X1, T_X2, T_X3, T_X4,
};
#include "core/table.h"
static nlp__table_t *g_amb, *g_cnt;
static int g_min;
static const int *g_gold; /* token index -> tag index during training */
static uint64_t amb_of_k(const nlp_token_t *t, int off, const nlp_token_t *base, int orth) {
    const nlp_lexeme_t *l = t[off].lex;
    nlp_hash_t key = orth ? l->orth ^ 0x5555 : l->norm;
    if (!g_amb || !l->norm) return 0;
    uint64_t mask = (uint64_t)(uintptr_t)nlp__table_get(g_amb, key);
    uint64_t out = 0;
    int own = -1;
    if (g_gold) own = g_gold[(t - base) + off];
    for (int b = 0; b < 64; b++) {
        if (!(mask >> b & 1)) continue;
        long c = (long)(uintptr_t)nlp__table_get(g_cnt, nlp__feat2(999, key, (uint64_t)b));
        if (b == own) c--;
        if (c >= g_min) out |= 1ull << b;
    }
    return out;
}
#define amb_of(lx) 0
#define amb_of_i(t, off, base) amb_of_k(t, off, base, 0)
static int g_x3, g_x4;
static _Thread_local uint64_t g_a0, g_a1;


#define N_STATIC 28  /* features that do not depend on predictions */
#define N_HISTORY 7  /* features of the tags predicted for i-1 and i-2 */
#define MAX_FEATS (N_STATIC + N_HISTORY)

/* The flags that say something about a word's tag. */
#define TAG_FLAGS                                                            \
    (NLP_FLAG_IS_ALPHA | NLP_FLAG_IS_DIGIT | NLP_FLAG_IS_LOWER |             \
     NLP_FLAG_IS_UPPER | NLP_FLAG_IS_TITLE | NLP_FLAG_IS_PUNCT |             \
     NLP_FLAG_LIKE_NUM | NLP_FLAG_LIKE_URL | NLP_FLAG_LIKE_EMAIL |           \
     NLP_FLAG_IS_CURRENCY | NLP_FLAG_IS_BRACKET | NLP_FLAG_IS_QUOTE)
#define HAS_HYPHEN_FLAG (1ull << 40)

typedef struct tag_class {
    nlp_hash_t tag, pos, morph;
} tag_class_t;

typedef struct config_section {
    char magic[8];
    uint32_t feature_version;
    uint32_t n_classes;
} config_section_t;

typedef struct tagger {
    nlp__component_t base;
    const nlp_allocator_t *alloc;
    nlp__linear_t model;
    const void *image;         /* the frozen perceptron behind `model` */
    size_t image_len;
    void *owned_image;         /* trained in memory; NULL when mapped */
    const void *labels_blob;   /* owned_labels, or inside the mapped file */
    size_t labels_len;
    void *owned_labels;
    const char **class_labels; /* pointers into labels_blob */
    size_t n_classes;
    tag_class_t *classes;
    const char **tag_names;    /* distinct XPOS, permanent strings */
    size_t n_tags;
} tagger_t;

/* Writes the features of token i that depend only on the words. */
static size_t static_features(const nlp_doc_t *doc, uint32_t i, uint64_t *f) {
    /* Padding makes t[-2] .. t[2] readable at both ends of the Doc. */
    const nlp_token_t *t = doc->tokens + i;
    const nlp_lexeme_t *w = t[0].lex, *m1 = t[-1].lex, *m2 = t[-2].lex;
    const nlp_lexeme_t *p1 = t[1].lex, *p2 = t[2].lex;
    const char *s = doc->text + t[0].idx;
    size_t len = t[0].len, k = 0;
    uint64_t flags = w->flags & TAG_FLAGS;
    if (memchr(s, '-', len)) flags |= HAS_HYPHEN_FLAG;
    size_t suf1 = nlp__utf8_suffix_start(s, len, 1);
    size_t suf2 = nlp__utf8_suffix_start(s, len, 2);
    size_t suf4 = nlp__utf8_suffix_start(s, len, 4);
    f[k++] = nlp__feat1(T_BIAS, 0);
    f[k++] = nlp__feat1(T_NORM, w->norm);
    f[k++] = nlp__feat1(T_PREFIX1, w->prefix);
    f[k++] = nlp__feat1(T_SUFFIX3, w->suffix);
    f[k++] = nlp__feat_bytes(T_SUFFIX1, s + suf1, len - suf1);
    f[k++] = nlp__feat_bytes(T_SUFFIX2, s + suf2, len - suf2);
    f[k++] = nlp__feat_bytes(T_SUFFIX4, s + suf4, len - suf4);
    f[k++] = nlp__feat_bytes(T_PREFIX3, s, nlp__utf8_prefix_bytes(s, len, 3));
    f[k++] = nlp__feat1(T_SHAPE, w->shape);
    f[k++] = nlp__feat1(T_FLAGS, flags);
    f[k++] = nlp__feat1(T_NORM_M1, m1->norm);
    f[k++] = nlp__feat1(T_NORM_M2, m2->norm);
    f[k++] = nlp__feat1(T_NORM_P1, p1->norm);
    f[k++] = nlp__feat1(T_NORM_P2, p2->norm);
    f[k++] = nlp__feat1(T_SUFFIX3_M1, m1->suffix);
    f[k++] = nlp__feat1(T_SUFFIX3_P1, p1->suffix);
    f[k++] = nlp__feat1(T_SUFFIX3_P2, p2->suffix);
    f[k++] = nlp__feat1(T_SHAPE_M1, m1->shape);
    f[k++] = nlp__feat1(T_SHAPE_P1, p1->shape);
    f[k++] = nlp__feat2(T_NORM_M1_NORM, m1->norm, w->norm);
    f[k++] = nlp__feat2(T_NORM_NORM_P1, w->norm, p1->norm);
    uint64_t a0 = amb_of_i(t, 0, doc->tokens), a1 = amb_of_i(t, 1, doc->tokens);
    f[k++] = nlp__feat1(T_AMB, a0);
    f[k++] = nlp__feat1(T_AMB_P1, a1);
    f[k++] = nlp__feat1(T_AMB_P2, amb_of_i(t, 2, doc->tokens));
    f[k++] = nlp__feat1(T_AMB_M1, amb_of_i(t, -1, doc->tokens));
    f[k++] = nlp__feat2(T_AMB_AMB_P1, a0, a1);
    f[k++] = getenv("X1") ? nlp__feat1(T_X1, amb_of_k(t, 0, doc->tokens, 1)) : 0;
    f[k++] = getenv("X2") ? nlp__feat1(T_X2, amb_of_k(t, 1, doc->tokens, 1)) : 0;
    return k;
}

/* Writes the features of the tags predicted for the two previous words. */
static size_t history_features(const nlp_lexeme_t *w, nlp_hash_t m1,
                               nlp_hash_t m2, uint64_t *f) {
    size_t k = 0;
    f[k++] = nlp__feat1(T_TAG_M1, m1);
    f[k++] = nlp__feat1(T_TAG_M2, m2);
    f[k++] = nlp__feat2(T_TAG_M1_M2, m1, m2);
    f[k++] = nlp__feat2(T_TAG_M1_NORM, m1, w->norm);
    f[k++] = nlp__feat2(T_TAG_M1_SUFFIX3, m1, w->suffix);
    f[k++] = g_x3 ? nlp__feat2(T_X3, m1, g_a0) : 0;
    f[k++] = g_x4 ? nlp__feat3(T_X4, m1, g_a0, g_a1) : 0;
    return k;
}

static uint32_t argmax(const float *scores, size_t n) {
    uint32_t best = 0;
    for (uint32_t c = 1; c < n; c++)
        if (scores[c] > scores[best]) best = c;
    return best;
}

static nlp_status_t tagger_process(const nlp__component_t *self, nlp_doc_t *doc,
                                   nlp__arena_t *scratch) {
    const tagger_t *tg = (const tagger_t *)self;
    float *scores = NLP__ARENA_NEW(scratch, float, tg->n_classes);
    if (!scores) return NLP_NOMEM;
    uint64_t feats[MAX_FEATS];
    nlp_hash_t m1 = 0, m2 = 0;
    for (uint32_t i = 0; i < doc->n_tokens; i++) {
        nlp_token_t *t = &doc->tokens[i];
        size_t n = static_features(doc, i, feats);
        g_a0 = amb_of_i(doc->tokens + i, 0, doc->tokens); g_a1 = amb_of_i(doc->tokens + i, 1, doc->tokens);
        n += history_features(t->lex, m1, m2, feats + n);
        nlp__linear_scores(&tg->model, feats, n, scores);
        const tag_class_t *c = &tg->classes[argmax(scores, tg->n_classes)];
        t->tag = c->tag;
        t->pos = c->pos;
        t->morph = c->morph;
        m2 = m1;
        m1 = c->tag;
    }
    doc->layers |= NLP_HAS_TAG | NLP_HAS_POS | NLP_HAS_MORPH;
    return NLP_OK;
}

static nlp_status_t tagger_labels(const nlp__component_t *self,
                                  const char **labels, size_t cap, size_t *n) {
    const tagger_t *tg = (const tagger_t *)self;
    for (size_t i = 0; i < tg->n_tags && i < cap; i++) labels[i] = tg->tag_names[i];
    *n = tg->n_tags;
    return NLP_OK;
}

/* prefix + suffix into buf, or NLP_LIMIT when the name is too long. */
static nlp_status_t section_name(char *buf, const char *prefix,
                                 const char *suffix) {
    int n = snprintf(buf, NLP__MODEL_SECTION_NAME_MAX + 1, "%s%s", prefix, suffix);
    if (n < 0 || n > NLP__MODEL_SECTION_NAME_MAX)
        return nlp__fail(NLP_LIMIT, "section name \"%s%s\" is too long", prefix, suffix);
    return NLP_OK;
}

static nlp_status_t tagger_save(const nlp__component_t *self,
                                nlp__model_writer_t *w, const char *prefix) {
    const tagger_t *tg = (const tagger_t *)self;
    char name[NLP__MODEL_SECTION_NAME_MAX + 1];
    config_section_t cfg;
    memset(&cfg, 0, sizeof cfg);
    memcpy(cfg.magic, CONFIG_MAGIC, sizeof cfg.magic);
    cfg.feature_version = FEATURE_VERSION;
    cfg.n_classes = (uint32_t)tg->n_classes;
    nlp_status_t st;
    if ((st = section_name(name, prefix, ".config")) ||
        (st = nlp__model_writer_add(w, name, &cfg, sizeof cfg)) ||
        (st = section_name(name, prefix, ".labels")) ||
        (st = nlp__model_writer_add(w, name, tg->labels_blob, tg->labels_len)) ||
        (st = section_name(name, prefix, ".model")) ||
        (st = nlp__model_writer_add(w, name, tg->image, tg->image_len)))
        return st;
    return NLP_OK;
}

static void tagger_free(nlp__component_t *self) {
    tagger_t *tg = (tagger_t *)self;
    if (!tg) return;
    nlp__free(tg->alloc, tg->owned_image);
    nlp__free(tg->alloc, tg->owned_labels);
    nlp__free(tg->alloc, tg->class_labels);
    nlp__free(tg->alloc, tg->classes);
    nlp__free(tg->alloc, tg->tag_names);
    nlp__free(tg->alloc, tg);
}

static const nlp__component_ops_t tagger_ops = {
    .name = "tagger",
    .process = tagger_process,
    .labels = tagger_labels,
    .save = tagger_save,
    .free = tagger_free,
};

/* Interns s[0..len) permanently and returns its id in *id. */
static nlp_status_t intern(nlp_vocab_t *vocab, const char *s, size_t len,
                           nlp_hash_t *id) {
    nlp_status_t st = nlp_vocab_add_string(vocab, NULL, s, len, id);
    if (st == NLP_ZONE_OPEN)
        return nlp__fail(st, "tagger labels are added permanently: no memory "
                             "zone may be open while a model loads");
    return st;
}

/* Splits each joint label into its parts, interns them permanently and
 * lists the distinct tags. */
static nlp_status_t build_classes(tagger_t *tg, nlp_vocab_t *vocab) {
    tg->classes = nlp__calloc(tg->alloc, tg->n_classes, sizeof *tg->classes);
    tg->tag_names = nlp__calloc(tg->alloc, tg->n_classes, sizeof *tg->tag_names);
    if (!tg->classes || !tg->tag_names) return NLP_NOMEM;
    for (size_t c = 0; c < tg->n_classes; c++) {
        const char *label = tg->class_labels[c];
        const char *sep1 = strchr(label, LABEL_SEP);
        const char *sep2 = sep1 ? strchr(sep1 + 1, LABEL_SEP) : NULL;
        if (!sep2)
            return nlp__fail(NLP_MODEL_CORRUPT, "tagger: label %zu is not TAG\\tPOS\\tMORPH", c);
        tag_class_t *k = &tg->classes[c];
        nlp_status_t st;
        if ((st = intern(vocab, label, (size_t)(sep1 - label), &k->tag)) ||
            (st = intern(vocab, sep1 + 1, (size_t)(sep2 - sep1 - 1), &k->pos)) ||
            (st = intern(vocab, sep2 + 1, strlen(sep2 + 1), &k->morph)))
            return st;
        int seen = 0;
        for (size_t j = 0; j < c && !seen; j++) seen = tg->classes[j].tag == k->tag;
        if (!seen) {
            const char *s;
            size_t len;
            if ((st = nlp_vocab_string(vocab, NULL, k->tag, &s, &len))) return st;
            tg->tag_names[tg->n_tags++] = s;
        }
    }
    return NLP_OK;
}

/* A tagger with the given labels (the blob is borrowed unless `owned`)
 * and no model yet. */
static nlp_status_t tagger_new(nlp_vocab_t *vocab, const nlp_allocator_t *alloc,
                               const void *blob, size_t len, void *owned,
                               tagger_t **out) {
    *out = NULL;
    tagger_t *tg = nlp__calloc(alloc, 1, sizeof *tg);
    if (!tg) {
        nlp__free(alloc, owned);
        return NLP_NOMEM;
    }
    tg->base.ops = &tagger_ops;
    tg->alloc = alloc;
    tg->labels_blob = blob;
    tg->labels_len = len;
    tg->owned_labels = owned;
    nlp_status_t st = nlp__labels_decode(alloc, blob, len, &tg->class_labels, &tg->n_classes);
    if (!st && tg->n_classes == 0)
        st = nlp__fail(NLP_MODEL_CORRUPT, "tagger: no labels");
    if (!st) st = build_classes(tg, vocab);
    if (st) {
        tagger_free(&tg->base);
        return st;
    }
    *out = tg;
    return NLP_OK;
}

static nlp_status_t get_section(const nlp__model_reader_t *r, const char *prefix,
                                const char *suffix, const void **data,
                                size_t *len) {
    char name[NLP__MODEL_SECTION_NAME_MAX + 1];
    nlp_status_t st = section_name(name, prefix, suffix);
    if (st) return st;
    st = nlp__model_reader_section(r, name, data, len);
    if (st == NLP_NOT_FOUND)
        return nlp__fail(NLP_MODEL_CORRUPT, "model has no section \"%s\"", name);
    return st;
}

nlp_status_t nlp__tagger_load(nlp_vocab_t *vocab, const nlp__model_reader_t *r,
                              const char *prefix, nlp__component_t **out) {
    *out = NULL;
    const void *cfg_data, *labels, *image;
    size_t cfg_len, labels_len, image_len;
    nlp_status_t st;
    if ((st = get_section(r, prefix, ".config", &cfg_data, &cfg_len)) ||
        (st = get_section(r, prefix, ".labels", &labels, &labels_len)) ||
        (st = get_section(r, prefix, ".model", &image, &image_len)))
        return st;
    config_section_t cfg;
    if (cfg_len != sizeof cfg)
        return nlp__fail(NLP_MODEL_CORRUPT, "tagger: config of %zu bytes", cfg_len);
    memcpy(&cfg, cfg_data, sizeof cfg);
    if (memcmp(cfg.magic, CONFIG_MAGIC, sizeof cfg.magic) != 0)
        return nlp__fail(NLP_MODEL_CORRUPT, "tagger: bad config magic");
    if (cfg.feature_version != FEATURE_VERSION)
        return nlp__fail(NLP_MODEL_VERSION, "tagger: feature version %u, this "
                         "library reads %u", cfg.feature_version, FEATURE_VERSION);
    tagger_t *tg;
    st = tagger_new(vocab, vocab->alloc, labels, labels_len, NULL, &tg);
    if (st) return st;
    if ((st = nlp__linear_open(image, image_len, &tg->model)) ||
        tg->model.n_classes != tg->n_classes || cfg.n_classes != tg->n_classes) {
        tagger_free(&tg->base);
        return st ? st : nlp__fail(NLP_MODEL_CORRUPT, "tagger: class counts disagree");
    }
    tg->image = image;
    tg->image_len = image_len;
    *out = &tg->base;
    return NLP_OK;
}

/* ---- Training ---------------------------------------------------------- */

/* Writes "XPOS\tUPOS\tFEATS" of a gold word into a new string. */
static char *joint_label(const nlp_allocator_t *alloc, const nlp__gold_word_t *w) {
    size_t a = strlen(w->xpos), b = strlen(w->upos), c = getenv("NOFEATS") ? 0 : strlen(w->feats);
    char *s = nlp__malloc(alloc, a + b + c + 3);
    if (!s) return NULL;
    memcpy(s, w->xpos, a);
    s[a] = LABEL_SEP;
    memcpy(s + a + 1, w->upos, b);
    s[a + 1 + b] = LABEL_SEP;
    memcpy(s + a + 2 + b, w->feats, c);
    s[a + b + c + 2] = '\0';
    return s;
}

/* The training set in the form the epochs need: static features computed
 * once, gold classes, and each word's lexeme for the history features. */
typedef struct train_set {
    size_t n_sents, n_words;
    uint32_t *sent_start;  /* n_sents + 1 offsets into the word arrays */
    uint64_t *feats;       /* n_words * N_STATIC */
    const nlp_lexeme_t **lex;
    uint32_t *gold;        /* class index, or UINT32_MAX when unknown */
    char **labels;         /* distinct joint labels, first-seen order */
    size_t n_labels, cap_labels;
    nlp_hash_t *label_ids; /* hash of each label, for lookup */
    nlp_hash_t *tagcls;
    uint64_t *a0, *a1;
} train_set_t;

static void train_set_free(train_set_t *ts, const nlp_allocator_t *alloc) {
    for (size_t i = 0; i < ts->n_labels; i++) nlp__free(alloc, ts->labels[i]);
    nlp__free(alloc, ts->labels);
    nlp__free(alloc, ts->label_ids);
    nlp__free(alloc, ts->sent_start);
    nlp__free(alloc, ts->feats);
    nlp__free(alloc, ts->lex);
    nlp__free(alloc, ts->gold);
}

/* The class of a gold word, added to the label list when `add`;
 * UINT32_MAX when absent and not added (or out of memory: *st). */
static uint32_t class_of(train_set_t *ts, const nlp_allocator_t *alloc,
                         const nlp__gold_word_t *w, int add, nlp_status_t *st) {
    *st = NLP_OK;
    char *label = joint_label(alloc, w);
    if (!label) {
        *st = NLP_NOMEM;
        return UINT32_MAX;
    }
    nlp_hash_t h = nlp_hash_string(label, strlen(label));
    for (size_t i = 0; i < ts->n_labels; i++) {
        if (ts->label_ids[i] == h && strcmp(ts->labels[i], label) == 0) {
            nlp__free(alloc, label);
            return (uint32_t)i;
        }
    }
    if (!add || ts->n_labels >= NLP__PERCEPTRON_MAX_CLASSES) {
        nlp__free(alloc, label);
        return UINT32_MAX;
    }
    if (ts->n_labels == ts->cap_labels) {
        size_t cap = ts->cap_labels ? ts->cap_labels * 2 : 64;
        char **labels = nlp__realloc_array(alloc, ts->labels, cap, sizeof *labels);
        if (labels) ts->labels = labels;
        nlp_hash_t *ids = nlp__realloc_array(alloc, ts->label_ids, cap, sizeof *ids);
        if (ids) ts->label_ids = ids;
        if (!labels || !ids) {
            nlp__free(alloc, label);
            *st = NLP_NOMEM;
            return UINT32_MAX;
        }
        ts->cap_labels = cap;
    }
    ts->labels[ts->n_labels] = label;
    ts->label_ids[ts->n_labels] = h;
    return (uint32_t)ts->n_labels++;
}

static nlp_status_t collect_labels(train_set_t *ts, const nlp_allocator_t *alloc,
                                   const nlp__corpus_t *train) {
    nlp_status_t st = NLP_OK;
    for (size_t s = 0; s < train->n_sents && !st; s++)
        for (uint32_t i = 0; i < train->sents[s].n_words && !st; i++)
            class_of(ts, alloc, &train->sents[s].words[i], 1, &st);
    return st;
}

static nlp_status_t build_train_set(train_set_t *ts, nlp_vocab_t *vocab,
                                    const nlp_allocator_t *alloc,
                                    const nlp__corpus_t *train,
                                    const nlp__component_t *const *upstream,
                                    size_t n_upstream, nlp__arena_t *scratch) {
    ts->n_sents = train->n_sents;
    ts->n_words = train->n_words;
    ts->sent_start = nlp__calloc(alloc, ts->n_sents + 1, sizeof *ts->sent_start);
    ts->feats = nlp__calloc(alloc, ts->n_words ? ts->n_words * N_STATIC : 1,
                            sizeof *ts->feats);
    ts->lex = nlp__calloc(alloc, ts->n_words ? ts->n_words : 1, sizeof *ts->lex);
    ts->gold = nlp__calloc(alloc, ts->n_words ? ts->n_words : 1, sizeof *ts->gold);
    ts->a0 = calloc(ts->n_words, 8); ts->a1 = calloc(ts->n_words, 8);
    g_x3 = getenv("X3") != NULL; g_x4 = getenv("X4") != NULL;
    if (!ts->sent_start || !ts->feats || !ts->lex || !ts->gold) return NLP_NOMEM;
    size_t w = 0;
    for (size_t s = 0; s < ts->n_sents; s++) {
        const nlp__gold_sent_t *sent = &train->sents[s];
        ts->sent_start[s] = (uint32_t)w;
        if (w + sent->n_words > ts->n_words)
            return nlp__fail(NLP_INVALID_ARG, "corpus word count is wrong");
        nlp_doc_t *doc;
        nlp_status_t st = nlp__gold_doc(vocab, sent, &doc);
        if (!st) st = nlp__run_components_on(upstream, n_upstream, doc, scratch);
        static int goldbuf[4096];
        for (uint32_t i = 0; i < sent->n_words + 16; i++) goldbuf[i] = -1;
        for (uint32_t i = 0; i < sent->n_words; i++) {
            const nlp__gold_word_t *gw = &sent->words[i];
            for (int t = 0; t < 64; t++) if (ts->tagcls && ts->tagcls[t] == nlp_hash_string(gw->xpos, strlen(gw->xpos))) { goldbuf[i + 8] = t; break; }
        }
        g_gold = goldbuf + 8;
        for (uint32_t i = 0; i < sent->n_words && !st; i++, w++) {
            size_t n = static_features(doc, i, ts->feats + w * N_STATIC);
            (void)n;
            ts->lex[w] = doc->tokens[i].lex;
            ts->a0[w] = amb_of_i(doc->tokens + i, 0, doc->tokens); ts->a1[w] = amb_of_i(doc->tokens + i, 1, doc->tokens);
            ts->gold[w] = class_of(ts, alloc, &sent->words[i], 0, &st);
        }
        nlp_doc_free(doc);
        g_gold = NULL;
        if (st) return st;
    }
    ts->sent_start[ts->n_sents] = (uint32_t)w;
    ts->n_words = w;
    return NLP_OK;
}

/* One pass over the training set in a shuffled order; returns the number
 * of words predicted right. */
static nlp_status_t train_epoch(const train_set_t *ts, const tagger_t *tg,
                                nlp__perceptron_t *p, uint32_t *order,
                                uint64_t *rng, size_t *correct) {
    float *scores = nlp__malloc(tg->alloc, tg->n_classes * sizeof *scores);
    if (!scores) return NLP_NOMEM;
    nlp__shuffle_order(order, ts->n_sents, rng);
    *correct = 0;
    uint64_t feats[MAX_FEATS];
    nlp_status_t st = NLP_OK;
    for (size_t k = 0; k < ts->n_sents && !st; k++) {
        uint32_t s = order[k];
        nlp_hash_t m1 = 0, m2 = 0;
        for (uint32_t w = ts->sent_start[s]; w < ts->sent_start[s + 1] && !st; w++) {
            memcpy(feats, ts->feats + (size_t)w * N_STATIC, N_STATIC * sizeof *feats);
            g_a0 = ts->a0[w]; g_a1 = ts->a1[w];
            size_t n = N_STATIC + history_features(ts->lex[w], m1, m2, feats + N_STATIC);
            nlp__perceptron_scores(p, feats, n, scores);
            uint32_t guess = argmax(scores, tg->n_classes);
            uint32_t truth = ts->gold[w];
            *correct += guess == truth;
            st = nlp__perceptron_update(p, feats, n, truth, guess, 1.0f);
            nlp__perceptron_tick(p);
            m2 = m1;
            m1 = tg->classes[guess].tag;
        }
    }
    nlp__free(tg->alloc, scores);
    return st;
}

typedef struct dev_scores {
    size_t words, tag_ok, pos_ok, morph_ok;
} dev_scores_t;

/* Tags every dev sentence with the tagger as it stands and counts
 * matches with the gold annotation. */
static nlp_status_t score_dev(const tagger_t *tg, nlp_vocab_t *vocab,
                              const nlp__corpus_t *dev,
                              const nlp__component_t *const *upstream,
                              size_t n_upstream, nlp__arena_t *scratch,
                              dev_scores_t *out) {
    memset(out, 0, sizeof *out);
    for (size_t s = 0; s < dev->n_sents; s++) {
        const nlp__gold_sent_t *sent = &dev->sents[s];
        nlp_doc_t *doc;
        nlp_status_t st = nlp__gold_doc(vocab, sent, &doc);
        if (!st) st = nlp__run_components_on(upstream, n_upstream, doc, scratch);
        if (!st) st = tagger_process(&tg->base, doc, scratch);
        nlp__arena_reset(scratch);
        for (uint32_t i = 0; i < sent->n_words && !st; i++) {
            const nlp__gold_word_t *g = &sent->words[i];
            const nlp_token_t *t = &doc->tokens[i];
            out->words++;
            out->tag_ok += t->tag == nlp_hash_string(g->xpos, strlen(g->xpos));
            if (getenv("TAGGER_ERRORS") && t->tag != nlp_hash_string(g->xpos, strlen(g->xpos))) {
                const char *ps; size_t pl; nlp_vocab_string(vocab, NULL, t->tag, &ps, &pl);
                fprintf(stderr, "ERR\t%s\t%s\t%s\n", g->form, g->xpos, ps);
            }
            out->pos_ok += t->pos == nlp_hash_string(g->upos, strlen(g->upos));
            out->morph_ok += t->morph == nlp_hash_string(g->feats, strlen(g->feats));
        }
        nlp_doc_free(doc);
        if (st) return st;
    }
    return NLP_OK;
}

static double ratio(size_t a, size_t b) { return b ? (double)a / (double)b : 0.0; }

nlp_status_t nlp__tagger_train(nlp_vocab_t *vocab, const nlp__corpus_t *train,
                               const nlp__corpus_t *dev,
                               const nlp__component_t *const *upstream,
                               size_t n_upstream, const nlp__train_opts_t *opts,
                               nlp__component_t **out) {
    *out = NULL;
    const nlp_allocator_t *alloc =
        opts->alloc ? opts->alloc : vocab->alloc;
    uint32_t epochs = opts->epochs ? opts->epochs : DEFAULT_EPOCHS;
    train_set_t ts;
    memset(&ts, 0, sizeof ts);
    tagger_t *tg = NULL;
    nlp__perceptron_t *p = NULL;
    uint32_t *order = NULL;
    void *best = NULL;
    size_t best_len = 0;
    nlp__chunk_cache_t cache;
    nlp__arena_t scratch;
    nlp__chunk_cache_init(&cache, alloc, 64u << 10, 2);
    nlp__arena_init(&scratch, &cache);

    nlp_status_t st = collect_labels(&ts, alloc, train);
    if (!st && ts.n_labels == 0)
        st = nlp__fail(NLP_INVALID_ARG, "tagger: the training corpus has no words");
    void *blob = NULL;
    size_t blob_len = 0;
    if (!st) st = nlp__labels_encode(alloc, (const char *const *)ts.labels,
                                     ts.n_labels, &blob, &blob_len);
    if (!st) st = tagger_new(vocab, alloc, blob, blob_len, blob, &tg);
    static nlp__table_t amb, cnt;
    if (!st && getenv("AMB")) {
        int min = 1;
        g_min = atoi(getenv("AMB"));
        g_cnt = &cnt;
        nlp__table_init(&cnt, alloc, NULL, 1024);
        nlp__table_init(&amb, alloc, NULL, 1024);
        for (size_t s = 0; s < train->n_sents; s++)
            for (uint32_t i = 0; i < train->sents[s].n_words; i++) {
                const nlp__gold_word_t *gw = &train->sents[s].words[i];
                const nlp_lexeme_t *lx; nlp_vocab_get_lexeme(vocab, NULL, gw->form[0] ? gw->form : "_", strlen(gw->form[0] ? gw->form : "_"), &lx);
              for (int pass = 0; pass < 2; pass++) {
                nlp_hash_t key = pass ? lx->orth ^ 0x5555 : lx->norm;
                nlp_hash_t tagk = nlp__feat2(999, key, nlp_hash_string(gw->xpos, strlen(gw->xpos)));
                uintptr_t c = (uintptr_t)nlp__table_get(&cnt, tagk) + 1;
                nlp__table_put(&cnt, tagk, (void *)c);
                {
                    uint64_t bit = 0; for (size_t t = 0; t < tg->n_tags; t++) if (nlp_hash_string(tg->tag_names[t], strlen(tg->tag_names[t])) == nlp_hash_string(gw->xpos, strlen(gw->xpos))) { bit = 1ull << (t % 64); break; }
                    nlp_hash_t ck = nlp__feat2(999, key, (uint64_t)__builtin_ctzll(bit));
                    nlp__table_put(&cnt, ck, (void *)((uintptr_t)nlp__table_get(&cnt, ck) + 1));
                }
                if ((int)c == min) {
                    uint64_t bit = 0; for (size_t t = 0; t < tg->n_tags; t++) if (nlp_hash_string(tg->tag_names[t], strlen(tg->tag_names[t])) == nlp_hash_string(gw->xpos, strlen(gw->xpos))) { bit = 1ull << (t % 64); break; }
                    uintptr_t m = (uintptr_t)nlp__table_get(&amb, key) | bit;
                    nlp__table_put(&amb, key, (void *)m);
                }
              }
            }
        g_amb = &amb;
        static nlp_hash_t tc[64];
        for (size_t t = 0; t < tg->n_tags && t < 64; t++) tc[t] = nlp_hash_string(tg->tag_names[t], strlen(tg->tag_names[t]));
        ts.tagcls = tc;
    }
    if (!st) st = build_train_set(&ts, vocab, alloc, train, upstream, n_upstream, &scratch);
    if (!st) st = nlp__perceptron_create(alloc, (uint32_t)tg->n_classes, &p);
    if (!st) {
        order = nlp__calloc(alloc, ts.n_sents ? ts.n_sents : 1, sizeof *order);
        if (!order) st = NLP_NOMEM;
    }

    uint64_t rng = opts->seed;
    double best_score = -1.0;
    for (uint32_t e = 0; e < epochs && !st; e++) {
        size_t correct;
        st = train_epoch(&ts, tg, p, order, &rng, &correct);
        void *image = NULL;
        size_t len;
        nlp__freeze_opts_t fo = {.min_weight = getenv("MINW") ? (float)atof(getenv("MINW")) : 0.0f};
        if (!st) st = nlp__perceptron_freeze_opts(p, &fo, &image, &len);
        if (!st) st = nlp__linear_open(image, len, &tg->model);
        dev_scores_t ds = {0};
        if (!st && dev) st = score_dev(tg, vocab, dev, upstream, n_upstream, &scratch, &ds);
        if (st) {
            nlp__free(alloc, image);
            break;
        }
        double score = ratio(ds.tag_ok + ds.pos_ok, 2 * ds.words);
        if (opts->log)
            fprintf(opts->log,
                    "tagger epoch %u: train_acc %.4f tag_acc %.4f pos_acc %.4f "
                    "morph_acc %.4f features %u size %zu\n",
                    e + 1, ratio(correct, ts.n_words), ratio(ds.tag_ok, ds.words),
                    ratio(ds.pos_ok, ds.words), ratio(ds.morph_ok, ds.words),
                    tg->model.n_features, len);
        if (!dev || !dev->n_words || score > best_score) {
            best_score = score;
            nlp__free(alloc, best);
            best = image;
            best_len = len;
        } else {
            nlp__free(alloc, image);
        }
    }
    if (!st && !best) st = nlp__fail(NLP_INVALID_ARG, "tagger: no epochs trained");
    if (!st) {
        /* The image of the best epoch is the one kept. */
        tg->owned_image = best;
        tg->image = best;
        tg->image_len = best_len;
        best = NULL;
        st = nlp__linear_open(tg->image, tg->image_len, &tg->model);
    }
    nlp__free(alloc, best);
    nlp__free(alloc, order);
    nlp__perceptron_free(p);
    train_set_free(&ts, alloc);
    nlp__arena_destroy(&scratch);
    nlp__chunk_cache_destroy(&cache);
    if (st) {
        if (tg) tagger_free(&tg->base);
        return st;
    }
    *out = &tg->base;
    return NLP_OK;
}
