/* The tagger: fine-grained tag (XPOS), universal POS and morphology,
 * predicted greedily from left to right by one averaged perceptron.
 *
 * Classes are the joint labels "XPOS\tUPOS" seen in training, so a
 * prediction never pairs a tag with a POS it does not occur with. The
 * morphological features follow from the class and the word: each class
 * has a default (its most frequent FEATS), and a lexicon lists the
 * (word, class) pairs whose most frequent FEATS differ from it. Predicting
 * FEATS as part of the class scored slightly better (about +1.5 points of
 * morph_acc) but made every token twice as slow, because the cost of a
 * perceptron lookup grows with the number of classes.
 *
 * Besides word, affix, shape and context features, each word contributes
 * its ambiguity class: the set of classes it had in training. In training
 * the set leaves out the token's own occurrence (leave-one-out), so words
 * seen once look as they would at run time when unseen.
 *
 * Tagging takes two greedy passes. The first sees only the classes it has
 * already predicted on the left; the second also sees the first pass's
 * guesses for the word and the two after it. On EWT dev this adds about
 * 0.15 points of tag and POS accuracy, for twice the tagging time. A model
 * trained for one pass (nlp__train_opts_t.tagger_passes) stops after the
 * first and has no second-pass weights.
 *
 * The same code is the supertagger. Its classes are supertags: the word's
 * dependency label with the side its head is on ("nsubj<": head to the
 * right; "ROOT"), predicted from the same features. It sees the whole
 * window around a word, both passes, where the greedy parser decides with
 * only the next words in view, and the parser reads its guesses as
 * features (Ouchi, Duh & Matsumoto 2014). Supertags go to a side array of
 * the Doc, not to any token attribute.
 *
 * Model sections (names prefixed with the component's prefix):
 *   .config     magic, feature version, counts,
 *   .labels     "XPOS\tUPOS\tDEFAULT_FEATS" per class (models/labels.h),
 *   .morphs     the distinct FEATS strings,
 *   .morph_map  (orth, class) -> FEATS index, exceptions only,
 *   .amb        norm -> ambiguity class id,
 *   .model      the first pass's frozen perceptron (models/perceptron.h),
 *   .model2     the second pass's (empty in a one-pass model).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/vocab.h"
#include "core/word_stats.h"
#include "doc/doc.h"
#include "models/counts.h"
#include "models/features.h"
#include "models/frozen_map.h"
#include "models/labels.h"
#include "models/perceptron.h"
#include "models/sections.h"
#include "models/train.h"
#include "models/train_util.h"

#define CONFIG_MAGIC "SPCTAG02"
#define SUPER_CONFIG_MAGIC "SPCSTG01"
#define FEATURE_VERSION 1u
#define DEFAULT_EPOCHS 10u
#define N_FOLDS 4u /* jackknife folds for the first pass's training guesses */
/* Averaged weights smaller than one update step are dropped when freezing:
 * on EWT that halves the weights with no loss (tag_acc 0.9454 vs 0.9452
 * unpruned); at 2.0 tag_acc falls to 0.9425. */
#define MIN_WEIGHT 1.0f
/* Small corpora keep every weight: with few updates most weights are
 * small, and each of them matters. */
#define PRUNE_MIN_WORDS 20000u
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
    T_AMB,
    T_AMB_P1,
    T_AMB_P2,
    T_AMB_M1,
    T_AMB_AMB_P1,
    T_CLASS_M1,
    T_CLASS_M2,
    T_CLASS_M1_M2,
    T_CLASS_M1_NORM,
    T_CLASS_M1_SUFFIX3,
    T_AHEAD_SELF,
    T_AHEAD_P1,
    T_AHEAD_P2,
    T_AHEAD_P1_P2,
    T_CLASS_M1_AHEAD_P1,
    T_AHEAD_P1_NORM,
    /* Keys of the lexicons, not perceptron features. */
    K_MORPH,
    K_AMB_SET,
    /* Templates again, numbered after the keys (append only). Brown
     * clusters (lexeme cluster): coarse and full for the word, full for its
     * neighbours. */
    T_CLUSTER4,
    T_CLUSTER8,
    T_CLUSTER,
    T_CLUSTER_M1,
    T_CLUSTER_P1,
};

#define N_STATIC 31  /* features that do not depend on predictions */
#define N_HISTORY 5  /* features of the classes predicted for i-1, i-2 */
#define N_AHEAD 6    /* second pass: first-pass classes of i .. i+2 */
#define MAX_FEATS (N_STATIC + N_HISTORY + N_AHEAD)

/* The lexical flags that say something about a word's tag. */
#define TAG_FLAGS                                                            \
    (NLP_FLAG_IS_ALPHA | NLP_FLAG_IS_DIGIT | NLP_FLAG_IS_LOWER |             \
     NLP_FLAG_IS_UPPER | NLP_FLAG_IS_TITLE | NLP_FLAG_IS_PUNCT |             \
     NLP_FLAG_LIKE_NUM | NLP_FLAG_LIKE_URL | NLP_FLAG_LIKE_EMAIL |           \
     NLP_FLAG_IS_CURRENCY | NLP_FLAG_IS_BRACKET | NLP_FLAG_IS_QUOTE)
#define HAS_HYPHEN_FLAG (1ull << 40)

enum {
    SEC_CONFIG, SEC_LABELS, SEC_MORPHS, SEC_MORPH_MAP, SEC_AMB, SEC_MODEL, SEC_MODEL2,
    N_SECTIONS
};
static const char *const section_suffix[N_SECTIONS] = {
    ".config", ".labels", ".morphs", ".morph_map", ".amb", ".model", ".model2",
};

typedef struct config_section {
    char magic[8];
    uint32_t feature_version;
    uint32_t n_classes;
    uint32_t n_morphs;
    uint32_t passes; /* 1 or 2; 0 (files from before one-pass models): 2 */
} config_section_t;

typedef struct tag_class {
    nlp_hash_t tag, pos, morph; /* morph: the class's default FEATS */
} tag_class_t;

typedef struct tagger {
    nlp__component_t base;
    const nlp_allocator_t *alloc;
    /* Section bytes: inside the mapped file, or owned (after training). */
    const void *sec[N_SECTIONS];
    size_t sec_len[N_SECTIONS];
    void *owned[N_SECTIONS];
    nlp__linear_t model;  /* first pass: left context only */
    nlp__linear_t model2; /* second pass: also the first pass's guesses ahead */
    nlp__frozen_map_t morph_map, amb_map;
    const char **class_labels; /* pointers into the labels section */
    size_t n_classes;
    tag_class_t *classes;
    const char **morph_labels;
    nlp_hash_t *morphs; /* interned FEATS strings */
    size_t n_morphs;
    const char **tag_names; /* distinct XPOS, permanent strings */
    size_t n_tags;
    bool super; /* the supertagger */
    uint32_t passes; /* 1 or 2 */
} tagger_t;

/* The component's name, for messages: "tagger" or "supertagger". */
static const char *kind_name(bool super) { return super ? "supertagger" : "tagger"; }

/* What the features of one position read besides the tokens: the
 * ambiguity classes of words i-1 .. i+2. */
typedef struct amb_window {
    uint32_t m2, m1, w, p1, p2;
} amb_window_t;

