/* Tests of pipe(): ordering, early stop, per-document failures, zones,
 * chunked file reading at document boundaries, and output that does not
 * depend on the thread count, batch size or chunk size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/vocab.h"
#include "doc/doc.h"
#include "io/chunk_reader.h"
#include "pipeline/nlp.h"
#include "test_util.h"

/* ---- helpers ---------------------------------------------------------- */

/* Collects what the output callback sees. */
typedef struct collected {
    size_t n, expect_index;
    int out_of_order;
    size_t stop_at;       /* return non-zero at this index (SIZE_MAX: never) */
    size_t n_failed;
    size_t failed[16];
    nlp_status_t failed_status[16];
    char failed_error[16][128];
    test_buf_t texts;     /* "text\n" per delivered document */
    test_buf_t outputs;   /* the format hook's bytes, in order */
    nlp_doc_t *docs[64];  /* the first Docs, for lifetime checks */
} collected_t;

static void collected_init(collected_t *c) {
    memset(c, 0, sizeof *c);
    c->stop_at = SIZE_MAX;
}

static void collected_free(collected_t *c) {
    test_buf_free(&c->texts);
    test_buf_free(&c->outputs);
}

static int collect(void *ctx, const nlp_pipe_result_t *r) {
    collected_t *c = ctx;
    if (r->index != c->expect_index) c->out_of_order = 1;
    c->expect_index = r->index + 1;
    if (r->status) {
        if (c->n_failed < 16) {
            c->failed[c->n_failed] = r->index;
            c->failed_status[c->n_failed] = r->status;
            snprintf(c->failed_error[c->n_failed], 128, "%s", r->error);
        }
        c->n_failed++;
        if (r->doc) c->out_of_order = 1; /* a failed result carries no Doc */
    } else {
        size_t len;
        const char *text = nlp_doc_text(r->doc, &len);
        if (!text || len != r->text_len || memcmp(text, r->text, len) != 0)
            c->out_of_order = 1;
        test_buf_write(&c->texts, text, len);
        test_buf_write(&c->texts, "\n", 1);
    }
    test_buf_write(&c->outputs, r->output, r->output_len);
    if (c->n < 64) c->docs[c->n] = r->doc;
    c->n++;
    return r->index == c->stop_at;
}

/* A format hook: "index:tokens\n". */
static nlp_status_t format_count(void *ctx, size_t index, const nlp_doc_t *doc,
                                 nlp_write_fn write, void *wctx) {
    (void)ctx;
    const nlp_token_t *t;
    size_t n;
    nlp_status_t st = nlp_doc_tokens(doc, &t, &n);
    if (st) return st;
    char line[64];
    int len = snprintf(line, sizeof line, "%zu:%zu\n", index, n);
    return write(wctx, line, (size_t)len) ? NLP_CANCELLED : NLP_OK;
}

/* A format hook writing the Doc as one JSON line. */
static nlp_status_t format_json(void *ctx, size_t index, const nlp_doc_t *doc,
                                nlp_write_fn write, void *wctx) {
    (void)ctx;
    (void)index;
    nlp_status_t st = nlp_doc_to_json(doc, write, wctx);
    if (!st && write(wctx, "\n", 1)) st = NLP_CANCELLED;
    return st;
}

/* texts[i] = "doc <i> word<i> ...", heap strings freed with free_texts. */
static char **make_texts(size_t n) {
    char **texts = calloc(n, sizeof *texts);
    for (size_t i = 0; i < n; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "doc %zu says hello to unseen%zux in %zu words", i,
                 i * 7919, i % 13);
        texts[i] = strdup(buf);
    }
    return texts;
}

static void free_texts(char **texts, size_t n) {
    for (size_t i = 0; i < n; i++) free(texts[i]);
    free(texts);
}

/* ---- array and pull input --------------------------------------------- */

static void test_pipe_texts_in_input_order(void **state) {
    test_blank_nlp_t *f = *state;
    const size_t n = 1500;
    char **texts = make_texts(n);
    static const size_t batch[] = {1, 7, 1000, 5000};
    static const int threads[] = {1, 2, 8};
    for (size_t b = 0; b < 4; b++) {
        for (size_t t = 0; t < 3; t++) {
            collected_t c;
            collected_init(&c);
            nlp_pipe_options_t o = {.batch_size = batch[b], .n_threads = threads[t],
                                    .format = format_count};
            assert_int_equal(nlp_pipe_texts(f->nlp, (const char *const *)texts, NULL,
                                            n, &o, collect, &c),
                             NLP_OK);
            assert_int_equal(c.n, n);
            assert_false(c.out_of_order);
            assert_int_equal(c.n_failed, 0);
            /* The format hook ran for every document, in order. */
            assert_non_null(strstr(c.outputs.data, "0:"));
            assert_non_null(strstr(c.outputs.data, "\n1499:"));
            collected_free(&c);
        }
    }
    free_texts(texts, n);
}

