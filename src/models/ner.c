/* The entity recogniser: a BILUO transition system (models/biluo.h) decoded
 * greedily, one action per token, by an averaged perceptron over the
 * features of models/ner_features.h, with an entity lexicon learned from
 * the training corpus (models/ner_lexicon.h).
 *
 * Training follows the recogniser's own predictions after the first epoch
 * and learns from the dynamic oracle's zero-cost actions, so it sees the
 * states its mistakes lead to. It also hides the identity of a random share
 * of capitalised words, as new text is full of names training never saw.
 * The lexicon features of a training sentence come from a lexicon built without the sentence's fold of documents, so the
 * model learns how far to trust the lexicon on names it has not seen.
 *
 * Model sections (names prefixed with the component's prefix):
 *   .config   magic, feature version, label count,
 *   .labels   entity labels (models/labels.h),
 *   .model    the frozen perceptron image (models/perceptron.h),
 *   .lexicon  the entity lexicon image (models/ner_lexicon.h),
 *   .label_bias  optional: one float per label, added to the scores of
 *            BEGIN and UNIT of that label (0 when absent),
 *   .gazetteer  optional: a gazetteer image (models/ner_lexicon.h), lists
 *            of names given at training; without it the gazetteer
 *            features stay absent.
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
#include "models/sections.h"
#include "models/train.h"
#include "models/train_util.h"

#define CONFIG_MAGIC "SPCNER02"
#define DEFAULT_EPOCHS 15u
/* Documents are spread over this many folds for the lexicon features. */
#define LEXICON_FOLDS 5u
/* After the first epoch, training follows its own prediction this often
 * (out of 1024) and the oracle otherwise. */
#define EXPLORE_PER_1024 1024u
/* Training hides the identity of a capitalised word this often (out of
 * 1024 steps), so the model does not lean on memorised names alone. */
#define HIDE_WORD_PER_1024 256u
/* Averaged weights smaller than this are dropped from the model image. */
#define FREEZE_MIN_WEIGHT 0.0f

/* Values of the OUT bias the trainer tries on the dev corpus, in score
 * units (one unit is one perceptron update). Unseen names make a greedy
 * recogniser cautious; a bias against OUT trades some precision for
 * recall where that raises the F-score. */
static const float out_bias_candidates[] = {0, 2, 4, 6, 8, 12, 16, 24};

/* Values of a label's bias (added to the scores of the actions that open
 * an entity of that label) the trainer tries on the dev corpus after the
 * OUT bias: types differ in how often the model misses them. */
static const float label_bias_candidates[] = {-6, -4, -2, 0, 2, 4, 6, 8};

typedef struct config_section {
    char magic[8];
    uint32_t feature_version;
    uint32_t n_labels;
    float out_bias; /* subtracted from the score of OUT */
    uint32_t reserved;
} config_section_t;

