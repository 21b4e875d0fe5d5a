/* The BILUO transition system and its dynamic oracle. */
#include "biluo.h"

#include "core/alloc.h"

nlp__biluo_state_t nlp__biluo_init(uint32_t start, uint32_t end) {
    nlp__biluo_state_t s = {start, end, NLP__BILUO_NONE, 0};
    return s;
}

bool nlp__biluo_valid(const nlp__biluo_state_t *s, uint32_t n_labels,
                      uint32_t action) {
    if (s->i >= s->end || action >= nlp__biluo_n_actions(n_labels))
        return false;
    nlp__biluo_move_t move = nlp__biluo_move_of(action);
    bool has_next = s->i + 1 < s->end;
    if (s->open_label != NLP__BILUO_NONE) {
        /* An open entity can only go on or end, and only with its label. */
        if (nlp__biluo_label_of(action) != (uint32_t)s->open_label) return false;
        return move == NLP__BILUO_LAST || (move == NLP__BILUO_IN && has_next);
    }
    switch (move) {
    case NLP__BILUO_OUT:
    case NLP__BILUO_UNIT:
        return true;
    case NLP__BILUO_BEGIN:
        return has_next;
    default:
        return false;
    }
}

void nlp__biluo_valid_mask(const nlp__biluo_state_t *s, uint32_t n_labels,
                           uint8_t *valid) {
    uint32_t n = nlp__biluo_n_actions(n_labels);
    for (uint32_t a = 0; a < n; a++) valid[a] = nlp__biluo_valid(s, n_labels, a);
}

nlp_status_t nlp__biluo_apply(nlp__biluo_state_t *s, uint32_t n_labels,
                              uint32_t action, nlp__biluo_span_t *done,
                              bool *has_done) {
    *has_done = false;
    if (!nlp__biluo_valid(s, n_labels, action))
        return nlp__fail(NLP_INVALID_ARG, "BILUO action %u is not valid at token %u",
                         action, s->i);
    uint32_t label = nlp__biluo_label_of(action);
    switch (nlp__biluo_move_of(action)) {
    case NLP__BILUO_BEGIN:
        s->open_label = (int32_t)label;
        s->open_start = s->i;
        break;
    case NLP__BILUO_LAST:
        *done = (nlp__biluo_span_t){s->open_start, s->i + 1, label};
        *has_done = true;
        s->open_label = NLP__BILUO_NONE;
        break;
    case NLP__BILUO_UNIT:
        *done = (nlp__biluo_span_t){s->i, s->i + 1, label};
        *has_done = true;
        break;
    case NLP__BILUO_OUT:
    case NLP__BILUO_IN:
        break;
    }
    s->i++;
    return NLP_OK;
}

/* ---- Oracle ------------------------------------------------------------
 *
 * The loss of a finished sentence is FP + FN over exact spans. For a state
 * we split the least loss still reachable into errors already certain and
 * the fewest errors the rest can add; an action's cost is how much that
 * least loss grows. Gold spans that leave the sentence can never be matched
 * by any action, so they are ignored throughout. */

/* A reachable gold span starts at token t. */
static bool gold_starts(const nlp__biluo_state_t *s, const nlp__biluo_gold_t *g,
                        uint32_t t) {
    return t < s->end && g->start_label[t] != NLP__BILUO_NONE &&
           g->last[t] < s->end;
}

/* A gold span (start, e, label) with t <= e < end exists: an entity open
 * since `start` can still become right if it is still open at token t. */
static bool gold_matches_open(const nlp__biluo_state_t *s,
                              const nlp__biluo_gold_t *g, uint32_t start,
                              int32_t label, uint32_t t) {
    return g->start_label[start] == label && g->last[start] >= t &&
           g->last[start] < s->end;
}

/* The fewest errors still to come when an entity of `label` has been open
 * since `start` and token t is next: none when it can still match gold;
 * otherwise it is wrong, and closing it at t (the best) also loses any gold
 * span that starts at t. */
static uint32_t open_future(const nlp__biluo_state_t *s, const nlp__biluo_gold_t *g,
                            uint32_t start, int32_t label, uint32_t t) {
    if (gold_matches_open(s, g, start, label, t)) return 0;
    return 1 + gold_starts(s, g, t);
}

uint32_t nlp__biluo_cost(const nlp__biluo_state_t *s, uint32_t n_labels,
                         const nlp__biluo_gold_t *g, uint32_t action) {
    if (!nlp__biluo_valid(s, n_labels, action)) return NLP__BILUO_INVALID;
    uint32_t i = s->i;
    int32_t label = (int32_t)nlp__biluo_label_of(action);
    uint32_t starts_here = gold_starts(s, g, i);
    switch (nlp__biluo_move_of(action)) {
    case NLP__BILUO_OUT:
        return starts_here;
    case NLP__BILUO_UNIT:
        if (g->start_label[i] == label && g->last[i] == i) return 0;
        return 1 + starts_here;
    case NLP__BILUO_BEGIN: {
        /* The gold span at i survives only as this entity's candidate. */
        bool candidate = g->start_label[i] == label && g->last[i] > i &&
                         g->last[i] < s->end;
        return (starts_here && !candidate) + open_future(s, g, i, label, i + 1);
    }
    case NLP__BILUO_IN: {
        uint32_t before = open_future(s, g, s->open_start, label, i);
        /* A candidate ending exactly at i is lost by going on. */
        bool candidate_lost = gold_matches_open(s, g, s->open_start, label, i) &&
                              g->last[s->open_start] == i;
        uint32_t after = starts_here + candidate_lost +
                         open_future(s, g, s->open_start, label, i + 1);
        return after - before;
    }
    case NLP__BILUO_LAST: {
        uint32_t before = open_future(s, g, s->open_start, label, i);
        if (g->start_label[s->open_start] == label && g->last[s->open_start] == i)
            return 0;
        bool candidate_lost = gold_matches_open(s, g, s->open_start, label, i);
        return 1 + candidate_lost + starts_here - before;
    }
    }
    return NLP__BILUO_INVALID;
}

void nlp__biluo_gold_fill(const nlp__biluo_span_t *spans, size_t n_spans,
                          uint32_t n_tokens, int32_t *start_label,
                          uint32_t *last) {
    for (uint32_t t = 0; t < n_tokens; t++) {
        start_label[t] = NLP__BILUO_NONE;
        last[t] = t;
    }
    for (size_t k = 0; k < n_spans; k++) {
        const nlp__biluo_span_t *sp = &spans[k];
        if (sp->start >= sp->end || sp->end > n_tokens) continue;
        /* An accepted span overlaps when it starts before our end and ends
         * at or after our start. */
        bool free_run = true;
        for (uint32_t t = 0; t < sp->end && free_run; t++)
            if (start_label[t] != NLP__BILUO_NONE && last[t] >= sp->start)
                free_run = false;
        if (!free_run) continue;
        start_label[sp->start] = (int32_t)sp->label;
        last[sp->start] = sp->end - 1;
    }
}
