/* Edit trees: building from (form, lemma) pairs, parsing, applying. */
#include "edit_tree.h"

#include <stdio.h>
#include <string.h>
#include <utf8proc.h>

#include "core/alloc.h"

/* Trees nest once per longest-common-substring split; real words stay far
 * below this, and parsing refuses deeper strings. */
#define MAX_DEPTH 64

enum { NODE_MATCH = 1, NODE_REPLACE = 2 };

typedef struct node {
    uint8_t kind;
    uint32_t prefix, suffix;    /* MATCH: code points kept out of the middle */
    int32_t left, right;        /* MATCH: subtrees, -1 for "" -> "" */
    uint32_t orig, n_orig;      /* REPLACE: code points in the pool */
    uint32_t subst, n_subst;
} node_t;

struct nlp__edit_tree {
    node_t *nodes;
    int32_t *pool;
    uint32_t n_nodes, n_pool;
};

int nlp__utf8_decode(const char *s, size_t len, int32_t *cps) {
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t i = 0;
    int n = 0;
    while (i < len) {
        if (n == NLP__EDIT_TREE_MAX_CPS) return -1;
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0) return -1;
        cps[n++] = cp;
        i += (size_t)k;
    }
    return n;
}

size_t nlp__utf8_encode(const int32_t *cps, size_t n, char *out, size_t cap) {
    size_t len = 0;
    for (size_t i = 0; i < n && len + 4 < cap; i++)
        len += (size_t)utf8proc_encode_char(cps[i], (utf8proc_uint8_t *)out + len);
    if (cap) out[len] = '\0';
    return len;
}

int nlp__cps_lower(int32_t *cps, size_t n) {
    int changed = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t lower = utf8proc_tolower(cps[i]);
        changed |= lower != cps[i];
        cps[i] = lower;
    }
    return changed;
}

/* ---- Building ---------------------------------------------------------- */

typedef struct out_buf {
    char *s;
    size_t len, cap;
    int overflow;
} out_buf_t;

