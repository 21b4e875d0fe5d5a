/* Arc-hybrid moves, validity and oracle costs; see arc_hybrid.h. */
#include "models/arc_hybrid.h"

#include <string.h>

#include "core/alloc.h"

static const nlp__ah_word_t empty_word = {
    .head = -1, .left = {-1, -1}, .right = {-1, -1}};

nlp_status_t nlp__ah_init(nlp__ah_state_t *st, uint32_t n, uint32_t root_label,
                          const int8_t *preset, nlp__arena_t *arena) {
    if (n >= INT32_MAX - NLP__AH_STACK_PAD - 2)
        return nlp__fail(NLP_LIMIT, "document of %u words is too long", n);
    nlp__ah_word_t *words = NLP__ARENA_NEW(arena, nlp__ah_word_t, n + 2);
    int32_t *stack = NLP__ARENA_NEW(arena, int32_t, n + NLP__AH_STACK_PAD);
    if (!words || !stack)
        return nlp__fail(NLP_NOMEM, "parser state for %u words", n);
    for (uint32_t i = 0; i < n + 2; i++)
        words[i] = empty_word;
    for (uint32_t i = 0; i < NLP__AH_STACK_PAD; i++)
        stack[i] = -1;
    st->words = words + 1;
    st->stack = stack + NLP__AH_STACK_PAD;
    st->n = n;
    st->depth = 0;
    st->b0 = 0;
    st->root_label = root_label;
    st->preset = preset;
    return NLP_OK;
}

/* True when the caller fixed b0 as (want = 1) or not as (want = 0) the start
 * of a sentence. */
static bool preset_is(const nlp__ah_state_t *st, int want) {
    return st->preset && st->b0 < st->n && st->preset[st->b0] == want;
}

void nlp__ah_valid(const nlp__ah_state_t *st, bool valid[NLP__AH_N_MOVES]) {
    bool has_buffer = st->b0 < st->n;
    /* A preset start at b0 forbids joining b0 to anything on the stack. */
    bool must_break = st->depth > 0 && preset_is(st, 1);
    valid[NLP__AH_SHIFT] = has_buffer && !must_break;
    valid[NLP__AH_LEFT] = has_buffer && st->depth >= 1 && !must_break;
    valid[NLP__AH_RIGHT] = st->depth >= 2;
    /* A word with left children already shares a sentence with them. */
    valid[NLP__AH_BREAK] = has_buffer && st->depth == 1 &&
                           st->words[st->b0].n_left == 0 && !preset_is(st, 0);
}

static void attach_left(nlp__ah_state_t *st, int32_t head, int32_t dep,
                        uint32_t label) {
    nlp__ah_word_t *h = &st->words[head];
    st->words[dep].head = head;
    st->words[dep].label = label;
    /* Left children arrive right to left, so each is the new leftmost. */
    h->left[1] = h->left[0];
    h->left[0] = dep;
    h->n_left++;
}

static void attach_right(nlp__ah_state_t *st, int32_t head, int32_t dep,
                         uint32_t label) {
    nlp__ah_word_t *h = &st->words[head];
    st->words[dep].head = head;
    st->words[dep].label = label;
    /* Right children arrive left to right, so each is the new rightmost. */
    h->right[1] = h->right[0];
    h->right[0] = dep;
    h->n_right++;
}

static int32_t pop(nlp__ah_state_t *st) {
    int32_t w = st->stack[--st->depth];
    st->words[w].on_stack = 0;
    return w;
}

void nlp__ah_apply(nlp__ah_state_t *st, nlp__ah_move_t move, uint32_t label) {
    switch (move) {
    case NLP__AH_SHIFT:
        st->words[st->b0].on_stack = 1;
        st->stack[st->depth++] = (int32_t)st->b0++;
        break;
    case NLP__AH_LEFT: {
        int32_t d = pop(st);
        attach_left(st, (int32_t)st->b0, d, label);
        break;
    }
    case NLP__AH_RIGHT: {
        int32_t d = pop(st);
        attach_right(st, st->stack[st->depth - 1], d, label);
        break;
    }
    case NLP__AH_BREAK: {
        int32_t r = pop(st);
        st->words[r].label = st->root_label;
        st->words[st->b0].sent_start = 1;
        break;
    }
    case NLP__AH_N_MOVES:
        break;
    }
}