/* Words outside the training vocabulary share one identity, so the
 * weights learnt for rare training words (which look unknown to training,
 * see amb_from_counts) carry over to unknown words. Padding keeps id 0. */
#define UNKNOWN_NORM 1u

static uint64_t known_norm(const nlp_lexeme_t *lex, uint32_t amb) {
    return amb || !lex->norm ? lex->norm : UNKNOWN_NORM;
}

/* Writes the features of token i that depend only on the words. */
static size_t static_features(const nlp_doc_t *doc, uint32_t i,
                              const amb_window_t *amb, uint64_t *f) {
    /* Padding makes t[-2] .. t[2] readable at both ends of the Doc. */
    const nlp_token_t *t = doc->tokens + i;
    const nlp_lexeme_t *w = t[0].lex, *m1 = t[-1].lex, *m2 = t[-2].lex;
    const nlp_lexeme_t *p1 = t[1].lex, *p2 = t[2].lex;
    const char *s = doc->text + t[0].idx;
    size_t len = t[0].len, k = 0;
    uint64_t nw = known_norm(w, amb->w), nm1 = known_norm(m1, amb->m1);
    uint64_t nm2 = known_norm(m2, amb->m2), np1 = known_norm(p1, amb->p1);
    uint64_t np2 = known_norm(p2, amb->p2);
    uint64_t flags = w->flags & TAG_FLAGS;
    if (memchr(s, '-', len)) flags |= HAS_HYPHEN_FLAG;
    size_t suf1 = nlp__utf8_suffix_start(s, len, 1);
    size_t suf2 = nlp__utf8_suffix_start(s, len, 2);
    size_t suf4 = nlp__utf8_suffix_start(s, len, 4);
    f[k++] = nlp__feat1(T_BIAS, 0);
    f[k++] = nlp__feat1(T_NORM, nw);
    f[k++] = nlp__feat1(T_PREFIX1, w->prefix);
    f[k++] = nlp__feat1(T_SUFFIX3, w->suffix);
    f[k++] = nlp__feat_bytes(T_SUFFIX1, s + suf1, len - suf1);
    f[k++] = nlp__feat_bytes(T_SUFFIX2, s + suf2, len - suf2);
    f[k++] = nlp__feat_bytes(T_SUFFIX4, s + suf4, len - suf4);
    f[k++] = nlp__feat_bytes(T_PREFIX3, s, nlp__utf8_prefix_bytes(s, len, 3));
    f[k++] = nlp__feat1(T_SHAPE, w->shape);
    f[k++] = nlp__feat1(T_FLAGS, flags);
    f[k++] = nlp__feat1(T_NORM_M1, nm1);
    f[k++] = nlp__feat1(T_NORM_M2, nm2);
    f[k++] = nlp__feat1(T_NORM_P1, np1);
    f[k++] = nlp__feat1(T_NORM_P2, np2);
    f[k++] = nlp__feat1(T_SUFFIX3_M1, m1->suffix);
    f[k++] = nlp__feat1(T_SUFFIX3_P1, p1->suffix);
    f[k++] = nlp__feat1(T_SUFFIX3_P2, p2->suffix);
    f[k++] = nlp__feat1(T_SHAPE_M1, m1->shape);
    f[k++] = nlp__feat1(T_SHAPE_P1, p1->shape);
    f[k++] = nlp__feat2(T_NORM_M1_NORM, nm1, nw);
    f[k++] = nlp__feat2(T_NORM_NORM_P1, nw, np1);
    f[k++] = nlp__feat1(T_AMB, amb->w);
    f[k++] = nlp__feat1(T_AMB_P1, amb->p1);
    f[k++] = nlp__feat1(T_AMB_P2, amb->p2);
    f[k++] = nlp__feat1(T_AMB_M1, amb->m1);
    f[k++] = nlp__feat2(T_AMB_AMB_P1, amb->w, amb->p1);
    /* Without word statistics these stay absent (0) and cost nothing. */
    int clusters = doc->vocab->word_stats.n_slots != 0;
    f[k++] = clusters ? nlp__feat1(T_CLUSTER4, nlp__cluster_prefix(w->cluster, 4)) : 0;
    f[k++] = clusters ? nlp__feat1(T_CLUSTER8, nlp__cluster_prefix(w->cluster, 8)) : 0;
    f[k++] = clusters ? nlp__feat1(T_CLUSTER, w->cluster) : 0;
    f[k++] = clusters ? nlp__feat1(T_CLUSTER_M1, m1->cluster) : 0;
    f[k++] = clusters ? nlp__feat1(T_CLUSTER_P1, p1->cluster) : 0;
    return k;
}

/* Writes the features of the classes predicted for the two previous words
 * (class index + 1, 0 before the first word). */
static size_t history_features(const nlp_lexeme_t *w, uint64_t norm, uint32_t m1,
                               uint32_t m2, uint64_t *f) {
    size_t k = 0;
    f[k++] = nlp__feat1(T_CLASS_M1, m1);
    f[k++] = nlp__feat1(T_CLASS_M2, m2);
    f[k++] = nlp__feat2(T_CLASS_M1_M2, m1, m2);
    f[k++] = nlp__feat2(T_CLASS_M1_NORM, m1, norm);
    f[k++] = nlp__feat2(T_CLASS_M1_SUFFIX3, m1, w->suffix);
    return k;
}

/* Writes the second pass's features: the first pass's classes (+ 1, 0
 * past the end) for words i, i+1 and i+2, alone and with the left class
 * and the word. */
static size_t ahead_features(uint64_t norm, uint32_t m1, const uint32_t *ahead,
                             uint64_t *f) {
    size_t k = 0;
    f[k++] = nlp__feat1(T_AHEAD_SELF, ahead[0]);
    f[k++] = nlp__feat1(T_AHEAD_P1, ahead[1]);
    f[k++] = nlp__feat1(T_AHEAD_P2, ahead[2]);
    f[k++] = nlp__feat2(T_AHEAD_P1_P2, ahead[1], ahead[2]);
    f[k++] = nlp__feat2(T_CLASS_M1_AHEAD_P1, m1, ahead[1]);
    f[k++] = nlp__feat2(T_AHEAD_P1_NORM, ahead[1], norm);
    return k;
}

/* The first class with the highest score. The maximum is found first, in
 * ARGMAX_LANES independent running maxima (no branch per class and no long
 * chain of dependent compares), then its first position: that costs far
 * less than comparing each score with the best so far, a branch the CPU
 * cannot predict. */
#define ARGMAX_LANES 8
static uint32_t argmax(const float *scores, size_t n) {
    float lane[ARGMAX_LANES];
    for (size_t j = 0; j < ARGMAX_LANES; j++) lane[j] = scores[0];
    size_t c = 0;
    for (; c + ARGMAX_LANES <= n; c += ARGMAX_LANES)
        for (size_t j = 0; j < ARGMAX_LANES; j++)
            lane[j] = scores[c + j] > lane[j] ? scores[c + j] : lane[j];
    float top = scores[0];
    for (; c < n; c++) top = scores[c] > top ? scores[c] : top;
    for (size_t j = 0; j < ARGMAX_LANES; j++) top = lane[j] > top ? lane[j] : top;
    uint32_t best = 0;
    while (best + 1 < n && scores[best] != top) best++;
    return best;
}

