/* The entity recogniser: a BILUO transition system (models/biluo.h) decoded
 * greedily, one action per token, by an averaged perceptron over the
 * features of models/ner_features.h, with an entity lexicon learned from
 * the training corpus (models/ner_lexicon.h).
 *
 * Training follows the recogniser's own predictions after the first epoch
 * and learns from the dynamic oracle's zero-cost actions, so it sees the
 * states its mistakes lead to. The lexicon features of a training sentence
 * come from a lexicon built without the sentence's fold of documents, so the
 * model learns how far to trust the lexicon on names it has not seen.
 *
 * Model sections (names prefixed with the component's prefix):
 *   .config   magic, feature version, label count,
 *   .labels   entity labels (models/labels.h),
 *   .model    the frozen perceptron image (models/perceptron.h),
 *   .lexicon  the entity lexicon image (models/ner_lexicon.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "doc/doc.h"
#include "eval/ents_score.h"
#include "models/biluo.h"
#include "models/labels.h"
#include "models/ner_features.h"
#include "models/ner_lexicon.h"
#include "models/perceptron.h"
#include "models/train.h"
#include "models/train_util.h"

#define CONFIG_MAGIC "SPCNER01"
#define DEFAULT_EPOCHS 15u
/* Documents are spread over this many folds for the lexicon features. */
#define LEXICON_FOLDS 5u
/* After the first epoch, training follows its own prediction this often
 * (out of 1024) and the oracle otherwise. */
#define EXPLORE_PER_1024 1024u
/* Averaged weights smaller than this are dropped from the model image. */
#define FREEZE_MIN_WEIGHT 0.0f

typedef struct config_section {
    char magic[8];
    uint32_t feature_version;
    uint32_t n_labels;
} config_section_t;

typedef struct ner {
    nlp__component_t base;
    const nlp_allocator_t *alloc;
    nlp__linear_t model;
    nlp__ner_lexicon_t lexicon;
    const void *image, *lexicon_image, *labels_blob; /* owned or mapped */
    size_t image_len, lexicon_len, labels_len;
    void *owned_image, *owned_lexicon, *owned_labels;
    const char **blob_labels; /* pointers into labels_blob */
    const char **names;       /* the same labels as permanent strings */
    nlp_hash_t *label_ids;
    uint32_t n_labels, n_actions;
} ner_t;

/* ---- Decoding ----------------------------------------------------------- */

/* The highest-scoring valid action (OUT is always valid unless an entity
 * is open, and then LAST is). */
static uint32_t best_valid(const float *scores, const nlp__biluo_state_t *s,
                           uint32_t n_labels) {
    uint32_t n = nlp__biluo_n_actions(n_labels), best = UINT32_MAX;
    for (uint32_t a = 0; a < n; a++)
        if ((best == UINT32_MAX || scores[a] > scores[best]) &&
            nlp__biluo_valid(s, n_labels, a))
            best = a;
    return best;
}

/* Labels the tokens of `doc` and sets its entities. */
static nlp_status_t ner_process(const nlp__component_t *self, nlp_doc_t *doc,
                                nlp__arena_t *scratch) {
    const ner_t *ner = (const ner_t *)self;
    nlp_status_t st = nlp__doc_check(doc);
    if (st) return st;
    uint32_t n = doc->n_tokens;
    nlp__ner_token_t *tokens;
    if ((st = nlp__ner_tokens_fill(doc, &ner->lexicon, scratch, &tokens))) return st;
    float *scores = NLP__ARENA_NEW(scratch, float, ner->n_actions);
    nlp_span_t *ents = NLP__ARENA_NEW(scratch, nlp_span_t, n ? n : 1);
    if (!scores || !ents) return NLP_NOMEM;
    uint64_t feats[NLP__NER_MAX_FEATS];
    size_t n_ents = 0;
    for (uint32_t start = 0; start < n;) {
        nlp__biluo_state_t s = nlp__biluo_init(start, nlp__doc_sent_end(doc, start));
        uint32_t prev1 = NLP__NER_NO_ACTION, prev2 = NLP__NER_NO_ACTION;
        while (!nlp__biluo_done(&s)) {
            nlp__ner_static_features(tokens, s.i, feats);
            size_t k = NLP__NER_N_STATIC +
                       nlp__ner_state_features(tokens, &s, prev1, prev2,
                                               feats + NLP__NER_N_STATIC);
            nlp__linear_scores(&ner->model, feats, k, scores);
            uint32_t action = best_valid(scores, &s, ner->n_labels);
            nlp__biluo_span_t span;
            bool has_span;
            if ((st = nlp__biluo_apply(&s, ner->n_labels, action, &span, &has_span)))
                return st;
            if (has_span)
                ents[n_ents++] = (nlp_span_t){span.start, span.end, 0, 0,
                                              ner->label_ids[span.label]};
            prev2 = prev1;
            prev1 = action;
        }
        start = s.end;
    }
    /* nlp__doc_set_ents fills in the character offsets. */
    return nlp__doc_set_ents(doc, ents, n_ents);
}

