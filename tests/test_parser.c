/* Tests of the dependency parser: the arc-hybrid system and its oracle,
 * training on a small fixture, and the model file round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/vocab.h"
#include "doc/doc.h"
#include "io/corpus.h"
#include "io/model_file.h"
#include "models/arc_hybrid.h"
#include "models/nonproj.h"
#include "models/parser_features.h"
#include "models/parser_model.h"
#include "models/jackknife.h"
#include "models/train.h"
#include "test_util.h"

#define MAX_WORDS 4096

/* ---- Gold trees for the oracle ----------------------------------------- */

typedef struct gold_tree {
    uint32_t n;
    int32_t heads[MAX_WORDS];
    uint8_t sent_start[MAX_WORDS];
    uint32_t kid_first[MAX_WORDS + 1];
    int32_t kids[MAX_WORDS];
    nlp__ah_gold_t gold;
} gold_tree_t;

/* Fills the child lists and the oracle's view from heads and sent_start. */
static void gold_finish(gold_tree_t *g) {
    uint32_t cursor[MAX_WORDS];
    memset(g->kid_first, 0, sizeof g->kid_first);
    for (uint32_t i = 0; i < g->n; i++)
        if (g->heads[i] >= 0)
            g->kid_first[g->heads[i] + 1]++;
    for (uint32_t i = 0; i < g->n; i++)
        g->kid_first[i + 1] += g->kid_first[i];
    memcpy(cursor, g->kid_first, g->n * sizeof *cursor);
    for (uint32_t i = 0; i < g->n; i++)
        if (g->heads[i] >= 0)
            g->kids[cursor[g->heads[i]]++] = (int32_t)i;
    g->gold = (nlp__ah_gold_t){g->heads, g->sent_start, g->kid_first, g->kids};
}

/* A random projective tree over words [lo, hi) hanging from `parent`. */
static void random_subtree(int32_t *heads, int lo, int hi, int32_t parent) {
    if (lo >= hi)
        return;
    int root = lo + rand() % (hi - lo);
    heads[root] = parent;
    /* Split each side into consecutive subtrees of the root. */
    for (int side = 0; side < 2; side++) {
        int a = side ? root + 1 : lo, b = side ? hi : root;
        while (a < b) {
            int end = a + 1 + rand() % (b - a);
            random_subtree(heads, a, end, root);
            a = end;
        }
    }
}

/* A random sequence of projective sentences over n words. */
static void random_gold(gold_tree_t *g, uint32_t n, int break_one_in) {
    g->n = n;
    memset(g->sent_start, 0, n);
    for (uint32_t i = 0; i < n;) {
        uint32_t end = i + 1;
        while (end < n && rand() % break_one_in)
            end++;
        g->sent_start[i] = 1;
        random_subtree(g->heads, (int)i, (int)end, -1);
        i = end;
    }
    gold_finish(g);
}

/* ---- The oracle --------------------------------------------------------- */

typedef struct state_buf {
    nlp__chunk_cache_t cache;
    nlp__arena_t arena;
} state_buf_t;

static void buf_init(state_buf_t *b) {
    nlp__chunk_cache_init(&b->cache, NULL, 1 << 16, 2);
    nlp__arena_init(&b->arena, &b->cache);
}

static void buf_free(state_buf_t *b) {
    nlp__arena_destroy(&b->arena);
    nlp__chunk_cache_destroy(&b->cache);
}

/* Follows zero-cost moves (a random one among them) to the end and checks
 * that the parse is exactly the gold tree with the gold sentences. */
static void follow_oracle(const gold_tree_t *g, nlp__arena_t *arena) {
    nlp__ah_state_t st;
    assert_int_equal(nlp__ah_init(&st, g->n, 7, NULL, arena), NLP_OK);
    while (!nlp__ah_is_final(&st)) {
        int32_t cost[NLP__AH_N_MOVES];
        nlp__ah_costs(&st, &g->gold, cost);
        int zero[NLP__AH_N_MOVES], n_zero = 0;
        for (int m = 0; m < NLP__AH_N_MOVES; m++)
            if (cost[m] == 0)
                zero[n_zero++] = m;
        assert_true(n_zero > 0);
        nlp__ah_apply(&st, (nlp__ah_move_t)zero[rand() % n_zero], 1);
    }
    nlp__ah_finish(&st);
    for (uint32_t i = 0; i < g->n; i++) {
        assert_int_equal(st.words[i].head, g->heads[i]);
        assert_int_equal(st.words[i].sent_start, g->sent_start[i]);
        assert_int_equal(st.words[i].label, g->heads[i] < 0 ? 7 : 1);
    }
}

static void test_oracle_reproduces_random_projective_trees(void **state) {
    state_buf_t b;
    buf_init(&b);
    srand(11);
    for (int trial = 0; trial < 3000; trial++) {
        static gold_tree_t g;
        random_gold(&g, 1 + (uint32_t)(rand() % 60), 1 + rand() % 12);
        follow_oracle(&g, &b.arena);
        nlp__arena_reset(&b.arena);
    }
    buf_free(&b);
}

/* Exhaustive search: the smallest loss (wrong heads, a root counting as
 * head -1, plus wrong sentence starts) reachable from the state. */
typedef struct snapshot {
    nlp__ah_word_t words[12];
    int32_t stack[12 + NLP__AH_STACK_PAD];
    uint32_t depth, b0;
} snapshot_t;

static void snap_save(const nlp__ah_state_t *st, snapshot_t *s) {
    memcpy(s->words, st->words - 1, (st->n + 2) * sizeof *s->words);
    memcpy(s->stack, st->stack - NLP__AH_STACK_PAD,
           (st->n + NLP__AH_STACK_PAD) * sizeof *s->stack);
    s->depth = st->depth;
    s->b0 = st->b0;
}