static void test_pipe_texts_with_lengths(void **state) {
    test_blank_nlp_t *f = *state;
    const char *texts[] = {"one two threeXXXX", "", "four"};
    size_t lens[] = {13, 0, 4};
    collected_t c;
    collected_init(&c);
    assert_int_equal(nlp_pipe_texts(f->nlp, texts, lens, 3, NULL, collect, &c), NLP_OK);
    assert_string_equal(c.texts.data, "one two three\n\nfour\n");
    collected_free(&c);
}

typedef struct pull_state {
    size_t i, n, fail_at;
    char buf[64]; /* reused for every text */
} pull_state_t;

static int pull_next(void *ctx, const char **text, size_t *len) {
    pull_state_t *p = ctx;
    if (p->i == p->fail_at) return -1;
    if (p->i == p->n) return 0;
    *len = (size_t)snprintf(p->buf, sizeof p->buf, "pulled text number %zu", p->i);
    *text = p->buf;
    p->i++;
    return 1;
}

static void test_pipe_pull_copies_reused_buffers(void **state) {
    test_blank_nlp_t *f = *state;
    pull_state_t p = {.n = 250, .fail_at = SIZE_MAX};
    collected_t c;
    collected_init(&c);
    nlp_pipe_options_t o = {.batch_size = 16, .n_threads = 2};
    assert_int_equal(nlp_pipe_pull(f->nlp, pull_next, &p, &o, collect, &c), NLP_OK);
    assert_int_equal(c.n, 250);
    assert_false(c.out_of_order);
    assert_non_null(strstr(c.texts.data, "pulled text number 0\npulled text number 1\n"));
    assert_non_null(strstr(c.texts.data, "number 248\npulled text number 249\n"));
    collected_free(&c);
}

static int count_docs(void *ctx, const nlp_pipe_result_t *r) {
    (void)r;
    (*(size_t *)ctx)++;
    return 0;
}

/* One attempt of the pipe's allocation-failure sweep: a blank pipeline
 * on `alloc` runs three texts, then a file of two lines; each failure must
 * carry a detail of its own, not an earlier failure's. */
static nlp_status_t pipe_attempt(void *ctx, const nlp_allocator_t *alloc) {
    (void)ctx;
    nlp_t *nlp = NULL;
    test_set_stale_detail();
    nlp_status_t st = nlp_create_blank("en", alloc, &nlp);
    if (st) {
        assert_true(test_detail_is_fresh());
        return st;
    }
    const char *texts[] = {"One text.", "Another one, longer than the first.", ""};
    nlp_pipe_options_t o = {.batch_size = 2, .n_threads = 1};
    size_t n = 0;
    test_set_stale_detail();
    st = nlp_pipe_texts(nlp, texts, NULL, 3, &o, count_docs, &n);
    if (st) assert_true(test_detail_is_fresh());
    else assert_int_equal(n, 3);
    if (!st) {
        static const char file_text[] = "A first line.\nA second one.\n";
        test_set_stale_detail();
        st = nlp_pipe_file(nlp, test_write_temp(file_text, sizeof file_text - 1), &o,
                           count_docs, &n);
        if (st) assert_true(test_detail_is_fresh());
        else assert_int_equal(n, 5);
    }
    nlp_free(nlp);
    return st;
}

static void test_pipe_out_of_memory_sweep(void **state) {
    (void)state;
    long failures = test_oom_sweep(pipe_attempt, NULL, 10000);
    print_message("nlp_pipe_texts and nlp_pipe_file: %ld allocation failures, each refused cleanly\n", failures);
}

static void test_pipe_pull_input_error(void **state) {
    test_blank_nlp_t *f = *state;
    pull_state_t p = {.n = 100, .fail_at = 40};
    collected_t c;
    collected_init(&c);
    nlp_pipe_options_t o = {.batch_size = 16};
    test_set_stale_detail();
    assert_int_equal(nlp_pipe_pull(f->nlp, pull_next, &p, &o, collect, &c), NLP_IO);
    assert_true(test_detail_is_fresh());
    /* The two full batches before the failing one were delivered. */
    assert_int_equal(c.n, 32);
    collected_free(&c);
}

static void test_pipe_early_stop(void **state) {
    test_blank_nlp_t *f = *state;
    char **texts = make_texts(300);
    collected_t c;
    collected_init(&c);
    c.stop_at = 42;
    nlp_pipe_options_t o = {.batch_size = 10, .n_threads = 2};
    assert_int_equal(nlp_pipe_texts(f->nlp, (const char *const *)texts, NULL, 300, &o,
                                    collect, &c),
                     NLP_CANCELLED);
    assert_int_equal(c.n, 43);
    assert_non_null(strstr(nlp_error_detail(), "42"));
    /* The run's zones were ended although it stopped early. */
    assert_int_equal(atomic_load(&f->nlp->vocab->open_zones), 0);
    collected_free(&c);
    free_texts(texts, 300);
}

