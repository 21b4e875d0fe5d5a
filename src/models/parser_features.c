/* Parser feature extraction; see parser_features.h. */
#include "models/parser_features.h"

#include "core/word_stats.h"
#include "models/features.h"

/* Template ids. Their numbers are part of the model: append new templates
 * at the end and never renumber. Names read as in Zhang & Nivre (2011):
 * S0 s0, N0 b0, S0L leftmost child of s0, S0L2 second leftmost, P1 the word
 * before b0; w word, p tag, l label, d distance, vl / vr valencies. */
enum {
    /* Single words. */
    T_S0w, T_S0p, T_S0wp, T_S1w, T_S1p, T_S1wp, T_S2w, T_S2p,
    T_N0w, T_N0p, T_N0wp, T_N1w, T_N1p, T_N1wp, T_N2w, T_N2p,
    /* Children. */
    T_S0Lw, T_S0Lp, T_S0Ll, T_S0Rw, T_S0Rp, T_S0Rl, T_S0L2l, T_S0R2l,
    T_S1Rw, T_S1Rp, T_S1Rl, T_S1Lp, T_S1Ll,
    T_N0Lw, T_N0Lp, T_N0Ll, T_N0L2l,
    /* Pairs: s0 with b0, s1 with s0, b0 with b1. */
    T_S0wp_N0wp, T_S0wp_N0w, T_S0w_N0wp, T_S0wp_N0p, T_S0p_N0wp, T_S0w_N0w,
    T_S0p_N0p, T_N0p_N1p,
    T_S1wp_S0wp, T_S1wp_S0p, T_S1p_S0wp, T_S1w_S0w, T_S1p_S0p,
    /* Triples of tags. */
    T_N0p_N1p_N2p, T_S0p_N0p_N1p, T_S1p_S0p_N0p, T_S2p_S1p_S0p,
    T_S0p_S0Lp_N0p, T_S0p_S0Rp_N0p, T_S0p_N0p_N0Lp, T_S1p_S0p_S0Lp,
    T_S1p_S1Rp_S0p, T_S0p_S0Lp_S0L2p, T_S0p_S0Rp_S0R2p, T_N0p_N0Lp_N0L2p,
    /* Distances. */
    T_S0w_d, T_S0p_d, T_N0w_d, T_N0p_d, T_S0p_N0p_d, T_S1p_S0p_d,
    T_S1w_S0p_d,
    /* Valencies. */
    T_S0w_vl, T_S0p_vl, T_S0w_vr, T_S0p_vr, T_N0w_vl, T_N0p_vl, T_S1p_vr,
    T_S1w_vr,
    /* Labels of the two outermost children on one side. */
    T_S0p_S0Ll_S0L2l, T_S0p_S0Rl_S0R2l, T_N0p_N0Ll_N0L2l,
    /* Sentence breaks. */
    T_P1w, T_P1w_N0shape, T_P1p_N0p, T_N0shape, T_P1flags_N0flags,
    T_depth_N0p, T_depth_S0p_N0shape, T_N1shape_N0shape,
    /* Universal tags and suffixes, for robustness to tagging errors. */
    T_S0u, T_N0u, T_N1u, T_S1u, T_S0u_N0u, T_S1u_S0u, T_S0suf, T_N0suf,
    T_S0suf_N0u, T_S0u_N0suf,
    /* Punctuation between the words an arc would join; linear neighbours. */
    T_S0p_N0p_punct, T_S1p_S0p_punct, T_S0p_S0next_p, T_S0prev_p_S0p, T_N3p,
    /* Brown clusters in place of words (c: full path) and of tags (c4, c6:
     * prefixes), as in Koo et al. (2008). */
    T_S0c4, T_S0c, T_N0c4, T_N0c, T_N1c, T_S1c, T_S0c_N0c, T_S0c4_N0c4,
    T_S0c_N0p, T_S0p_N0c, T_S0c6_N0c6, T_S1c_S0c, T_S1c4_S0c4,
    T_S0c4_N0c4_N1c4,
    /* Leftmost children's words with the candidate heads: UD attaches case
     * markers, subordinators and conjunctions to the word they introduce,
     * so "with" in "saw the man with the telescope" is a child of
     * "telescope", out of reach of the templates above. */
    T_S0w_N0Lw, T_S0p_N0Lw, T_S1w_N0Lw, T_S1p_N0Lw, T_S0p_N0Lw_N0p,
    T_S1p_S0Lw, T_S1w_S0Lw, T_S0c_N0Lw, T_S1c_S0Lw,
    T_S0w_N0Lw_N0w, T_S1w_N0Lw_N0w, T_S1p_S0Lw_S0p, T_S0u_N0Lw_N0u,
    /* The supertagger's guesses (st): each word's label and head side. */
    T_S0st, T_N0st, T_N1st, T_S1st, T_N2st, T_S0st_N0st, T_S1st_S0st,
    T_S0st_N0p, T_S0p_N0st, T_S0w_S0st, T_N0w_N0st, T_S0st_N0st_N1st,
    T_S0st_N0st_d, T_S1st_S0st_N0st, T_S0Lst, T_N0Lst_N0st,
};

