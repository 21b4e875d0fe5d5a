/* The tokenizer's pattern dialect: a parser to a syntax tree, a compiler to
 * a Thompson NFA program (forwards or backwards), and a Pike VM that runs it
 * without captures. See pattern.h for the syntax. */
#include "pattern.h"

#include <string.h>

#include "core/alloc.h"
#include "utf8.h"

/* Bound on a compiled set, so the matcher's state fits on the stack. */
#define MAX_INSTS 1024
#define MAX_DEPTH 64 /* nesting of groups */

/* Named character classes. */
enum {
    CL_LETTER = 1u << 0,
    CL_LOWER = 1u << 1,
    CL_UPPER = 1u << 2,
    CL_DIGIT = 1u << 3,
    CL_WORD = 1u << 4,
    CL_SYMBOL = 1u << 5,
    CL_SPACE = 1u << 6,
    CL_NONSPACE = 1u << 7,
    CL_ANY = 1u << 8,
};

typedef struct range {
    int32_t lo, hi;
} range_t;

typedef struct charset {
    uint64_t ascii[2]; /* membership of code points below 128, precomputed */
    uint32_t classes;  /* CL_* */
    uint32_t first_range, n_ranges;
    uint8_t negated;
} charset_t;

enum { OP_CHAR, OP_SPLIT, OP_JMP, OP_ASSERT, OP_MATCH };

typedef struct inst {
    uint8_t op;
    uint8_t ahead;   /* OP_ASSERT: look after (1) or before (0) the point */
    uint8_t negated; /* OP_ASSERT: the character must not be in the set */
    uint8_t dist;    /* OP_ASSERT: which character away from the point, 1.. */
    uint32_t set;    /* OP_CHAR, OP_ASSERT */
    uint32_t x, y;   /* OP_SPLIT targets; OP_JMP uses x */
} inst_t;

struct nlp__pattern_set {
    const nlp_allocator_t *alloc;
    nlp__pattern_dir_t dir;
    inst_t *prog;
    size_t n_insts;
    charset_t *sets;
    range_t *ranges;
    uint64_t first_ascii[2]; /* code points below 128 a match can start with */
    int first_other;         /* whether one of 128 or above can */
    /* The start state, precomputed: the character instructions reachable
     * from the start without passing an assertion (and, per ASCII
     * character, those that accept it), and the assertions reachable so
     * (evaluated at each start, as they depend on the text). Without this
     * every start would visit every pattern's first instruction. */
    uint16_t *start_chars, *start_asserts, *by_ascii;
    size_t n_start_chars, n_start_asserts;
    uint32_t by_ascii_at[129]; /* by_ascii[by_ascii_at[c] .. [c + 1]) */
    /* A whole match is only possible if the text holds one of these ASCII
     * characters (each pattern needs one of them), unless any_text. */
    uint64_t needs_ascii[2];
    int any_text;
};

/* ---- character classes ------------------------------------------------ */

static unsigned classes_of(int32_t cp) {
    unsigned c = CL_ANY;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: c |= CL_LETTER | CL_UPPER | CL_WORD; break;
    case UTF8PROC_CATEGORY_LL: c |= CL_LETTER | CL_LOWER | CL_WORD; break;
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: c |= CL_LETTER | CL_WORD; break;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME: c |= CL_WORD; break;
    case UTF8PROC_CATEGORY_ND: c |= CL_DIGIT | CL_WORD; break;
    case UTF8PROC_CATEGORY_SO:
        if (cp != 0xB0) c |= CL_SYMBOL; /* the degree sign stays in "20°" */
        break;
    default: break;
    }
    if (cp == '_') c |= CL_WORD;
    c |= nlp__utf8_is_space(cp) ? CL_SPACE : CL_NONSPACE;
    return c;
}

static int set_has_slow(const nlp__pattern_set_t *ps, const charset_t *cs,
                        int32_t cp) {
    int in = (classes_of(cp) & cs->classes) != 0;
    const range_t *r = ps->ranges + cs->first_range;
    for (uint32_t i = 0; !in && i < cs->n_ranges; i++)
        in = cp >= r[i].lo && cp <= r[i].hi;
    return in != cs->negated;
}

static inline int set_has(const nlp__pattern_set_t *ps, uint32_t set,
                          int32_t cp) {
    const charset_t *cs = &ps->sets[set];
    if (cp < 128) return (int)((cs->ascii[cp >> 6] >> (cp & 63)) & 1);
    return set_has_slow(ps, cs, cp);
}

