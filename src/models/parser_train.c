/* Training of the dependency parser (nlp__parser_train, see train.h).
 *
 * Gold trees are made projective (nonproj.h), the label and class inventory
 * is collected, and the perceptron learns from the dynamic oracle
 * (Goldberg & Nivre 2012): at each step the best-scoring move among the
 * cheapest ones is the truth; after the first epoch the parser follows its
 * own prediction most of the time, so it learns to recover from mistakes.
 *
 * The unit of training is a paragraph (the span of text the raw-text
 * evaluation parses at once), parsed whole half of the time and sentence by
 * sentence otherwise, so the model learns where sentences break and also
 * that a one-sentence Doc rarely breaks at all.
 *
 * Upstream tags on the training data should be as wrong as on new text, or
 * the parser learns to trust them too much: nlp__parser_train_jackknifed
 * takes copies of the upstream components each trained without one fold of
 * the training documents, and tags every paragraph with the copy that did
 * not see it (+0.3 LAS with gold tokens, +0.4 from raw text on EWT dev).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/table.h"
#include "core/vocab.h"
#include "doc/doc.h"
#include "models/parser_model.h"
#include "models/perceptron.h"
#include "models/jackknife.h"
#include "models/train.h"
#include "models/train_util.h"

#define DEFAULT_EPOCHS 16
/* Probability of following the model's own (possibly wrong) move once
 * exploration starts, and the epoch where it starts. */
#define EXPLORE_P 0.9
#define EXPLORE_FROM_EPOCH 1
/* Probability of parsing a paragraph as one Doc rather than sentence by
 * sentence. */
#define WHOLE_PARAGRAPH_P 0.5
/* Averaged weights smaller than this are dropped when a large model is
 * frozen, to keep the bundled model within its size budget: on EWT with
 * the bundled pipeline's supertags, 1.5 leaves 11.6 MB of weights, 2.0
 * 5.6 MB for 0.3 point of LAS less (models/README.md). Small models (tiny
 * corpora, few updates) are kept whole. */
#define FROZEN_MIN_WEIGHT 1.5f
#define PRUNE_FROM_FEATURES 200000u
/* Decorated labels rarer than this are replaced by their base label: the
 * parser cannot learn them and each costs two classes. */
#define DECORATED_MIN_COUNT 10
#define MAX_LABELS 4096u

/* ---- Gold data --------------------------------------------------------- */

/* A corpus turned into flat arrays over all its words. Heads are offsets
 * (head index minus own index, 0 for a root) so any run of whole sentences
 * can be parsed as one Doc. */
typedef struct gold_set {
    uint32_t n_words, n_sents, n_paras;
    nlp__pf_word_t *words;   /* features' view, tags from the upstream */
    int32_t *proj_off;       /* projectivized heads (training target) */
    const char **proj_label; /* their labels, decorated where lifted */
    uint32_t *label;         /* proj_label as ids, once known */
    int32_t *gold_off;       /* original heads (scoring) */
    nlp_hash_t *gold_dep;    /* original labels as string ids (scoring) */
    uint8_t *punct;          /* not scored, as spaCy's dep_uas/dep_las */
    uint32_t *sent_first;    /* first word of each sentence, n_sents + 1 */
    uint32_t *para_first;    /* first sentence of each paragraph, n_paras + 1 */
} gold_set_t;

typedef struct trainer {
    nlp_vocab_t *vocab;
    const nlp_allocator_t *alloc;
    const nlp__component_t *const *upstream;
    size_t n_upstream;
    const nlp__component_t *const *const *fold_upstream; /* or NULL */
    uint32_t n_folds;
    nlp__chunk_cache_t cache;
    nlp__arena_t data;    /* gold sets and the inventory */
    nlp__arena_t scratch; /* per Doc / per episode */
    gold_set_t train, dev;
    nlp__parser_spec_t spec;
    uint32_t *left_class, *right_class; /* label id -> class or UINT32_MAX */
    nlp__perceptron_t *model;
    uint64_t rng;
} trainer_t;