/* Flag bits that matter for breaks: capitals, punctuation kinds, digits. */
#define BREAK_FLAGS                                                            \
    (NLP_FLAG_IS_TITLE | NLP_FLAG_IS_UPPER | NLP_FLAG_IS_LOWER |              \
     NLP_FLAG_IS_PUNCT | NLP_FLAG_IS_QUOTE | NLP_FLAG_IS_BRACKET |            \
     NLP_FLAG_IS_LEFT_PUNCT | NLP_FLAG_IS_RIGHT_PUNCT | NLP_FLAG_IS_DIGIT |   \
     NLP_FLAG_LIKE_NUM)
/* Stored above the lexical flags in nlp__pf_word_t.flags. */
#define FOLLOWED_BY_SPACE (1u << 31)

/* Feature writers for the extraction functions below, each of which
 * fills `out` and counts in `n`. */
#define F1(t, a) out[n++] = nlp__feat1((t), (a))
#define F2(t, a, b) out[n++] = nlp__feat2((t), (a), (b))
#define F3(t, a, b, c) out[n++] = nlp__feat3((t), (a), (b), (c))

nlp__pf_word_t *nlp__pf_words(const nlp_token_t *tokens, const uint32_t *supertags,
                              uint32_t n, nlp__arena_t *arena) {
    nlp__pf_word_t *w = NLP__ARENA_NEW(arena, nlp__pf_word_t, (size_t)n + 2);
    if (!w)
        return NULL;
    w[0] = (nlp__pf_word_t){0};
    w[n + 1] = (nlp__pf_word_t){0};
    uint32_t puncts = 0;
    for (uint32_t i = 0; i < n; i++) {
        const nlp_token_t *t = &tokens[i];
        w[i + 1] = (nlp__pf_word_t){
            .punct_before = puncts,
            .word = t->lex->norm,
            .tag = t->tag,
            .pos = t->pos,
            .suffix = t->lex->suffix,
            .shape = t->lex->shape,
            .cluster = t->lex->cluster,
            .supertag = supertags ? supertags[i] : 0,
            .flags = (t->lex->flags & BREAK_FLAGS) |
                     (t->spacy ? FOLLOWED_BY_SPACE : 0),
        };
        puncts += (t->lex->flags & NLP_FLAG_IS_PUNCT) != 0;
    }
    return w + 1;
}

/* Punctuation tokens strictly between words a < b, capped at 2. */
static uint64_t punct_between(const nlp__pf_word_t *words, int32_t a,
                              int32_t b) {
    if (a < 0 || b < 0)
        return 3;
    uint32_t n = words[b].punct_before - words[a + 1].punct_before;
    return n < 2 ? n : 2;
}

/* Distance buckets: exact up to 4, then 5-7, 8-15 and 16 or more. */
static uint64_t dist_bucket(int32_t a, int32_t b) {
    if (a < 0 || b < 0)
        return 0;
    int32_t d = a > b ? a - b : b - a;
    if (d <= 4)
        return (uint64_t)d;
    return d < 8 ? 5 : d < 16 ? 6 : 7;
}

static uint64_t cap(uint32_t v, uint32_t limit) {
    return v < limit ? v : limit;
}

/* The Brown-cluster templates: clusters stand in for words (full path)
 * and for tags (4- and 6-bit prefixes), as in Koo et al. (2008). */