static nlp_status_t ner_labels(const nlp__component_t *self, const char **labels,
                               size_t cap, size_t *n) {
    const ner_t *ner = (const ner_t *)self;
    for (size_t i = 0; i < ner->n_labels && i < cap; i++) labels[i] = ner->names[i];
    *n = ner->n_labels;
    return NLP_OK;
}

/* ---- Model sections ----------------------------------------------------- */

/* prefix + suffix into buf, or NLP_LIMIT when the name is too long. */
static nlp_status_t section_name(char *buf, const char *prefix,
                                 const char *suffix) {
    int n = snprintf(buf, NLP__MODEL_SECTION_NAME_MAX + 1, "%s%s", prefix, suffix);
    if (n < 0 || n > NLP__MODEL_SECTION_NAME_MAX)
        return nlp__fail(NLP_LIMIT, "section name \"%s%s\" is too long", prefix, suffix);
    return NLP_OK;
}

static nlp_status_t add_section(nlp__model_writer_t *w, const char *prefix,
                                const char *suffix, const void *data, size_t len) {
    char name[NLP__MODEL_SECTION_NAME_MAX + 1];
    nlp_status_t st = section_name(name, prefix, suffix);
    return st ? st : nlp__model_writer_add(w, name, data, len);
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

static nlp_status_t ner_save(const nlp__component_t *self,
                             nlp__model_writer_t *w, const char *prefix) {
    const ner_t *ner = (const ner_t *)self;
    config_section_t cfg;
    memset(&cfg, 0, sizeof cfg);
    memcpy(cfg.magic, CONFIG_MAGIC, sizeof cfg.magic);
    cfg.feature_version = NLP__NER_FEATURE_VERSION;
    cfg.n_labels = ner->n_labels;
    nlp_status_t st;
    if ((st = add_section(w, prefix, ".config", &cfg, sizeof cfg)) ||
        (st = add_section(w, prefix, ".labels", ner->labels_blob, ner->labels_len)) ||
        (st = add_section(w, prefix, ".model", ner->image, ner->image_len)) ||
        (st = add_section(w, prefix, ".lexicon", ner->lexicon_image, ner->lexicon_len)))
        return st;
    return NLP_OK;
}

static void ner_free(nlp__component_t *self) {
    ner_t *ner = (ner_t *)self;
    if (!ner) return;
    nlp__free(ner->alloc, ner->owned_image);
    nlp__free(ner->alloc, ner->owned_lexicon);
    nlp__free(ner->alloc, ner->owned_labels);
    nlp__free(ner->alloc, ner->blob_labels);
    nlp__free(ner->alloc, ner->names);
    nlp__free(ner->alloc, ner->label_ids);
    nlp__free(ner->alloc, ner);
}

static const nlp__component_ops_t ner_ops = {
    .name = "ner",
    .process = ner_process,
    .labels = ner_labels,
    .save = ner_save,
    .free = ner_free,
};

/* A recogniser with the given labels (the blob is borrowed unless `owned`,
 * which it then frees even on failure) and no model yet. The labels are
 * interned permanently, so no zone may be open. */
static nlp_status_t ner_new(nlp_vocab_t *vocab, const nlp_allocator_t *alloc,
                            const void *blob, size_t len, void *owned,
                            ner_t **out) {
    *out = NULL;
    ner_t *ner = nlp__calloc(alloc, 1, sizeof *ner);
    if (!ner) {
        nlp__free(alloc, owned);
        return NLP_NOMEM;
    }
    ner->base.ops = &ner_ops;
    ner->alloc = alloc;
    ner->labels_blob = blob;
    ner->labels_len = len;
    ner->owned_labels = owned;
    size_t n = 0;
    nlp_status_t st = nlp__labels_decode(alloc, blob, len, &ner->blob_labels, &n);
    if (!st && (n == 0 || n > NLP__BILUO_MAX_LABELS))
        st = nlp__fail(NLP_MODEL_CORRUPT, "ner: %zu labels (1..%u)", n,
                       NLP__BILUO_MAX_LABELS);
    if (!st) {
        ner->n_labels = (uint32_t)n;
        ner->n_actions = nlp__biluo_n_actions(ner->n_labels);
        ner->names = nlp__calloc(alloc, n, sizeof *ner->names);
        ner->label_ids = nlp__calloc(alloc, n, sizeof *ner->label_ids);
        if (!ner->names || !ner->label_ids) st = NLP_NOMEM;
    }
    for (size_t i = 0; i < n && !st; i++) {
        const char *s = ner->blob_labels[i];
        size_t slen = strlen(s);
        st = nlp_vocab_add_string(vocab, NULL, s, slen, &ner->label_ids[i]);
        if (st == NLP_ZONE_OPEN)
            st = nlp__fail(st, "ner labels are added permanently: no memory zone "
                               "may be open while a model loads");
        if (!st) st = nlp_vocab_string(vocab, NULL, ner->label_ids[i], &ner->names[i], &slen);
    }
    if (st) {
        ner_free(&ner->base);
        return st;
    }
    *out = ner;
    return NLP_OK;
}

/* Points the recogniser at its model and lexicon images (owned when the
 * owned_* pointers are set). */
static nlp_status_t ner_attach(ner_t *ner, const void *image, size_t image_len,
                               const void *lexicon, size_t lexicon_len) {
    nlp_status_t st;
    if ((st = nlp__linear_open(image, image_len, &ner->model)) ||
        (st = nlp__ner_lexicon_open(lexicon, lexicon_len, &ner->lexicon)))
        return st;
    if (ner->model.n_classes != ner->n_actions)
        return nlp__fail(NLP_MODEL_CORRUPT, "ner: %u classes for %u labels",
                         ner->model.n_classes, ner->n_labels);
    if (ner->lexicon.n_labels != ner->n_labels)
        return nlp__fail(NLP_MODEL_CORRUPT, "ner: lexicon of %u labels for %u",
                         ner->lexicon.n_labels, ner->n_labels);
    ner->image = image;
    ner->image_len = image_len;
    ner->lexicon_image = lexicon;
    ner->lexicon_len = lexicon_len;
    return NLP_OK;
}

nlp_status_t nlp__ner_load(nlp_vocab_t *vocab, const nlp__model_reader_t *r,
                           const char *prefix, nlp__component_t **out) {
    *out = NULL;
    const void *cfg_data, *labels, *image, *lexicon;
    size_t cfg_len, labels_len, image_len, lexicon_len;
    nlp_status_t st;
    if ((st = get_section(r, prefix, ".config", &cfg_data, &cfg_len)) ||
        (st = get_section(r, prefix, ".labels", &labels, &labels_len)) ||
        (st = get_section(r, prefix, ".model", &image, &image_len)) ||
        (st = get_section(r, prefix, ".lexicon", &lexicon, &lexicon_len)))
        return st;
    config_section_t cfg;
    if (cfg_len != sizeof cfg)
        return nlp__fail(NLP_MODEL_CORRUPT, "ner: config of %zu bytes", cfg_len);
    memcpy(&cfg, cfg_data, sizeof cfg);
    if (memcmp(cfg.magic, CONFIG_MAGIC, sizeof cfg.magic) != 0)
        return nlp__fail(NLP_MODEL_CORRUPT, "ner: bad config magic");
    if (cfg.feature_version != NLP__NER_FEATURE_VERSION)
        return nlp__fail(NLP_MODEL_VERSION, "ner: feature version %u, this "
                         "library reads %u", cfg.feature_version,
                         NLP__NER_FEATURE_VERSION);
    ner_t *ner;
    if ((st = ner_new(vocab, vocab->alloc, labels, labels_len, NULL, &ner))) return st;
    if (cfg.n_labels != ner->n_labels)
        st = nlp__fail(NLP_MODEL_CORRUPT, "ner: config says %u labels, found %u",
                       cfg.n_labels, ner->n_labels);
    if (!st) st = ner_attach(ner, image, image_len, lexicon, lexicon_len);
    if (st) {
        ner_free(&ner->base);
        return st;
    }
    *out = &ner->base;
    return NLP_OK;
}