void nlp__ah_finish(nlp__ah_state_t *st) {
    while (st->depth > 0) {
        int32_t r = pop(st);
        st->words[r].label = st->root_label;
    }
    if (st->n > 0)
        st->words[0].sent_start = 1;
}

void nlp__ah_arc_of(const nlp__ah_state_t *st, nlp__ah_move_t move,
                    int32_t *dep, int32_t *head) {
    *dep = -1;
    *head = -1;
    if (move == NLP__AH_LEFT) {
        *dep = nlp__ah_stack(st, 0);
        *head = (int32_t)st->b0;
    } else if (move == NLP__AH_RIGHT) {
        *dep = nlp__ah_stack(st, 0);
        *head = nlp__ah_stack(st, 1);
    }
}

/* Gold children of w that are still in the buffer (index >= b0): they can
 * only get w as head while w is on the stack. */
static int32_t kids_in_buffer(const nlp__ah_gold_t *g, int32_t w, uint32_t b0) {
    int32_t count = 0;
    for (uint32_t k = g->kid_first[w + 1]; k > g->kid_first[w]; k--) {
        if ((uint32_t)g->kids[k - 1] < b0)
            break;
        count++;
    }
    return count;
}

/* Gold children of w (in the buffer) that sit on the stack. */
static int32_t kids_on_stack(const nlp__ah_state_t *st,
                             const nlp__ah_gold_t *g, int32_t w) {
    int32_t count = 0;
    for (uint32_t k = g->kid_first[w]; k < g->kid_first[w + 1]; k++) {
        int32_t c = g->kids[k];
        if (c >= w)
            break;
        count += st->words[c].on_stack;
    }
    return count;
}

void nlp__ah_costs(const nlp__ah_state_t *st, const nlp__ah_gold_t *g,
                   int32_t cost[NLP__AH_N_MOVES]) {
    bool valid[NLP__AH_N_MOVES];
    nlp__ah_valid(st, valid);
    for (int m = 0; m < NLP__AH_N_MOVES; m++)
        cost[m] = NLP__AH_INVALID_COST;

    int32_t s0 = nlp__ah_stack(st, 0), s1 = nlp__ah_stack(st, 1);
    int32_t b = (int32_t)st->b0;
    /* The gold boundary before b0 is still reachable when b0 starts a gold
     * sentence, something precedes it on the stack, and no left arc joins b0
     * to earlier words yet. */
    bool boundary_open = st->b0 < st->n && st->depth > 0 &&
                         g->sent_start[b] && st->words[b].n_left == 0;
    /* Joining b0 to the sentence at the bottom of the stack also costs a
     * root when that word can still be the root of its gold sentence: two
     * gold roots cannot share a predicted sentence, and splitting b0's gold
     * sentence instead loses one of its arcs. */
    bool merge_costs_root = boundary_open && g->heads[st->stack[0]] < 0;

    if (valid[NLP__AH_SHIFT]) {
        int32_t h = g->heads[b];
        int32_t c = kids_on_stack(st, g, b);
        /* Once b0 is above s0, only s0 can still become its head. */
        if (h >= 0 && h < b && st->words[h].on_stack && h != s0)
            c++;
        /* A word pushed onto a non-empty stack can no longer be a root. */
        if (h < 0 && st->depth > 0)
            c++;
        else if (merge_costs_root)
            c++;
        c += boundary_open;
        cost[NLP__AH_SHIFT] = c;
    }
    if (st->depth == 0)
        return;

    /* Every other move pops s0: its dependents in the buffer are lost, and
     * so is a gold head in the buffer unless the move attaches it there. */
    int32_t h = g->heads[s0];
    int32_t popped = kids_in_buffer(g, s0, st->b0);
    if (valid[NLP__AH_LEFT]) {
        int32_t c = popped;
        if (h > b || (h == s1 && h >= 0))
            c++;
        /* At the bottom of the stack s0 could still have become a root. */
        if (h < 0 && st->depth == 1)
            c++;
        if (merge_costs_root && st->depth >= 2)
            c++;
        c += boundary_open;
        cost[NLP__AH_LEFT] = c;
    }
    if (valid[NLP__AH_RIGHT])
        cost[NLP__AH_RIGHT] = popped + (h >= b);
    if (valid[NLP__AH_BREAK])
        cost[NLP__AH_BREAK] = popped + (h >= b) + !g->sent_start[b];
}