static size_t cluster_features(const nlp__pf_word_t *words, int32_t s0, int32_t s1,
                               int32_t n0, int32_t n1, uint64_t S0p, uint64_t N0p,
                               uint64_t *out) {
    size_t n = 0;
    uint64_t S0c = words[s0].cluster, N0c = words[n0].cluster;
    uint64_t N1c = words[n1].cluster, S1c = words[s1].cluster;
    uint64_t S0c4 = nlp__cluster_prefix(words[s0].cluster, 4);
    uint64_t N0c4 = nlp__cluster_prefix(words[n0].cluster, 4);
    uint64_t N1c4 = nlp__cluster_prefix(words[n1].cluster, 4);
    uint64_t S1c4 = nlp__cluster_prefix(words[s1].cluster, 4);
    F1(T_S0c4, S0c4); F1(T_S0c, S0c); F1(T_N0c4, N0c4); F1(T_N0c, N0c);
    F1(T_N1c, N1c); F1(T_S1c, S1c);
    F2(T_S0c_N0c, S0c, N0c); F2(T_S0c4_N0c4, S0c4, N0c4);
    F2(T_S0c_N0p, S0c, N0p); F2(T_S0p_N0c, S0p, N0c);
    F2(T_S0c6_N0c6, nlp__cluster_prefix(words[s0].cluster, 6),
       nlp__cluster_prefix(words[n0].cluster, 6));
    F2(T_S1c_S0c, S1c, S0c); F2(T_S1c4_S0c4, S1c4, S0c4);
    F3(T_S0c4_N0c4_N1c4, S0c4, N0c4, N1c4);
    return n;
}

/* The supertag templates: the guesses of the stack and buffer words
 * alone, paired, and with words, tags and the distance. */
static size_t supertag_features(const nlp__pf_word_t *words, const nlp__ah_state_t *st,
                                uint64_t S0w, uint64_t S0p, uint64_t N0w, uint64_t N0p,
                                uint64_t d_s0n0, uint64_t *out) {
    int32_t s0 = nlp__ah_stack(st, 0), s1 = nlp__ah_stack(st, 1);
    int32_t n0 = nlp__ah_buffer(st, 0);
    uint64_t S0st = words[s0].supertag, N0st = words[n0].supertag;
    uint64_t S1st = words[s1].supertag, N1st = words[nlp__ah_buffer(st, 1)].supertag;
    size_t n = 0;
    F1(T_S0st, S0st); F1(T_N0st, N0st); F1(T_N1st, N1st); F1(T_S1st, S1st);
    F1(T_N2st, words[nlp__ah_buffer(st, 2)].supertag);
    F2(T_S0st_N0st, S0st, N0st); F2(T_S1st_S0st, S1st, S0st);
    F2(T_S0st_N0p, S0st, N0p); F2(T_S0p_N0st, S0p, N0st);
    F2(T_S0w_S0st, S0w, S0st); F2(T_N0w_N0st, N0w, N0st);
    F3(T_S0st_N0st_N1st, S0st, N0st, N1st);
    F3(T_S0st_N0st_d, S0st, N0st, d_s0n0);
    F3(T_S1st_S0st_N0st, S1st, S0st, N0st);
    F1(T_S0Lst, words[st->words[s0].left[0]].supertag);
    F2(T_N0Lst_N0st, words[st->words[n0].left[0]].supertag, N0st);
    return n;
}