/* The ambiguity class id of a word at run time (0: unknown word). */
static uint32_t amb_of(const tagger_t *tg, const nlp_lexeme_t *lex) {
    uint32_t v = 0;
    nlp__frozen_map_get(&tg->amb_map, lex->norm, &v);
    return v;
}

static nlp_hash_t morph_of(const tagger_t *tg, const nlp_lexeme_t *lex,
                           uint32_t cls) {
    uint32_t m;
    if (nlp__frozen_map_get(&tg->morph_map, nlp__feat2(K_MORPH, lex->orth, cls), &m))
        return tg->morphs[m];
    return tg->classes[cls].morph;
}

/* One greedy left-to-right pass: its model and the classes (+ 1) it gave
 * the two words before. */
typedef struct pass {
    const nlp__linear_t *model;
    uint32_t m1, m2;
} pass_t;

/* Tags one word in pass p from its static features and identity, and the
 * first pass's classes for words i .. i + 2 (`ahead`, second pass only,
 * else NULL); returns the class + 1. */
static uint32_t tag_word(const tagger_t *tg, pass_t *p, const uint64_t *statics,
                         uint64_t norm, const nlp_lexeme_t *lex,
                         const uint32_t *ahead, float *scores) {
    uint64_t feats[MAX_FEATS];
    memcpy(feats, statics, N_STATIC * sizeof *feats);
    size_t k = N_STATIC + history_features(lex, norm, p->m1, p->m2, feats + N_STATIC);
    if (ahead) k += ahead_features(norm, p->m1, ahead, feats + k);
    nlp__linear_scores(p->model, feats, k, scores);
    uint32_t c = argmax(scores, tg->n_classes) + 1;
    p->m2 = p->m1;
    p->m1 = c;
    return c;
}

/* The weights of the pass whose classes are the output. */
static nlp__linear_t *last_pass(tagger_t *tg) {
    return tg->passes == 1 ? &tg->model : &tg->model2;
}

/* The second pass trails the first by AHEAD words (it reads the first
 * pass's classes of words i .. i + AHEAD), so both run in one sweep and
 * only the last RING words' features are kept: memory does not grow with
 * the Doc. */
#define AHEAD 2
#define RING 4 /* > AHEAD */

/* Writes class c as token i's annotation: its tag, POS and FEATS, or for
 * the supertagger its supertag. */
static void annotate(const tagger_t *tg, nlp_doc_t *doc, uint32_t *supertags,
                     size_t i, uint32_t c) {
    if (supertags) {
        supertags[i] = nlp__supertag_id(tg->classes[c].tag);
        return;
    }
    nlp_token_t *t = &doc->tokens[i];
    t->tag = tg->classes[c].tag;
    t->pos = tg->classes[c].pos;
    t->morph = morph_of(tg, t->lex, c);
}

static nlp_status_t tagger_process(const nlp__component_t *self, nlp_doc_t *doc,
                                   nlp__arena_t *scratch) {
    const tagger_t *tg = (const tagger_t *)self;
    size_t n = doc->n_tokens;
    float *scores = NLP__ARENA_NEW(scratch, float, tg->n_classes);
    if (!scores) return NLP_NOMEM;
    uint64_t statics[RING][N_STATIC], norms[RING];
    uint32_t first[RING];
    pass_t pass1 = {&tg->model, 0, 0}, pass2 = {&tg->model2, 0, 0};
    nlp_token_t *t = doc->tokens;
    uint32_t *supertags = NULL;
    if (tg->super && !(supertags = nlp__doc_supertags(doc)))
        return nlp__fail(NLP_NOMEM, "%s: out of memory", kind_name(tg->super));
    /* The ambiguity window slides: each step looks up one new word. */
    amb_window_t amb = {0, 0, amb_of(tg, t[0].lex), amb_of(tg, t[1].lex),
                        amb_of(tg, t[2].lex)};
    for (size_t j = 0; j < n + AHEAD; j++) {
        if (j < n) {
            size_t r = j % RING;
            static_features(doc, (uint32_t)j, &amb, statics[r]);
            norms[r] = known_norm(t[j].lex, amb.w);
            amb.m2 = amb.m1;
            amb.m1 = amb.w;
            amb.w = amb.p1;
            amb.p1 = amb.p2;
            amb.p2 = amb_of(tg, t[j + 3].lex);
            first[r] = tag_word(tg, &pass1, statics[r], norms[r], t[j].lex, NULL, scores);
            if (tg->passes == 1) annotate(tg, doc, supertags, j, first[r] - 1);
        }
        if (j < AHEAD || tg->passes == 1) continue;
        size_t i = j - AHEAD, r = i % RING;
        uint32_t ahead[AHEAD + 1];
        for (size_t k = 0; k <= AHEAD; k++)
            ahead[k] = i + k < n ? first[(i + k) % RING] : 0;
        uint32_t c = tag_word(tg, &pass2, statics[r], norms[r], t[i].lex, ahead, scores) - 1;
        annotate(tg, doc, supertags, i, c);
    }
    if (!tg->super) doc->layers |= NLP_HAS_TAG | NLP_HAS_POS | NLP_HAS_MORPH;
    return NLP_OK;
}

static nlp_status_t tagger_labels(const nlp__component_t *self,
                                  const char **labels, size_t cap, size_t *n) {
    const tagger_t *tg = (const tagger_t *)self;
    for (size_t i = 0; i < tg->n_tags && i < cap; i++) labels[i] = tg->tag_names[i];
    *n = tg->n_tags;
    return NLP_OK;
}

static nlp_status_t tagger_save(const nlp__component_t *self,
                                nlp__model_writer_t *w, const char *prefix) {
    const tagger_t *tg = (const tagger_t *)self;
    return nlp__sections_put_all(w, prefix, section_suffix, N_SECTIONS, tg->sec,
                                 tg->sec_len);
}