static void snap_load(nlp__ah_state_t *st, const snapshot_t *s) {
    memcpy(st->words - 1, s->words, (st->n + 2) * sizeof *s->words);
    memcpy(st->stack - NLP__AH_STACK_PAD, s->stack,
           (st->n + NLP__AH_STACK_PAD) * sizeof *s->stack);
    st->depth = s->depth;
    st->b0 = s->b0;
}

static int min_loss(nlp__ah_state_t *st, const gold_tree_t *g) {
    snapshot_t s;
    snap_save(st, &s);
    int best = 1 << 20;
    if (nlp__ah_is_final(st)) {
        nlp__ah_finish(st);
        best = 0;
        for (uint32_t i = 0; i < g->n; i++)
            best += (st->words[i].head != g->heads[i]) +
                    (st->words[i].sent_start != g->sent_start[i]);
    } else {
        bool valid[NLP__AH_N_MOVES];
        nlp__ah_valid(st, valid);
        for (int m = 0; m < NLP__AH_N_MOVES; m++) {
            if (!valid[m])
                continue;
            nlp__ah_apply(st, (nlp__ah_move_t)m, 1);
            int loss = min_loss(st, g);
            best = loss < best ? loss : best;
            snap_load(st, &s);
        }
    }
    snap_load(st, &s);
    return best;
}

/* From gold-reachable states the costs are exact; from any state, the
 * cheapest moves by the oracle are truly optimal. (Off the gold path, the
 * root and boundary terms can be off by one, as they are counted
 * independently.) */
static void test_oracle_costs_agree_with_exhaustive_search(void **state) {
    state_buf_t b;
    buf_init(&b);
    srand(5);
    size_t checked = 0;
    for (int trial = 0; trial < 1500; trial++) {
        static gold_tree_t g;
        random_gold(&g, 1 + (uint32_t)(rand() % 6), 1 + rand() % 4);
        nlp__ah_state_t st;
        assert_int_equal(nlp__ah_init(&st, g.n, 7, NULL, &b.arena), NLP_OK);
        /* Wander off at random, then check every state on the way out. */
        int walk = rand() % (2 * (int)g.n + 1);
        while (!nlp__ah_is_final(&st)) {
            bool valid[NLP__AH_N_MOVES];
            int32_t cost[NLP__AH_N_MOVES], truth[NLP__AH_N_MOVES];
            nlp__ah_valid(&st, valid);
            nlp__ah_costs(&st, &g.gold, cost);
            if (walk-- <= 0) {
                int here = min_loss(&st, &g);
                int32_t min_cost = NLP__AH_INVALID_COST, min_truth = 1 << 20;
                snapshot_t s;
                snap_save(&st, &s);
                for (int m = 0; m < NLP__AH_N_MOVES; m++) {
                    if (!valid[m]) {
                        assert_int_equal(cost[m], NLP__AH_INVALID_COST);
                        continue;
                    }
                    nlp__ah_apply(&st, (nlp__ah_move_t)m, 1);
                    truth[m] = min_loss(&st, &g) - here;
                    snap_load(&st, &s);
                    if (here == 0)
                        assert_int_equal(cost[m], truth[m]);
                    min_cost = cost[m] < min_cost ? cost[m] : min_cost;
                    min_truth = truth[m] < min_truth ? truth[m] : min_truth;
                }
                for (int m = 0; m < NLP__AH_N_MOVES; m++)
                    if (valid[m] && cost[m] == min_cost)
                        assert_int_equal(truth[m], min_truth);
                checked++;
            }
            int m;
            do
                m = rand() % NLP__AH_N_MOVES;
            while (!valid[m]);
            nlp__ah_apply(&st, (nlp__ah_move_t)m, 1);
        }
        nlp__arena_reset(&b.arena);
    }
    assert_true(checked > 1000);
    buf_free(&b);
}

static void test_arc_hybrid_respects_preset_boundaries(void **state) {
    state_buf_t b;
    buf_init(&b);
    /* Word 2 must start a sentence, word 4 must not. */
    int8_t preset[6] = {1, -1, 1, -1, 0, -1};
    srand(3);
    for (int trial = 0; trial < 200; trial++) {
        nlp__ah_state_t st;
        assert_int_equal(nlp__ah_init(&st, 6, 7, preset, &b.arena), NLP_OK);
        while (!nlp__ah_is_final(&st)) {
            bool valid[NLP__AH_N_MOVES];
            nlp__ah_valid(&st, valid);
            int m;
            do
                m = rand() % NLP__AH_N_MOVES;
            while (!valid[m]);
            nlp__ah_apply(&st, (nlp__ah_move_t)m, 1);
        }
        nlp__ah_finish(&st);
        assert_int_equal(st.words[0].sent_start, 1);
        assert_int_equal(st.words[2].sent_start, 1);
        assert_int_equal(st.words[4].sent_start, 0);
        /* No arc crosses a sentence boundary. */
        for (int i = 0; i < 6; i++) {
            int h = st.words[i].head;
            if (h < 0)
                continue;
            int lo = h < i ? h : i, hi = h < i ? i : h;
            for (int k = lo + 1; k <= hi; k++)
                assert_int_equal(st.words[k].sent_start, 0);
        }
        nlp__arena_reset(&b.arena);
    }
    buf_free(&b);
}