size_t nlp__pf_extract(const nlp__pf_word_t *words, const nlp__ah_state_t *st,
                       bool clusters, uint64_t *out) {
    const nlp__ah_word_t *aw = st->words;
    int32_t s0 = nlp__ah_stack(st, 0), s1 = nlp__ah_stack(st, 1),
            s2 = nlp__ah_stack(st, 2);
    int32_t n0 = nlp__ah_buffer(st, 0), n1 = nlp__ah_buffer(st, 1),
            n2 = nlp__ah_buffer(st, 2);
    int32_t p1 = st->b0 > 0 ? (int32_t)st->b0 - 1 : -1;
    int32_t s0l = aw[s0].left[0], s0l2 = aw[s0].left[1];
    int32_t s0r = aw[s0].right[0], s0r2 = aw[s0].right[1];
    int32_t s1r = aw[s1].right[0], s1l = aw[s1].left[0];
    int32_t n0l = aw[n0].left[0], n0l2 = aw[n0].left[1];

    /* Short names for the attributes used below. */
    uint64_t S0w = words[s0].word, S0p = words[s0].tag;
    uint64_t S1w = words[s1].word, S1p = words[s1].tag;
    uint64_t S2w = words[s2].word, S2p = words[s2].tag;
    uint64_t N0w = words[n0].word, N0p = words[n0].tag;
    uint64_t N1w = words[n1].word, N1p = words[n1].tag;
    uint64_t N2w = words[n2].word, N2p = words[n2].tag;
    uint64_t S0Lp = words[s0l].tag, S0L2p = words[s0l2].tag;
    uint64_t S0Rp = words[s0r].tag, S0R2p = words[s0r2].tag;
    uint64_t S1Rp = words[s1r].tag, N0Lp = words[n0l].tag,
             N0L2p = words[n0l2].tag;
    uint64_t S0Ll = aw[s0l].label, S0L2l = aw[s0l2].label;
    uint64_t S0Rl = aw[s0r].label, S0R2l = aw[s0r2].label;
    uint64_t N0Ll = aw[n0l].label, N0L2l = aw[n0l2].label;
    uint64_t S0wp = nlp__feat_add(S0w, S0p), S1wp = nlp__feat_add(S1w, S1p);
    uint64_t N0wp = nlp__feat_add(N0w, N0p);
    uint64_t d_s0n0 = dist_bucket(s0, n0), d_s1s0 = dist_bucket(s1, s0);
    uint64_t depth = cap(st->depth, 3);

    size_t n = 0;
    F1(T_S0w, S0w); F1(T_S0p, S0p); F1(T_S0wp, S0wp);
    F1(T_S1w, S1w); F1(T_S1p, S1p); F1(T_S1wp, S1wp);
    F1(T_S2w, S2w); F1(T_S2p, S2p);
    F1(T_N0w, N0w); F1(T_N0p, N0p); F1(T_N0wp, N0wp);
    F1(T_N1w, N1w); F1(T_N1p, N1p); F2(T_N1wp, N1w, N1p);
    F1(T_N2w, N2w); F1(T_N2p, N2p);

    F1(T_S0Lw, words[s0l].word); F1(T_S0Lp, S0Lp); F1(T_S0Ll, S0Ll);
    F1(T_S0Rw, words[s0r].word); F1(T_S0Rp, S0Rp); F1(T_S0Rl, S0Rl);
    F1(T_S0L2l, S0L2l); F1(T_S0R2l, S0R2l);
    F1(T_S1Rw, words[s1r].word); F1(T_S1Rp, S1Rp); F1(T_S1Rl, aw[s1r].label);
    F1(T_S1Lp, words[s1l].tag); F1(T_S1Ll, aw[s1l].label);
    F1(T_N0Lw, words[n0l].word); F1(T_N0Lp, N0Lp); F1(T_N0Ll, N0Ll);
    F1(T_N0L2l, N0L2l);

    F2(T_S0wp_N0wp, S0wp, N0wp); F2(T_S0wp_N0w, S0wp, N0w);
    F2(T_S0w_N0wp, S0w, N0wp); F2(T_S0wp_N0p, S0wp, N0p);
    F2(T_S0p_N0wp, S0p, N0wp); F2(T_S0w_N0w, S0w, N0w);
    F2(T_S0p_N0p, S0p, N0p); F2(T_N0p_N1p, N0p, N1p);
    F2(T_S1wp_S0wp, S1wp, S0wp); F2(T_S1wp_S0p, S1wp, S0p);
    F2(T_S1p_S0wp, S1p, S0wp); F2(T_S1w_S0w, S1w, S0w);
    F2(T_S1p_S0p, S1p, S0p);

    F3(T_N0p_N1p_N2p, N0p, N1p, N2p); F3(T_S0p_N0p_N1p, S0p, N0p, N1p);
    F3(T_S1p_S0p_N0p, S1p, S0p, N0p); F3(T_S2p_S1p_S0p, S2p, S1p, S0p);
    F3(T_S0p_S0Lp_N0p, S0p, S0Lp, N0p); F3(T_S0p_S0Rp_N0p, S0p, S0Rp, N0p);
    F3(T_S0p_N0p_N0Lp, S0p, N0p, N0Lp); F3(T_S1p_S0p_S0Lp, S1p, S0p, S0Lp);
    F3(T_S1p_S1Rp_S0p, S1p, S1Rp, S0p);
    F3(T_S0p_S0Lp_S0L2p, S0p, S0Lp, S0L2p);
    F3(T_S0p_S0Rp_S0R2p, S0p, S0Rp, S0R2p);
    F3(T_N0p_N0Lp_N0L2p, N0p, N0Lp, N0L2p);

    F2(T_S0w_d, S0w, d_s0n0); F2(T_S0p_d, S0p, d_s0n0);
    F2(T_N0w_d, N0w, d_s0n0); F2(T_N0p_d, N0p, d_s0n0);
    F3(T_S0p_N0p_d, S0p, N0p, d_s0n0); F3(T_S1p_S0p_d, S1p, S0p, d_s1s0);
    F3(T_S1w_S0p_d, S1w, S0p, d_s1s0);

    uint64_t s0vl = cap(aw[s0].n_left, 5), s0vr = cap(aw[s0].n_right, 5);
    uint64_t n0vl = cap(aw[n0].n_left, 5), s1vr = cap(aw[s1].n_right, 5);
    F2(T_S0w_vl, S0w, s0vl); F2(T_S0p_vl, S0p, s0vl);
    F2(T_S0w_vr, S0w, s0vr); F2(T_S0p_vr, S0p, s0vr);
    F2(T_N0w_vl, N0w, n0vl); F2(T_N0p_vl, N0p, n0vl);
    F2(T_S1p_vr, S1p, s1vr); F2(T_S1w_vr, S1w, s1vr);

    F3(T_S0p_S0Ll_S0L2l, S0p, S0Ll, S0L2l);
    F3(T_S0p_S0Rl_S0R2l, S0p, S0Rl, S0R2l);
    F3(T_N0p_N0Ll_N0L2l, N0p, N0Ll, N0L2l);

    uint64_t N0shape = words[n0].shape;
    F1(T_P1w, words[p1].word); F2(T_P1w_N0shape, words[p1].word, N0shape);
    F2(T_P1p_N0p, words[p1].tag, N0p); F1(T_N0shape, N0shape);
    F2(T_P1flags_N0flags, words[p1].flags, words[n0].flags);
    F2(T_depth_N0p, depth, N0p); F3(T_depth_S0p_N0shape, depth, S0p, N0shape);
    F2(T_N1shape_N0shape, words[n1].shape, N0shape);

    uint64_t S0u = words[s0].pos, N0u = words[n0].pos, S1u = words[s1].pos;
    uint64_t S0suf = words[s0].suffix, N0suf = words[n0].suffix;
    F1(T_S0u, S0u); F1(T_N0u, N0u); F1(T_N1u, words[n1].pos); F1(T_S1u, S1u);
    F2(T_S0u_N0u, S0u, N0u); F2(T_S1u_S0u, S1u, S0u);
    F1(T_S0suf, S0suf); F1(T_N0suf, N0suf);
    F2(T_S0suf_N0u, S0suf, N0u); F2(T_S0u_N0suf, S0u, N0suf);

    F3(T_S0p_N0p_punct, S0p, N0p, punct_between(words, s0, n0));
    F3(T_S1p_S0p_punct, S1p, S0p, punct_between(words, s1, s0));
    int32_t s0next = s0 >= 0 && s0 + 1 < (int32_t)st->n ? s0 + 1 : -1;
    int32_t s0prev = s0 > 0 ? s0 - 1 : -1;
    F2(T_S0p_S0next_p, S0p, words[s0next].tag);
    F2(T_S0prev_p_S0p, words[s0prev].tag, S0p);
    F1(T_N3p, words[nlp__ah_buffer(st, 3)].tag);
    if (clusters) n += cluster_features(words, s0, s1, n0, n1, S0p, N0p, out + n);

    uint64_t N0Lw = words[n0l].word, S0Lw = words[s0l].word;
    F2(T_S0w_N0Lw, S0w, N0Lw); F2(T_S0p_N0Lw, S0p, N0Lw);
    F2(T_S1w_N0Lw, S1w, N0Lw); F2(T_S1p_N0Lw, S1p, N0Lw);
    F3(T_S0p_N0Lw_N0p, S0p, N0Lw, N0p);
    F2(T_S1p_S0Lw, S1p, S0Lw); F2(T_S1w_S0Lw, S1w, S0Lw);
    if (clusters) {
        F2(T_S0c_N0Lw, (uint64_t)words[s0].cluster, N0Lw);
        F2(T_S1c_S0Lw, (uint64_t)words[s1].cluster, S0Lw);
    }
    F3(T_S0w_N0Lw_N0w, S0w, N0Lw, N0w); F3(T_S1w_N0Lw_N0w, S1w, N0Lw, N0w);
    F3(T_S1p_S0Lw_S0p, S1p, S0Lw, S0p); F3(T_S0u_N0Lw_N0u, S0u, N0Lw, N0u);
    if (words[n0].supertag | words[s0].supertag)
        n += supertag_features(words, st, S0w, S0p, N0w, N0p, d_s0n0, out + n);
    return n;
}
