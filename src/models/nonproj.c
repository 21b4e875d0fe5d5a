/* Pseudo-projective lifting and its inverse; see nonproj.h. */
#include "models/nonproj.h"

#include <string.h>

#include "core/alloc.h"

nlp_status_t nlp__nonproj_check_tree(const int32_t *heads, size_t n) {
    if (n > INT32_MAX)
        return nlp__fail(NLP_LIMIT, "tree of %zu words is too large", n);
    for (size_t i = 0; i < n; i++) {
        int32_t h = heads[i];
        if (h < -1 || h >= (int32_t)n || h == (int32_t)i)
            return nlp__fail(NLP_FORMAT, "word %zu has invalid head %lld",
                             i + 1, (long long)h + 1);
    }
    /* A walk longer than n steps can only be a cycle. */
    for (size_t i = 0; i < n; i++) {
        int32_t a = (int32_t)i;
        size_t steps = 0;
        while (a != -1 && steps <= n) {
            a = heads[a];
            steps++;
        }
        if (a != -1)
            return nlp__fail(NLP_FORMAT, "word %zu is on a cycle of heads",
                             i + 1);
    }
    return NLP_OK;
}

/* True when `anc` is `w` or one of its ancestors. Assumes a tree. */
static bool dominates(const int32_t *heads, int32_t anc, int32_t w) {
    while (w != -1 && w != anc)
        w = heads[w];
    return w == anc;
}

bool nlp__nonproj_is_nonproj_arc(const int32_t *heads, size_t n, size_t d) {
    int32_t h = heads[d];
    if (h < 0 || (size_t)h >= n)
        return false;
    int32_t lo = h < (int32_t)d ? h : (int32_t)d;
    int32_t hi = h < (int32_t)d ? (int32_t)d : h;
    for (int32_t k = lo + 1; k < hi; k++)
        if (!dominates(heads, h, k))
            return true;
    return false;
}

bool nlp__nonproj_is_projective(const int32_t *heads, size_t n) {
    for (size_t d = 0; d < n; d++)
        if (nlp__nonproj_is_nonproj_arc(heads, n, d))
            return false;
    return true;
}

/* The word whose non-projective arc is shortest (the leftmost among equals),
 * considering only arcs that can be lifted (the head has a head), or -1. */
static int32_t smallest_liftable_arc(const int32_t *heads, size_t n) {
    int32_t best = -1;
    int32_t best_len = INT32_MAX;
    for (size_t d = 0; d < n; d++) {
        int32_t h = heads[d];
        if (h < 0 || heads[h] < 0)
            continue;
        int32_t len = h > (int32_t)d ? h - (int32_t)d : (int32_t)d - h;
        if (len < best_len && nlp__nonproj_is_nonproj_arc(heads, n, d)) {
            best = (int32_t)d;
            best_len = len;
        }
    }
    return best;
}

nlp_status_t nlp__nonproj_projectivize(int32_t *heads, const char **labels,
                                       size_t n, nlp__arena_t *arena,
                                       size_t *n_lifted) {
    if (n_lifted)
        *n_lifted = 0;
    nlp_status_t st = nlp__nonproj_check_tree(heads, n);
    if (st != NLP_OK)
        return st;
    if (nlp__nonproj_is_projective(heads, n))
        return NLP_OK;

    int32_t *orig = NLP__ARENA_NEW(arena, int32_t, n);
    if (!orig)
        return nlp__fail(NLP_NOMEM, "projectivizing %zu words", n);
    memcpy(orig, heads, n * sizeof *heads);

    /* Each lift moves a word one level up, so this terminates. */
    for (int32_t d; (d = smallest_liftable_arc(heads, n)) >= 0;)
        heads[d] = heads[heads[d]];

    /* Decorations name the head's label as it was before this call, even
     * when that head is itself lifted and decorated below. */
    const char **orig_labels = NULL;
    if (labels) {
        orig_labels = NLP__ARENA_NEW(arena, const char *, n);
        if (!orig_labels)
            return nlp__fail(NLP_NOMEM, "projectivizing %zu words", n);
        memcpy(orig_labels, labels, n * sizeof *labels);
    }
    size_t lifted = 0;
    const char *delim = NLP__NONPROJ_DELIM;
    size_t delim_len = strlen(delim);
    for (size_t i = 0; i < n; i++) {
        if (heads[i] == orig[i])
            continue;
        lifted++;
        if (!labels)
            continue;
        const char *own = orig_labels[i] ? orig_labels[i] : "";
        const char *up = orig_labels[orig[i]] ? orig_labels[orig[i]] : "";
        size_t own_len = strlen(own), up_len = strlen(up);
        char *deco = nlp__arena_alloc(arena, own_len + delim_len + up_len + 1, 1);
        if (!deco)
            return nlp__fail(NLP_NOMEM, "decorating label %s", own);
        memcpy(deco, own, own_len);
        memcpy(deco + own_len, delim, delim_len);
        memcpy(deco + own_len + delim_len, up, up_len + 1);
        labels[i] = deco;
    }
    if (n_lifted)
        *n_lifted = lifted;
    return NLP_OK;
}