typedef struct ner {
    nlp__component_t base;
    const nlp_allocator_t *alloc;
    nlp__linear_t model;
    nlp__ner_lexicon_t lexicon;
    nlp__ner_lexicon_t gazetteer; /* n_slots 0: none */
    const void *image, *lexicon_image, *labels_blob; /* owned or mapped */
    const void *gazetteer_image;
    size_t image_len, lexicon_len, labels_len, gazetteer_len;
    void *owned_image, *owned_lexicon, *owned_labels, *owned_gazetteer;
    const char **blob_labels; /* pointers into labels_blob */
    const char **names;       /* the same labels as permanent strings */
    nlp_hash_t *label_ids;
    uint32_t n_labels, n_actions;
    float out_bias;
    float *label_bias; /* n_labels */
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

/* Adds the decision biases to the model's scores. */
static void apply_bias(const ner_t *ner, float *scores) {
    scores[0] -= ner->out_bias;
    for (uint32_t l = 0; l < ner->n_labels; l++) {
        scores[nlp__biluo_action(NLP__BILUO_BEGIN, l)] += ner->label_bias[l];
        scores[nlp__biluo_action(NLP__BILUO_UNIT, l)] += ner->label_bias[l];
    }
}

/* Per-sentence buffers of ner_process, grown to the longest sentence. */
typedef struct sentence_buffers {
    nlp__ner_token_t *tokens; /* NLP__NER_TOKEN_PAD empty entries first */
    uint64_t *lower;
    uint32_t *codes; /* 2 * cap */
    size_t cap; /* words */
} sentence_buffers_t;

static nlp_status_t buffers_reserve(sentence_buffers_t *b, size_t n,
                                    nlp__arena_t *scratch) {
    if (n <= b->cap) return NLP_OK;
    size_t cap = b->cap ? 2 * b->cap : 64;
    while (cap < n) cap *= 2;
    size_t pad = NLP__NER_TOKEN_PAD, old_entries = b->cap ? b->cap + 2 * pad : 0;
    nlp__ner_token_t *tokens = NLP__ARENA_GROW(scratch, b->tokens, nlp__ner_token_t,
                                               old_entries, cap + 2 * pad);
    if (!tokens) return NLP_NOMEM;
    b->tokens = tokens;
    if (!old_entries) /* the leading padding, never written after */
        for (size_t k = 0; k < pad; k++) nlp__ner_sentence_pad(&tokens[k]);
    uint64_t *lower = NLP__ARENA_NEW(scratch, uint64_t, cap);
    uint32_t *codes = NLP__ARENA_NEW(scratch, uint32_t, 2 * cap);
    if (!lower || !codes) return NLP_NOMEM;
    b->lower = lower;
    b->codes = codes;
    b->cap = cap;
    return NLP_OK;
}

/* Appends an entity to a growing array. */
static nlp_status_t push_ent(nlp_span_t **ents, size_t *n, size_t *cap,
                             nlp_span_t span, nlp__arena_t *scratch) {
    if (*n == *cap) {
        size_t grown = *cap ? 2 * *cap : 16;
        nlp_span_t *e = NLP__ARENA_GROW(scratch, *ents, nlp_span_t, *cap, grown);
        if (!e) return NLP_NOMEM;
        *ents = e;
        *cap = grown;
    }
    (*ents)[(*n)++] = span;
    return NLP_OK;
}

/* The lexicons the features read: `corpus` and the gazetteer, if any. */
static nlp__ner_lexicons_t ner_lexicons(const ner_t *ner,
                                        const nlp__ner_lexicon_t *corpus) {
    return (nlp__ner_lexicons_t){
        .corpus = corpus,
        .gazetteer = ner->gazetteer.n_slots ? &ner->gazetteer : NULL,
    };
}

/* Labels the tokens of `doc` and sets its entities. Features never cross a
 * sentence boundary, so sentences are gathered one at a time and memory
 * follows the longest sentence, not the Doc. */
static nlp_status_t ner_process(const nlp__component_t *self, nlp_doc_t *doc,
                                nlp__arena_t *scratch) {
    const ner_t *ner = (const ner_t *)self;
    nlp_status_t st = nlp__doc_check(doc);
    if (st) return st;
    uint32_t n = doc->n_tokens;
    float *scores = NLP__ARENA_NEW(scratch, float, ner->n_actions);
    if (!scores) return NLP_NOMEM;
    sentence_buffers_t buf = {0};
    nlp_span_t *ents = NULL;
    size_t n_ents = 0, cap_ents = 0;
    uint64_t feats[NLP__NER_MAX_FEATS];
    for (uint32_t start = 0; start < n;) {
        uint32_t end = nlp__doc_sent_end(doc, start);
        if ((st = buffers_reserve(&buf, end - start, scratch))) return st;
        nlp__ner_token_t *sent = buf.tokens + NLP__NER_TOKEN_PAD;
        nlp__ner_sentence_fill(doc, start, end, ner_lexicons(ner, &ner->lexicon), sent,
                               buf.lower, buf.codes);
        nlp__biluo_state_t s = nlp__biluo_init(0, end - start);
        uint32_t prev1 = NLP__NER_NO_ACTION, prev2 = NLP__NER_NO_ACTION;
        while (!nlp__biluo_done(&s)) {
            nlp__ner_static_features(sent, s.i, false, feats);
            size_t k = NLP__NER_N_STATIC +
                       nlp__ner_state_features(sent, &s, prev1, prev2,
                                               feats + NLP__NER_N_STATIC);
            nlp__linear_scores(&ner->model, feats, k, scores);
            apply_bias(ner, scores);
            uint32_t action = best_valid(scores, &s, ner->n_labels);
            nlp__biluo_span_t span;
            bool has_span;
            if ((st = nlp__biluo_apply(&s, ner->n_labels, action, &span, &has_span)))
                return st;
            if (has_span &&
                (st = push_ent(&ents, &n_ents, &cap_ents,
                               (nlp_span_t){start + span.start, start + span.end, 0,
                                            0, ner->label_ids[span.label]},
                               scratch)))
                return st;
            prev2 = prev1;
            prev1 = action;
        }
        start = end;
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

static nlp_status_t ner_save(const nlp__component_t *self,
                             nlp__model_writer_t *w, const char *prefix) {
    const ner_t *ner = (const ner_t *)self;
    config_section_t cfg;
    memset(&cfg, 0, sizeof cfg);
    memcpy(cfg.magic, CONFIG_MAGIC, sizeof cfg.magic);
    cfg.feature_version = NLP__NER_FEATURE_VERSION;
    cfg.n_labels = ner->n_labels;
    cfg.out_bias = ner->out_bias;
    nlp_status_t st;
    if ((st = nlp__section_put(w, prefix, ".config", &cfg, sizeof cfg)) ||
        (st = nlp__section_put(w, prefix, ".labels", ner->labels_blob, ner->labels_len)) ||
        (st = nlp__section_put(w, prefix, ".model", ner->image, ner->image_len)) ||
        (st = nlp__section_put(w, prefix, ".lexicon", ner->lexicon_image, ner->lexicon_len)) ||
        (st = nlp__section_put(w, prefix, ".label_bias", ner->label_bias,
                          ner->n_labels * sizeof *ner->label_bias)))
        return st;
    if (ner->gazetteer_image &&
        (st = nlp__section_put(w, prefix, ".gazetteer", ner->gazetteer_image,
                               ner->gazetteer_len)))
        return st;
    return NLP_OK;
}

static void ner_free(nlp__component_t *self) {
    ner_t *ner = (ner_t *)self;
    if (!ner) return;
    nlp__free(ner->alloc, ner->owned_image);
    nlp__free(ner->alloc, ner->owned_lexicon);
    nlp__free(ner->alloc, ner->owned_gazetteer);
    nlp__free(ner->alloc, ner->owned_labels);
    nlp__free(ner->alloc, ner->blob_labels);
    nlp__free(ner->alloc, ner->names);
    nlp__free(ner->alloc, ner->label_ids);
    nlp__free(ner->alloc, ner->label_bias);
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
        ner->label_bias = nlp__calloc(alloc, n, sizeof *ner->label_bias);
        if (!ner->names || !ner->label_ids || !ner->label_bias) st = NLP_NOMEM;
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
    if (ner->lexicon.n_labels != ner->n_labels || ner->lexicon.is_gazetteer)
        return nlp__fail(NLP_MODEL_CORRUPT, "ner: lexicon of %u labels for %u",
                         ner->lexicon.n_labels, ner->n_labels);
    ner->image = image;
    ner->image_len = image_len;
    ner->lexicon_image = lexicon;
    ner->lexicon_len = lexicon_len;
    return NLP_OK;
}

/* Points the recogniser at a gazetteer image (NULL: none; owned when
 * owned_gazetteer is set). */
static nlp_status_t attach_gazetteer(ner_t *ner, const void *image, size_t len) {
    ner->gazetteer = (nlp__ner_lexicon_t){0};
    ner->gazetteer_image = NULL;
    ner->gazetteer_len = 0;
    if (!image) return NLP_OK;
    nlp_status_t st = nlp__ner_lexicon_open(image, len, &ner->gazetteer);
    if (!st && !ner->gazetteer.is_gazetteer)
        st = nlp__fail(NLP_MODEL_CORRUPT, "ner: the gazetteer section holds a "
                                          "corpus lexicon");
    if (!st && (ner->gazetteer.n_labels == 0 ||
                ner->gazetteer.n_labels > NLP__NER_GAZ_MAX_CATEGORIES))
        st = nlp__fail(NLP_MODEL_CORRUPT, "ner: gazetteer of %u categories",
                       ner->gazetteer.n_labels);
    if (st) {
        ner->gazetteer = (nlp__ner_lexicon_t){0};
        return st;
    }
    ner->gazetteer_image = image;
    ner->gazetteer_len = len;
    return NLP_OK;
}

/* Copies the label biases out of their section (which need not be
 * aligned for floats) and checks them; models without the section keep
 * biases of 0. */
static nlp_status_t read_label_bias(ner_t *ner, const void *data, size_t len) {
    if (!data) return NLP_OK;
    if (len != ner->n_labels * sizeof *ner->label_bias)
        return nlp__fail(NLP_MODEL_CORRUPT, "ner: %zu bytes of label bias for "
                         "%u labels", len, ner->n_labels);
    memcpy(ner->label_bias, data, len);
    for (uint32_t l = 0; l < ner->n_labels; l++)
        if (!(ner->label_bias[l] > -1e6f && ner->label_bias[l] < 1e6f))
            return nlp__fail(NLP_MODEL_CORRUPT, "ner: label bias out of range");
    return NLP_OK;
}

nlp_status_t nlp__ner_load(nlp_vocab_t *vocab, const nlp__model_reader_t *r,
                           const char *prefix, nlp__component_t **out) {
    *out = NULL;
    const void *cfg_data, *labels, *image, *lexicon, *bias, *gazetteer;
    size_t cfg_len, labels_len, image_len, lexicon_len, bias_len, gazetteer_len;
    nlp_status_t st;
    if ((st = nlp__section_get(r, prefix, ".config", &cfg_data, &cfg_len)) ||
        (st = nlp__section_get(r, prefix, ".labels", &labels, &labels_len)) ||
        (st = nlp__section_get(r, prefix, ".model", &image, &image_len)) ||
        (st = nlp__section_get(r, prefix, ".lexicon", &lexicon, &lexicon_len)) ||
        (st = nlp__section_get_optional(r, prefix, ".label_bias", &bias, &bias_len)) ||
        (st = nlp__section_get_optional(r, prefix, ".gazetteer", &gazetteer,
                                        &gazetteer_len)))
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
    /* A NaN or infinite bias would make every decision meaningless. */
    if (!st && !(cfg.out_bias > -1e6f && cfg.out_bias < 1e6f))
        st = nlp__fail(NLP_MODEL_CORRUPT, "ner: OUT bias out of range");
    ner->out_bias = cfg.out_bias;
    if (!st) st = read_label_bias(ner, bias, bias_len);
    if (!st) st = ner_attach(ner, image, image_len, lexicon, lexicon_len);
    if (!st) st = attach_gazetteer(ner, gazetteer, gazetteer_len);
    if (st) {
        ner_free(&ner->base);
        return st;
    }
    *out = &ner->base;
    return NLP_OK;
}


/* ---- Training ----------------------------------------------------------- */

typedef struct train_sent {
    uint32_t first;      /* first word in the per-word arrays */
    uint32_t n;
    uint32_t first_span; /* first gold entity in the span array */
    uint32_t n_spans;
    uint32_t fold;
    size_t tokens_at;    /* where word 0 sits in the token array */
} train_sent_t;

/* The training corpus in the form the epochs need. */
typedef struct train_set {
    const nlp_allocator_t *alloc;
    char **labels;           /* entity type names, sorted */
    nlp_hash_t *label_ids;   /* their string ids */
    uint32_t n_labels;
    train_sent_t *sents;
    size_t n_sents, n_words, n_spans;
    uint64_t *lower;         /* per word, for the lexicon */
    uint8_t *is_lower;
    int32_t *start_label;    /* per word: the oracle's view of the gold */
    uint32_t *last;
    nlp__biluo_span_t *spans;
    /* Per word, with NLP__NER_TOKEN_PAD empty entries before and after
     * each sentence, so features read i-2 .. i+2 as at run time. */
    nlp__ner_token_t *tokens;
} train_set_t;

static void train_set_free(train_set_t *ts) {
    for (uint32_t l = 0; l < ts->n_labels; l++) nlp__free(ts->alloc, ts->labels[l]);
    nlp__free(ts->alloc, ts->labels);
    nlp__free(ts->alloc, ts->label_ids);
    nlp__free(ts->alloc, ts->sents);
    nlp__free(ts->alloc, ts->lower);
    nlp__free(ts->alloc, ts->is_lower);
    nlp__free(ts->alloc, ts->start_label);
    nlp__free(ts->alloc, ts->last);
    nlp__free(ts->alloc, ts->spans);
    nlp__free(ts->alloc, ts->tokens);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the entity types of the corpus' B-/I- tags, sorted by name. */
static nlp_status_t collect_labels(train_set_t *ts, const nlp__corpus_t *train) {
    size_t cap = 0;
    for (size_t s = 0; s < train->n_sents; s++) {
        for (uint32_t i = 0; i < train->sents[s].n_words; i++) {
            const char *tag = train->sents[s].words[i].ner;
            if ((tag[0] != 'B' && tag[0] != 'I') || tag[1] != '-' || !tag[2]) continue;
            const char *type = tag + 2;
            uint32_t l = 0;
            while (l < ts->n_labels && strcmp(ts->labels[l], type) != 0) l++;
            if (l < ts->n_labels) continue;
            if (ts->n_labels == NLP__BILUO_MAX_LABELS)
                return nlp__fail(NLP_LIMIT, "ner: more than %u entity types",
                                 NLP__BILUO_MAX_LABELS);
            if (ts->n_labels == cap) {
                cap = cap ? cap * 2 : 8;
                char **labels = nlp__realloc_array(ts->alloc, ts->labels, cap, sizeof *labels);
                if (!labels) return NLP_NOMEM;
                ts->labels = labels;
            }
            if (!(ts->labels[ts->n_labels] = nlp__strndup(ts->alloc, type, strlen(type))))
                return NLP_NOMEM;
            ts->n_labels++;
        }
    }
    if (ts->n_labels == 0)
        return nlp__fail(NLP_INVALID_ARG, "ner: the training corpus has no entities");
    qsort(ts->labels, ts->n_labels, sizeof *ts->labels, cmp_str);
    ts->label_ids = nlp__calloc(ts->alloc, ts->n_labels, sizeof *ts->label_ids);
    if (!ts->label_ids) return NLP_NOMEM;
    for (uint32_t l = 0; l < ts->n_labels; l++)
        ts->label_ids[l] = nlp_hash_string(ts->labels[l], strlen(ts->labels[l]));
    return NLP_OK;
}

/* Spreads whole documents over the folds (names recur within a document,
 * so a sentence's own document must not feed its lexicon features); a
 * corpus with too few document marks is spread sentence by sentence. */
static void assign_folds(train_set_t *ts, const nlp__corpus_t *train) {
    size_t n_docs = 0;
    for (size_t s = 0; s < train->n_sents; s++) n_docs += train->sents[s].newdoc;
    int by_doc = n_docs >= 4 * LEXICON_FOLDS;
    uint32_t doc = 0;
    for (size_t s = 0; s < train->n_sents; s++) {
        if (by_doc && s > 0 && train->sents[s].newdoc) doc++;
        ts->sents[s].fold = (by_doc ? doc : (uint32_t)s) % LEXICON_FOLDS;
    }
}

/* The gold entities of one sentence as label indices (entities of unknown
 * types are left out) into spans[0..*n); `spans` holds n_words entries. */
static nlp_status_t gold_spans(const train_set_t *ts, const nlp__gold_sent_t *sent,
                               nlp__biluo_span_t *spans, uint32_t *n) {
    *n = 0;
    size_t count = sent->n_words;
    const char **tags = nlp__calloc(ts->alloc, count ? count : 1, sizeof *tags);
    nlp_span_t *found = nlp__calloc(ts->alloc, count ? count : 1, sizeof *found);
    nlp_status_t st = tags && found ? NLP_OK : NLP_NOMEM;
    if (!st) {
        for (size_t i = 0; i < count; i++) tags[i] = sent->words[i].ner;
        size_t n_found;
        nlp__ents_from_iob2(tags, count, found, count, &n_found);
        for (size_t e = 0; e < n_found && e < count; e++)
            for (uint32_t l = 0; l < ts->n_labels; l++)
                if (ts->label_ids[l] == found[e].label) {
                    spans[(*n)++] = (nlp__biluo_span_t){found[e].start, found[e].end, l};
                    break;
                }
    }
    nlp__free(ts->alloc, tags);
    nlp__free(ts->alloc, found);
    return st;
}

/* Pass 1: the words, gold entities and fold of every sentence. */
static nlp_status_t read_sentences(train_set_t *ts, nlp_vocab_t *vocab,
                                   const nlp__corpus_t *train) {
    const nlp_allocator_t *a = ts->alloc;
    size_t words = 0;
    for (size_t s = 0; s < train->n_sents; s++) words += train->sents[s].n_words;
    if (words > UINT32_MAX / 2) return nlp__fail(NLP_LIMIT, "ner: corpus too large");
    size_t cap = words ? words : 1;
    ts->n_sents = train->n_sents;
    ts->sents = nlp__calloc(a, ts->n_sents ? ts->n_sents : 1, sizeof *ts->sents);
    ts->lower = nlp__calloc(a, cap, sizeof *ts->lower);
    ts->is_lower = nlp__calloc(a, cap, sizeof *ts->is_lower);
    ts->start_label = nlp__calloc(a, cap, sizeof *ts->start_label);
    ts->last = nlp__calloc(a, cap, sizeof *ts->last);
    ts->spans = nlp__calloc(a, cap, sizeof *ts->spans);
    if (!ts->sents || !ts->lower || !ts->is_lower || !ts->start_label ||
        !ts->last || !ts->spans)
        return NLP_NOMEM;
    assign_folds(ts, train);
    size_t tokens_at = NLP__NER_TOKEN_PAD;
    for (size_t s = 0; s < train->n_sents; s++) {
        const nlp__gold_sent_t *sent = &train->sents[s];
        train_sent_t *t = &ts->sents[s];
        t->first = (uint32_t)ts->n_words;
        t->n = sent->n_words;
        t->first_span = (uint32_t)ts->n_spans;
        t->tokens_at = tokens_at;
        tokens_at += sent->n_words + NLP__NER_TOKEN_PAD;
        nlp_status_t st = gold_spans(ts, sent, ts->spans + ts->n_spans, &t->n_spans);
        if (st) return st;
        ts->n_spans += t->n_spans;
        for (uint32_t i = 0; i < sent->n_words; i++) {
            const char *form = sent->words[i].form[0] ? sent->words[i].form : "_";
            const nlp_lexeme_t *lex;
            if ((st = nlp_vocab_get_lexeme(vocab, NULL, form, strlen(form), &lex)))
                return st;
            ts->lower[t->first + i] = lex->lower;
            ts->is_lower[t->first + i] = (lex->flags & NLP_FLAG_IS_LOWER) != 0;
        }
        nlp__biluo_gold_fill(ts->spans + t->first_span, t->n_spans, t->n,
                             ts->start_label + t->first, ts->last + t->first);
        ts->n_words += sent->n_words;
    }
    ts->tokens = nlp__calloc(a, tokens_at, sizeof *ts->tokens);
    return ts->tokens ? NLP_OK : NLP_NOMEM;
}

/* The lexicon's view of the training sentences (caller frees). */
static nlp__ner_lex_sent_t *lexicon_input(const train_set_t *ts) {
    nlp__ner_lex_sent_t *in = nlp__calloc(ts->alloc, ts->n_sents ? ts->n_sents : 1,
                                          sizeof *in);
    if (!in) return NULL;
    for (size_t s = 0; s < ts->n_sents; s++) {
        const train_sent_t *t = &ts->sents[s];
        in[s] = (nlp__ner_lex_sent_t){ts->lower + t->first, ts->is_lower + t->first,
                                      t->n, ts->spans + t->first_span, t->n_spans,
                                      t->fold};
    }
    return in;
}

/* Pass 2: the feature attributes of every word, each sentence seeing the
 * lexicon of the folds it is not in. The features read only the words and
 * the sentence, so upstream components need not run: a training sentence
 * is one sentence. */
static nlp_status_t gather_tokens(train_set_t *ts, const ner_t *ner,
                                  nlp_vocab_t *vocab, const nlp__corpus_t *train,
                                  const nlp__ner_lexicon_t *fold_lexicons,
                                  nlp__arena_t *scratch) {
    for (size_t s = 0; s < ts->n_sents; s++) {
        const train_sent_t *t = &ts->sents[s];
        nlp_doc_t *doc;
        nlp_status_t st = nlp__gold_doc(vocab, &train->sents[s], &doc);
        if (st) return st;
        nlp__ner_token_t *tokens;
        for (uint32_t i = 0; i < doc->n_tokens; i++)
            doc->tokens[i].sent_start = i == 0;
        st = nlp__ner_tokens_fill(doc, ner_lexicons(ner, &fold_lexicons[t->fold]),
                                  scratch, &tokens);
        if (!st)
            memcpy(ts->tokens + t->tokens_at - NLP__NER_TOKEN_PAD,
                   tokens - NLP__NER_TOKEN_PAD,
                   (t->n + 2 * NLP__NER_TOKEN_PAD) * sizeof *tokens);
        nlp__arena_reset(scratch);
        nlp_doc_free(doc);
        if (st) return st;
    }
    return NLP_OK;
}

/* The highest-scoring action of zero cost (one always exists). */
static uint32_t best_zero_cost(const float *scores, const uint32_t *costs,
                               uint32_t n_actions) {
    uint32_t best = UINT32_MAX;
    for (uint32_t a = 0; a < n_actions; a++)
        if (costs[a] == 0 && (best == UINT32_MAX || scores[a] > scores[best])) best = a;
    return best;
}

typedef struct epoch_work {
    nlp__perceptron_t *p;
    uint32_t *order;
    float *scores;
    uint32_t *costs;
    uint64_t rng;
} epoch_work_t;

/* One pass over the training sentences in a shuffled order; *errors
 * counts the steps whose prediction had a cost. */
static nlp_status_t train_epoch(const train_set_t *ts, uint32_t epoch,
                                epoch_work_t *w, size_t *errors) {
    uint32_t n_labels = ts->n_labels, n_actions = nlp__biluo_n_actions(n_labels);
    nlp__shuffle_order(w->order, ts->n_sents, &w->rng);
    *errors = 0;
    uint64_t feats[NLP__NER_MAX_FEATS];
    for (size_t k = 0; k < ts->n_sents; k++) {
        const train_sent_t *t = &ts->sents[w->order[k]];
        const nlp__ner_token_t *tokens = ts->tokens + t->tokens_at;
        nlp__biluo_gold_t gold = {ts->start_label + t->first, ts->last + t->first};
        nlp__biluo_state_t s = nlp__biluo_init(0, t->n);
        uint32_t prev1 = NLP__NER_NO_ACTION, prev2 = NLP__NER_NO_ACTION;
        while (!nlp__biluo_done(&s)) {
            bool hide = nlp__rng_next(&w->rng) % 1024 < HIDE_WORD_PER_1024;
            nlp__ner_static_features(tokens, s.i, hide, feats);
            size_t n = NLP__NER_N_STATIC +
                       nlp__ner_state_features(tokens, &s, prev1, prev2,
                                               feats + NLP__NER_N_STATIC);
            nlp__perceptron_scores(w->p, feats, n, w->scores);
            uint32_t guess = best_valid(w->scores, &s, n_labels);
            for (uint32_t a = 0; a < n_actions; a++)
                w->costs[a] = nlp__biluo_cost(&s, n_labels, &gold, a);
            uint32_t next = guess;
            if (w->costs[guess] != 0) {
                uint32_t truth = best_zero_cost(w->scores, w->costs, n_actions);
                nlp_status_t st = nlp__perceptron_update(w->p, feats, n, truth, guess, 1.0f);
                if (st) return st;
                ++*errors;
                /* The first epoch follows the oracle; later ones mostly
                 * follow the prediction, to learn from its mistakes. */
                if (epoch == 0 || nlp__rng_next(&w->rng) % 1024 >= EXPLORE_PER_1024)
                    next = truth;
            }
            nlp__perceptron_tick(w->p);
            nlp__biluo_span_t span;
            bool has_span;
            nlp_status_t st = nlp__biluo_apply(&s, n_labels, next, &span, &has_span);
            if (st) return st;
            prev2 = prev1;
            prev1 = next;
        }
    }
    return NLP_OK;
}

static const char *label_name(void *ctx, nlp_hash_t label) {
    const ner_t *ner = ctx;
    for (uint32_t l = 0; l < ner->n_labels; l++)
        if (ner->label_ids[l] == label) return ner->names[l];
    return NULL;
}

/* The dev corpus prepared once for the many scorings of training: each
 * sentence as a Doc annotated by the upstream components, and its gold
 * entities (gold[first[s] .. first[s + 1]) for sentence s). */
typedef struct dev_set {
    size_t n;
    nlp_doc_t **docs;
    nlp_span_t *gold;
    size_t *first;
} dev_set_t;

static void dev_set_free(dev_set_t *d, const nlp_allocator_t *alloc) {
    for (size_t s = 0; d->docs && s < d->n; s++) nlp_doc_free(d->docs[s]);
    nlp__free(alloc, d->docs);
    nlp__free(alloc, d->gold);
    nlp__free(alloc, d->first);
    memset(d, 0, sizeof *d);
}

static nlp_status_t dev_set_build(dev_set_t *d, const nlp_allocator_t *alloc,
                                  nlp_vocab_t *vocab, const nlp__corpus_t *dev,
                                  const nlp__component_t *const *upstream,
                                  size_t n_upstream, nlp__arena_t *scratch) {
    memset(d, 0, sizeof *d);
    size_t words = 0, longest = 0;
    for (size_t s = 0; s < dev->n_sents; s++) {
        words += dev->sents[s].n_words;
        if (dev->sents[s].n_words > longest) longest = dev->sents[s].n_words;
    }
    d->docs = nlp__calloc(alloc, dev->n_sents ? dev->n_sents : 1, sizeof *d->docs);
    d->gold = nlp__calloc(alloc, words ? words : 1, sizeof *d->gold);
    d->first = nlp__calloc(alloc, dev->n_sents + 1, sizeof *d->first);
    const char **tags = nlp__calloc(alloc, longest ? longest : 1, sizeof *tags);
    nlp_status_t st = d->docs && d->gold && d->first && tags ? NLP_OK : NLP_NOMEM;
    for (size_t s = 0; s < dev->n_sents && !st; s++) {
        const nlp__gold_sent_t *sent = &dev->sents[s];
        for (uint32_t i = 0; i < sent->n_words; i++) tags[i] = sent->words[i].ner;
        size_t n_gold;
        nlp__ents_from_iob2(tags, sent->n_words, d->gold + d->first[s],
                            sent->n_words, &n_gold);
        d->first[s + 1] = d->first[s] + n_gold;
        st = nlp__gold_doc(vocab, sent, &d->docs[s]);
        if (!st) {
            d->n = s + 1;
            st = nlp__run_components_on(upstream, n_upstream, d->docs[s], scratch);
        }
        nlp__arena_reset(scratch);
    }
    nlp__free(alloc, tags);
    if (st) dev_set_free(d, alloc);
    return st;
}

/* Runs the recogniser as it stands over the dev set and scores it. */
static nlp_status_t score_dev(const ner_t *ner, const dev_set_t *dev,
                              nlp__arena_t *scratch, nlp__ents_score_t *score) {
    nlp__ents_score_init(score);
    for (size_t s = 0; s < dev->n; s++) {
        nlp_doc_t *doc = dev->docs[s];
        nlp_status_t st = ner_process(&ner->base, doc, scratch);
        nlp__arena_reset(scratch);
        if (st) return st;
        nlp__ents_score_add(score, dev->gold + dev->first[s],
                            dev->first[s + 1] - dev->first[s], doc->ents,
                            doc->n_ents, label_name, (void *)ner);
    }
    return NLP_OK;
}

/* Writes the dev scores of one epoch to the log. */
static void log_epoch(FILE *log, uint32_t epoch, double error_rate,
                      const nlp__ents_score_t *score, const ner_t *ner) {
    if (!log) return;
    nlp__prf_value_t v = nlp__ents_prf(&score->total);
    fprintf(log, "ner epoch %u: train_err %.4f ents_p %.4f ents_r %.4f ents_f %.4f",
            epoch + 1, error_rate, v.p, v.r, v.f);
    for (size_t k = 0; k < score->n_types; k++)
        fprintf(log, " %s %.4f", score->types[k].name,
                nlp__ents_prf(&score->types[k].counts).f);
    fprintf(log, " features %u size %zu\n", ner->model.n_features,
            ner->image_len + ner->lexicon_len);
}

/* Picks the OUT bias that scores best on the dev corpus (the smallest
 * among equals); leaves it 0 when dev has no entities. */
static nlp_status_t tune_out_bias(ner_t *ner, const dev_set_t *dev,
                                  nlp__arena_t *scratch, FILE *log) {
    size_t n = sizeof out_bias_candidates / sizeof *out_bias_candidates;
    float best_bias = 0;
    double best_f = -1.0;
    for (size_t c = 0; c < n; c++) {
        nlp__ents_score_t score;
        ner->out_bias = out_bias_candidates[c];
        nlp_status_t st = score_dev(ner, dev, scratch, &score);
        if (st) return st;
        if (score.total.gold == 0) break;
        nlp__prf_value_t v = nlp__ents_prf(&score.total);
        if (v.f > best_f) {
            best_f = v.f;
            best_bias = ner->out_bias;
        }
    }
    ner->out_bias = best_bias;
    if (log && best_f >= 0)
        fprintf(log, "ner: OUT bias %g gives ents_f %.4f on dev\n", best_bias, best_f);
    return NLP_OK;
}

/* With the OUT bias set, tries each label's bias in turn and keeps a
 * value only when it raises the dev F-score (biases stay 0 when dev has
 * no entities). */
static nlp_status_t tune_label_bias(ner_t *ner, const dev_set_t *dev,
                                    nlp__arena_t *scratch, FILE *log) {
    size_t n = sizeof label_bias_candidates / sizeof *label_bias_candidates;
    nlp__ents_score_t score;
    nlp_status_t st = score_dev(ner, dev, scratch, &score);
    if (st || score.total.gold == 0) return st;
    double best_f = nlp__ents_prf(&score.total).f;
    for (uint32_t l = 0; l < ner->n_labels; l++) {
        float best_bias = 0;
        for (size_t c = 0; c < n; c++) {
            if (label_bias_candidates[c] == 0) continue;
            ner->label_bias[l] = label_bias_candidates[c];
            st = score_dev(ner, dev, scratch, &score);
            if (st) return st;
            double f = nlp__ents_prf(&score.total).f;
            if (f > best_f) {
                best_f = f;
                best_bias = ner->label_bias[l];
            }
        }
        ner->label_bias[l] = best_bias;
        if (log)
            fprintf(log, "ner: %s bias %g gives ents_f %.4f on dev\n",
                    ner->names[l], best_bias, best_f);
    }
    return NLP_OK;
}

/* Builds one lexicon per fold (each without that fold) and the full one. */
static nlp_status_t build_lexicons(const train_set_t *ts, void **images,
                                   size_t *lens, nlp__ner_lexicon_t *views) {
    nlp__ner_lex_sent_t *in = lexicon_input(ts);
    if (!in) return NLP_NOMEM;
    nlp_status_t st = NLP_OK;
    for (uint32_t f = 0; f <= LEXICON_FOLDS && !st; f++) {
        uint32_t exclude = f < LEXICON_FOLDS ? f : UINT32_MAX;
        st = nlp__ner_lexicon_build(ts->alloc, in, ts->n_sents, ts->n_labels,
                                    exclude, &images[f], &lens[f]);
        if (!st) st = nlp__ner_lexicon_open(images[f], lens[f], &views[f]);
    }
    nlp__free(ts->alloc, in);
    return st;
}

/* Takes a copy of the gazetteer of `opts`, if any, into the model. */
static nlp_status_t copy_gazetteer(ner_t *ner, const nlp__train_opts_t *opts) {
    if (!opts->gazetteer) return NLP_OK;
    if (opts->gazetteer_len == 0)
        return nlp__fail(NLP_INVALID_ARG, "ner: empty gazetteer image");
    /* Lexicon images must be 8-byte aligned; a misaligned copy (from an
     * allocator that does not align) is refused by the open below. */
    ner->owned_gazetteer = nlp__malloc(ner->alloc, opts->gazetteer_len);
    if (!ner->owned_gazetteer) return NLP_NOMEM;
    memcpy(ner->owned_gazetteer, opts->gazetteer, opts->gazetteer_len);
    nlp_status_t st = attach_gazetteer(ner, ner->owned_gazetteer, opts->gazetteer_len);
    /* A bad image here is the caller's, not a damaged model file. */
    return st == NLP_MODEL_CORRUPT ? NLP_INVALID_ARG : st;
}

nlp_status_t nlp__ner_train(nlp_vocab_t *vocab, const nlp__corpus_t *train,
                            const nlp__corpus_t *dev,
                            const nlp__component_t *const *upstream,
                            size_t n_upstream, const nlp__train_opts_t *opts,
                            nlp__component_t **out) {
    *out = NULL;
    const nlp_allocator_t *alloc = opts->alloc ? opts->alloc : vocab->alloc;
    uint32_t epochs = opts->epochs ? opts->epochs : DEFAULT_EPOCHS;
    train_set_t ts;
    memset(&ts, 0, sizeof ts);
    ts.alloc = alloc;
    ner_t *ner = NULL;
    epoch_work_t w;
    memset(&w, 0, sizeof w);
    w.rng = opts->seed;
    void *lexicons[LEXICON_FOLDS + 1] = {0};
    size_t lexicon_lens[LEXICON_FOLDS + 1] = {0};
    nlp__ner_lexicon_t views[LEXICON_FOLDS + 1];
    void *best = NULL;
    size_t best_len = 0;
    nlp__chunk_cache_t cache;
    nlp__arena_t scratch;
    nlp__chunk_cache_init(&cache, alloc, 64u << 10, 2);
    nlp__arena_init(&scratch, &cache);

    nlp_status_t st = collect_labels(&ts, train);
    void *blob = NULL;
    size_t blob_len = 0;
    if (!st) st = nlp__labels_encode(alloc, (const char *const *)ts.labels,
                                     ts.n_labels, &blob, &blob_len);
    if (!st) st = ner_new(vocab, alloc, blob, blob_len, blob, &ner);
    if (!st) st = read_sentences(&ts, vocab, train);
    if (!st) st = build_lexicons(&ts, lexicons, lexicon_lens, views);
    if (!st) st = copy_gazetteer(ner, opts);
    if (!st) st = gather_tokens(&ts, ner, vocab, train, views, &scratch);
    dev_set_t dev_set = {0};
    if (!st && dev)
        st = dev_set_build(&dev_set, alloc, vocab, dev, upstream, n_upstream, &scratch);
    if (!st) st = nlp__perceptron_create(alloc, ner->n_actions, &w.p);
    if (!st) {
        w.order = nlp__calloc(alloc, ts.n_sents ? ts.n_sents : 1, sizeof *w.order);
        w.scores = nlp__calloc(alloc, ner->n_actions, sizeof *w.scores);
        w.costs = nlp__calloc(alloc, ner->n_actions, sizeof *w.costs);
        if (!w.order || !w.scores || !w.costs) st = NLP_NOMEM;
    }

    const nlp__freeze_opts_t freeze = {FREEZE_MIN_WEIGHT};
    double best_f = -1.0;
    for (uint32_t e = 0; e < epochs && !st; e++) {
        size_t errors;
        void *image = NULL;
        size_t len = 0;
        nlp__ents_score_t score;
        nlp__ents_score_init(&score);
        st = train_epoch(&ts, e, &w, &errors);
        if (!st) st = nlp__perceptron_freeze_opts(w.p, &freeze, &image, &len);
        if (!st) st = ner_attach(ner, image, len, lexicons[LEXICON_FOLDS],
                                 lexicon_lens[LEXICON_FOLDS]);
        if (!st && dev) st = score_dev(ner, &dev_set, &scratch, &score);
        if (st) {
            nlp__free(alloc, image);
            break;
        }
        log_epoch(opts->log, e, ts.n_words ? (double)errors / (double)ts.n_words : 0.0,
                  &score, ner);
        double f = nlp__ents_prf(&score.total).f;
        if (!dev || score.total.gold == 0 || f > best_f) {
            best_f = f;
            nlp__free(alloc, best);
            best = image;
            best_len = len;
        } else {
            nlp__free(alloc, image);
        }
    }
    if (!st && !best) st = nlp__fail(NLP_INVALID_ARG, "ner: no epochs trained");
    if (!st) {
        /* Keep the best epoch's weights and the lexicon of every fold. */
        ner->owned_image = best;
        ner->owned_lexicon = lexicons[LEXICON_FOLDS];
        lexicons[LEXICON_FOLDS] = NULL;
        best = NULL;
        st = ner_attach(ner, ner->owned_image, best_len, ner->owned_lexicon,
                        lexicon_lens[LEXICON_FOLDS]);
    }
    if (!st && dev) st = tune_out_bias(ner, &dev_set, &scratch, opts->log);
    if (!st && dev)
        st = tune_label_bias(ner, &dev_set, &scratch, opts->log);
    dev_set_free(&dev_set, alloc);
    for (uint32_t f = 0; f <= LEXICON_FOLDS; f++) nlp__free(alloc, lexicons[f]);
    nlp__free(alloc, best);
    nlp__free(alloc, w.order);
    nlp__free(alloc, w.scores);
    nlp__free(alloc, w.costs);
    nlp__perceptron_free(w.p);
    train_set_free(&ts);
    nlp__arena_destroy(&scratch);
    nlp__chunk_cache_destroy(&cache);
    if (st) {
        if (ner) ner_free(&ner->base);
        return st;
    }
    *out = &ner->base;
    return NLP_OK;
}