/* A component that fails on any Doc whose text contains "boom". */
static nlp_status_t boom_process(const nlp__component_t *self, nlp_doc_t *doc,
                                 nlp__arena_t *scratch) {
    (void)self;
    (void)scratch;
    if (strstr(doc->text, "boom"))
        return nlp__fail(NLP_FORMAT, "found a boom at byte %td",
                         strstr(doc->text, "boom") - doc->text);
    return NLP_OK;
}
static void boom_free(nlp__component_t *self) { (void)self; }
static const nlp__component_ops_t boom_ops = {
    .name = "boom", .process = boom_process, .free = boom_free};
static nlp__component_t boom_component = {&boom_ops};

static void test_pipe_document_failure_is_reported(void **state) {
    (void)state;
    nlp_t *nlp;
    assert_int_equal(nlp_create_blank("en", NULL, &nlp), NLP_OK);
    assert_int_equal(nlp__add_component(nlp, &boom_component), NLP_OK);
    const char *texts[] = {"fine", "also fine", "a boom here", "fine again",
                           "and boom", "the end"};
    collected_t c;
    collected_init(&c);
    nlp_pipe_options_t o = {.batch_size = 4, .n_threads = 2, .format = format_count};
    assert_int_equal(nlp_pipe_texts(nlp, texts, NULL, 6, &o, collect, &c), NLP_FORMAT);
    /* Every document was delivered; the two failures carry their index. */
    assert_int_equal(c.n, 6);
    assert_false(c.out_of_order);
    assert_int_equal(c.n_failed, 2);
    assert_int_equal(c.failed[0], 2);
    assert_int_equal(c.failed[1], 4);
    assert_int_equal(c.failed_status[0], NLP_FORMAT);
    assert_string_equal(c.failed_error[0], "found a boom at byte 2");
    assert_string_equal(c.texts.data, "fine\nalso fine\nfine again\nthe end\n");
    /* A failed document has no formatted output either. */
    assert_string_equal(c.outputs.data, "0:1\n1:2\n3:2\n5:2\n");
    assert_non_null(strstr(nlp_error_detail(), "index 2: "));
    collected_free(&c);
    nlp_free(nlp);
}

static void test_pipe_documents_over_the_size_limit_fail_alone(void **state) {
    (void)state;
    nlp_t *nlp;
    assert_int_equal(nlp_create_blank("en", NULL, &nlp), NLP_OK);
    const char *texts[] = {"short", "this one is far too long", "tiny", "exactly10!"};
    collected_t c;
    collected_init(&c);
    nlp_pipe_options_t o = {.batch_size = 2, .n_threads = 2, .format = format_count,
                            .max_doc_bytes = 10};
    assert_int_equal(nlp_pipe_texts(nlp, texts, NULL, 4, &o, collect, &c), NLP_LIMIT);
    assert_int_equal(c.n, 4);
    assert_int_equal(c.n_failed, 1);
    assert_int_equal(c.failed[0], 1);
    assert_int_equal(c.failed_status[0], NLP_LIMIT);
    assert_string_equal(c.failed_error[0], "24 bytes, more than the limit of 10 per document");
    /* A document of exactly the limit is parsed. */
    assert_string_equal(c.texts.data, "short\ntiny\nexactly10!\n");
    assert_non_null(strstr(nlp_error_detail(), "index 1: "));
    collected_free(&c);
    nlp_free(nlp);
}

/* ---- zones ------------------------------------------------------------ */