/* The oracle rebuilds every (projectivized) EWT training paragraph. */
static void test_oracle_reproduces_ewt_paragraphs(void **state) {
    const char *path = test_ewt_path("train.conllu");
    if (!path)
        skip();
    nlp__corpus_t *c;
    assert_int_equal(nlp__conllu_read(path, NULL, &c), NLP_OK);
    state_buf_t b;
    buf_init(&b);
    static gold_tree_t g;
    size_t paragraphs = 0;
    g.n = 0;
    for (size_t s = 0; s <= c->n_sents; s++) {
        bool new_para = s == c->n_sents || c->sents[s].newpar || c->sents[s].newdoc;
        if (new_para && g.n) {
            gold_finish(&g);
            follow_oracle(&g, &b.arena);
            nlp__arena_reset(&b.arena);
            paragraphs++;
            g.n = 0;
        }
        if (s == c->n_sents)
            break;
        const nlp__gold_sent_t *sent = &c->sents[s];
        assert_true(g.n + sent->n_words <= MAX_WORDS);
        int32_t *h = g.heads + g.n;
        for (uint32_t i = 0; i < sent->n_words; i++) {
            h[i] = sent->words[i].head - 1;
            g.sent_start[g.n + i] = i == 0;
        }
        assert_int_equal(nlp__nonproj_projectivize(h, NULL, sent->n_words,
                                                   &b.arena, NULL),
                         NLP_OK);
        for (uint32_t i = 0; i < sent->n_words; i++)
            if (h[i] >= 0)
                h[i] += (int32_t)g.n;
        g.n += sent->n_words;
    }
    print_message("%zu paragraphs rebuilt\n", paragraphs);
    assert_true(paragraphs > 1000);
    buf_free(&b);
    nlp__corpus_free(c);
}

/* ---- Training, parsing and the model file ------------------------------ */

/* Sentences of the fixture, as CoNLL-U word lines. */
static const char *const fixture_sents[] = {
    "1\tThe\tthe\tDET\tDT\t_\t2\tdet\t_\t_\n"
    "2\tdog\tdog\tNOUN\tNN\t_\t3\tnsubj\t_\t_\n"
    "3\tbarks\tbark\tVERB\tVBZ\t_\t0\troot\t_\tSpaceAfter=No\n"
    "4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_\n",

    "1\tShe\tshe\tPRON\tPRP\t_\t2\tnsubj\t_\t_\n"
    "2\tgave\tgive\tVERB\tVBD\t_\t0\troot\t_\t_\n"
    "3\thim\the\tPRON\tPRP\t_\t2\tiobj\t_\t_\n"
    "4\ta\ta\tDET\tDT\t_\t5\tdet\t_\t_\n"
    "5\tbook\tbook\tNOUN\tNN\t_\t2\tobj\t_\tSpaceAfter=No\n"
    "6\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\t_\n",

    "1\tMy\tmy\tPRON\tPRP$\t_\t2\tnmod:poss\t_\t_\n"
    "2\tfriend\tfriend\tNOUN\tNN\t_\t4\tnmod:poss\t_\tSpaceAfter=No\n"
    "3\t's\t's\tPART\tPOS\t_\t2\tcase\t_\t_\n"
    "4\tcar\tcar\tNOUN\tNN\t_\t6\tnsubj\t_\t_\n"
    "5\tis\tbe\tAUX\tVBZ\t_\t6\tcop\t_\t_\n"
    "6\tred\tred\tADJ\tJJ\t_\t0\troot\t_\tSpaceAfter=No\n"
    "7\t.\t.\tPUNCT\t.\t_\t6\tpunct\t_\t_\n",

    "1\tWe\twe\tPRON\tPRP\t_\t2\tnsubj\t_\t_\n"
    "2\tmet\tmeet\tVERB\tVBD\t_\t0\troot\t_\t_\n"
    "3\ton\ton\tADP\tIN\t_\t4\tcase\t_\t_\n"
    "4\tMonday\tMonday\tPROPN\tNNP\t_\t2\tobl:tmod\t_\tSpaceAfter=No\n"
    "5\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\t_\n",

    "1\tThanks\tthanks\tNOUN\tNN\t_\t0\troot\t_\t_\n",

    /* Non-projective: "issue" depends on "hearing". */
    "1\tA\ta\tDET\tDT\t_\t2\tdet\t_\t_\n"
    "2\thearing\thearing\tNOUN\tNN\t_\t4\tnsubj:pass\t_\t_\n"
    "3\tis\tbe\tAUX\tVBZ\t_\t4\taux:pass\t_\t_\n"
    "4\tscheduled\tschedule\tVERB\tVBN\t_\t0\troot\t_\t_\n"
    "5\ton\ton\tADP\tIN\t_\t7\tcase\t_\t_\n"
    "6\tthe\tthe\tDET\tDT\t_\t7\tdet\t_\t_\n"
    "7\tissue\tissue\tNOUN\tNN\t_\t2\tnmod\t_\t_\n"
    "8\ttoday\ttoday\tNOUN\tNN\t_\t4\tobl:tmod\t_\tSpaceAfter=No\n"
    "9\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_\n",
};
#define N_FIXTURE_SENTS (sizeof fixture_sents / sizeof fixture_sents[0])

/* Paragraphs of the fixture, as lists of sentence numbers (-1 ends one). */
static const int fixture_paras[] = {
    0, 1, -1, 2, 3, 4, -1, 5, 0, -1, 4, 2, -1, 1, 5, 3, -1, 5, -1,
    3, 0, 5, -1, 5, 4, -1, 2, 5, -1, 5, 1, -1, 0, 5, 2, -1, 5, 3, -1,
    4, 5, -1, 5, 5, -1,
};
#define N_FIXTURE_ITEMS (sizeof fixture_paras / sizeof fixture_paras[0])

static char *fixture_conllu(void) {
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    int new_para = 1, id = 0;
    for (size_t k = 0; k < N_FIXTURE_ITEMS; k++) {
        if (fixture_paras[k] < 0) {
            new_para = 1;
            continue;
        }
        len += (size_t)snprintf(text + len, cap - len, "# sent_id = s%d\n%s%s\n",
                                ++id, new_para ? "# newpar\n" : "",
                                fixture_sents[fixture_paras[k]]);
        new_para = 0;
    }
    return text;
}

typedef struct parser_fixture {
    test_alloc_t alloc;
    nlp_vocab_t *vocab;
    nlp__corpus_t *corpus;
    nlp__component_t *parser;
    nlp__chunk_cache_t cache;
    nlp__arena_t scratch;
} parser_fixture_t;