static void tagger_free(nlp__component_t *self) {
    tagger_t *tg = (tagger_t *)self;
    if (!tg) return;
    for (int s = 0; s < N_SECTIONS; s++) nlp__free(tg->alloc, tg->owned[s]);
    nlp__free(tg->alloc, tg->class_labels);
    nlp__free(tg->alloc, tg->classes);
    nlp__free(tg->alloc, tg->morph_labels);
    nlp__free(tg->alloc, tg->morphs);
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
/* The supertagger differs in its name only: the mode is in tagger_t. */
static const nlp__component_ops_t supertagger_ops = {
    .name = "supertagger",
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

/* Splits each class label into its parts, interns them permanently and
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
            return nlp__fail(NLP_MODEL_CORRUPT, "%s: label %zu is not TAG\\tPOS\\tFEATS",
                             kind_name(tg->super), c);
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

static nlp_status_t build_morphs(tagger_t *tg, nlp_vocab_t *vocab) {
    tg->morphs = nlp__calloc(tg->alloc, tg->n_morphs ? tg->n_morphs : 1,
                             sizeof *tg->morphs);
    if (!tg->morphs) return NLP_NOMEM;
    for (size_t m = 0; m < tg->n_morphs; m++) {
        nlp_status_t st = intern(vocab, tg->morph_labels[m],
                                 strlen(tg->morph_labels[m]), &tg->morphs[m]);
        if (st) return st;
    }
    return NLP_OK;
}

/* Checks the morphology lexicon's values against the FEATS list. */
static nlp_status_t check_morph_map(const tagger_t *tg) {
    for (uint32_t s = 0; s < tg->morph_map.n_slots; s++)
        if (tg->morph_map.keys[s] && tg->morph_map.values[s] >= tg->n_morphs)
            return nlp__fail(NLP_MODEL_CORRUPT, "%s: FEATS index %u out of range",
                             kind_name(tg->super), tg->morph_map.values[s]);
    return NLP_OK;
}

/* Makes the tagger usable from its section bytes (tg->sec): decodes and
 * interns the labels and opens the lexicons and the weights. */
static nlp_status_t tagger_attach(tagger_t *tg, nlp_vocab_t *vocab) {
    config_section_t cfg;
    if (tg->sec_len[SEC_CONFIG] != sizeof cfg)
        return nlp__fail(NLP_MODEL_CORRUPT, "%s: config of %zu bytes",
                         kind_name(tg->super), tg->sec_len[SEC_CONFIG]);
    memcpy(&cfg, tg->sec[SEC_CONFIG], sizeof cfg);
    const char *other = tg->super ? CONFIG_MAGIC : SUPER_CONFIG_MAGIC;
    if (memcmp(cfg.magic, other, sizeof cfg.magic) == 0)
        return nlp__fail(NLP_MODEL_CORRUPT, "%s: the sections hold a %s",
                         kind_name(tg->super), kind_name(!tg->super));
    if (memcmp(cfg.magic, tg->super ? SUPER_CONFIG_MAGIC : CONFIG_MAGIC, sizeof cfg.magic) != 0)
        return nlp__fail(NLP_MODEL_VERSION, "%s: unknown model version", kind_name(tg->super));
    if (cfg.feature_version != FEATURE_VERSION)
        return nlp__fail(NLP_MODEL_VERSION, "%s: feature version %u, this library reads %u",
                         kind_name(tg->super), cfg.feature_version, FEATURE_VERSION);
    tg->passes = cfg.passes ? cfg.passes : 2;
    if (tg->passes > 2)
        return nlp__fail(NLP_MODEL_CORRUPT, "%s: %u passes", kind_name(tg->super), cfg.passes);
    /* A section present but empty is how a one-pass model stores .model2. */
    if (tg->sec[SEC_MODEL2] && (tg->sec_len[SEC_MODEL2] != 0) != (tg->passes == 2))
        return nlp__fail(NLP_MODEL_CORRUPT, tg->passes == 1
                                                ? "%s: second-pass weights in a one-pass model"
                                                : "%s: no second-pass weights in a two-pass model",
                         kind_name(tg->super));
    nlp_status_t st;
    if ((st = nlp__labels_decode(tg->alloc, tg->sec[SEC_LABELS], tg->sec_len[SEC_LABELS],
                                 &tg->class_labels, &tg->n_classes)) ||
        (st = nlp__labels_decode(tg->alloc, tg->sec[SEC_MORPHS], tg->sec_len[SEC_MORPHS],
                                 &tg->morph_labels, &tg->n_morphs)))
        return st;
    if (tg->n_classes == 0 || tg->n_classes != cfg.n_classes || tg->n_morphs != cfg.n_morphs)
        return nlp__fail(NLP_MODEL_CORRUPT, "%s: label counts disagree", kind_name(tg->super));
    if ((st = build_classes(tg, vocab)) || (st = build_morphs(tg, vocab)) ||
        (st = nlp__frozen_map_open(tg->sec[SEC_MORPH_MAP], tg->sec_len[SEC_MORPH_MAP],
                                   &tg->morph_map)) ||
        (st = check_morph_map(tg)) ||
        (st = nlp__frozen_map_open(tg->sec[SEC_AMB], tg->sec_len[SEC_AMB], &tg->amb_map)))
        return st;
    /* The weights are attached last: training swaps them every epoch. */
    nlp__linear_t *models[2] = {&tg->model, &tg->model2};
    for (uint32_t k = 0; k < tg->passes && !st; k++) {
        int sec = k ? SEC_MODEL2 : SEC_MODEL;
        if (!tg->sec[sec]) continue;
        st = nlp__linear_open(tg->sec[sec], tg->sec_len[sec], models[k]);
        if (!st && models[k]->n_classes != tg->n_classes)
            st = nlp__fail(NLP_MODEL_CORRUPT, "%s: the weights have %u classes, "
                           "the labels %zu", kind_name(tg->super), models[k]->n_classes,
                           tg->n_classes);
    }
    return st;
}

static tagger_t *tagger_alloc(const nlp_allocator_t *alloc, bool super) {
    tagger_t *tg = nlp__calloc(alloc, 1, sizeof *tg);
    if (!tg) return NULL;
    tg->super = super;
    tg->base.ops = super ? &supertagger_ops : &tagger_ops;
    tg->alloc = alloc;
    return tg;
}

static nlp_status_t tagger_attach_base(nlp__component_t *c, nlp_vocab_t *vocab) {
    return tagger_attach((tagger_t *)c, vocab);
}

static nlp_status_t load_tagger(nlp_vocab_t *vocab, const nlp__model_reader_t *r,
                                const char *prefix, bool super, nlp__component_t **out) {
    *out = NULL;
    tagger_t *tg = tagger_alloc(vocab->alloc, super);
    if (!tg) return NLP_NOMEM;
    return nlp__sections_load(r, prefix, section_suffix, N_SECTIONS, tg->sec,
                              tg->sec_len, &tg->base, vocab, tagger_attach_base, out);
}

/* ---- Training ---------------------------------------------------------- */

/* The ambiguity class id of `norm`: a hash of the classes it was seen with,
 * leaving out one occurrence of class `skip` (UINT32_MAX: none). 0 when no
 * class is left, as for an unknown word. */
static uint32_t amb_from_counts(const nlp__pair_counter_t *amb, uint64_t norm,
                                uint32_t skip) {
    size_t first = norm ? nlp__pair_first(amb, norm) : SIZE_MAX;
    if (first == SIZE_MAX) return 0;
    uint64_t h = nlp__feat_start(K_AMB_SET);
    int any = 0;
    for (size_t i = first; i < amb->n && amb->recs[i].group == norm; i++) {
        uint32_t count = amb->recs[i].count - (amb->recs[i].item == skip);
        if (!count) continue;
        h = nlp__feat_add(h, amb->recs[i].item);
        any = 1;
    }
    if (!any) return 0;
    uint32_t id = (uint32_t)(h >> 32);
    return id ? id : 1;
}

/* Everything training collects from the corpus before the epochs. */
typedef struct train_data {
    bool super;
    nlp__string_set_t classes, morphs;
    nlp__pair_counter_t morph_counts; /* (orth, class) -> FEATS */
    nlp__pair_counter_t amb_counts;   /* norm -> class */
    uint32_t *class_morph_counts; /* n_classes x n_morphs */
    /* Per word: static features, gold class, lexeme. */
    size_t n_sents, n_words;
    uint32_t *sent_start;
    uint64_t *feats;
    uint32_t *gold;
    const nlp_lexeme_t **lex;
    uint64_t *norm; /* the word's identity as the features see it */
} train_data_t;

static void train_data_free(train_data_t *td, const nlp_allocator_t *alloc) {
    nlp__string_set_free(&td->classes, alloc);
    nlp__string_set_free(&td->morphs, alloc);
    nlp__pair_free(&td->morph_counts, alloc);
    nlp__pair_free(&td->amb_counts, alloc);
    nlp__free(alloc, td->class_morph_counts);
    nlp__free(alloc, td->sent_start);
    nlp__free(alloc, td->feats);
    nlp__free(alloc, td->gold);
    nlp__free(alloc, td->lex);
    nlp__free(alloc, td->norm);
}

/* The supertag of word i: its label and the side of its head ('<': to the
 * right), or ROOT. Words without a head get "_". */
static int supertag(char *buf, size_t cap, const nlp__gold_word_t *w, uint32_t i) {
    if (w->head < 0) return snprintf(buf, cap, "_");
    if (w->head == 0) return snprintf(buf, cap, "ROOT");
    return snprintf(buf, cap, "%s%c", w->deprel, (uint32_t)(w->head - 1) > i ? '<' : '>');
}

/* The class of gold word i into buf (NLP_LIMIT when it does not fit):
 * "XPOS\tUPOS", or the supertagger's "SUPERTAG\t_". */
static nlp_status_t class_name(char *buf, size_t cap, const nlp__gold_word_t *w,
                               uint32_t i, bool super) {
    int n;
    if (super) {
        char stag[128];
        n = supertag(stag, sizeof stag, w, i);
        n = n >= 0 && (size_t)n < sizeof stag ? snprintf(buf, cap, "%s%c_", stag, LABEL_SEP)
                                              : -1;
    } else {
        n = snprintf(buf, cap, "%s%c%s", w->xpos, LABEL_SEP, w->upos);
    }
    if (n < 0 || (size_t)n >= cap)
        return nlp__fail(NLP_LIMIT, "%s: label \"%s\" is too long", kind_name(super),
                         super ? w->deprel : w->xpos);
    return NLP_OK;
}

/* The class and FEATS index of a gold word, added when missing. */
static nlp_status_t word_labels(train_data_t *td, const nlp_allocator_t *alloc,
                                const nlp__gold_word_t *w, uint32_t idx, uint32_t *cls,
                                uint32_t *morph) {
    char name[256];
    nlp_status_t st = class_name(name, sizeof name, w, idx, td->super);
    /* Supertags carry no morphology. */
    const char *feats = td->super ? "_" : w->feats;
    if (!st) st = nlp__string_set_add(&td->classes, alloc, name, strlen(name), cls);
    if (!st) st = nlp__string_set_add(&td->morphs, alloc, feats, strlen(feats), morph);
    if (!st && td->classes.n > NLP__PERCEPTRON_MAX_CLASSES)
        st = nlp__fail(NLP_LIMIT, "%s: more than %u classes", kind_name(td->super),
                       NLP__PERCEPTRON_MAX_CLASSES);
    return st;
}

/* First pass: labels and the counts behind the lexicons. */
static nlp_status_t count_corpus(train_data_t *td, nlp_vocab_t *vocab,
                                 const nlp_allocator_t *alloc,
                                 const nlp__corpus_t *train) {
    nlp_status_t st;
    if ((st = nlp__string_set_init(&td->classes, alloc)) ||
        (st = nlp__string_set_init(&td->morphs, alloc)) ||
        (st = nlp__pair_init(&td->morph_counts, alloc)) ||
        (st = nlp__pair_init(&td->amb_counts, alloc)))
        return st;
    for (size_t s = 0; s < train->n_sents; s++) {
        const nlp__gold_sent_t *sent = &train->sents[s];
        nlp_doc_t *doc;
        if ((st = nlp__gold_doc(vocab, sent, &doc))) return st;
        for (uint32_t i = 0; i < sent->n_words && !st; i++) {
            const nlp_lexeme_t *lex = doc->tokens[i].lex;
            uint32_t cls, morph;
            st = word_labels(td, alloc, &sent->words[i], i, &cls, &morph);
            if (!st)
                st = nlp__pair_add(&td->morph_counts, alloc,
                              nlp__feat2(K_MORPH, lex->orth, cls), morph, cls);
            if (!st && lex->norm) st = nlp__pair_add(&td->amb_counts, alloc, lex->norm, cls, 0);
        }
        nlp_doc_free(doc);
        if (st) return st;
    }
    if (td->classes.n == 0)
        return nlp__fail(NLP_INVALID_ARG, "%s: the training corpus has no words",
                         kind_name(td->super));
    if ((st = nlp__pair_group(&td->morph_counts, alloc)) || (st = nlp__pair_group(&td->amb_counts, alloc)))
        return st;
    td->class_morph_counts = nlp__calloc(alloc, td->classes.n * td->morphs.n,
                                         sizeof *td->class_morph_counts);
    return td->class_morph_counts ? NLP_OK : NLP_NOMEM;
}

/* Builds the sections that do not change during training: config, labels
 * (with each class's default FEATS), FEATS list and the two lexicons. */
static nlp_status_t build_lexicons(tagger_t *tg, train_data_t *td,
                                   const nlp_allocator_t *alloc,
                                   const nlp__corpus_t *train) {
    size_t n_classes = td->classes.n, n_morphs = td->morphs.n;
    nlp_status_t st = NLP_OK;
    /* Class defaults from the corpus. */
    for (size_t s = 0; s < train->n_sents && !st; s++) {
        for (uint32_t i = 0; i < train->sents[s].n_words && !st; i++) {
            uint32_t cls, morph;
            st = word_labels(td, alloc, &train->sents[s].words[i], i, &cls, &morph);
            if (!st) td->class_morph_counts[(size_t)cls * n_morphs + morph]++;
        }
    }
    if (st) return st;
    uint32_t *defaults = nlp__calloc(alloc, n_classes, sizeof *defaults);
    char **labels = nlp__calloc(alloc, n_classes, sizeof *labels);
    uint64_t *keys = nlp__calloc(alloc, td->morph_counts.n + 1, sizeof *keys);
    uint32_t *values = nlp__calloc(alloc, td->morph_counts.n + 1, sizeof *values);
    uint64_t *amb_keys = nlp__calloc(alloc, td->amb_counts.n + 1, sizeof *amb_keys);
    uint32_t *amb_values = nlp__calloc(alloc, td->amb_counts.n + 1, sizeof *amb_values);
    if (!defaults || !labels || !keys || !values || !amb_keys || !amb_values) st = NLP_NOMEM;
    for (size_t c = 0; c < n_classes && !st; c++) {
        const uint32_t *row = td->class_morph_counts + c * n_morphs;
        for (uint32_t m = 1; m < n_morphs; m++)
            if (row[m] > row[defaults[c]]) defaults[c] = m;
        const char *feats = td->morphs.items[defaults[c]];
        size_t a = strlen(td->classes.items[c]), b = strlen(feats);
        labels[c] = nlp__malloc(alloc, a + b + 2);
        if (!labels[c]) {
            st = NLP_NOMEM;
            break;
        }
        memcpy(labels[c], td->classes.items[c], a);
        labels[c][a] = LABEL_SEP;
        memcpy(labels[c] + a + 1, feats, b + 1);
    }
    /* Morphology exceptions: (orth, class) whose usual FEATS is not the
     * class default. The group key already mixes orth and class. */
    size_t n_keys = 0;
    for (size_t i = 0, end; i < td->morph_counts.n && !st; i = end) {
        uint32_t best = nlp__pair_best(&td->morph_counts, i, &end);
        if (best == defaults[td->morph_counts.recs[i].aux]) continue;
        keys[n_keys] = td->morph_counts.recs[i].group;
        values[n_keys] = best;
        n_keys++;
    }
    size_t n_amb = 0;
    for (size_t i = 0; i < td->amb_counts.n && !st; i++) {
        if (i && td->amb_counts.recs[i].group == td->amb_counts.recs[i - 1].group) continue;
        amb_keys[n_amb] = td->amb_counts.recs[i].group;
        amb_values[n_amb] = amb_from_counts(&td->amb_counts, amb_keys[n_amb], UINT32_MAX);
        n_amb++;
    }
    config_section_t cfg;
    memset(&cfg, 0, sizeof cfg);
    memcpy(cfg.magic, td->super ? SUPER_CONFIG_MAGIC : CONFIG_MAGIC, sizeof cfg.magic);
    cfg.feature_version = FEATURE_VERSION;
    cfg.n_classes = (uint32_t)n_classes;
    cfg.n_morphs = (uint32_t)n_morphs;
    cfg.passes = tg->passes;
    if (!st) {
        tg->owned[SEC_CONFIG] = nlp__malloc(alloc, sizeof cfg);
        if (!tg->owned[SEC_CONFIG]) st = NLP_NOMEM;
        else memcpy(tg->owned[SEC_CONFIG], &cfg, sizeof cfg);
        tg->sec_len[SEC_CONFIG] = sizeof cfg;
    }
    if (!st) st = nlp__labels_encode(alloc, (const char *const *)labels, n_classes,
                                     &tg->owned[SEC_LABELS], &tg->sec_len[SEC_LABELS]);
    if (!st) st = nlp__labels_encode(alloc, (const char *const *)td->morphs.items, n_morphs,
                                     &tg->owned[SEC_MORPHS], &tg->sec_len[SEC_MORPHS]);
    if (!st) st = nlp__frozen_map_build(alloc, keys, values, n_keys,
                                        &tg->owned[SEC_MORPH_MAP], &tg->sec_len[SEC_MORPH_MAP]);
    if (!st) st = nlp__frozen_map_build(alloc, amb_keys, amb_values, n_amb,
                                        &tg->owned[SEC_AMB], &tg->sec_len[SEC_AMB]);
    for (int s = 0; s < N_SECTIONS; s++) tg->sec[s] = tg->owned[s];
    for (size_t c = 0; labels && c < n_classes; c++) nlp__free(alloc, labels[c]);
    nlp__free(alloc, labels);
    nlp__free(alloc, defaults);
    nlp__free(alloc, keys);
    nlp__free(alloc, values);
    nlp__free(alloc, amb_keys);
    nlp__free(alloc, amb_values);
    return st;
}

/* Second pass: each word's static features (with leave-one-out ambiguity
 * classes), gold class and lexeme. */
static nlp_status_t build_train_set(train_data_t *td, nlp_vocab_t *vocab,
                                    const nlp_allocator_t *alloc,
                                    const nlp__corpus_t *train,
                                    const nlp__component_t *const *upstream,
                                    size_t n_upstream, nlp__arena_t *scratch) {
    size_t n_words = 0;
    for (size_t s = 0; s < train->n_sents; s++) n_words += train->sents[s].n_words;
    td->n_sents = train->n_sents;
    td->n_words = n_words;
    td->sent_start = nlp__calloc(alloc, td->n_sents + 1, sizeof *td->sent_start);
    td->feats = nlp__calloc(alloc, n_words ? n_words * N_STATIC : 1, sizeof *td->feats);
    td->gold = nlp__calloc(alloc, n_words ? n_words : 1, sizeof *td->gold);
    td->lex = nlp__calloc(alloc, n_words ? n_words : 1, sizeof *td->lex);
    td->norm = nlp__calloc(alloc, n_words ? n_words : 1, sizeof *td->norm);
    if (!td->sent_start || !td->feats || !td->gold || !td->lex || !td->norm)
        return NLP_NOMEM;
    if (n_words > UINT32_MAX)
        return nlp__fail(NLP_LIMIT, "%s: corpus too large", kind_name(td->super));
    size_t w = 0;
    for (size_t s = 0; s < td->n_sents; s++) {
        const nlp__gold_sent_t *sent = &train->sents[s];
        td->sent_start[s] = (uint32_t)w;
        nlp_doc_t *doc;
        nlp_status_t st = nlp__gold_doc(vocab, sent, &doc);
        if (st) return st;
        st = nlp__run_components_on(upstream, n_upstream, doc, scratch);
        /* Gold classes of the sentence, with room for the window's edges. */
        uint32_t *cls = nlp__calloc(alloc, (size_t)sent->n_words + 5, sizeof *cls);
        if (!cls && !st) st = NLP_NOMEM;
        for (uint32_t i = 0; i < sent->n_words + 5 && !st; i++) cls[i] = UINT32_MAX;
        for (uint32_t i = 0; i < sent->n_words && !st; i++) {
            uint32_t morph;
            st = word_labels(td, alloc, &sent->words[i], i, &cls[i + 2], &morph);
        }
        const nlp_token_t *t = doc->tokens;
        for (uint32_t i = 0; i < sent->n_words && !st; i++, w++) {
            amb_window_t amb = {
                amb_from_counts(&td->amb_counts, t[(int64_t)i - 2].lex->norm, cls[i]),
                amb_from_counts(&td->amb_counts, t[(int64_t)i - 1].lex->norm, cls[i + 1]),
                amb_from_counts(&td->amb_counts, t[i].lex->norm, cls[i + 2]),
                amb_from_counts(&td->amb_counts, t[i + 1].lex->norm, cls[i + 3]),
                amb_from_counts(&td->amb_counts, t[i + 2].lex->norm, cls[i + 4]),
            };
            static_features(doc, i, &amb, td->feats + w * N_STATIC);
            td->gold[w] = cls[i + 2];
            td->lex[w] = t[i].lex;
            td->norm[w] = known_norm(t[i].lex, amb.w);
        }
        nlp__free(alloc, cls);
        nlp_doc_free(doc);
        if (st) return st;
    }
    td->sent_start[td->n_sents] = (uint32_t)w;
    return NLP_OK;
}

/* What one training run learns from: first-pass models see the left
 * context only; the second pass also sees `ahead`, the first pass's class
 * (+ 1) of every word. Sentences with s % n_folds == fold are held out
 * (n_folds 0: none are). */
typedef struct pass_spec {
    const uint32_t *ahead;
    uint32_t fold, n_folds;
} pass_spec_t;

static int held_out(const pass_spec_t *ps, size_t s) {
    return ps->n_folds && s % ps->n_folds == ps->fold;
}

/* One pass over the training set in a shuffled order, each word predicted
 * with the classes predicted before it, as at run time. */
static nlp_status_t train_epoch(const train_data_t *td, const tagger_t *tg,
                                const pass_spec_t *ps, nlp__perceptron_t *p,
                                uint32_t *order, uint64_t *rng, size_t *correct,
                                size_t *seen) {
    float *scores = nlp__malloc(tg->alloc, tg->n_classes * sizeof *scores);
    if (!scores) return NLP_NOMEM;
    nlp__shuffle_order(order, td->n_sents, rng);
    *correct = *seen = 0;
    uint64_t feats[MAX_FEATS];
    nlp_status_t st = NLP_OK;
    for (size_t k = 0; k < td->n_sents && !st; k++) {
        uint32_t s = order[k], m1 = 0, m2 = 0, end = td->sent_start[s + 1];
        if (held_out(ps, s)) continue;
        for (uint32_t w = td->sent_start[s]; w < end && !st; w++) {
            memcpy(feats, td->feats + (size_t)w * N_STATIC, N_STATIC * sizeof *feats);
            size_t n = N_STATIC + history_features(td->lex[w], td->norm[w], m1, m2,
                                                   feats + N_STATIC);
            if (ps->ahead) {
                uint32_t window[3];
                for (uint32_t a = 0; a < 3; a++)
                    window[a] = w + a < end ? ps->ahead[w + a] : 0;
                n += ahead_features(td->norm[w], m1, window, feats + n);
            }
            nlp__perceptron_scores(p, feats, n, scores);
            uint32_t guess = argmax(scores, tg->n_classes);
            *correct += guess == td->gold[w];
            (*seen)++;
            st = nlp__perceptron_update(p, feats, n, td->gold[w], guess, 1.0f);
            nlp__perceptron_tick(p);
            m2 = m1;
            m1 = guess + 1;
        }
    }
    nlp__free(tg->alloc, scores);
    return st;
}

typedef struct dev_scores {
    size_t words, tag_ok, pos_ok, morph_ok;
} dev_scores_t;

static int same_string(nlp_hash_t id, const char *s) {
    return id == nlp_hash_string(s, strlen(s));
}

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
        if (st) return st;
        st = nlp__run_components_on(upstream, n_upstream, doc, scratch);
        if (!st) st = tagger_process(&tg->base, doc, scratch);
        nlp__arena_reset(scratch);
        for (uint32_t i = 0; i < sent->n_words && !st; i++) {
            const nlp__gold_word_t *g = &sent->words[i];
            const nlp_token_t *t = &doc->tokens[i];
            out->words++;
            if (tg->super) {
                char stag[128];
                supertag(stag, sizeof stag, g, i);
                out->tag_ok += doc->supertags[i] ==
                               nlp__supertag_id(nlp_hash_string(stag, strlen(stag)));
                out->pos_ok++; /* so the epoch is chosen by supertags alone */
                continue;
            }
            out->tag_ok += same_string(t->tag, g->xpos);
            out->pos_ok += same_string(t->pos, g->upos);
            out->morph_ok += same_string(t->morph, g->feats);
        }
        nlp_doc_free(doc);
        if (st) return st;
    }
    return NLP_OK;
}