static void test_pipe_inside_caller_zone(void **state) {
    test_blank_nlp_t *f = *state;
    char **texts = make_texts(40);
    nlp_zone_t *zone;
    assert_int_equal(nlp_memory_zone_begin(f->nlp, &zone), NLP_OK);
    size_t before = nlp_vocab_n_lexemes(nlp_get_vocab(f->nlp));
    collected_t c;
    collected_init(&c);
    nlp_pipe_options_t o = {.batch_size = 8, .n_threads = 4, .zone = zone};
    assert_int_equal(nlp_pipe_texts(f->nlp, (const char *const *)texts, NULL, 40, &o,
                                    collect, &c),
                     NLP_OK);
    assert_int_equal(c.n, 40);
    /* The Docs outlive the call: they live until the caller's zone ends. */
    for (size_t i = 0; i < 40; i++) {
        assert_int_equal(nlp_doc_check(c.docs[i]), NLP_OK);
        assert_string_equal(nlp_doc_text(c.docs[i], NULL), texts[i]);
        const nlp_token_t *t;
        size_t n;
        assert_int_equal(nlp_doc_tokens(c.docs[i], &t, &n), NLP_OK);
        /* New words were made in a sub-zone the Doc can resolve. */
        const char *s = NULL;
        nlp_zone_t *dz = nlp_doc_zone(c.docs[i]);
        assert_non_null(dz);
        assert_int_equal(nlp_vocab_string(nlp_get_vocab(f->nlp), dz, t[5].lex->orth,
                                          &s, NULL),
                         NLP_OK);
        assert_memory_equal(s, texts[i] + t[5].idx, t[5].len);
    }
    /* Nothing became permanent. */
    assert_int_equal(nlp_vocab_n_lexemes(nlp_get_vocab(f->nlp)), before);
    assert_int_equal(nlp_memory_zone_end(zone), NLP_OK);
    assert_int_equal(nlp_doc_check(c.docs[0]), NLP_STALE_HANDLE);
    assert_int_equal(atomic_load(&f->nlp->vocab->open_zones), 0);
    collected_free(&c);
    free_texts(texts, 40);
}

static void test_pipe_own_zones_end_after_delivery(void **state) {
    test_blank_nlp_t *f = *state;
    char **texts = make_texts(100);
    size_t before = nlp_vocab_n_lexemes(nlp_get_vocab(f->nlp));
    collected_t c;
    collected_init(&c);
    nlp_pipe_options_t o = {.batch_size = 10, .n_threads = 2};
    assert_int_equal(nlp_pipe_texts(f->nlp, (const char *const *)texts, NULL, 100, &o,
                                    collect, &c),
                     NLP_OK);
    /* Docs were valid during the callback only. */
    assert_int_equal(nlp_doc_check(c.docs[0]), NLP_STALE_HANDLE);
    assert_int_equal(nlp_vocab_n_lexemes(nlp_get_vocab(f->nlp)), before);
    assert_int_equal(atomic_load(&f->nlp->vocab->open_zones), 0);
    collected_free(&c);
    free_texts(texts, 100);
}

typedef struct flat_input {
    size_t i, n;
    char buf[96];
} flat_input_t;

static int flat_next(void *ctx, const char **text, size_t *len) {
    flat_input_t *p = ctx;
    if (p->i == p->n) return 0;
    /* Every document brings new words. */
    *len = (size_t)snprintf(p->buf, sizeof p->buf, "id%zu url%zu.example/x%zu y%zu",
                            p->i, p->i * 31, p->i * 17, p->i ^ 0x5555);
    *text = p->buf;
    p->i++;
    return 1;
}

static int count_only(void *ctx, const nlp_pipe_result_t *r) {
    (void)r;
    ++*(size_t *)ctx;
    return 0;
}

static void test_pipe_memory_stays_flat(void **state) {
    test_blank_nlp_t *f = *state;
    nlp_pipe_options_t o = {.batch_size = 64, .n_threads = 2};
    /* Warm up, then a run ten times longer must not hold more memory. */
    flat_input_t small = {0, 2000, {0}};
    size_t n = 0;
    assert_int_equal(nlp_pipe_pull(f->nlp, flat_next, &small, &o, count_only, &n), NLP_OK);
    long live_after_small = f->alloc.live;
    flat_input_t big = {0, 20000, {0}};
    assert_int_equal(nlp_pipe_pull(f->nlp, flat_next, &big, &o, count_only, &n), NLP_OK);
    assert_int_equal(n, 22000);
    /* Zone objects keep a bounded pool of chunks and Doc headers, whose
     * exact size depends on how the threads shared the work; growth per
     * document would show as thousands of allocations. */
    assert_true(f->alloc.live <= live_after_small + 8);
}

/* ---- document boundaries ---------------------------------------------- */

/* Splits data into documents with nlp__next_doc and joins them as
 * "[text]". */
static void split_all(const char *data, nlp_doc_split_t split, char *out) {
    size_t len = strlen(data);
    nlp__doc_span_t s;
    out[0] = '\0';
    for (size_t pos = 0; nlp__next_doc(data, len, pos, split, &s); pos = s.next)
        sprintf(out + strlen(out), "[%.*s]", (int)s.len, data + s.start);
}

static void test_next_doc_lines(void **state) {
    (void)state;
    char out[256];
    split_all("a b\nc\n", NLP_SPLIT_LINES, out);
    assert_string_equal(out, "[a b][c]");
    split_all("a\r\nb\r\n", NLP_SPLIT_LINES, out);
    assert_string_equal(out, "[a][b]");
    split_all("no final newline", NLP_SPLIT_LINES, out);
    assert_string_equal(out, "[no final newline]");
    split_all("x\n\n\ny\n", NLP_SPLIT_LINES, out);
    assert_string_equal(out, "[x][][][y]");
    split_all("", NLP_SPLIT_LINES, out);
    assert_string_equal(out, "");
    split_all("\n", NLP_SPLIT_LINES, out);
    assert_string_equal(out, "[]");
    split_all("a\rb\n", NLP_SPLIT_LINES, out);
    assert_string_equal(out, "[a\rb]");
}