static int parser_setup(void **state) {
    static parser_fixture_t f;
    memset(&f, 0, sizeof f);
    test_alloc_init(&f.alloc);
    if (nlp__vocab_create(&f.alloc.iface, NULL, &f.vocab))
        return -1;
    char *text = fixture_conllu();
    const char *path = test_write_temp(text, strlen(text));
    free(text);
    if (nlp__conllu_read(path, &f.alloc.iface, &f.corpus))
        return -1;
    remove(path);
    nlp__train_opts_t opts = {.epochs = 10, .seed = 1, .alloc = &f.alloc.iface};
    if (nlp__parser_train(f.vocab, f.corpus, NULL, NULL, 0, &opts, &f.parser))
        return -1;
    nlp__chunk_cache_init(&f.cache, &f.alloc.iface, 1 << 16, 2);
    nlp__arena_init(&f.scratch, &f.cache);
    *state = &f;
    return 0;
}

static int parser_teardown(void **state) {
    parser_fixture_t *f = *state;
    nlp__arena_destroy(&f->scratch);
    nlp__chunk_cache_destroy(&f->cache);
    f->parser->ops->free(f->parser);
    nlp__corpus_free(f->corpus);
    nlp__vocab_free(f->vocab);
    return f->alloc.live == 0 ? 0 : -1;
}

/* A Doc of the corpus sentences [first, end), written as in raw text. */
static nlp_doc_t *doc_of(parser_fixture_t *f, size_t first, size_t end) {
    const char *words[256];
    size_t lens[256];
    uint8_t spaces[256];
    size_t n = 0;
    for (size_t s = first; s < end; s++)
        for (uint32_t i = 0; i < f->corpus->sents[s].n_words; i++, n++) {
            const nlp__gold_word_t *w = &f->corpus->sents[s].words[i];
            words[n] = w->form;
            lens[n] = strlen(w->form);
            spaces[n] = w->space_after;
        }
    nlp_doc_t *doc;
    assert_int_equal(nlp__doc_from_words(f->vocab, NULL, words, lens, spaces, n,
                                         &doc),
                     NLP_OK);
    return doc;
}

/* Checks a parsed Doc of sentences [first, end) against the gold. */
static void expect_gold(parser_fixture_t *f, const nlp_doc_t *doc, size_t first,
                        size_t end) {
    uint32_t at = 0;
    assert_true(nlp_doc_layers(doc) & NLP_HAS_DEP);
    assert_true(nlp_doc_layers(doc) & NLP_HAS_SENTS);
    for (size_t s = first; s < end; s++) {
        const nlp__gold_sent_t *sent = &f->corpus->sents[s];
        for (uint32_t i = 0; i < sent->n_words; i++) {
            const nlp_token_t *t = &doc->tokens[at + i];
            const nlp__gold_word_t *w = &sent->words[i];
            int32_t want = w->head == 0 ? 0 : w->head - 1 - (int32_t)i;
            assert_int_equal(t->head, want);
            assert_string_equal(nlp_doc_str(doc, t->dep), w->deprel);
            assert_int_equal(t->sent_start, i == 0);
        }
        at += sent->n_words;
    }
    assert_int_equal(at, doc->n_tokens);
}

static void test_parser_learns_fixture(void **state) {
    parser_fixture_t *f = *state;
    const nlp__component_t *p = f->parser;
    assert_string_equal(p->ops->name, "parser");
    /* Each sentence alone, then each paragraph as one Doc. */
    for (size_t s = 0; s < f->corpus->n_sents; s++) {
        nlp_doc_t *doc = doc_of(f, s, s + 1);
        assert_int_equal(p->ops->process(p, doc, &f->scratch), NLP_OK);
        expect_gold(f, doc, s, s + 1);
        nlp__arena_reset(&f->scratch);
        nlp_doc_free(doc);
    }
    for (size_t s = 0, e; s < f->corpus->n_sents; s = e) {
        for (e = s + 1; e < f->corpus->n_sents && !f->corpus->sents[e].newpar; e++)
            ;
        nlp_doc_t *doc = doc_of(f, s, e);
        assert_int_equal(p->ops->process(p, doc, &f->scratch), NLP_OK);
        expect_gold(f, doc, s, e);
        nlp__arena_reset(&f->scratch);
        nlp_doc_free(doc);
    }
}

/* The supertag templates join the features where s0 or b0 has a
 * supertag, after the others, which they leave as they are; the features
 * follow the supertags. */
static void test_parser_supertag_features(void **state) {
    parser_fixture_t *f = *state;
    nlp_doc_t *doc = doc_of(f, 0, 1);
    uint32_t n = doc->n_tokens;
    uint32_t *tags = nlp__doc_supertags(doc);
    assert_non_null(tags);
    for (uint32_t i = 0; i < n; i++) tags[i] = 100 + i;
    nlp__ah_state_t st;
    assert_int_equal(nlp__ah_init(&st, n, 7, NULL, &f->scratch), NLP_OK);
    nlp__ah_apply(&st, NLP__AH_SHIFT, 0);
    uint64_t plain[NLP__PARSER_MAX_FEATS], with[NLP__PARSER_MAX_FEATS],
        changed[NLP__PARSER_MAX_FEATS];
    size_t a = nlp__pf_extract(nlp__pf_words(doc->tokens, NULL, n, &f->scratch), &st,
                               false, plain);
    size_t b = nlp__pf_extract(nlp__pf_words(doc->tokens, tags, n, &f->scratch), &st,
                               false, with);
    assert_int_equal(b, a + 16);
    assert_memory_equal(plain, with, a * sizeof *plain);
    tags[0] = 7; /* s0's */
    assert_int_equal(nlp__pf_extract(nlp__pf_words(doc->tokens, tags, n, &f->scratch),
                                     &st, false, changed),
                     b);
    assert_memory_not_equal(with + a, changed + a, 16 * sizeof *with);
    nlp__arena_reset(&f->scratch);
    nlp_doc_free(doc);
}