static double ratio(size_t a, size_t b) { return b ? (double)a / (double)b : 0.0; }

/* Trains one model for `epochs` epochs. With `dev`, the model is the last
 * pass: after each epoch it is scored on dev (with tg->model as the first
 * pass of two) and the best epoch's image is kept; otherwise the last
 * epoch's. The image is returned in *image (caller frees). */
static nlp_status_t train_model(tagger_t *tg, const train_data_t *td,
                                const pass_spec_t *ps, uint32_t epochs,
                                nlp_vocab_t *vocab, const nlp__corpus_t *dev,
                                const nlp__component_t *const *upstream,
                                size_t n_upstream, const nlp__train_opts_t *opts,
                                nlp__arena_t *scratch, void **image, size_t *len) {
    const nlp_allocator_t *alloc = tg->alloc;
    *image = NULL;
    *len = 0;
    nlp__perceptron_t *p = NULL;
    nlp_status_t st = nlp__perceptron_create(alloc, (uint32_t)tg->n_classes, &p);
    uint32_t *order = st ? NULL : nlp__calloc(alloc, td->n_sents ? td->n_sents : 1, sizeof *order);
    if (!st && !order) st = NLP_NOMEM;
    uint64_t rng = opts->seed ^ ((uint64_t)ps->fold << 32) ^ (ps->ahead ? 0x5eedu : 0);
    double best_score = -1.0;
    for (uint32_t e = 0; e < epochs && !st; e++) {
        size_t correct, seen;
        void *img = NULL;
        size_t img_len = 0;
        dev_scores_t ds = {0};
        st = train_epoch(td, tg, ps, p, order, &rng, &correct, &seen);
        if (st || (!dev && e + 1 < epochs)) continue;
        nlp__freeze_opts_t fo = {.min_weight = td->n_words >= PRUNE_MIN_WORDS ? MIN_WEIGHT : 0};
        st = nlp__perceptron_freeze_opts(p, &fo, &img, &img_len);
        if (!st && dev)
            st = nlp__linear_open(img, img_len, last_pass(tg));
        if (!st && dev) st = score_dev(tg, vocab, dev, upstream, n_upstream, scratch, &ds);
        if (st) {
            nlp__free(alloc, img);
            break;
        }
        double score = ratio(ds.tag_ok + ds.pos_ok, 2 * ds.words);
        if (opts->log && dev && tg->super)
            fprintf(opts->log,
                    "supertagger epoch %u: train_acc %.4f supertag_acc %.4f "
                    "features %u weights %zu bytes\n",
                    e + 1, ratio(correct, seen), ratio(ds.tag_ok, ds.words),
                    last_pass(tg)->n_features, img_len);
        else if (opts->log && dev)
            fprintf(opts->log,
                    "tagger epoch %u: train_acc %.4f tag_acc %.4f pos_acc %.4f "
                    "morph_acc %.4f features %u weights %zu bytes\n",
                    e + 1, ratio(correct, seen), ratio(ds.tag_ok, ds.words),
                    ratio(ds.pos_ok, ds.words), ratio(ds.morph_ok, ds.words),
                    last_pass(tg)->n_features, img_len);
        if (!ds.words || score > best_score) {
            best_score = score;
            nlp__free(alloc, *image);
            *image = img;
            *len = img_len;
        } else {
            nlp__free(alloc, img);
        }
    }
    if (!st && !*image)
        st = nlp__fail(NLP_INVALID_ARG, "%s: no epoch was trained", kind_name(tg->super));
    if (st) {
        nlp__free(alloc, *image);
        *image = NULL;
    }
    nlp__free(alloc, order);
    nlp__perceptron_free(p);
    return st;
}