static void test_next_doc_paragraphs(void **state) {
    (void)state;
    char out[256];
    split_all("a\nb\n\nc\n", NLP_SPLIT_PARAGRAPHS, out);
    assert_string_equal(out, "[a\nb][c]");
    split_all("\n \t\r\n a\r\nb\r\n\r\n\r\nc", NLP_SPLIT_PARAGRAPHS, out);
    assert_string_equal(out, "[ a\r\nb][c]");
    split_all("\n\n", NLP_SPLIT_PARAGRAPHS, out);
    assert_string_equal(out, "");
}

/* ---- files ------------------------------------------------------------ */

/* Every document of `data`, one per line of the result, computed without
 * chunks as the reference. */
static void reference_texts(const char *data, size_t len, nlp_doc_split_t split,
                            test_buf_t *out) {
    nlp__doc_span_t s;
    for (size_t pos = 0; nlp__next_doc(data, len, pos, split, &s); pos = s.next) {
        test_buf_write(out, data + s.start, s.len);
        test_buf_write(out, "\n", 1);
    }
    if (!out->data) test_buf_write(out, "", 0);
}

/* A file with the awkward cases: long lines, CRLF, empty and blank lines,
 * paragraphs, no final newline. */
static char *awkward_text(size_t *len) {
    test_buf_t b = {0};
    for (int i = 0; i < 60; i++) {
        char line[128];
        int n = snprintf(line, sizeof line, "line %d has some words%s", i,
                         i % 5 == 0 ? "\r\n" : "\n");
        test_buf_write(&b, line, (size_t)n);
        if (i % 7 == 0) test_buf_write(&b, "\n", 1);
        if (i % 11 == 0) test_buf_write(&b, "  \t\r\n", 5);
        if (i % 13 == 0)
            for (int k = 0; k < 300; k++) test_buf_write(&b, "long ", 5);
        if (i % 17 == 0) test_buf_write(&b, "para line one\npara line two\n\n", 29);
    }
    test_buf_write(&b, "the last line has no newline", 28);
    *len = b.len;
    return b.data;
}

static void check_file_runs(nlp_t *nlp, const char *data, size_t len,
                            nlp_doc_split_t split) {
    const char *path = test_write_temp(data, len);
    assert_non_null(path);
    char file[64];
    snprintf(file, sizeof file, "%s", path);
    test_buf_t expect = {0};
    reference_texts(data, len, split, &expect);
    static const size_t chunks[] = {1, 2, 3, 17, 100, 1000, 1 << 20};
    static const int threads[] = {1, 2, 8};
    for (size_t k = 0; k < sizeof chunks / sizeof *chunks; k++) {
        for (size_t t = 0; t < 3; t++) {
            collected_t c;
            collected_init(&c);
            nlp_pipe_options_t o = {.batch_size = 5, .n_threads = threads[t],
                                    .chunk_bytes = chunks[k], .split = split};
            assert_int_equal(nlp_pipe_file(nlp, file, &o, collect, &c), NLP_OK);
            assert_false(c.out_of_order);
            assert_string_equal(c.texts.data ? c.texts.data : "", expect.data);
            collected_free(&c);
        }
    }
    test_buf_free(&expect);
    unlink(file);
}

static void test_pipe_file_chunk_boundaries(void **state) {
    test_blank_nlp_t *f = *state;
    size_t len;
    char *data = awkward_text(&len);
    check_file_runs(f->nlp, data, len, NLP_SPLIT_LINES);
    check_file_runs(f->nlp, data, len, NLP_SPLIT_PARAGRAPHS);
    free(data);
    check_file_runs(f->nlp, "", 0, NLP_SPLIT_LINES);
    check_file_runs(f->nlp, "\n", 1, NLP_SPLIT_LINES);
    check_file_runs(f->nlp, "\n\n\n", 3, NLP_SPLIT_PARAGRAPHS);
    check_file_runs(f->nlp, "x", 1, NLP_SPLIT_PARAGRAPHS);
}

/* Records the offsets of each result. */
typedef struct offsets {
    size_t n;
    uint64_t offset[8], end[8];
} offsets_t;

static int record_offsets(void *ctx, const nlp_pipe_result_t *r) {
    offsets_t *o = ctx;
    if (o->n < 8) {
        o->offset[o->n] = r->offset;
        o->end[o->n] = r->end_offset;
    }
    o->n++;
    return 0;
}