/* ---- syntax tree -------------------------------------------------------- */

enum { N_SET, N_CAT, N_ALT, N_REP, N_ASSERT, N_EMPTY };

typedef struct node {
    int kind;
    uint32_t set;    /* N_SET, N_ASSERT */
    int a, b;        /* children: N_CAT, N_ALT (a, b), N_REP (a) */
    int min, max;    /* N_REP; max < 0 is unbounded */
    uint8_t ahead, negated, dist; /* N_ASSERT */
} node_t;

typedef struct builder {
    const nlp_allocator_t *alloc;
    node_t *nodes;
    size_t n_nodes, cap_nodes;
    charset_t *sets;
    size_t n_sets, cap_sets;
    range_t *ranges;
    size_t n_ranges, cap_ranges;
    inst_t *prog;
    size_t n_insts, cap_insts;
    /* The pattern being parsed. */
    const char *pat;
    size_t pos, len;
    int icase, depth;
    nlp_status_t status;
    const char *error;
} builder_t;

/* Grows *arr to hold one more element; returns 0 when out of memory. */
static int grow(builder_t *b, void **arr, size_t n, size_t *cap, size_t size) {
    if (n < *cap) return 1;
    size_t c = *cap ? *cap * 2 : 64;
    void *p = nlp__realloc_array(b->alloc, *arr, c, size);
    if (!p) {
        b->status = NLP_NOMEM;
        return 0;
    }
    *arr = p;
    *cap = c;
    return 1;
}

static int fail(builder_t *b, const char *what) {
    if (!b->status) {
        b->status = NLP_INVALID_ARG;
        b->error = what;
    }
    return -1;
}