static double random_unit(trainer_t *t) {
    return (double)(nlp__rng_next(&t->rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* Runs the upstream components over one paragraph built from its gold
 * words and stores what the features need in set->words. */
static nlp_status_t tag_paragraph(trainer_t *t,
                                  const nlp__component_t *const *upstream,
                                  const nlp__corpus_t *c, size_t first_sent,
                                  size_t end_sent, gold_set_t *set,
                                  uint32_t first_word) {
    size_t n = 0;
    for (size_t s = first_sent; s < end_sent; s++)
        n += c->sents[s].n_words;
    nlp_doc_t *doc;
    nlp_status_t st = nlp__gold_paragraph_doc(t->vocab, c->sents + first_sent,
                                              end_sent - first_sent, &doc);
    if (st == NLP_OK)
        st = nlp__run_components_on(upstream, t->n_upstream, doc,
                                    &t->scratch);
    if (st == NLP_OK) {
        nlp__pf_word_t *w = nlp__pf_words(doc->tokens, nlp__doc_supertags_if_any(doc),
                                          (uint32_t)n, &t->scratch);
        if (!w)
            st = nlp__fail(NLP_NOMEM, "parser: features of %zu words", n);
        else
            memcpy(set->words + first_word, w, n * sizeof *w);
    }
    nlp_doc_free(doc);
    return st;
}

/* Copies one sentence's tree into the set, projectivized when `project`. */
static nlp_status_t add_sentence(trainer_t *t, const nlp__gold_sent_t *sent,
                                 gold_set_t *set, uint32_t first, bool project) {
    uint32_t n = sent->n_words;
    int32_t *heads = NLP__ARENA_NEW(&t->scratch, int32_t, n ? n : 1);
    if (!heads)
        return nlp__fail(NLP_NOMEM, "parser: sentence of %u words", n);
    for (uint32_t i = 0; i < n; i++) {
        const nlp__gold_word_t *w = &sent->words[i];
        if (w->head < 0)
            return nlp__fail(NLP_FORMAT, "parser: line %u: word %u has no head",
                             sent->line, i + 1);
        heads[i] = w->head - 1;
        uint32_t at = first + i;
        set->gold_off[at] = w->head == 0 ? 0 : w->head - 1 - (int32_t)i;
        set->gold_dep[at] = nlp_hash_string(w->deprel, strlen(w->deprel));
        set->punct[at] = strcmp(w->deprel, "punct") == 0;
        set->proj_label[at] = w->deprel;
    }
    nlp_status_t st = nlp__nonproj_check_tree(heads, n);
    if (st != NLP_OK) {
        char why[128];
        snprintf(why, sizeof why, "%s", nlp_error_detail());
        return nlp__fail(st, "parser: line %u: %s", sent->line, why);
    }
    if (project) {
        /* Decorated labels must outlive the scratch arena. */
        st = nlp__nonproj_projectivize(heads, set->proj_label + first, n,
                                       &t->data, NULL);
        if (st != NLP_OK)
            return st;
    }
    for (uint32_t i = 0; i < n; i++)
        set->proj_off[first + i] = heads[i] < 0 ? 0 : heads[i] - (int32_t)i;
    return NLP_OK;
}

/* Builds a gold set from a corpus. Training sets (`training`) are
 * projectivized and, when the trainer has jackknifed upstream components,
 * tagged by those that did not see each paragraph. */
static nlp_status_t build_gold_set(trainer_t *t, const nlp__corpus_t *c,
                                   bool training, gold_set_t *set) {
    memset(set, 0, sizeof *set);
    if (c->n_sents >= UINT32_MAX || c->n_words >= UINT32_MAX - 2)
        return nlp__fail(NLP_LIMIT, "parser: corpus too large");
    uint32_t n_words = 0, n_paras = 0;
    for (size_t s = 0; s < c->n_sents; s++) {
        n_words += c->sents[s].n_words;
        n_paras += nlp__starts_paragraph(c, s);
    }
    set->n_words = n_words;
    set->n_sents = (uint32_t)c->n_sents;
    set->n_paras = n_paras;
    nlp__arena_t *a = &t->data;
    size_t nw = n_words ? n_words : 1;
    set->words = NLP__ARENA_NEW(a, nlp__pf_word_t, nw);
    set->proj_off = NLP__ARENA_NEW(a, int32_t, nw);
    set->proj_label = NLP__ARENA_NEW(a, const char *, nw);
    set->label = NLP__ARENA_NEW(a, uint32_t, nw);
    set->gold_off = NLP__ARENA_NEW(a, int32_t, nw);
    set->gold_dep = NLP__ARENA_NEW(a, nlp_hash_t, nw);
    set->punct = NLP__ARENA_NEW(a, uint8_t, nw);
    set->sent_first = NLP__ARENA_NEW(a, uint32_t, set->n_sents + 1);
    set->para_first = NLP__ARENA_NEW(a, uint32_t, (size_t)n_paras + 1);
    if (!set->words || !set->proj_off || !set->proj_label || !set->label ||
        !set->gold_off || !set->gold_dep || !set->punct || !set->sent_first ||
        !set->para_first)
        return nlp__fail(NLP_NOMEM, "parser: gold data for %u words", n_words);

    uint32_t w = 0, p = 0;
    for (size_t s = 0; s < c->n_sents; s++) {
        if (nlp__starts_paragraph(c, s))
            set->para_first[p++] = (uint32_t)s;
        set->sent_first[s] = w;
        nlp_status_t st = add_sentence(t, &c->sents[s], set, w, training);
        if (st != NLP_OK)
            return st;
        w += c->sents[s].n_words;
        nlp__arena_reset(&t->scratch);
    }
    set->sent_first[set->n_sents] = w;
    set->para_first[n_paras] = set->n_sents;
    uint32_t *fold = NULL;
    if (training && t->n_folds) {
        fold = NLP__ARENA_NEW(a, uint32_t, set->n_sents + 1);
        if (!fold)
            return nlp__fail(NLP_NOMEM, "parser: jackknife folds");
        if (!nlp__jackknife_folds(c, t->n_folds, fold))
            return nlp__fail(NLP_INVALID_ARG, "parser: too few paragraphs "
                             "for %u jackknife folds", t->n_folds);
    }
    for (uint32_t q = 0; q < n_paras; q++) {
        uint32_t s0 = set->para_first[q], s1 = set->para_first[q + 1];
        const nlp__component_t *const *upstream =
            fold ? t->fold_upstream[fold[s0]] : t->upstream;
        nlp_status_t st =
            tag_paragraph(t, upstream, c, s0, s1, set, set->sent_first[s0]);
        nlp__arena_reset(&t->scratch);
        if (st != NLP_OK)
            return st;
    }
    return NLP_OK;
}

/* ---- Label and class inventory ---------------------------------------- */

typedef struct label_count {
    const char *name;
    uint32_t count, left, right, as_root;
} label_count_t;

typedef struct label_tally {
    nlp__table_t index; /* string id -> entry + 1 (as a pointer value) */
    label_count_t *entries;
    uint32_t n;
} label_tally_t;

static label_count_t *tally_get(label_tally_t *tally, const char *name) {
    nlp_hash_t id = nlp_hash_string(name, strlen(name));
    uintptr_t at = (uintptr_t)nlp__table_get(&tally->index, id ? id : 1);
    if (at)
        return &tally->entries[at - 1];
    if (tally->n == MAX_LABELS)
        return NULL;
    label_count_t *e = &tally->entries[tally->n++];
    *e = (label_count_t){.name = name};
    if (nlp__table_put(&tally->index, id ? id : 1, (void *)(uintptr_t)tally->n))
        return NULL;
    return e;
}

static int cmp_label_name(const void *a, const void *b) {
    return strcmp(((const label_count_t *)a)->name,
                  ((const label_count_t *)b)->name);
}

/* Replaces rare decorated labels by their base label. */
static nlp_status_t filter_rare_decorations(trainer_t *t, label_tally_t *tally) {
    gold_set_t *g = &t->train;
    for (uint32_t i = 0; i < g->n_words; i++) {
        size_t base_len;
        const char *label = g->proj_label[i];
        if (!nlp__nonproj_split_label(label, &base_len))
            continue;
        label_count_t *e = tally_get(tally, label);
        if (!e)
            return nlp__fail(NLP_LIMIT, "parser: too many labels");
        if (e->count >= DECORATED_MIN_COUNT)
            continue;
        char *base = nlp__arena_strndup(&t->data, label, base_len);
        if (!base)
            return nlp__fail(NLP_NOMEM, "parser: labels");
        g->proj_label[i] = base;
    }
    return NLP_OK;
}

/* Counts labels (and their directions) of the training targets. */
static nlp_status_t count_labels(trainer_t *t, label_tally_t *tally) {
    const gold_set_t *g = &t->train;
    for (uint32_t i = 0; i < g->n_words; i++) {
        label_count_t *e = tally_get(tally, g->proj_label[i]);
        if (!e)
            return nlp__fail(NLP_LIMIT, "parser: more than %u labels",
                             MAX_LABELS);
        e->count++;
        int32_t off = g->proj_off[i];
        e->left += off > 0;
        e->right += off < 0;
        e->as_root += off == 0;
        /* Decoding needs the parts of a decoration to be labels too. */
        size_t base_len;
        const char *up = nlp__nonproj_split_label(g->proj_label[i], &base_len);
        if (up) {
            char *base = nlp__arena_strndup(&t->data, g->proj_label[i], base_len);
            if (!base || !tally_get(tally, base) || !tally_get(tally, up))
                return nlp__fail(NLP_NOMEM, "parser: labels");
        }
    }
    return NLP_OK;
}

static nlp_status_t build_inventory(trainer_t *t) {
    label_tally_t tally = {0};
    tally.entries = NLP__ARENA_NEW(&t->data, label_count_t, MAX_LABELS);
    nlp_status_t st = tally.entries
                          ? nlp__table_init(&tally.index, NULL, &t->data, 256)
                          : NLP_NOMEM;
    if (st == NLP_OK)
        st = count_labels(t, &tally);
    if (st == NLP_OK)
        st = filter_rare_decorations(t, &tally);
    if (st != NLP_OK)
        return st;
    /* Count again, now without the rare decorations. */
    tally.n = 0;
    st = nlp__table_init(&tally.index, NULL, &t->data, 256);
    if (st == NLP_OK)
        st = count_labels(t, &tally);
    if (st != NLP_OK)
        return st;
    if (tally.n == 0)
        return nlp__fail(NLP_INVALID_ARG, "parser: no training words");
    qsort(tally.entries, tally.n, sizeof *tally.entries, cmp_label_name);

    uint32_t n_labels = tally.n;
    const char **names = NLP__ARENA_NEW(&t->data, const char *, n_labels + 1);
    uint8_t *move = NLP__ARENA_NEW(&t->data, uint8_t, 2 * n_labels + 2);
    uint32_t *label = NLP__ARENA_NEW(&t->data, uint32_t, 2 * n_labels + 2);
    t->left_class = NLP__ARENA_NEW(&t->data, uint32_t, n_labels + 1);
    t->right_class = NLP__ARENA_NEW(&t->data, uint32_t, n_labels + 1);
    if (!names || !move || !label || !t->left_class || !t->right_class)
        return nlp__fail(NLP_NOMEM, "parser: %u labels", n_labels);
    names[0] = "";
    uint32_t root = 0, root_count = 0, n_classes = 0;
    move[n_classes] = NLP__AH_SHIFT, label[n_classes++] = 0;
    move[n_classes] = NLP__AH_BREAK, label[n_classes++] = 0;
    t->left_class[0] = t->right_class[0] = UINT32_MAX;
    for (uint32_t l = 1; l <= n_labels; l++) {
        const label_count_t *e = &tally.entries[l - 1];
        names[l] = e->name;
        if (e->as_root > root_count)
            root = l, root_count = e->as_root;
        t->left_class[l] = t->right_class[l] = UINT32_MAX;
        if (e->left) {
            t->left_class[l] = n_classes;
            move[n_classes] = NLP__AH_LEFT, label[n_classes++] = l;
        }
        if (e->right) {
            t->right_class[l] = n_classes;
            move[n_classes] = NLP__AH_RIGHT, label[n_classes++] = l;
        }
    }
    /* Ids of each word's target label, by binary search in the names. */
    gold_set_t *g = &t->train;
    for (uint32_t i = 0; i < g->n_words; i++) {
        label_count_t key = {.name = g->proj_label[i]};
        const label_count_t *e = bsearch(&key, tally.entries, n_labels,
                                         sizeof key, cmp_label_name);
        g->label[i] = e ? (uint32_t)(e - tally.entries) + 1 : 0;
    }
    t->spec = (nlp__parser_spec_t){
        .n_labels = n_labels,
        .names = names,
        .root_label = root,
        .n_classes = n_classes,
        .class_move = move,
        .class_label = label,
        .clusters = t->vocab->word_stats.n_slots != 0,
    };
    return nlp__parser_spec_finish(&t->spec, &t->data);
}

/* ---- One parse of a run of sentences ---------------------------------- */

/* A run of whole sentences [first_sent, end_sent) of a gold set, with its
 * words copied so that index -1 is empty, and its gold tree. */
typedef struct episode {
    uint32_t first_word, n;
    const nlp__pf_word_t *words;
    int32_t *heads;
    uint8_t *sent_start;
    uint32_t *kid_first;
    int32_t *kids;
    nlp__ah_gold_t gold;
} episode_t;

static nlp_status_t episode_init(nlp__arena_t *a, const gold_set_t *g,
                                 uint32_t first_sent, uint32_t end_sent,
                                 episode_t *ep) {
    uint32_t w0 = g->sent_first[first_sent], n = g->sent_first[end_sent] - w0;
    ep->first_word = w0;
    ep->n = n;
    nlp__pf_word_t *words = NLP__ARENA_NEW(a, nlp__pf_word_t, n + 2);
    ep->heads = NLP__ARENA_NEW(a, int32_t, n + 1);
    ep->sent_start = NLP__ARENA_NEW(a, uint8_t, n + 1);
    ep->kid_first = NLP__ARENA_NEW(a, uint32_t, n + 2);
    ep->kids = NLP__ARENA_NEW(a, int32_t, n + 1);
    uint32_t *cursor = NLP__ARENA_NEW(a, uint32_t, n + 1);
    if (!words || !ep->heads || !ep->sent_start || !ep->kid_first ||
        !ep->kids || !cursor)
        return nlp__fail(NLP_NOMEM, "parser: episode of %u words", n);
    memset(&words[0], 0, sizeof *words);
    memcpy(words + 1, g->words + w0, n * sizeof *words);
    ep->words = words + 1;
    memset(ep->sent_start, 0, n + 1);
    for (uint32_t s = first_sent; s < end_sent; s++)
        ep->sent_start[g->sent_first[s] - w0] = 1;
    memset(ep->kid_first, 0, (n + 2) * sizeof *ep->kid_first);
    for (uint32_t i = 0; i < n; i++) {
        int32_t off = g->proj_off[w0 + i];
        ep->heads[i] = off == 0 ? -1 : (int32_t)i + off;
        if (off)
            ep->kid_first[ep->heads[i] + 1]++;
    }
    for (uint32_t i = 0; i < n; i++)
        ep->kid_first[i + 1] += ep->kid_first[i];
    memcpy(cursor, ep->kid_first, n * sizeof *cursor);
    for (uint32_t i = 0; i < n; i++)
        if (ep->heads[i] >= 0)
            ep->kids[cursor[ep->heads[i]]++] = (int32_t)i;
    ep->gold = (nlp__ah_gold_t){ep->heads, ep->sent_start, ep->kid_first,
                                ep->kids};
    return NLP_OK;
}

static void score_linear(const void *model, const uint64_t *feats,
                         size_t n_feats, float *scores) {
    nlp__linear_scores(model, feats, n_feats, scores);
}

/* Costs of every class: the move's oracle cost, plus one when the move
 * builds a gold arc with the wrong label. */
static void class_costs(const trainer_t *t, const nlp__ah_state_t *st,
                        const episode_t *ep, int32_t *cost) {
    int32_t move_cost[NLP__AH_N_MOVES];
    nlp__ah_costs(st, &ep->gold, move_cost);
    uint32_t gold_label[NLP__AH_N_MOVES] = {0};
    for (int m = NLP__AH_LEFT; m <= NLP__AH_RIGHT; m++) {
        int32_t dep, head;
        nlp__ah_arc_of(st, (nlp__ah_move_t)m, &dep, &head);
        if (dep >= 0 && head >= 0 && ep->heads[dep] == head)
            gold_label[m] = t->train.label[ep->first_word + (uint32_t)dep];
    }
    for (uint32_t c = 0; c < t->spec.n_classes; c++) {
        uint8_t m = t->spec.class_move[c];
        cost[c] = move_cost[m];
        if (cost[c] != NLP__AH_INVALID_COST && gold_label[m] &&
            gold_label[m] != t->spec.class_label[c])
            cost[c]++;
    }
}

/* Learns from one parse of the episode; returns the number of mistakes. */
static nlp_status_t train_episode(trainer_t *t, const episode_t *ep,
                                  bool explore, size_t *mistakes) {
    nlp__ah_state_t st;
    nlp_status_t status =
        nlp__ah_init(&st, ep->n, t->spec.root_label, NULL, &t->scratch);
    float *scores = NLP__ARENA_NEW(&t->scratch, float, t->spec.n_classes);
    int32_t *cost = NLP__ARENA_NEW(&t->scratch, int32_t, t->spec.n_classes);
    if (status != NLP_OK)
        return status;
    if (!scores || !cost)
        return nlp__fail(NLP_NOMEM, "parser: training scratch");
    uint64_t feats[NLP__PARSER_MAX_FEATS];
    bool valid[NLP__AH_N_MOVES];
    while (!nlp__ah_is_final(&st)) {
        if (st.depth == 0) { /* the only move, as in decoding */
            nlp__ah_apply(&st, NLP__AH_SHIFT, 0);
            continue;
        }
        size_t n_feats = nlp__pf_extract(ep->words, &st, t->spec.clusters, feats);
        nlp__perceptron_scores(t->model, feats, n_feats, scores);
        nlp__ah_valid(&st, valid);
        class_costs(t, &st, ep, cost);
        uint32_t guess = nlp__parser_best_valid(&t->spec, scores, valid);
        /* The truth: the best-scoring class among the cheapest. */
        uint32_t truth = UINT32_MAX;
        for (uint32_t c = 0; c < t->spec.n_classes; c++) {
            if (cost[c] == NLP__AH_INVALID_COST)
                continue;
            if (truth == UINT32_MAX || cost[c] < cost[truth] ||
                (cost[c] == cost[truth] && scores[c] > scores[truth]))
                truth = c;
        }
        if (guess == UINT32_MAX || truth == UINT32_MAX)
            return nlp__fail(NLP_INTERNAL, "parser: no valid move in training");
        if (cost[guess] > cost[truth]) {
            (*mistakes)++;
            status = nlp__perceptron_update(t->model, feats, n_feats, truth,
                                            guess, 1.0f);
            if (status != NLP_OK)
                return status;
        }
        nlp__perceptron_tick(t->model);
        uint32_t follow = truth;
        if (explore && cost[guess] > cost[truth] && random_unit(t) < EXPLORE_P)
            follow = guess;
        nlp__ah_apply(&st, (nlp__ah_move_t)t->spec.class_move[follow],
                      t->spec.class_label[follow]);
    }
    return NLP_OK;
}

static nlp_status_t train_epoch(trainer_t *t, uint32_t epoch,
                                uint32_t *order, size_t *mistakes,
                                size_t *steps) {
    const gold_set_t *g = &t->train;
    nlp__shuffle_order(order, g->n_paras, &t->rng);
    bool explore = epoch >= EXPLORE_FROM_EPOCH;
    for (uint32_t k = 0; k < g->n_paras; k++) {
        uint32_t p = order[k];
        uint32_t s0 = g->para_first[p], s1 = g->para_first[p + 1];
        bool whole = random_unit(t) < WHOLE_PARAGRAPH_P;
        for (uint32_t s = s0; s < s1; s = whole ? s1 : s + 1) {
            episode_t ep;
            nlp_status_t st =
                episode_init(&t->scratch, g, s, whole ? s1 : s + 1, &ep);
            if (st == NLP_OK)
                st = train_episode(t, &ep, explore, mistakes);
            *steps += 2 * (size_t)ep.n;
            nlp__arena_reset(&t->scratch);
            if (st != NLP_OK)
                return st;
        }
    }
    return NLP_OK;
}

/* ---- Scoring on held-out data ------------------------------------------ */

typedef struct dev_scores {
    size_t words, uas_ok, las_ok;
    size_t sents_tp, sents_pred, sents_gold;
} dev_scores_t;

static double ratio(size_t a, size_t b) { return b ? (double)a / (double)b : 0.0; }

static double sents_f(const dev_scores_t *s) {
    double p = ratio(s->sents_tp, s->sents_pred);
    double r = ratio(s->sents_tp, s->sents_gold);
    return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

/* Parses sentences [first_sent, end_sent) of `g` as one Doc with the
 * frozen model and adds to the scores. */
static nlp_status_t score_run(trainer_t *t, const nlp__linear_t *model,
                              const gold_set_t *g, uint32_t first_sent,
                              uint32_t end_sent, dev_scores_t *out) {
    episode_t ep;
    nlp__ah_state_t st;
    nlp_status_t status = episode_init(&t->scratch, g, first_sent, end_sent, &ep);
    if (status != NLP_OK)
        return status;
    int32_t *heads = NLP__ARENA_NEW(&t->scratch, int32_t, ep.n + 1);
    uint32_t *labels = NLP__ARENA_NEW(&t->scratch, uint32_t, ep.n + 1);
    if (!heads || !labels)
        return nlp__fail(NLP_NOMEM, "parser: scoring");
    status = nlp__parser_decode(&t->spec, score_linear, model, ep.words, ep.n,
                                NULL, &t->scratch, &st);
    if (status == NLP_OK)
        status = nlp__parser_read_tree(&t->spec, &st, heads, labels, &t->scratch);
    if (status != NLP_OK)
        return status;
    for (uint32_t i = 0; i < ep.n; i++) {
        uint32_t w = ep.first_word + i;
        if (g->punct[w])
            continue;
        int32_t off = heads[i] < 0 ? 0 : heads[i] - (int32_t)i;
        out->words++;
        if (off == g->gold_off[w]) {
            out->uas_ok++;
            out->las_ok += t->spec.dep_ids[labels[i]] == g->gold_dep[w];
        }
    }
    /* Sentences match when both their start and end match. */
    for (uint32_t i = 0; i < ep.n; i++) {
        bool pred = i == 0 || st.words[i].sent_start;
        bool gold = ep.sent_start[i];
        if (!pred && !gold)
            continue;
        uint32_t pe = i + 1, ge = i + 1;
        while (pe < ep.n && !st.words[pe].sent_start)
            pe++;
        while (ge < ep.n && !ep.sent_start[ge])
            ge++;
        out->sents_pred += pred;
        out->sents_gold += gold;
        out->sents_tp += pred && gold && pe == ge;
    }
    return NLP_OK;
}

/* Scores the dev set parsed sentence by sentence (as with gold tokens)
 * and paragraph by paragraph (as from raw text). */
static nlp_status_t score_dev(trainer_t *t, const nlp__linear_t *model,
                              dev_scores_t *by_sent, dev_scores_t *by_para) {
    const gold_set_t *g = &t->dev;
    memset(by_sent, 0, sizeof *by_sent);
    memset(by_para, 0, sizeof *by_para);
    nlp_status_t st = NLP_OK;
    for (uint32_t s = 0; s < g->n_sents && st == NLP_OK; s++) {
        st = score_run(t, model, g, s, s + 1, by_sent);
        nlp__arena_reset(&t->scratch);
    }
    for (uint32_t p = 0; p < g->n_paras && st == NLP_OK; p++) {
        st = score_run(t, model, g, g->para_first[p], g->para_first[p + 1],
                       by_para);
        nlp__arena_reset(&t->scratch);
    }
    return st;
}

/* ---- The trainer ------------------------------------------------------- */

static void trainer_free(trainer_t *t) {
    nlp__perceptron_free(t->model);
    nlp__arena_destroy(&t->scratch);
    nlp__arena_destroy(&t->data);
    nlp__chunk_cache_destroy(&t->cache);
}

static nlp_status_t run_training(trainer_t *t, const nlp__train_opts_t *opts,
                                 void **best_image, size_t *best_len) {
    uint32_t epochs = opts && opts->epochs ? opts->epochs : DEFAULT_EPOCHS;
    FILE *log = opts ? opts->log : NULL;
    uint32_t *order = NLP__ARENA_NEW(&t->data, uint32_t, t->train.n_paras + 1);
    if (!order)
        return nlp__fail(NLP_NOMEM, "parser: paragraph order");
    double best = -1.0;
    for (uint32_t e = 0; e < epochs; e++) {
        clock_t started = clock();
        size_t mistakes = 0, steps = 0;
        nlp_status_t st = train_epoch(t, e, order, &mistakes, &steps);
        void *image = NULL;
        size_t len = 0;
        float min_weight = nlp__perceptron_n_features(t->model) >= PRUNE_FROM_FEATURES
                               ? FROZEN_MIN_WEIGHT
                               : 0.0f;
        if (st == NLP_OK)
            st = nlp__perceptron_freeze_opts(
                t->model, &(nlp__freeze_opts_t){.min_weight = min_weight},
                &image, &len);
        nlp__linear_t view;
        if (st == NLP_OK)
            st = nlp__linear_open(image, len, &view);
        dev_scores_t by_sent = {0}, by_para = {0};
        if (st == NLP_OK && t->dev.n_words)
            st = score_dev(t, &view, &by_sent, &by_para);
        if (st != NLP_OK) {
            nlp__free(t->vocab->alloc, image);
            return st;
        }
        double las = ratio(by_sent.las_ok, by_sent.words);
        double para_las = ratio(by_para.las_ok, by_para.words);
        /* Select on both uses: sentence-split input and raw paragraphs. */
        double quality = t->dev.n_words ? las + para_las : (double)e;
        if (log)
            fprintf(log,
                    "parser epoch %2u: mistakes %.4f | dev uas %.4f las %.4f | "
                    "paragraphs uas %.4f las %.4f sents_f %.4f | %zu features, "
                    "%zu bytes, %.1fs\n",
                    e + 1, ratio(mistakes, steps),
                    ratio(by_sent.uas_ok, by_sent.words), las,
                    ratio(by_para.uas_ok, by_para.words), para_las,
                    sents_f(&by_para), nlp__perceptron_n_features(t->model), len,
                    (double)(clock() - started) / CLOCKS_PER_SEC);
        if (quality > best) {
            best = quality;
            nlp__free(t->vocab->alloc, *best_image);
            *best_image = image;
            *best_len = len;
        } else {
            nlp__free(t->vocab->alloc, image);
        }
    }
    return NLP_OK;
}

nlp_status_t nlp__parser_train(nlp_vocab_t *vocab, const nlp__corpus_t *train,
                               const nlp__corpus_t *dev,
                               const nlp__component_t *const *upstream,
                               size_t n_upstream,
                               const nlp__train_opts_t *opts,
                               nlp__component_t **out) {
    return nlp__parser_train_jackknifed(vocab, train, dev, upstream, n_upstream,
                                        NULL, 0, opts, out);
}

nlp_status_t nlp__parser_train_jackknifed(
    nlp_vocab_t *vocab, const nlp__corpus_t *train, const nlp__corpus_t *dev,
    const nlp__component_t *const *upstream, size_t n_upstream,
    const nlp__component_t *const *const *fold_upstream, uint32_t n_folds,
    const nlp__train_opts_t *opts, nlp__component_t **out) {
    *out = NULL;
    if (!vocab || !train || (n_upstream && !upstream) ||
        (n_upstream && n_folds && !fold_upstream))
        return nlp__fail(NLP_INVALID_ARG, "parser: missing training input");
    trainer_t t = {
        .vocab = vocab,
        .alloc = nlp__allocator_or_default(opts ? opts->alloc : NULL),
        .upstream = upstream,
        .n_upstream = n_upstream,
        .fold_upstream = n_upstream ? fold_upstream : NULL,
        .n_folds = n_upstream ? n_folds : 0,
        .rng = opts ? opts->seed : 0,
    };
    nlp__chunk_cache_init(&t.cache, t.alloc, 1u << 20, 4);
    nlp__arena_init(&t.data, &t.cache);
    nlp__arena_init(&t.scratch, &t.cache);

    void *image = NULL, *meta = NULL;
    size_t image_len = 0, meta_len = 0;
    nlp_status_t st = build_gold_set(&t, train, true, &t.train);
    if (st == NLP_OK && dev)
        st = build_gold_set(&t, dev, false, &t.dev);
    if (st == NLP_OK)
        st = build_inventory(&t);
    if (st == NLP_OK)
        st = nlp__perceptron_create(vocab->alloc, t.spec.n_classes, &t.model);
    if (st == NLP_OK)
        st = run_training(&t, opts, &image, &image_len);
    if (st == NLP_OK)
        st = nlp__parser_spec_encode(&t.spec, t.alloc, &meta, &meta_len);
    if (st == NLP_OK) {
        st = nlp__parser_create(vocab, meta, meta_len, image, image_len, image,
                                out);
        image = NULL; /* owned by the component now, even on failure */
    }
    nlp__free(vocab->alloc, image);
    nlp__free(t.alloc, meta);
    trainer_free(&t);
    return st;
}