static void test_parser_lists_plain_labels(void **state) {
    parser_fixture_t *f = *state;
    const char *labels[64];
    size_t n = 0;
    assert_int_equal(f->parser->ops->labels(f->parser, labels, 64, &n), NLP_OK);
    assert_true(n >= 10 && n <= 64);
    int have_poss = 0;
    for (size_t i = 0; i < n; i++) {
        assert_null(strstr(labels[i], NLP__NONPROJ_DELIM));
        have_poss |= strcmp(labels[i], "nmod:poss") == 0;
    }
    assert_true(have_poss);
}

static void test_parser_keeps_preset_sentences(void **state) {
    parser_fixture_t *f = *state;
    /* "The dog barks. She gave him a book." with a forced break after
     * "dog" and a forbidden one before "She". */
    nlp_doc_t *doc = doc_of(f, 0, 2);
    for (uint32_t i = 0; i < doc->n_tokens; i++)
        doc->tokens[i].sent_start = (int8_t)(i == 0 || i == 2 ? 1 : i == 4 ? 0 : -1);
    doc->layers |= NLP_HAS_SENTS;
    assert_int_equal(f->parser->ops->process(f->parser, doc, &f->scratch), NLP_OK);
    assert_int_equal(doc->tokens[2].sent_start, 1);
    assert_int_equal(doc->tokens[4].sent_start, 0);
    assert_int_equal(doc->tokens[1].head, 0); /* "dog" heads its sentence */
    nlp__arena_reset(&f->scratch);
    nlp_doc_free(doc);
}

static void test_parser_empty_doc(void **state) {
    parser_fixture_t *f = *state;
    nlp_doc_t *doc;
    assert_int_equal(nlp__doc_from_words(f->vocab, NULL, NULL, NULL, NULL, 0, &doc),
                     NLP_OK);
    assert_int_equal(f->parser->ops->process(f->parser, doc, &f->scratch), NLP_OK);
    assert_true(nlp_doc_layers(doc) & NLP_HAS_DEP);
    nlp_doc_free(doc);
}

/* Saves the parser to a model file, loads it back and checks that both
 * parse every paragraph identically. */
static void test_parser_save_load_same_output(void **state) {
    parser_fixture_t *f = *state;
    nlp__model_writer_t *w;
    char path[] = "/tmp/spacyc-parser-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(nlp__model_writer_create(&f->alloc.iface, &w), NLP_OK);
    assert_int_equal(f->parser->ops->save(f->parser, w, "parser."), NLP_OK);
    assert_int_equal(nlp__model_writer_save(w, path), NLP_OK);
    nlp__model_writer_free(w);

    nlp__model_reader_t *r;
    nlp__component_t *loaded;
    assert_int_equal(nlp__model_reader_open(path, &f->alloc.iface, &r), NLP_OK);
    assert_int_equal(nlp__parser_load(f->vocab, r, "parser.", &loaded), NLP_OK);
    assert_int_equal(nlp__parser_load(f->vocab, r, "nothere.", &(nlp__component_t *){0}),
                     NLP_NOT_FOUND);
    for (size_t s = 0, e; s < f->corpus->n_sents; s = e) {
        for (e = s + 1; e < f->corpus->n_sents && !f->corpus->sents[e].newpar; e++)
            ;
        nlp_doc_t *a = doc_of(f, s, e), *b = doc_of(f, s, e);
        assert_int_equal(f->parser->ops->process(f->parser, a, &f->scratch), NLP_OK);
        assert_int_equal(loaded->ops->process(loaded, b, &f->scratch), NLP_OK);
        for (uint32_t i = 0; i < a->n_tokens; i++) {
            assert_int_equal(a->tokens[i].head, b->tokens[i].head);
            assert_true(a->tokens[i].dep == b->tokens[i].dep);
            assert_int_equal(a->tokens[i].sent_start, b->tokens[i].sent_start);
        }
        nlp__arena_reset(&f->scratch);
        nlp_doc_free(a);
        nlp_doc_free(b);
    }
    loaded->ops->free(loaded);
    nlp__model_reader_close(r);
    remove(path);
}

/* A damaged spec section is reported, never trusted. */
static void test_parser_rejects_corrupt_spec(void **state) {
    parser_fixture_t *f = *state;
    nlp__model_writer_t *w;
    assert_int_equal(nlp__model_writer_create(&f->alloc.iface, &w), NLP_OK);
    assert_int_equal(f->parser->ops->save(f->parser, w, "p."), NLP_OK);
    char path[] = "/tmp/spacyc-parser-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    assert_int_equal(nlp__model_writer_save(w, path), NLP_OK);
    nlp__model_writer_free(w);
    nlp__model_reader_t *r;
    assert_int_equal(nlp__model_reader_open(path, &f->alloc.iface, &r), NLP_OK);
    const void *meta, *weights;
    size_t meta_len, weights_len;
    assert_int_equal(nlp__model_reader_section(r, "p.meta", &meta, &meta_len), NLP_OK);
    assert_int_equal(nlp__model_reader_section(r, "p.weights", &weights, &weights_len),
                     NLP_OK);
    /* Flip every byte of the spec in turn. */
    unsigned char *copy = malloc(meta_len);
    size_t accepted = 0;
    for (size_t i = 0; i < meta_len; i++) {
        memcpy(copy, meta, meta_len);
        copy[i] ^= 0x5a;
        nlp__component_t *c = NULL;
        nlp_status_t st = nlp__parser_create(f->vocab, copy, meta_len, weights,
                                             weights_len, NULL, &c);
        if (st == NLP_OK) {
            accepted++; /* a changed label name is still a valid spec */
            c->ops->free(c);
        } else {
            assert_true(st == NLP_MODEL_CORRUPT || st == NLP_MODEL_VERSION);
        }
    }
    for (size_t len = 0; len < meta_len; len += 7) {
        nlp__component_t *c = NULL;
        assert_int_not_equal(nlp__parser_create(f->vocab, meta, len, weights,
                                                weights_len, NULL, &c),
                             NLP_OK);
    }
    free(copy);
    nlp__model_reader_close(r);
    remove(path);
    assert_true(accepted < meta_len);
}