/* Tags the training sentences s with s % n_folds == fold (all when n_folds
 * is 0) with a frozen first-pass model, writing class + 1 per word. */
static nlp_status_t tag_train_words(const tagger_t *tg, const train_data_t *td,
                                    const void *image, size_t len,
                                    const pass_spec_t *ps, uint32_t *out) {
    nlp__linear_t m;
    nlp_status_t st = nlp__linear_open(image, len, &m);
    float *scores = st ? NULL : nlp__malloc(tg->alloc, tg->n_classes * sizeof *scores);
    if (!st && !scores) st = NLP_NOMEM;
    for (size_t s = 0; s < td->n_sents && !st; s++) {
        if (ps->n_folds && !held_out(ps, s)) continue;
        pass_t first = {&m, 0, 0};
        for (size_t w = td->sent_start[s]; w < td->sent_start[s + 1]; w++)
            out[w] = tag_word(tg, &first, td->feats + w * N_STATIC, td->norm[w],
                              td->lex[w], NULL, scores);
    }
    nlp__free(tg->alloc, scores);
    return st;
}

/* Stores a finished model image as section `sec` and attaches it. */
static nlp_status_t keep_model(tagger_t *tg, int sec, void *image, size_t len) {
    nlp__free(tg->alloc, tg->owned[sec]);
    tg->owned[sec] = image;
    tg->sec[sec] = image;
    tg->sec_len[sec] = len;
    return nlp__linear_open(image, len, sec == SEC_MODEL ? &tg->model : &tg->model2);
}