static int new_node(builder_t *b, int kind) {
    if (b->status) return -1;
    if (!grow(b, (void **)&b->nodes, b->n_nodes, &b->cap_nodes, sizeof(node_t)))
        return -1;
    node_t *n = &b->nodes[b->n_nodes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    return (int)b->n_nodes++;
}

static int new_set(builder_t *b) {
    if (!grow(b, (void **)&b->sets, b->n_sets, &b->cap_sets, sizeof(charset_t)))
        return -1;
    charset_t *cs = &b->sets[b->n_sets];
    memset(cs, 0, sizeof *cs);
    cs->first_range = (uint32_t)b->n_ranges;
    return (int)b->n_sets++;
}

/* Ranges of the set being built are always the last ones added. */
static int add_range(builder_t *b, int set, int32_t lo, int32_t hi) {
    if (!grow(b, (void **)&b->ranges, b->n_ranges, &b->cap_ranges,
              sizeof(range_t)))
        return -1;
    b->ranges[b->n_ranges++] = (range_t){lo, hi};
    b->sets[set].n_ranges++;
    return 0;
}

static int add_literal(builder_t *b, int set, int32_t cp) {
    if (add_range(b, set, cp, cp)) return -1;
    if (b->icase && cp < 128 && ((cp | 32) >= 'a' && (cp | 32) <= 'z'))
        return add_range(b, set, cp ^ 32, cp ^ 32);
    return 0;
}

static int at_end(const builder_t *b) { return b->pos >= b->len; }

static int32_t peek(const builder_t *b) {
    size_t k;
    return nlp__utf8_next(b->pat, b->pos, b->len, &k);
}

static int32_t take(builder_t *b) {
    size_t k;
    int32_t cp = nlp__utf8_next(b->pat, b->pos, b->len, &k);
    b->pos += k;
    return cp;
}

static unsigned class_letter(int32_t c) {
    switch (c) {
    case 'a': return CL_LETTER;
    case 'l': return CL_LOWER;
    case 'u': return CL_UPPER;
    case 'd': return CL_DIGIT;
    case 'w': return CL_WORD;
    case 'o': return CL_SYMBOL;
    case 's': return CL_SPACE;
    case 'S': return CL_NONSPACE;
    case 'X': return CL_ANY;
    default: return 0;
    }
}

/* After a backslash: adds the class or the escaped literal to `set`, and
 * reports a literal in *lit (else -1) so a set can read ranges. */
static int parse_escape(builder_t *b, int set, int32_t *lit) {
    *lit = -1;
    if (at_end(b)) return fail(b, "dangling backslash");
    int32_t c = take(b);
    unsigned cl = class_letter(c);
    if (cl) {
        b->sets[set].classes |= cl;
        return 0;
    }
    *lit = c;
    return add_literal(b, set, c);
}

/* [...] after the opening bracket. */
static int parse_bracket(builder_t *b) {
    int set = new_set(b);
    if (set < 0) return -1;
    if (!at_end(b) && peek(b) == '^') {
        take(b);
        b->sets[set].negated = 1;
    }
    int32_t prev = -1; /* the last literal, for a range */
    for (;;) {
        if (at_end(b)) return fail(b, "unclosed [");
        int32_t c = take(b);
        if (c == ']') break;
        if (c == '-' && prev >= 0 && !at_end(b) && peek(b) != ']') {
            int32_t hi = take(b);
            if (hi == '\\') {
                if (at_end(b) || class_letter(peek(b)))
                    return fail(b, "bad range end");
                hi = take(b);
            }
            if (hi < prev) return fail(b, "reversed range");
            if (add_range(b, set, prev, hi)) return -1;
            prev = -1;
            continue;
        }
        if (c == '\\') {
            if (parse_escape(b, set, &prev)) return -1;
            continue;
        }
        if (add_literal(b, set, c)) return -1;
        prev = c;
    }
    return set;
}

/* One character, class or set, as used alone or inside a lookaround. */
static int parse_char_item(builder_t *b) {
    int32_t c = take(b);
    if (c == '[') return parse_bracket(b);
    int set = new_set(b);
    if (set < 0) return -1;
    int32_t lit;
    if (c == '\\') return parse_escape(b, set, &lit) ? -1 : set;
    if (c > 0 && c < 128 && strchr("()|?*+{", c))
        return fail(b, "unexpected operator");
    return add_literal(b, set, c) ? -1 : set;
}

static int parse_alt(builder_t *b);

/* After "(?=", "(?!", "(?<=" or "(?<!": a sequence of characters, classes
 * or sets and the closing parenthesis. Each character becomes one
 * assertion at its distance from the point; a negative lookaround cannot
 * be split that way, so it holds one character. */
static int parse_lookaround(builder_t *b, int ahead, int negated) {
    int items[4], n_items = 0;
    while (!at_end(b) && peek(b) != ')') {
        if (n_items == 4 || (negated && n_items == 1))
            return fail(b, "lookaround too long");
        if ((items[n_items++] = parse_char_item(b)) < 0) return -1;
    }
    if (at_end(b) || n_items == 0) return fail(b, "bad lookaround");
    take(b);
    int seq = -1;
    for (int i = 0; i < n_items; i++) {
        int n = new_node(b, N_ASSERT);
        if (n < 0) return -1;
        b->nodes[n].set = (uint32_t)items[i];
        b->nodes[n].ahead = (uint8_t)ahead;
        b->nodes[n].negated = (uint8_t)negated;
        b->nodes[n].dist = (uint8_t)(ahead ? i + 1 : n_items - i);
        if (seq >= 0) {
            int c = new_node(b, N_CAT);
            if (c < 0) return -1;
            b->nodes[c].a = seq;
            b->nodes[c].b = n;
            n = c;
        }
        seq = n;
    }
    return seq;
}

/* After an opening parenthesis. */
static int parse_group(builder_t *b) {
    const char *p = b->pat + b->pos;
    size_t left = b->len - b->pos;
    if (left >= 2 && p[0] == '?') {
        if (p[1] == '=' || p[1] == '!') {
            b->pos += 2;
            return parse_lookaround(b, 1, p[1] == '!');
        }
        if (left >= 3 && p[1] == '<' && (p[2] == '=' || p[2] == '!')) {
            b->pos += 3;
            return parse_lookaround(b, 0, p[2] == '!');
        }
        if (p[1] != ':') return fail(b, "unknown (? group");
        b->pos += 2;
    }
    if (++b->depth > MAX_DEPTH) return fail(b, "groups nested too deeply");
    int n = parse_alt(b);
    b->depth--;
    if (n < 0) return -1;
    if (at_end(b) || take(b) != ')') return fail(b, "missing )");
    return n;
}

static int parse_atom(builder_t *b) {
    int32_t c = peek(b);
    if (c == '(') {
        take(b);
        return parse_group(b);
    }
    int set = parse_char_item(b);
    if (set < 0) return -1;
    int n = new_node(b, N_SET);
    if (n >= 0) b->nodes[n].set = (uint32_t)set;
    return n;
}

static int parse_number(builder_t *b, int *out) {
    if (at_end(b) || peek(b) < '0' || peek(b) > '9') return 0;
    int v = 0;
    while (!at_end(b) && peek(b) >= '0' && peek(b) <= '9') {
        v = v * 10 + (take(b) - '0');
        if (v > 1000) return 0;
    }
    *out = v;
    return 1;
}

static int parse_repeat(builder_t *b) {
    int atom = parse_atom(b);
    while (atom >= 0 && !at_end(b)) {
        int32_t c = peek(b);
        int min, max;
        if (c == '?') min = 0, max = 1;
        else if (c == '*') min = 0, max = -1;
        else if (c == '+') min = 1, max = -1;
        else if (c == '{') {
            take(b);
            if (!parse_number(b, &min)) return fail(b, "bad {m,n}");
            max = min;
            if (!at_end(b) && peek(b) == ',') {
                take(b);
                max = -1;
                if (!at_end(b) && peek(b) != '}' && !parse_number(b, &max))
                    return fail(b, "bad {m,n}");
            }
            if (at_end(b) || peek(b) != '}' || (max >= 0 && max < min))
                return fail(b, "bad {m,n}");
        } else break;
        take(b);
        if (b->nodes[atom].kind == N_ASSERT)
            return fail(b, "a lookaround cannot repeat");
        int n = new_node(b, N_REP);
        if (n < 0) return -1;
        b->nodes[n].a = atom;
        b->nodes[n].min = min;
        b->nodes[n].max = max;
        atom = n;
    }
    return atom;
}

static int parse_cat(builder_t *b) {
    int left = -1;
    while (!b->status && !at_end(b) && peek(b) != '|' && peek(b) != ')') {
        int right = parse_repeat(b);
        if (right < 0) return -1;
        if (left < 0) {
            left = right;
            continue;
        }
        int n = new_node(b, N_CAT);
        if (n < 0) return -1;
        b->nodes[n].a = left;
        b->nodes[n].b = right;
        left = n;
    }
    return left >= 0 ? left : new_node(b, N_EMPTY);
}

static int parse_alt(builder_t *b) {
    int left = parse_cat(b);
    while (left >= 0 && !at_end(b) && peek(b) == '|') {
        take(b);
        int right = parse_cat(b);
        if (right < 0) return -1;
        int n = new_node(b, N_ALT);
        if (n < 0) return -1;
        b->nodes[n].a = left;
        b->nodes[n].b = right;
        left = n;
    }
    return left;
}

/* ---- compiler ------------------------------------------------------------ */

/* The ASCII characters every match of node `n` must read, as a bitmap:
 * a conservative answer (empty) is always right. */
static void required_chars(const builder_t *b, int n, uint64_t out[2]) {
    const node_t *nd = &b->nodes[n];
    uint64_t x[2] = {0, 0}, y[2] = {0, 0};
    out[0] = out[1] = 0;
    switch (nd->kind) {
    case N_SET: {
        const charset_t *cs = &b->sets[nd->set];
        const range_t *r = &b->ranges[cs->first_range];
        if (!cs->negated && !cs->classes && cs->n_ranges == 1 &&
            r->lo == r->hi && r->lo < 128)
            out[r->lo >> 6] |= (uint64_t)1 << (r->lo & 63);
        break;
    }
    case N_CAT:
        required_chars(b, nd->a, x);
        required_chars(b, nd->b, y);
        out[0] = x[0] | y[0];
        out[1] = x[1] | y[1];
        break;
    case N_ALT:
        required_chars(b, nd->a, x);
        required_chars(b, nd->b, y);
        out[0] = x[0] & y[0];
        out[1] = x[1] & y[1];
        break;
    case N_REP:
        if (nd->min > 0) required_chars(b, nd->a, out);
        break;
    default: break;
    }
}

static int emit(builder_t *b, inst_t in) {
    if (b->status) return -1;
    if (b->n_insts >= MAX_INSTS) {
        fail(b, "pattern set too large");
        return -1;
    }
    if (!grow(b, (void **)&b->prog, b->n_insts, &b->cap_insts, sizeof(inst_t)))
        return -1;
    b->prog[b->n_insts] = in;
    return (int)b->n_insts++;
}

/* Emits node `n`; backwards reverses every concatenation, which is all it
 * takes to read the same language from right to left. */
static void compile_node(builder_t *b, int n, int backward) {
    if (b->status) return;
    const node_t nd = b->nodes[n];
    switch (nd.kind) {
    case N_EMPTY: break;
    case N_SET: emit(b, (inst_t){.op = OP_CHAR, .set = nd.set}); break;
    case N_ASSERT:
        emit(b, (inst_t){.op = OP_ASSERT, .set = nd.set, .ahead = nd.ahead,
                         .negated = nd.negated, .dist = nd.dist});
        break;
    case N_CAT:
        compile_node(b, backward ? nd.b : nd.a, backward);
        compile_node(b, backward ? nd.a : nd.b, backward);
        break;
    case N_ALT: {
        int split = emit(b, (inst_t){.op = OP_SPLIT});
        if (split < 0) return;
        b->prog[split].x = (uint32_t)b->n_insts;
        compile_node(b, nd.a, backward);
        int jmp = emit(b, (inst_t){.op = OP_JMP});
        if (jmp < 0) return;
        b->prog[split].y = (uint32_t)b->n_insts;
        compile_node(b, nd.b, backward);
        b->prog[jmp].x = (uint32_t)b->n_insts;
        break;
    }
    case N_REP: {
        for (int i = 0; i < nd.min; i++) compile_node(b, nd.a, backward);
        if (nd.max < 0) {
            int split = emit(b, (inst_t){.op = OP_SPLIT});
            if (split < 0) return;
            b->prog[split].x = (uint32_t)b->n_insts;
            compile_node(b, nd.a, backward);
            emit(b, (inst_t){.op = OP_JMP, .x = (uint32_t)split});
            if (!b->status) b->prog[split].y = (uint32_t)b->n_insts;
            break;
        }
        /* Optional copies: skipping one skips the rest, so every split
         * jumps to the common end. */
        int n_opt = nd.max - nd.min;
        int splits[64];
        if (n_opt > 64) {
            fail(b, "{m,n} with n - m > 64");
            return;
        }
        for (int i = 0; i < n_opt; i++) {
            splits[i] = emit(b, (inst_t){.op = OP_SPLIT});
            if (splits[i] < 0) return;
            b->prog[splits[i]].x = (uint32_t)b->n_insts;
            compile_node(b, nd.a, backward);
        }
        for (int i = 0; i < n_opt && !b->status; i++)
            b->prog[splits[i]].y = (uint32_t)b->n_insts;
        break;
    }
    }
}

static void finish_sets(builder_t *b, nlp__pattern_set_t *ps) {
    ps->sets = b->sets;
    ps->ranges = b->ranges;
    for (size_t i = 0; i < b->n_sets; i++) {
        charset_t *cs = &b->sets[i];
        cs->ascii[0] = cs->ascii[1] = 0;
        for (int32_t cp = 0; cp < 128; cp++)
            if (set_has_slow(ps, cs, cp))
                cs->ascii[cp >> 6] |= (uint64_t)1 << (cp & 63);
    }
}

/* Precomputes the start state (see the struct) and which characters can
 * start a match, a cheap test that lets the matcher skip most positions
 * without starting the VM. Returns 0 when out of memory. */
static int compute_start(nlp__pattern_set_t *ps) {
    uint8_t *seen = nlp__calloc(ps->alloc, ps->n_insts, 1);
    ps->start_chars = nlp__calloc(ps->alloc, ps->n_insts, sizeof(uint16_t));
    ps->start_asserts = nlp__calloc(ps->alloc, ps->n_insts, sizeof(uint16_t));
    if (!seen || !ps->start_chars || !ps->start_asserts) {
        nlp__free(ps->alloc, seen);
        return 0;
    }
    uint32_t stack[2 * MAX_INSTS + 2];
    size_t sp = 0;
    stack[sp++] = 0;
    while (sp) {
        uint32_t pc = stack[--sp];
        if (pc >= ps->n_insts || seen[pc]) continue;
        seen[pc] = 1;
        const inst_t *in = &ps->prog[pc];
        switch (in->op) {
        case OP_CHAR: ps->start_chars[ps->n_start_chars++] = (uint16_t)pc; break;
        case OP_ASSERT:
            ps->start_asserts[ps->n_start_asserts++] = (uint16_t)pc;
            break;
        case OP_SPLIT: stack[sp++] = in->y; stack[sp++] = in->x; break;
        case OP_JMP: stack[sp++] = in->x; break;
        default: break;
        }
    }
    /* First characters, looking through the assertions too. */
    for (size_t i = 0; i < ps->n_start_asserts; i++) stack[sp++] = ps->start_asserts[i] + 1u;
    while (sp) {
        uint32_t pc = stack[--sp];
        if (pc >= ps->n_insts || seen[pc] == 2) continue;
        seen[pc] = 2;
        const inst_t *in = &ps->prog[pc];
        switch (in->op) {
        case OP_CHAR: {
            const charset_t *cs = &ps->sets[in->set];
            ps->first_ascii[0] |= cs->ascii[0];
            ps->first_ascii[1] |= cs->ascii[1];
            if (cs->negated || cs->classes || cs->n_ranges) ps->first_other = 1;
            break;
        }
        case OP_SPLIT: stack[sp++] = in->y; stack[sp++] = in->x; break;
        case OP_JMP: stack[sp++] = in->x; break;
        case OP_ASSERT: stack[sp++] = pc + 1; break;
        default: break;
        }
    }
    for (size_t i = 0; i < ps->n_start_chars; i++) {
        const charset_t *cs = &ps->sets[ps->prog[ps->start_chars[i]].set];
        ps->first_ascii[0] |= cs->ascii[0];
        ps->first_ascii[1] |= cs->ascii[1];
        if (cs->negated || cs->classes || cs->n_ranges) ps->first_other = 1;
    }
    nlp__free(ps->alloc, seen);
    /* Per ASCII character, the start instructions that accept it. */
    size_t total = 0;
    for (int c = 0; c < 128; c++)
        for (size_t i = 0; i < ps->n_start_chars; i++)
            total += set_has(ps, ps->prog[ps->start_chars[i]].set, c);
    ps->by_ascii = nlp__calloc(ps->alloc, total ? total : 1, sizeof(uint16_t));
    if (!ps->by_ascii) return 0;
    size_t at = 0;
    for (int c = 0; c < 128; c++) {
        ps->by_ascii_at[c] = (uint32_t)at;
        for (size_t i = 0; i < ps->n_start_chars; i++)
            if (set_has(ps, ps->prog[ps->start_chars[i]].set, c))
                ps->by_ascii[at++] = ps->start_chars[i];
    }
    ps->by_ascii_at[128] = (uint32_t)at;
    return 1;
}

nlp_status_t nlp__pattern_set_compile(const nlp_allocator_t *alloc,
                                      const char *const *patterns,
                                      nlp__pattern_dir_t dir,
                                      nlp__pattern_set_t **out) {
    *out = NULL;
    alloc = nlp__allocator_or_default(alloc);
    builder_t b = {.alloc = alloc};
    int backward = dir == NLP__PATTERN_BACKWARD;
    uint64_t needs[2] = {0, 0};
    int any_text = 0;
    size_t n_pat = 0;
    while (patterns && patterns[n_pat]) n_pat++;
    /* A chain of splits, one branch per pattern, each ending in MATCH. */
    for (size_t i = 0; i < n_pat && !b.status; i++) {
        int split = -1;
        if (i + 1 < n_pat) {
            split = emit(&b, (inst_t){.op = OP_SPLIT});
            if (split < 0) break;
            b.prog[split].x = (uint32_t)b.n_insts;
        }
        b.pat = patterns[i];
        b.len = strlen(b.pat);
        b.pos = 0;
        b.icase = 0;
        b.depth = 0;
        if (b.len >= 4 && memcmp(b.pat, "(?i)", 4) == 0) {
            b.icase = 1;
            b.pos = 4;
        }
        int root = parse_alt(&b);
        if (root >= 0 && !at_end(&b)) fail(&b, "unbalanced )");
        if (b.status) break;
        uint64_t req[2];
        required_chars(&b, root, req);
        if (!req[0] && !req[1]) any_text = 1;
        needs[0] |= req[0];
        needs[1] |= req[1];
        compile_node(&b, root, backward);
        emit(&b, (inst_t){.op = OP_MATCH});
        if (split >= 0 && !b.status) b.prog[split].y = (uint32_t)b.n_insts;
    }
    if (n_pat == 0) emit(&b, (inst_t){.op = OP_MATCH});
    nlp__free(alloc, b.nodes);
    nlp__pattern_set_t *ps = NULL;
    if (!b.status && !(ps = nlp__calloc(alloc, 1, sizeof *ps)))
        b.status = NLP_NOMEM;
    if (b.status) {
        nlp__free(alloc, b.prog);
        nlp__free(alloc, b.sets);
        nlp__free(alloc, b.ranges);
        if (b.status == NLP_INVALID_ARG)
            return nlp__fail(NLP_INVALID_ARG, "pattern \"%s\": %s at byte %zu",
                             b.pat, b.error, b.pos);
        return b.status;
    }
    ps->alloc = alloc;
    ps->dir = dir;
    ps->prog = b.prog;
    ps->n_insts = b.n_insts;
    ps->needs_ascii[0] = needs[0];
    ps->needs_ascii[1] = needs[1];
    ps->any_text = any_text || n_pat == 0;
    finish_sets(&b, ps);
    if (!compute_start(ps)) {
        nlp__pattern_set_free(ps);
        return NLP_NOMEM;
    }
    *out = ps;
    return NLP_OK;
}

void nlp__pattern_set_free(nlp__pattern_set_t *ps) {
    if (!ps) return;
    nlp__free(ps->alloc, ps->prog);
    nlp__free(ps->alloc, ps->sets);
    nlp__free(ps->alloc, ps->ranges);
    nlp__free(ps->alloc, ps->start_chars);
    nlp__free(ps->alloc, ps->start_asserts);
    nlp__free(ps->alloc, ps->by_ascii);
    nlp__free(ps->alloc, ps);
}

/* ---- matcher ------------------------------------------------------------- */

/* The state of one match: the text, two thread lists and a mark per
 * instruction saying in which step it was last added. */
typedef struct vm {
    const nlp__pattern_set_t *ps;
    const char *s;
    size_t start, end;
    uint32_t step;
    uint32_t mark[MAX_INSTS];
    uint16_t list[2][MAX_INSTS];
    size_t n[2];
    uint32_t stack[2 * MAX_INSTS + 2];
} vm_t;

/* Whether the character `dist` places after (or before) `pos` is in the
 * assertion's set; the edge of the text counts as no character. */
static int assert_holds(const vm_t *vm, const inst_t *in, size_t pos) {
    size_t k = 0;
    int32_t cp = -1;
    for (unsigned d = 0; d < in->dist; d++) {
        if (in->ahead ? pos >= vm->end : pos <= vm->start) return in->negated;
        if (in->ahead) {
            cp = nlp__utf8_next(vm->s, pos, vm->end, &k);
            pos += k;
        } else {
            cp = nlp__utf8_prev(vm->s, vm->start, pos, &k);
            pos -= k;
        }
    }
    return set_has(vm->ps, in->set, cp) != in->negated;
}

/* Adds the threads reachable from `pc` without reading to list `which`,
 * at text position `pos`; returns whether a MATCH was reached. */
static int add_threads(vm_t *vm, int which, uint32_t pc, size_t pos) {
    const inst_t *prog = vm->ps->prog;
    size_t sp = 0;
    int matched = 0;
    vm->stack[sp++] = pc;
    while (sp) {
        pc = vm->stack[--sp];
        if (vm->mark[pc] == vm->step) continue;
        vm->mark[pc] = vm->step;
        const inst_t *in = &prog[pc];
        switch (in->op) {
        case OP_CHAR: vm->list[which][vm->n[which]++] = (uint16_t)pc; break;
        case OP_JMP: vm->stack[sp++] = in->x; break;
        case OP_SPLIT:
            vm->stack[sp++] = in->y;
            vm->stack[sp++] = in->x;
            break;
        case OP_ASSERT:
            if (assert_holds(vm, in, pos)) vm->stack[sp++] = pc + 1;
            break;
        case OP_MATCH: matched = 1; break;
        }
    }
    return matched;
}

static int may_start_with(const nlp__pattern_set_t *ps, unsigned char byte) {
    if (byte >= 0x80) return ps->first_other;
    return (int)((ps->first_ascii[byte >> 6] >> (byte & 63)) & 1);
}

/* The character at p in the reading direction, its length in *k. */
static int32_t read_char(const vm_t *vm, int backward, size_t p, size_t *k) {
    return backward ? nlp__utf8_prev(vm->s, vm->start, p, k)
                    : nlp__utf8_next(vm->s, p, vm->end, k);
}

/* Moves the threads of list `from` that accept `cp` to the other list, at
 * position `next`; returns whether a MATCH was reached. */
static int advance(vm_t *vm, int from, int32_t cp, size_t next) {
    const nlp__pattern_set_t *ps = vm->ps;
    int to = !from, matched = 0;
    for (size_t i = 0; i < vm->n[from]; i++) {
        uint16_t pc = vm->list[from][i];
        if (set_has(ps, ps->prog[pc].set, cp))
            matched |= add_threads(vm, to, pc + 1u, next);
    }
    return matched;
}

/* The first step, from the precomputed start state: plain start
 * instructions come from the table for the first character; those behind
 * assertions are checked as usual. Leaves the threads in list 1. */
static int first_step(vm_t *vm, size_t pos, int32_t cp, size_t next) {
    const nlp__pattern_set_t *ps = vm->ps;
    for (size_t i = 0; i < ps->n_start_asserts; i++)
        add_threads(vm, 0, ps->start_asserts[i], pos);
    vm->step++;
    int matched = advance(vm, 0, cp, next);
    if (cp < 128) {
        for (uint32_t i = ps->by_ascii_at[cp]; i < ps->by_ascii_at[cp + 1]; i++)
            matched |= add_threads(vm, 1, ps->by_ascii[i] + 1u, next);
    } else {
        for (size_t i = 0; i < ps->n_start_chars; i++)
            if (set_has(ps, ps->prog[ps->start_chars[i]].set, cp))
                matched |= add_threads(vm, 1, ps->start_chars[i] + 1u, next);
    }
    return matched;
}

/* Runs the set from `pos` in its direction. Returns the distance to the
 * furthest point where a match ended (0: none); with `whole`, only a match
 * that reaches the far edge counts. */
static size_t run(const nlp__pattern_set_t *ps, const char *s, size_t start,
                  size_t end, size_t pos, int whole) {
    int backward = ps->dir == NLP__PATTERN_BACKWARD;
    if (backward ? pos <= start : pos >= end) return 0;
    if (!may_start_with(ps, (unsigned char)s[backward ? pos - 1 : pos]))
        return 0;
    vm_t vm;
    vm.ps = ps;
    vm.s = s;
    vm.start = start;
    vm.end = end;
    vm.step = 1;
    memset(vm.mark, 0, ps->n_insts * sizeof vm.mark[0]);
    vm.n[0] = vm.n[1] = 0;
    size_t k, best = 0, p = pos;
    int cur = 0, first = 1;
    do {
        int32_t cp = read_char(&vm, backward, p, &k);
        size_t next = backward ? p - k : p + k;
        int matched;
        if (first) {
            matched = first_step(&vm, pos, cp, next);
            first = 0;
        } else {
            vm.n[!cur] = 0;
            vm.step++;
            matched = advance(&vm, cur, cp, next);
        }
        p = next;
        cur = !cur;
        if (matched) best = backward ? pos - p : p - pos;
    } while (vm.n[cur] && (backward ? p > start : p < end));
    if (whole && best != (backward ? pos - start : end - pos)) return 0;
    return best;
}

size_t nlp__pattern_longest_at(const nlp__pattern_set_t *ps, const char *s,
                               size_t start, size_t end, size_t pos) {
    if (ps->dir != NLP__PATTERN_FORWARD) return 0;
    return run(ps, s, start, end, pos, 0);
}

size_t nlp__pattern_longest_suffix(const nlp__pattern_set_t *ps, const char *s,
                                   size_t start, size_t end) {
    if (ps->dir != NLP__PATTERN_BACKWARD) return 0;
    return run(ps, s, start, end, end, 0);
}

int nlp__pattern_matches_all(const nlp__pattern_set_t *ps, const char *s,
                             size_t start, size_t end) {
    if (ps->dir != NLP__PATTERN_FORWARD || start >= end) return 0;
    if (!ps->any_text) { /* skip texts that lack every needed character */
        size_t i = start;
        for (; i < end; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c < 128 && ((ps->needs_ascii[c >> 6] >> (c & 63)) & 1)) break;
        }
        if (i == end) return 0;
    }
    return run(ps, s, start, end, start, 1) != 0;
}