static void test_pipe_file_reports_byte_offsets(void **state) {
    test_blank_nlp_t *f = *state;
    const char *data = "ab\r\n\ncd\nlast";
    const char *path = test_write_temp(data, strlen(data));
    char file[64];
    snprintf(file, sizeof file, "%s", path);
    for (size_t chunk = 1; chunk < 14; chunk++) {
        offsets_t o = {0};
        nlp_pipe_options_t opt = {.chunk_bytes = chunk, .n_threads = 2};
        assert_int_equal(nlp_pipe_file(f->nlp, file, &opt, record_offsets, &o), NLP_OK);
        assert_int_equal(o.n, 4);
        static const uint64_t start[] = {0, 4, 5, 8}, end[] = {4, 5, 8, 12};
        for (int i = 0; i < 4; i++) {
            assert_int_equal(o.offset[i], start[i]);
            assert_int_equal(o.end[i], end[i]);
        }
    }
    unlink(file);
}

typedef struct feeder {
    int fd;
    const char *data;
    size_t len, piece;
} feeder_t;

/* Writes the data into a pipe in small pieces, like a slow producer. */
static void *feed(void *arg) {
    feeder_t *fe = arg;
    for (size_t at = 0; at < fe->len;) {
        size_t k = fe->len - at < fe->piece ? fe->len - at : fe->piece;
        ssize_t w = write(fe->fd, fe->data + at, k);
        if (w <= 0) break;
        at += (size_t)w;
    }
    close(fe->fd);
    return NULL;
}

static void test_pipe_fd_sequential_input(void **state) {
    test_blank_nlp_t *f = *state;
    size_t len;
    char *data = awkward_text(&len);
    for (int split = 0; split < 2; split++) {
        test_buf_t expect = {0};
        reference_texts(data, len, (nlp_doc_split_t)split, &expect);
        static const size_t chunks[] = {1, 5, 64, 1 << 20};
        for (size_t k = 0; k < 4; k++) {
            int fds[2];
            assert_int_equal(pipe(fds), 0);
            feeder_t fe = {fds[1], data, len, 333};
            pthread_t th;
            assert_int_equal(pthread_create(&th, NULL, feed, &fe), 0);
            collected_t c;
            collected_init(&c);
            nlp_pipe_options_t o = {.batch_size = 3, .n_threads = 2,
                                    .chunk_bytes = chunks[k],
                                    .split = (nlp_doc_split_t)split};
            assert_int_equal(nlp_pipe_fd(f->nlp, fds[0], &o, collect, &c), NLP_OK);
            pthread_join(th, NULL);
            close(fds[0]);
            assert_false(c.out_of_order);
            assert_string_equal(c.texts.data, expect.data);
            collected_free(&c);
        }
        test_buf_free(&expect);
    }
    free(data);
}

/* "first", a document of `long_len` bytes, "second", "third", as lines or
 * paragraphs (the long one then has two lines). Heap, caller frees. */
static char *text_with_long_doc(nlp_doc_split_t split, size_t long_len, size_t *len) {
    char *data = malloc(long_len + 64);
    const char *sep = split == NLP_SPLIT_LINES ? "\n" : "\n\n";
    size_t n = (size_t)sprintf(data, "first%s%s", sep, split == NLP_SPLIT_LINES ? "" : "yy\n");
    memset(data + n, 'x', long_len);
    n += long_len;
    n += (size_t)sprintf(data + n, "%ssecond%sthird", sep, sep);
    *len = n;
    return data;
}

/* Walks a reader over fd; returns the largest chunk buffer it made and
 * counts the oversized chunks. */
static size_t largest_chunk_buffer(int fd, size_t chunk_bytes, size_t max_doc,
                                   nlp_doc_split_t split, int *n_oversized) {
    nlp__chunk_reader_t *r;
    assert_int_equal(nlp__chunk_reader_open(NULL, fd, chunk_bytes, split, &r), NLP_OK);
    nlp__chunk_reader_limit_docs(r, max_doc);
    nlp__chunk_t c = {0};
    size_t largest = 0;
    *n_oversized = 0;
    for (;;) {
        int eof;
        assert_int_equal(nlp__chunk_reader_next(r, &c, &eof), NLP_OK);
        if (eof) break;
        assert_int_equal(nlp__chunk_load(r, &c), NLP_OK);
        *n_oversized += c.oversized;
        if (c.cap > largest) largest = c.cap;
    }
    nlp__chunk_free(r, &c);
    nlp__chunk_reader_free(r);
    return largest;
}

/* A document over max_doc_bytes fails alone, and file input never reads it
 * into memory: from a regular file or a pipe, in lines or paragraphs. */