/* The passes. With two, the second pass learns from first-pass guesses that are
 * as wrong as they will be at run time: each training sentence is tagged
 * by a first-pass model trained without it (jackknifing over N_FOLDS
 * folds). The first pass used at run time is then trained on everything. */
static nlp_status_t train_passes(tagger_t *tg, const train_data_t *td,
                                 nlp_vocab_t *vocab, const nlp__corpus_t *dev,
                                 const nlp__component_t *const *upstream,
                                 size_t n_upstream, const nlp__train_opts_t *opts,
                                 nlp__arena_t *scratch) {
    const nlp_allocator_t *alloc = tg->alloc;
    uint32_t epochs = opts->epochs ? opts->epochs : DEFAULT_EPOCHS;
    if (tg->passes == 1) {
        /* The first pass is the last: trained on everything, chosen on dev. */
        pass_spec_t only = {NULL, 0, 0};
        void *image = NULL;
        size_t len = 0;
        nlp_status_t st = train_model(tg, td, &only, epochs, vocab, dev, upstream, n_upstream,
                                      opts, scratch, &image, &len);
        /* train_model frees the image itself when it fails. */
        return st ? st : keep_model(tg, SEC_MODEL, image, len);
    }
    uint32_t first_epochs = epochs * 2 / 3 ? epochs * 2 / 3 : 1;
    uint32_t n_folds = td->n_sents >= 2 * N_FOLDS ? N_FOLDS : 0;
    uint32_t *ahead = nlp__calloc(alloc, td->n_words + 1, sizeof *ahead);
    if (!ahead) return NLP_NOMEM;
    nlp_status_t st = NLP_OK;
    void *image = NULL;
    size_t len = 0;
    for (uint32_t fold = 0; fold < n_folds && !st; fold++) {
        pass_spec_t ps = {NULL, fold, n_folds};
        st = train_model(tg, td, &ps, first_epochs, vocab, NULL, upstream, n_upstream,
                         opts, scratch, &image, &len);
        if (!st) st = tag_train_words(tg, td, image, len, &ps, ahead);
        nlp__free(alloc, image);
        image = NULL;
        if (!st && opts->log)
            fprintf(opts->log, "%s: first pass, fold %u of %u\n", kind_name(tg->super),
                    fold + 1, n_folds);
    }
    pass_spec_t all = {NULL, 0, 0};
    if (!st) st = train_model(tg, td, &all, first_epochs, vocab, NULL, upstream, n_upstream,
                              opts, scratch, &image, &len);
    /* Too few sentences to hold any out: the first pass tags its own data. */
    if (!st && !n_folds) st = tag_train_words(tg, td, image, len, &all, ahead);
    if (!st) st = keep_model(tg, SEC_MODEL, image, len);
    else nlp__free(alloc, image);
    image = NULL;
    pass_spec_t second = {ahead, 0, 0};
    if (!st) st = train_model(tg, td, &second, epochs, vocab, dev, upstream, n_upstream, opts,
                              scratch, &image, &len);
    if (!st) st = keep_model(tg, SEC_MODEL2, image, len);
    else nlp__free(alloc, image);
    nlp__free(alloc, ahead);
    return st;
}