/* ---- The trained sentence segmenter ------------------------------------ */

static nlp__component_t *train_senter(parser_fixture_t *f) {
    nlp__train_opts_t opts = {.epochs = 10, .seed = 1, .alloc = &f->alloc.iface};
    nlp__component_t *senter = NULL;
    assert_int_equal(nlp__senter_train(f->vocab, f->corpus, f->corpus, NULL, 0,
                                       &opts, &senter),
                     NLP_OK);
    assert_string_equal(senter->ops->name, "senter");
    return senter;
}

/* The senter's starts on each paragraph of the fixture, written as a
 * string of '1' (start) and '-' (undecided) per token. */
static void senter_marks(parser_fixture_t *f, const nlp__component_t *senter,
                         size_t first, size_t end, char *out) {
    nlp_doc_t *doc = doc_of(f, first, end);
    assert_int_equal(senter->ops->process(senter, doc, &f->scratch), NLP_OK);
    assert_true(nlp_doc_layers(doc) & NLP_HAS_SENTS);
    for (uint32_t i = 0; i < doc->n_tokens; i++) {
        assert_true(doc->tokens[i].sent_start == 1 || doc->tokens[i].sent_start == -1);
        out[i] = doc->tokens[i].sent_start == 1 ? '1' : '-';
    }
    out[doc->n_tokens] = '\0';
    nlp__arena_reset(&f->scratch);
    nlp_doc_free(doc);
}

/* The same marks from the gold sentences. */
static void gold_marks(parser_fixture_t *f, size_t first, size_t end, char *out) {
    size_t k = 0;
    for (size_t s = first; s < end; s++)
        for (uint32_t i = 0; i < f->corpus->sents[s].n_words; i++) out[k++] = i ? '-' : '1';
    out[k] = '\0';
}

static size_t paragraph_end(parser_fixture_t *f, size_t s) {
    size_t e = s + 1;
    while (e < f->corpus->n_sents && !f->corpus->sents[e].newpar) e++;
    return e;
}

static void test_senter_learns_fixture_boundaries(void **state) {
    parser_fixture_t *f = *state;
    nlp__component_t *senter = train_senter(f);
    char got[256], want[256];
    for (size_t s = 0, e; s < f->corpus->n_sents; s = e) {
        e = paragraph_end(f, s);
        senter_marks(f, senter, s, e, got);
        gold_marks(f, s, e, want);
        assert_string_equal(got, want);
    }
    senter->ops->free(senter);
}

/* The parser keeps every start the senter proposes. */
static void test_senter_starts_survive_the_parser(void **state) {
    parser_fixture_t *f = *state;
    nlp__component_t *senter = train_senter(f);
    nlp_doc_t *doc = doc_of(f, 0, 4);
    assert_int_equal(senter->ops->process(senter, doc, &f->scratch), NLP_OK);
    /* An extra start the parser would not predict: before "gave". */
    doc->tokens[5].sent_start = 1;
    int8_t proposed[64];
    for (uint32_t i = 0; i < doc->n_tokens; i++) proposed[i] = doc->tokens[i].sent_start;
    assert_int_equal(f->parser->ops->process(f->parser, doc, &f->scratch), NLP_OK);
    for (uint32_t i = 0; i < doc->n_tokens; i++) {
        if (proposed[i] == 1) assert_int_equal(doc->tokens[i].sent_start, 1);
        assert_true(doc->tokens[i].sent_start == 0 || doc->tokens[i].sent_start == 1);
    }
    nlp__arena_reset(&f->scratch);
    nlp_doc_free(doc);
    senter->ops->free(senter);
}

/* Boundaries an earlier component decided stay as they were. */
static void test_senter_keeps_earlier_boundaries(void **state) {
    parser_fixture_t *f = *state;
    nlp__component_t *senter = train_senter(f);
    /* "The dog barks. She gave him a book.": no start before "She" (4),
     * a forced one before "barks" (2). */
    nlp_doc_t *doc = doc_of(f, 0, 2);
    for (uint32_t i = 0; i < doc->n_tokens; i++)
        doc->tokens[i].sent_start = (int8_t)(i == 2 ? 1 : i == 4 ? 0 : -1);
    doc->layers |= NLP_HAS_SENTS;
    assert_int_equal(senter->ops->process(senter, doc, &f->scratch), NLP_OK);
    assert_int_equal(doc->tokens[0].sent_start, 1);
    assert_int_equal(doc->tokens[2].sent_start, 1);
    assert_int_equal(doc->tokens[4].sent_start, 0);
    nlp__arena_reset(&f->scratch);
    nlp_doc_free(doc);

    /* Without them, the senter finds the start before "She" itself. */
    doc = doc_of(f, 0, 2);
    assert_int_equal(senter->ops->process(senter, doc, &f->scratch), NLP_OK);
    assert_int_equal(doc->tokens[4].sent_start, 1);
    assert_int_equal(doc->tokens[2].sent_start, -1);
    nlp__arena_reset(&f->scratch);
    nlp_doc_free(doc);
    senter->ops->free(senter);
}

/* Saved and loaded, the senter marks the same starts; a damaged config is
 * refused. */