static void test_pipe_file_leaves_oversized_documents_unread(void **state) {
    test_blank_nlp_t *f = *state;
    enum { LONG_LEN = 200000, MAX_DOC = 50 };
    for (int split = 0; split < 2; split++) {
        size_t len;
        char *data = text_with_long_doc((nlp_doc_split_t)split, LONG_LEN, &len);
        const char *path = test_write_temp(data, len);
        char file[64];
        snprintf(file, sizeof file, "%s", path);
        static const size_t chunks[] = {7, 1000, 4096};
        for (size_t k = 0; k < 3; k++) {
            for (int piped = 0; piped < 2; piped++) {
                int fds[2] = {-1, -1};
                pthread_t th;
                feeder_t fe;
                if (piped) {
                    assert_int_equal(pipe(fds), 0);
                    fe = (feeder_t){fds[1], data, len, 4096};
                    assert_int_equal(pthread_create(&th, NULL, feed, &fe), 0);
                } else {
                    fds[0] = open(file, O_RDONLY);
                }
                collected_t c;
                collected_init(&c);
                nlp_pipe_options_t o = {.batch_size = 2, .n_threads = 2,
                                        .chunk_bytes = chunks[k], .max_doc_bytes = MAX_DOC,
                                        .split = (nlp_doc_split_t)split};
                assert_int_equal(nlp_pipe_fd(f->nlp, fds[0], &o, collect, &c), NLP_LIMIT);
                if (piped) pthread_join(th, NULL);
                close(fds[0]);
                assert_false(c.out_of_order);
                assert_int_equal(c.n, 4);
                assert_int_equal(c.n_failed, 1);
                assert_int_equal(c.failed[0], 1);
                assert_int_equal(c.failed_status[0], NLP_LIMIT);
                assert_non_null(strstr(c.failed_error[0], "(not read)"));
                assert_string_equal(c.texts.data, "first\nsecond\nthird\n");
                collected_free(&c);
            }
            /* No buffer ever held the long document. */
            int fd = open(file, O_RDONLY), n_oversized;
            size_t largest = largest_chunk_buffer(fd, chunks[k], MAX_DOC,
                                                  (nlp_doc_split_t)split, &n_oversized);
            close(fd);
            assert_int_equal(n_oversized, 1);
            assert_true(largest <= chunks[k] + MAX_DOC + 2);
            /* Without the limit it is read whole, as before. */
            fd = open(file, O_RDONLY);
            largest = largest_chunk_buffer(fd, chunks[k], 0, (nlp_doc_split_t)split,
                                           &n_oversized);
            close(fd);
            assert_int_equal(n_oversized, 0);
            assert_true(largest >= LONG_LEN);
        }
        unlink(file);
        free(data);
    }
}

static void test_pipe_file_errors(void **state) {
    test_blank_nlp_t *f = *state;
    collected_t c;
    collected_init(&c);
    assert_int_equal(nlp_pipe_file(f->nlp, "/nonexistent/input.txt", NULL, collect, &c),
                     NLP_IO);
    assert_non_null(strstr(nlp_error_detail(), "/nonexistent/input.txt"));
    assert_int_equal(nlp_pipe_file(f->nlp, "/", NULL, collect, &c), NLP_IO);
    assert_non_null(strstr(nlp_error_detail(), "directory"));
    assert_int_equal(c.n, 0);
    collected_free(&c);
}

static void test_pipe_invalid_arguments(void **state) {
    test_blank_nlp_t *f = *state;
    const char *t = "x";
    nlp_pipe_options_t bad = {.n_threads = -1};
    assert_int_equal(nlp_pipe_texts(NULL, &t, NULL, 1, NULL, collect, NULL),
                     NLP_INVALID_ARG);
    assert_int_equal(nlp_pipe_texts(f->nlp, &t, NULL, 1, NULL, NULL, NULL),
                     NLP_INVALID_ARG);
    assert_int_equal(nlp_pipe_texts(f->nlp, NULL, NULL, 1, NULL, collect, NULL),
                     NLP_INVALID_ARG);
    assert_int_equal(nlp_pipe_texts(f->nlp, &t, NULL, 1, &bad, collect, NULL),
                     NLP_INVALID_ARG);
    assert_int_equal(nlp_pipe_pull(f->nlp, NULL, NULL, NULL, collect, NULL),
                     NLP_INVALID_ARG);
    assert_int_equal(nlp_pipe_fd(f->nlp, -1, NULL, collect, NULL), NLP_INVALID_ARG);
    /* No documents is not an error. */
    collected_t c;
    collected_init(&c);
    assert_int_equal(nlp_pipe_texts(f->nlp, NULL, NULL, 0, NULL, collect, &c), NLP_OK);
    assert_int_equal(c.n, 0);
    /* A zone that has ended is refused. */
    nlp_zone_t *zone;
    assert_int_equal(nlp_memory_zone_begin(f->nlp, &zone), NLP_OK);
    assert_int_equal(nlp_memory_zone_end(zone), NLP_OK);
    nlp_pipe_options_t stale = {.zone = zone};
    assert_int_equal(nlp_pipe_texts(f->nlp, &t, NULL, 1, &stale, collect, &c),
                     NLP_STALE_HANDLE);
}