const char *nlp__nonproj_split_label(const char *label, size_t *base_len) {
    const char *at = strstr(label, NLP__NONPROJ_DELIM);
    if (!at) {
        *base_len = strlen(label);
        return NULL;
    }
    *base_len = (size_t)(at - label);
    return at + strlen(NLP__NONPROJ_DELIM);
}

/* The index of the label equal to s[0..len), or UINT32_MAX. Label lists are
 * short (about a hundred) and this runs once per model load. */
static uint32_t find_label(const char *const *labels, size_t n, const char *s,
                           size_t len) {
    for (size_t i = 0; i < n; i++)
        if (strncmp(labels[i], s, len) == 0 && labels[i][len] == '\0')
            return (uint32_t)i;
    return UINT32_MAX;
}

nlp_status_t nlp__nonproj_map_build(const char *const *labels, size_t n,
                                    nlp__arena_t *arena,
                                    nlp__nonproj_map_t *out) {
    if (n >= UINT32_MAX)
        return nlp__fail(NLP_LIMIT, "%zu labels", n);
    uint32_t *base = NLP__ARENA_NEW(arena, uint32_t, n ? n : 1);
    uint32_t *head = NLP__ARENA_NEW(arena, uint32_t, n ? n : 1);
    if (!base || !head)
        return nlp__fail(NLP_NOMEM, "label map of %zu labels", n);
    for (size_t l = 0; l < n; l++) {
        size_t base_len;
        const char *up = nlp__nonproj_split_label(labels[l], &base_len);
        base[l] = (uint32_t)l;
        head[l] = UINT32_MAX;
        if (!up)
            continue;
        base[l] = find_label(labels, n, labels[l], base_len);
        head[l] = find_label(labels, n, up, strlen(up));
        if (base[l] == UINT32_MAX || head[l] == UINT32_MAX)
            return nlp__fail(NLP_FORMAT,
                             "decorated label %s names a label not in the set",
                             labels[l]);
    }
    out->base = base;
    out->head_label = head;
    out->n_labels = (uint32_t)n;
    return NLP_OK;
}

/* Children of each word in ascending order, as a compressed list: the
 * children of w are kids[first[w] .. first[w + 1]). `cursor` is n words of
 * scratch. */
static void build_children(const int32_t *heads, size_t n, uint32_t *first,
                           uint32_t *cursor, int32_t *kids) {
    memset(first, 0, (n + 1) * sizeof *first);
    for (size_t i = 0; i < n; i++)
        if (heads[i] >= 0)
            first[heads[i] + 1]++;
    for (size_t w = 0; w < n; w++)
        first[w + 1] += first[w];
    memcpy(cursor, first, n * sizeof *cursor);
    for (size_t i = 0; i < n; i++)
        if (heads[i] >= 0)
            kids[cursor[heads[i]]++] = (int32_t)i;
}

/* Breadth-first search below `from` for a word labelled `want`, skipping the
 * subtree of `self`; returns it or -1. */
static int32_t find_new_head(const uint32_t *labels, const uint32_t *first,
                             const int32_t *kids, int32_t *queue, int32_t from,
                             int32_t self, uint32_t want) {
    size_t head_i = 0, tail = 0;
    queue[tail++] = from;
    while (head_i < tail) {
        int32_t w = queue[head_i++];
        for (uint32_t k = first[w]; k < first[w + 1]; k++) {
            int32_t c = kids[k];
            if (c == self)
                continue;
            if (labels[c] == want)
                return c;
            queue[tail++] = c;
        }
    }
    return -1;
}

nlp_status_t nlp__nonproj_deprojectivize(int32_t *heads, uint32_t *labels,
                                         size_t n,
                                         const nlp__nonproj_map_t *map,
                                         nlp__arena_t *scratch) {
    bool any = false;
    for (size_t i = 0; i < n && !any; i++)
        any = labels[i] < map->n_labels &&
              map->head_label[labels[i]] != UINT32_MAX;
    if (!any)
        return NLP_OK;

    uint32_t *first = NLP__ARENA_NEW(scratch, uint32_t, n + 1);
    int32_t *kids = NLP__ARENA_NEW(scratch, int32_t, n);
    uint32_t *cursor = NLP__ARENA_NEW(scratch, uint32_t, n);
    int32_t *queue = NLP__ARENA_NEW(scratch, int32_t, n + 1);
    if (!first || !kids || !cursor || !queue)
        return nlp__fail(NLP_NOMEM, "deprojectivizing %zu words", n);

    bool stale = true;
    for (size_t i = 0; i < n; i++) {
        uint32_t l = labels[i];
        if (l >= map->n_labels || map->head_label[l] == UINT32_MAX)
            continue;
        labels[i] = map->base[l];
        if (heads[i] < 0)
            continue;
        if (stale)
            build_children(heads, n, first, cursor, kids);
        int32_t h = find_new_head(labels, first, kids, queue, heads[i],
                                  (int32_t)i, map->head_label[l]);
        /* Moving a word changes the child lists; keeping it does not. */
        stale = h >= 0;
        if (h >= 0)
            heads[i] = h;
    }
    return NLP_OK;
}