static void test_senter_save_load_same_output(void **state) {
    parser_fixture_t *f = *state;
    nlp__component_t *senter = train_senter(f);
    nlp__model_writer_t *w;
    char path[] = "/tmp/spacyc-senter-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(nlp__model_writer_create(&f->alloc.iface, &w), NLP_OK);
    assert_int_equal(senter->ops->save(senter, w, "senter"), NLP_OK);
    const char bad_magic[16] = "SPCSNT99";
    assert_int_equal(nlp__model_writer_add(w, "bad.config", bad_magic, sizeof bad_magic),
                     NLP_OK);
    assert_int_equal(nlp__model_writer_add(w, "bad.model", bad_magic, sizeof bad_magic),
                     NLP_OK);
    assert_int_equal(nlp__model_writer_save(w, path), NLP_OK);
    nlp__model_writer_free(w);

    nlp__model_reader_t *r;
    nlp__component_t *loaded, *none = NULL;
    assert_int_equal(nlp__model_reader_open(path, &f->alloc.iface, &r), NLP_OK);
    assert_int_equal(nlp__senter_load(f->vocab, r, "senter", &loaded), NLP_OK);
    assert_int_equal(nlp__senter_load(f->vocab, r, "nothere", &none), NLP_MODEL_CORRUPT);
    assert_int_equal(nlp__senter_load(f->vocab, r, "bad", &none), NLP_MODEL_VERSION);
    assert_null(none);
    char a[256], b[256];
    for (size_t s = 0, e; s < f->corpus->n_sents; s = e) {
        e = paragraph_end(f, s);
        senter_marks(f, senter, s, e, a);
        senter_marks(f, loaded, s, e, b);
        assert_string_equal(a, b);
    }
    loaded->ops->free(loaded);
    senter->ops->free(senter);
    nlp__model_reader_close(r);
    remove(path);
}

/* ---- Jackknife folds -------------------------------------------------- */

/* A corpus of n sentences with the given newdoc / newpar marks. */
static nlp__corpus_t marked_corpus(nlp__gold_sent_t *sents, size_t n,
                                   const char *marks) {
    for (size_t s = 0; s < n; s++)
        sents[s] = (nlp__gold_sent_t){.newdoc = marks[s] == 'd',
                                      .newpar = marks[s] != '.'};
    return (nlp__corpus_t){.sents = sents, .n_sents = n, .cap_sents = n};
}

static void test_jackknife_folds_keep_documents_whole(void **state) {
    (void)state;
    /* Eight documents ('d'), each with a second paragraph ('p') and a
     * second sentence ('.'): folds are whole documents, in turn. */
    const char *marks = "dp.dp.dp.dp.dp.dp.dp.dp.";
    nlp__gold_sent_t sents[24];
    nlp__corpus_t c = marked_corpus(sents, 24, marks);
    uint32_t fold[24];
    assert_true(nlp__jackknife_folds(&c, 4, fold));
    for (uint32_t s = 0; s < 24; s++)
        assert_int_equal(fold[s], (s / 3) % 4);
}

static void test_jackknife_folds_fall_back_to_paragraphs(void **state) {
    (void)state;
    /* One document of eight paragraphs: folds are paragraphs. */
    const char *marks = "d.pp.ppp.pp";
    nlp__gold_sent_t sents[11];
    nlp__corpus_t c = marked_corpus(sents, 11, marks);
    uint32_t fold[11];
    const uint32_t want[11] = {0, 0, 1, 2, 2, 3, 0, 1, 1, 2, 3};
    assert_true(nlp__jackknife_folds(&c, 4, fold));
    assert_memory_equal(fold, want, sizeof want);
    /* Fewer than two paragraphs per fold: no jackknife. */
    assert_false(nlp__jackknife_folds(&c, 5, fold));
    assert_false(nlp__jackknife_folds(&c, 0, fold));
}

/* A trainer whose component records the sentences it was trained on (by
 * their n_words, set to their index + 1) and its upstream components. */
typedef struct recording_component {
    nlp__component_t base;
    uint64_t sentences; /* bit i: sentence i */
    const nlp__component_t *upstream[2];
    size_t n_upstream;
} recording_component_t;

static void free_recording(nlp__component_t *self) { free(self); }

static const nlp__component_ops_t recording_ops = {.name = "recorder",
                                                   .free = free_recording};

static nlp_status_t record_training(nlp_vocab_t *vocab, const nlp__corpus_t *train,
                                    const nlp__corpus_t *dev,
                                    const nlp__component_t *const *upstream,
                                    size_t n_upstream, const nlp__train_opts_t *opts,
                                    nlp__component_t **out) {
    (void)vocab, (void)dev, (void)opts;
    recording_component_t *c = calloc(1, sizeof *c);
    if (!c) return NLP_NOMEM;
    c->base.ops = &recording_ops;
    for (size_t s = 0; s < train->n_sents; s++)
        c->sentences |= 1ull << (train->sents[s].n_words - 1);
    for (size_t i = 0; i < n_upstream && i < 2; i++) c->upstream[i] = upstream[i];
    c->n_upstream = n_upstream;
    *out = &c->base;
    return NLP_OK;
}

static void test_jackknife_trains_each_fold_without_it(void **state) {
    (void)state;
    const char *marks = "dp.dp.dp.dp.dp.dp.dp.dp.";
    nlp__gold_sent_t sents[24];
    nlp__corpus_t c = marked_corpus(sents, 24, marks);
    for (uint32_t s = 0; s < 24; s++) sents[s].n_words = s + 1;
    uint32_t fold[24];
    assert_true(nlp__jackknife_folds(&c, NLP__JACKKNIFE_FOLDS, fold));
    nlp_vocab_t *vocab;
    assert_int_equal(nlp__vocab_create(NULL, NULL, &vocab), NLP_OK);
    nlp__train_opts_t opts = {.epochs = 1, .seed = 1};
    const nlp__train_fn two[2] = {record_training, record_training};
    nlp__jackknife_t j;
    assert_int_equal(nlp__jackknife_train(&j, vocab, two, 2, &c, &c, &opts, NULL), NLP_OK);
    assert_true(j.ready);
    for (uint32_t k = 0; k < NLP__JACKKNIFE_FOLDS; k++) {
        uint64_t want = 0;
        for (uint32_t s = 0; s < 24; s++)
            if (fold[s] != k) want |= 1ull << s;
        for (size_t i = 0; i < 2; i++) {
            const recording_component_t *r = (const recording_component_t *)j.folds[k][i];
            assert_true(r->sentences == want);
            /* Each is trained on the components of its own fold before it. */
            assert_int_equal(r->n_upstream, i);
            if (i == 1) assert_ptr_equal(r->upstream[0], j.folds[k][0]);
        }
    }
    nlp__jackknife_free(&j);
    assert_false(j.ready);

    /* A component trained on other data cannot be retrained: no jackknife. */
    const nlp__train_fn foreign[2] = {record_training, NULL};
    assert_int_equal(nlp__jackknife_train(&j, vocab, foreign, 2, &c, &c, &opts, NULL),
                     NLP_OK);
    assert_false(j.ready);
    nlp__jackknife_free(&j);
    /* Too few paragraphs to fold: no jackknife either. */
    nlp__corpus_t small = c;
    small.n_sents = 6;
    assert_int_equal(nlp__jackknife_train(&j, vocab, two, 2, &small, &c, &opts, NULL),
                     NLP_OK);
    assert_false(j.ready);
    nlp__jackknife_free(&j);
    nlp__train_fn many[NLP__JACKKNIFE_MAX_COMPONENTS + 1];
    for (size_t i = 0; i <= NLP__JACKKNIFE_MAX_COMPONENTS; i++) many[i] = record_training;
    assert_int_equal(nlp__jackknife_train(&j, vocab, many,
                                          NLP__JACKKNIFE_MAX_COMPONENTS + 1, &c, &c,
                                          &opts, NULL),
                     NLP_LIMIT);
    nlp__jackknife_free(&j);
    nlp__vocab_free(vocab);
}