static nlp_status_t train_tagger(nlp_vocab_t *vocab, const nlp__corpus_t *train,
                                 const nlp__corpus_t *dev,
                                 const nlp__component_t *const *upstream,
                                 size_t n_upstream, const nlp__train_opts_t *opts,
                                 bool super, nlp__component_t **out) {
    *out = NULL;
    const nlp_allocator_t *alloc = opts->alloc ? opts->alloc : vocab->alloc;
    uint32_t passes = opts->tagger_passes ? opts->tagger_passes : 2;
    if (passes > 2)
        return nlp__fail(NLP_INVALID_ARG, "%s: %u passes (1 or 2)", kind_name(super),
                         opts->tagger_passes);
    train_data_t td;
    memset(&td, 0, sizeof td);
    nlp__chunk_cache_t cache;
    nlp__arena_t scratch;
    nlp__chunk_cache_init(&cache, alloc, 64u << 10, 2);
    nlp__arena_init(&scratch, &cache);
    td.super = super;
    tagger_t *tg = tagger_alloc(alloc, super);
    nlp_status_t st = tg ? NLP_OK : NLP_NOMEM;
    if (tg) tg->passes = passes; /* written to the config, read back on attach */
    if (!st) st = count_corpus(&td, vocab, alloc, train);
    if (!st) st = build_lexicons(tg, &td, alloc, train);
    if (!st) st = tagger_attach(tg, vocab);
    if (!st) st = build_train_set(&td, vocab, alloc, train, upstream, n_upstream, &scratch);
    if (!st) st = train_passes(tg, &td, vocab, dev, upstream, n_upstream, opts, &scratch);
    train_data_free(&td, alloc);
    nlp__arena_destroy(&scratch);
    nlp__chunk_cache_destroy(&cache);
    if (st) {
        tagger_free(tg ? &tg->base : NULL);
        return st;
    }
    *out = &tg->base;
    return NLP_OK;
}

nlp_status_t nlp__tagger_train(nlp_vocab_t *vocab, const nlp__corpus_t *train,
                               const nlp__corpus_t *dev,
                               const nlp__component_t *const *upstream,
                               size_t n_upstream, const nlp__train_opts_t *opts,
                               nlp__component_t **out) {
    return train_tagger(vocab, train, dev, upstream, n_upstream, opts, false, out);
}

nlp_status_t nlp__supertagger_train(nlp_vocab_t *vocab, const nlp__corpus_t *train,
                                    const nlp__corpus_t *dev,
                                    const nlp__component_t *const *upstream,
                                    size_t n_upstream, const nlp__train_opts_t *opts,
                                    nlp__component_t **out) {
    return train_tagger(vocab, train, dev, upstream, n_upstream, opts, true, out);
}

nlp_status_t nlp__tagger_load(nlp_vocab_t *vocab, const nlp__model_reader_t *r,
                              const char *prefix, nlp__component_t **out) {
    return load_tagger(vocab, r, prefix, false, out);
}

nlp_status_t nlp__supertagger_load(nlp_vocab_t *vocab, const nlp__model_reader_t *r,
                                   const char *prefix, nlp__component_t **out) {
    return load_tagger(vocab, r, prefix, true, out);
}