static void put_bytes(out_buf_t *b, const char *s, size_t n) {
    if (b->overflow || b->len + n >= b->cap) {
        b->overflow = 1;
        return;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void put_number(out_buf_t *b, size_t v, char end) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%zu%c", v, end);
    put_bytes(b, tmp, (size_t)n);
}

static void put_cps(out_buf_t *b, const int32_t *cps, size_t n) {
    char tmp[4 * NLP__EDIT_TREE_MAX_CPS + 1];
    size_t len = nlp__utf8_encode(cps, n, tmp, sizeof tmp);
    put_number(b, len, ':');
    put_bytes(b, tmp, len);
}

/* The longest common substring of f and l: its length and start in each.
 * Ties go to the one ending first in f, then in l, so the tree of a pair is
 * always the same. */
static size_t longest_common(const int32_t *f, size_t nf, const int32_t *l,
                             size_t nl, size_t *fi, size_t *li) {
    uint8_t prev[NLP__EDIT_TREE_MAX_CPS + 1] = {0}, cur[NLP__EDIT_TREE_MAX_CPS + 1];
    size_t best = 0;
    for (size_t i = 1; i <= nf; i++) {
        cur[0] = 0;
        for (size_t j = 1; j <= nl; j++) {
            cur[j] = f[i - 1] == l[j - 1] ? (uint8_t)(prev[j - 1] + 1) : 0;
            if (cur[j] > best) {
                best = cur[j];
                *fi = i - best;
                *li = j - best;
            }
        }
        memcpy(prev, cur, nl + 1);
    }
    return best;
}

static void build(out_buf_t *b, const int32_t *f, size_t nf, const int32_t *l,
                  size_t nl);

static void build_child(out_buf_t *b, const int32_t *f, size_t nf,
                        const int32_t *l, size_t nl) {
    if (nf == 0 && nl == 0) put_bytes(b, "-", 1);
    else build(b, f, nf, l, nl);
}

static void build(out_buf_t *b, const int32_t *f, size_t nf, const int32_t *l,
                  size_t nl) {
    size_t fi = 0, li = 0;
    size_t n = longest_common(f, nf, l, nl, &fi, &li);
    if (n == 0) {
        put_bytes(b, "R", 1);
        put_cps(b, f, nf);
        put_cps(b, l, nl);
        return;
    }
    put_bytes(b, "M", 1);
    put_number(b, fi, ':');
    put_number(b, nf - fi - n, ':');
    build_child(b, f, fi, l, li);
    build_child(b, f + fi + n, nf - fi - n, l + li + n, nl - li - n);
}

nlp_status_t nlp__edit_tree_build(const int32_t *form, size_t n_form,
                                  const int32_t *lemma, size_t n_lemma,
                                  char *out, size_t cap) {
    if (n_form > NLP__EDIT_TREE_MAX_CPS || n_lemma > NLP__EDIT_TREE_MAX_CPS || cap == 0)
        return nlp__fail(NLP_LIMIT, "edit tree: word too long");
    out_buf_t b = {out, 0, cap, 0};
    out[0] = '\0';
    build(&b, form, n_form, lemma, n_lemma);
    return b.overflow ? nlp__fail(NLP_LIMIT, "edit tree: more than %zu bytes", cap)
                      : NLP_OK;
}

/* ---- Parsing ----------------------------------------------------------- */

typedef struct parser {
    const char *s, *end;
    nlp__edit_tree_t *t;
    uint32_t cap_nodes, cap_pool;
} parser_t;

static int parse_number(parser_t *p, uint32_t *v) {
    uint64_t x = 0;
    const char *start = p->s;
    while (p->s < p->end && *p->s >= '0' && *p->s <= '9') {
        x = x * 10 + (uint64_t)(*p->s++ - '0');
        if (x > 0xffffff) return 0;
    }
    if (p->s == start || p->s >= p->end || *p->s != ':') return 0;
    p->s++;
    *v = (uint32_t)x;
    return 1;
}

/* Reads "N:BYTES" into the code point pool. */
static int parse_string(parser_t *p, uint32_t *at, uint32_t *n) {
    uint32_t len;
    if (!parse_number(p, &len) || (size_t)(p->end - p->s) < len) return 0;
    nlp__edit_tree_t *t = p->t;
    int32_t cps[NLP__EDIT_TREE_MAX_CPS];
    int k = nlp__utf8_decode(p->s, len, cps);
    if (k < 0 || t->n_pool + (uint32_t)k > p->cap_pool) return 0;
    memcpy(t->pool + t->n_pool, cps, (size_t)k * sizeof *cps);
    *at = t->n_pool;
    *n = (uint32_t)k;
    t->n_pool += (uint32_t)k;
    p->s += len;
    return 1;
}

static int parse_tree(parser_t *p, int depth, int32_t *idx);

static int parse_child(parser_t *p, int depth, int32_t *idx) {
    if (p->s < p->end && *p->s == '-') {
        p->s++;
        *idx = -1;
        return 1;
    }
    return parse_tree(p, depth, idx);
}

static int parse_tree(parser_t *p, int depth, int32_t *idx) {
    nlp__edit_tree_t *t = p->t;
    if (depth > MAX_DEPTH || p->s >= p->end || t->n_nodes == p->cap_nodes) return 0;
    *idx = (int32_t)t->n_nodes;
    node_t *nd = &t->nodes[t->n_nodes++];
    memset(nd, 0, sizeof *nd);
    char kind = *p->s++;
    if (kind == 'R') {
        nd->kind = NODE_REPLACE;
        return parse_string(p, &nd->orig, &nd->n_orig) &&
               parse_string(p, &nd->subst, &nd->n_subst);
    }
    if (kind != 'M') return 0;
    nd->kind = NODE_MATCH;
    int32_t left, right;
    uint32_t prefix, suffix;
    if (!parse_number(p, &prefix) || !parse_number(p, &suffix) ||
        !parse_child(p, depth + 1, &left) || !parse_child(p, depth + 1, &right))
        return 0;
    /* Re-fetch: the array does not move, but keep writes after recursion
     * explicit. */
    nd = &t->nodes[*idx];
    nd->prefix = prefix;
    nd->suffix = suffix;
    nd->left = left;
    nd->right = right;
    return 1;
}

nlp_status_t nlp__edit_tree_parse(const nlp_allocator_t *alloc, const char *s,
                                  size_t len, nlp__edit_tree_t **out) {
    *out = NULL;
    alloc = nlp__allocator_or_default(alloc);
    /* Every node takes at least 2 bytes of the string and every code point
     * at least one, which bounds both arrays. */
    size_t cap_nodes = len / 2 + 1, cap_pool = len + 1;
    if (len > (1u << 20)) return nlp__fail(NLP_FORMAT, "edit tree: string too long");
    nlp__edit_tree_t *t = nlp__calloc(alloc, 1, sizeof *t);
    if (!t) return NLP_NOMEM;
    t->nodes = nlp__calloc(alloc, cap_nodes, sizeof *t->nodes);
    t->pool = nlp__calloc(alloc, cap_pool, sizeof *t->pool);
    if (!t->nodes || !t->pool) {
        nlp__edit_tree_free(alloc, t);
        return NLP_NOMEM;
    }
    parser_t p = {s, s + len, t, (uint32_t)cap_nodes, (uint32_t)cap_pool};
    int32_t root;
    if (!parse_tree(&p, 0, &root) || p.s != p.end) {
        nlp__edit_tree_free(alloc, t);
        return nlp__fail(NLP_FORMAT, "edit tree: malformed \"%.*s\"",
                         (int)(len > 60 ? 60 : len), s);
    }
    *out = t;
    return NLP_OK;
}

void nlp__edit_tree_free(const nlp_allocator_t *alloc, nlp__edit_tree_t *t) {
    if (!t) return;
    alloc = nlp__allocator_or_default(alloc);
    nlp__free(alloc, t->nodes);
    nlp__free(alloc, t->pool);
    nlp__free(alloc, t);
}

/* ---- Applying ---------------------------------------------------------- */

static int apply_node(const nlp__edit_tree_t *t, int32_t idx, const int32_t *f,
                      size_t n, int32_t *out, size_t cap) {
    if (idx < 0) return n == 0 ? 0 : -1;
    const node_t *nd = &t->nodes[idx];
    if (nd->kind == NODE_REPLACE) {
        if (n != nd->n_orig || memcmp(f, t->pool + nd->orig, n * sizeof *f) != 0 ||
            nd->n_subst > cap)
            return -1;
        memcpy(out, t->pool + nd->subst, nd->n_subst * sizeof *out);
        return (int)nd->n_subst;
    }
    /* The kept middle is never empty: trees come from a non-empty common
     * substring. */
    if ((size_t)nd->prefix + nd->suffix >= n) return -1;
    int a = apply_node(t, nd->left, f, nd->prefix, out, cap);
    if (a < 0) return -1;
    size_t mid = n - nd->prefix - nd->suffix;
    if ((size_t)a + mid > cap) return -1;
    memcpy(out + a, f + nd->prefix, mid * sizeof *out);
    int b = apply_node(t, nd->right, f + n - nd->suffix, nd->suffix, out + a + mid,
                       cap - (size_t)a - mid);
    if (b < 0) return -1;
    return a + (int)mid + b;
}

int nlp__edit_tree_apply(const nlp__edit_tree_t *t, const int32_t *form,
                         size_t n, int32_t *out) {
    return apply_node(t, 0, form, n, out, NLP__EDIT_TREE_MAX_CPS);
}