/* An upstream component that only counts the Docs it annotates. */
typedef struct counting_component {
    nlp__component_t base;
    size_t docs;
} counting_component_t;

static nlp_status_t count_doc(const nlp__component_t *self, nlp_doc_t *doc,
                              nlp__arena_t *scratch) {
    (void)doc;
    (void)scratch;
    ((counting_component_t *)(uintptr_t)self)->docs++;
    return NLP_OK;
}

static const nlp__component_ops_t counting_ops = {.name = "counter",
                                                  .process = count_doc};

static void test_parser_jackknife_tags_with_held_out_copies(void **state) {
    (void)state;
    test_alloc_t alloc;
    test_alloc_init(&alloc);
    nlp_vocab_t *vocab;
    assert_int_equal(nlp__vocab_create(&alloc.iface, NULL, &vocab), NLP_OK);
    char *text = fixture_conllu();
    const char *path = test_write_temp(text, strlen(text));
    free(text);
    nlp__corpus_t *corpus;
    assert_int_equal(nlp__conllu_read(path, &alloc.iface, &corpus), NLP_OK);
    remove(path);

    enum { FOLDS = 2 };
    counting_component_t whole = {{&counting_ops}, 0}, copies[FOLDS];
    const nlp__component_t *whole_list[1] = {&whole.base};
    const nlp__component_t *copy_lists[FOLDS][1];
    const nlp__component_t *const *folds[FOLDS];
    for (int k = 0; k < FOLDS; k++) {
        copies[k] = (counting_component_t){{&counting_ops}, 0};
        copy_lists[k][0] = &copies[k].base;
        folds[k] = copy_lists[k];
    }
    nlp__train_opts_t opts = {.epochs = 1, .seed = 1, .alloc = &alloc.iface};
    nlp__component_t *parser = NULL;
    assert_int_equal(nlp__parser_train_jackknifed(vocab, corpus, corpus,
                                                  whole_list, 1, folds, FOLDS,
                                                  &opts, &parser),
                     NLP_OK);

    /* Each training paragraph went to the copy of its fold; the dev
     * paragraphs to the component trained on everything. */
    uint32_t *fold = calloc(corpus->n_sents, sizeof *fold);
    assert_true(nlp__jackknife_folds(corpus, FOLDS, fold));
    size_t want[FOLDS] = {0}, paras = 0;
    for (size_t s = 0; s < corpus->n_sents; s++)
        if (nlp__starts_paragraph(corpus, s)) {
            want[fold[s]]++;
            paras++;
        }
    for (int k = 0; k < FOLDS; k++) {
        assert_true(want[k] > 0);
        assert_int_equal(copies[k].docs, want[k]);
    }
    assert_int_equal(whole.docs, paras);
    free(fold);
    parser->ops->free(parser);
    nlp__corpus_free(corpus);
    nlp__vocab_free(vocab);
    assert_int_equal(alloc.live, 0);
}

int main(void) {
    const struct CMUnitTest oracle[] = {
        cmocka_unit_test(test_oracle_reproduces_random_projective_trees),
        cmocka_unit_test(test_oracle_costs_agree_with_exhaustive_search),
        cmocka_unit_test(test_arc_hybrid_respects_preset_boundaries),
        cmocka_unit_test(test_oracle_reproduces_ewt_paragraphs),
        cmocka_unit_test(test_jackknife_folds_keep_documents_whole),
        cmocka_unit_test(test_jackknife_folds_fall_back_to_paragraphs),
        cmocka_unit_test(test_jackknife_trains_each_fold_without_it),
        cmocka_unit_test(test_parser_jackknife_tags_with_held_out_copies),
    };
    const struct CMUnitTest trained[] = {
        cmocka_unit_test(test_parser_learns_fixture),
        cmocka_unit_test(test_parser_lists_plain_labels),
        cmocka_unit_test(test_parser_supertag_features),
        cmocka_unit_test(test_parser_keeps_preset_sentences),
        cmocka_unit_test(test_parser_empty_doc),
        cmocka_unit_test(test_parser_save_load_same_output),
        cmocka_unit_test(test_parser_rejects_corrupt_spec),
        cmocka_unit_test(test_senter_learns_fixture_boundaries),
        cmocka_unit_test(test_senter_starts_survive_the_parser),
        cmocka_unit_test(test_senter_keeps_earlier_boundaries),
        cmocka_unit_test(test_senter_save_load_same_output),
    };
    int failed = cmocka_run_group_tests_name("oracle", oracle, NULL, NULL);
    failed += cmocka_run_group_tests_name("trained", trained, parser_setup,
                                          parser_teardown);
    return failed;
}