/* ---- determinism ------------------------------------------------------ */

/* Serialises a file with the given settings: the JSON lines in order. */
static void run_json(nlp_t *nlp, const char *path, int threads, size_t batch,
                     size_t chunk, test_buf_t *out) {
    collected_t c;
    collected_init(&c);
    nlp_pipe_options_t o = {.batch_size = batch, .n_threads = threads,
                            .chunk_bytes = chunk, .format = format_json};
    assert_int_equal(nlp_pipe_file(nlp, path, &o, collect, &c), NLP_OK);
    assert_int_equal(c.n_failed, 0);
    *out = c.outputs;
    test_buf_free(&c.texts);
}

/* Sentence texts from an EWT file ("# text = ..." lines), or NULL. */
static char *ewt_texts(size_t max_bytes, size_t *len) {
    const char *path = test_ewt_path("dev.conllu");
    if (!path) return NULL;
    FILE *fp = fopen(path, "r");
    if (!fp) return NULL;
    test_buf_t b = {0};
    char line[8192];
    while (fgets(line, sizeof line, fp) && b.len < max_bytes)
        if (!strncmp(line, "# text = ", 9)) test_buf_write(&b, line + 9, strlen(line + 9));
    fclose(fp);
    *len = b.len;
    return b.data;
}

static void check_thread_invariance(nlp_t *nlp, const char *data, size_t len) {
    const char *tmp = test_write_temp(data, len);
    char path[64];
    snprintf(path, sizeof path, "%s", tmp);
    test_buf_t ref;
    run_json(nlp, path, 1, 1000, 1 << 20, &ref);
    assert_true(ref.len > len);
    static const struct {
        int threads;
        size_t batch, chunk;
    } runs[] = {{2, 1000, 1 << 20}, {8, 1000, 1 << 20}, {2, 1, 4096},
                {8, 7, 333},        {2, 64, 1},         {1, 3, 10000}};
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        test_buf_t out;
        run_json(nlp, path, runs[i].threads, runs[i].batch, runs[i].chunk, &out);
        assert_int_equal(out.len, ref.len);
        assert_memory_equal(out.data, ref.data, ref.len);
        test_buf_free(&out);
    }
    test_buf_free(&ref);
    unlink(path);
}

static void test_pipe_output_independent_of_threads(void **state) {
    test_blank_nlp_t *f = *state;
    size_t len;
    char *data = ewt_texts(200000, &len);
    if (!data) data = awkward_text(&len);
    check_thread_invariance(f->nlp, data, len);
    /* With the trained pipeline too, when it has been built. */
    nlp_t *full;
    if (access(nlp_default_model_path(), R_OK) == 0 &&
        nlp_load_default(NULL, &full) == NLP_OK) {
        check_thread_invariance(full, data, len < 60000 ? len : 60000);
        nlp_free(full);
    }
    free(data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_doc_lines),
        cmocka_unit_test(test_next_doc_paragraphs),
        TEST_WITH_BLANK_NLP(test_pipe_texts_in_input_order),
        TEST_WITH_BLANK_NLP(test_pipe_texts_with_lengths),
        TEST_WITH_BLANK_NLP(test_pipe_pull_copies_reused_buffers),
        TEST_WITH_BLANK_NLP(test_pipe_pull_input_error),
        cmocka_unit_test(test_pipe_out_of_memory_sweep),
        TEST_WITH_BLANK_NLP(test_pipe_early_stop),
        cmocka_unit_test(test_pipe_document_failure_is_reported),
        cmocka_unit_test(test_pipe_documents_over_the_size_limit_fail_alone),
        TEST_WITH_BLANK_NLP(test_pipe_inside_caller_zone),
        TEST_WITH_BLANK_NLP(test_pipe_own_zones_end_after_delivery),
        TEST_WITH_BLANK_NLP(test_pipe_memory_stays_flat),
        TEST_WITH_BLANK_NLP(test_pipe_file_chunk_boundaries),
        TEST_WITH_BLANK_NLP(test_pipe_file_reports_byte_offsets),
        TEST_WITH_BLANK_NLP(test_pipe_fd_sequential_input),
        TEST_WITH_BLANK_NLP(test_pipe_file_leaves_oversized_documents_unread),
        TEST_WITH_BLANK_NLP(test_pipe_file_errors),
        TEST_WITH_BLANK_NLP(test_pipe_invalid_arguments),
        TEST_WITH_BLANK_NLP(test_pipe_output_independent_of_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
