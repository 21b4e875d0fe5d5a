/* pipe(): documents parsed in parallel batches and delivered in input order.
 *
 * Every input shape (array, pull callback, file) is a "source" that fills a
 * batch of items. A batch is parsed by an OpenMP team, each thread in a
 * memory zone of its own (the caller's sub-zones, or zones opened for the
 * batch), then delivered in order on the calling thread while no worker
 * runs, and finally its zones are ended. Each document is parsed on its own
 * with a read-only model, so the results do not depend on which thread or
 * batch handled it.
 */
#include "spacyc/pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "core/alloc.h"
#include "core/vocab.h"
#include "io/bom.h"
#include "io/chunk_reader.h"
#include "nlp.h"

#if NLP_HAVE_OPENMP
#include <omp.h>
#endif

#define DEFAULT_BATCH_SIZE 1000
/* A sanity bound on the team size, far above any real core count. */
#define MAX_THREADS 4096
#define DETAIL_MAX 512

/* One document of the current batch. */
typedef struct pipe_item {
    const char *text;
    size_t len;
    uint64_t offset, end_offset;
    nlp_doc_t *doc;
    nlp_status_t status;
    int worker; /* whose buffer holds the output and error text */
    size_t out_at, out_len;
    size_t err_at, err_len;
} pipe_item_t;

/* One worker thread's zone and output buffer. The padding keeps two
 * workers' hot fields off the same cache line. */
typedef struct worker {
    const nlp_allocator_t *alloc;
    nlp_zone_t *zone;
    char *buf; /* formatted output and error details of this batch */
    size_t len, cap;
    int oom;
    char pad_[64];
} worker_t;

typedef struct pipe_run {
    nlp_t *nlp;
    nlp_pipe_options_t opt; /* defaults filled in */
    int n_threads;
    worker_t *workers;
    pipe_item_t *items; /* opt.batch_size of them */
    size_t next_index;  /* input index of the current batch's first item */
    nlp_pipe_output_fn output;
    void *output_ctx;
    nlp_status_t failure; /* the first failed document, if any */
    size_t failure_index;
    char failure_detail[DETAIL_MAX];
} pipe_run_t;

/* A source of documents: fills run->items[0..*n) with the next batch (at
 * most opt.batch_size items); *n == 0 at the end of the input. Called on
 * the calling thread between batches; the texts must stay valid until the
 * next call. */
typedef struct source source_t;
struct source {
    nlp_status_t (*fill)(source_t *self, pipe_run_t *run, size_t *n);
};

/* ---- workers ---------------------------------------------------------- */

/* Appends bytes to the worker's buffer; non-zero when out of memory. */
static int worker_append(worker_t *w, const char *data, size_t len) {
    if (len > w->cap - w->len) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap - w->len < len) {
            if (nlp__mul_overflows(cap, 2)) return 1;
            cap *= 2;
        }
        char *buf = nlp__realloc_array(w->alloc, w->buf, cap, 1);
        if (!buf) return 1;
        w->buf = buf;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, data, len);
    w->len += len;
    return 0;
}

/* The nlp_write_fn handed to options.format. */
static int worker_write(void *ctx, const char *data, size_t len) {
    worker_t *w = ctx;
    if (worker_append(w, data, len)) {
        w->oom = 1;
        return 1;
    }
    return 0;
}

/* Parses one item in the worker's zone and runs the format hook. Runs on a
 * worker thread; touches only the item and the worker. */
static void parse_item(const pipe_run_t *run, worker_t *w, int worker_id,
                       pipe_item_t *it, size_t index) {
    it->worker = worker_id;
    it->out_len = it->err_len = 0;
    it->doc = NULL;
    nlp__clear_error();
    size_t limit = run->opt.max_doc_bytes;
    nlp_status_t st;
    if (limit && it->len > limit && !it->text)
        st = nlp__fail(NLP_LIMIT, "%zu bytes with its line ending, more than the limit "
                       "of %zu per document (not read)", it->len, limit);
    else if (limit && it->len > limit)
        st = nlp__fail(NLP_LIMIT, "%zu bytes, more than the limit of %zu per document",
                       it->len, limit);
    else
        st = nlp_parse(run->nlp, w->zone, it->text, it->len, &it->doc);
    if (!st && run->opt.format) {
        size_t mark = w->len;
        w->oom = 0;
        st = run->opt.format(run->opt.format_ctx, index, it->doc, worker_write, w);
        if (w->oom) st = nlp__fail(NLP_NOMEM, "no memory for the formatted output");
        if (st) {
            w->len = mark;
        } else {
            it->out_at = mark;
            it->out_len = w->len - mark;
        }
    }
    if (st) {
        it->doc = NULL;
        const char *detail = nlp_error_detail();
        size_t mark = w->len;
        if (!worker_append(w, detail, strlen(detail) + 1)) {
            it->err_at = mark;
            it->err_len = w->len - mark - 1;
        }
    }
    it->status = st;
}

static void parse_batch(pipe_run_t *run, size_t n) {
#if NLP_HAVE_OPENMP
    /* Dynamic scheduling: documents differ a lot in length. */
    long count = (long)n;
#pragma omp parallel for schedule(dynamic, 1) num_threads(run->n_threads) \
    if (run->n_threads > 1 && n > 1)
    for (long i = 0; i < count; i++) {
        int t = omp_get_thread_num();
        parse_item(run, &run->workers[t], t, &run->items[i],
                   run->next_index + (size_t)i);
    }
#else
    for (size_t i = 0; i < n; i++)
        parse_item(run, &run->workers[0], 0, &run->items[i], run->next_index + i);
#endif
}

/* ---- zones ------------------------------------------------------------ */

static void end_batch_zones(pipe_run_t *run) {
    for (int t = 0; t < run->n_threads; t++) {
        nlp_memory_zone_end(run->workers[t].zone);
        run->workers[t].zone = NULL;
    }
}

/* Opens one fresh zone per worker for a batch (own-zone mode). */
static nlp_status_t open_batch_zones(pipe_run_t *run) {
    for (int t = 0; t < run->n_threads; t++) {
        nlp_status_t st = nlp_memory_zone_begin(run->nlp, &run->workers[t].zone);
        if (st) {
            end_batch_zones(run);
            return st;
        }
    }
    return NLP_OK;
}

/* ---- batches ---------------------------------------------------------- */

/* Hands the batch's results to the output callback in input order. */
static nlp_status_t deliver(pipe_run_t *run, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const pipe_item_t *it = &run->items[i];
        const worker_t *w = &run->workers[it->worker];
        nlp_pipe_result_t r = {
            .index = run->next_index + i,
            .status = it->status,
            .error = it->err_len ? w->buf + it->err_at : "",
            .doc = it->doc,
            .output = it->out_len ? w->buf + it->out_at : "",
            .output_len = it->out_len,
            .text = it->text ? it->text : "",
            .text_len = it->text ? it->len : 0,
            .offset = it->offset,
            .end_offset = it->end_offset,
        };
        if (it->status && !run->failure) {
            run->failure = it->status;
            run->failure_index = r.index;
            snprintf(run->failure_detail, sizeof run->failure_detail, "%s%s%s",
                     nlp_strerror(it->status), *r.error ? ": " : "", r.error);
        }
        if (run->output(run->output_ctx, &r))
            return nlp__fail(NLP_CANCELLED,
                             "the output callback stopped at index %zu",
                             r.index);
    }
    return NLP_OK;
}

static nlp_status_t run_batch(pipe_run_t *run, size_t n) {
    nlp_status_t st;
    if (!run->opt.zone && (st = open_batch_zones(run))) return st;
    for (int t = 0; t < run->n_threads; t++) run->workers[t].len = 0;
    parse_batch(run, n);
    st = deliver(run, n);
    /* Docs handed out in own-zone mode die here, as documented. */
    if (!run->opt.zone) end_batch_zones(run);
    run->next_index += n;
    return st;
}

/* ---- the run ---------------------------------------------------------- */

/* The team size for a requested thread count (0: every core). */
static int team_size(int requested) {
#if NLP_HAVE_OPENMP
    int n = requested > 0 ? requested : omp_get_max_threads();
    return n > 0 ? n : 1;
#else
    (void)requested;
    return 1;
#endif
}

static void run_free(pipe_run_t *run) {
    if (run->workers) {
        if (!run->opt.zone) end_batch_zones(run);
        for (int t = 0; t < run->n_threads; t++)
            nlp__free(run->nlp->alloc, run->workers[t].buf);
    }
    nlp__free(run->nlp->alloc, run->workers);
    nlp__free(run->nlp->alloc, run->items);
}

static nlp_status_t run_init(pipe_run_t *run, nlp_t *nlp,
                             const nlp_pipe_options_t *options,
                             nlp_pipe_output_fn output, void *ctx) {
    memset(run, 0, sizeof *run);
    run->nlp = nlp;
    if (options) run->opt = *options;
    if (run->opt.n_threads < 0 || run->opt.n_threads > MAX_THREADS)
        return nlp__fail(NLP_INVALID_ARG, "n_threads %d is out of range",
                         run->opt.n_threads);
    if (!run->opt.batch_size) run->opt.batch_size = DEFAULT_BATCH_SIZE;
    run->n_threads = team_size(run->opt.n_threads);
    run->output = output;
    run->output_ctx = ctx;
    nlp_status_t st;
    if (run->opt.zone && (st = nlp__zone_check(nlp->vocab, run->opt.zone)))
        return st;
    run->workers = nlp__calloc(nlp->alloc, (size_t)run->n_threads, sizeof *run->workers);
    run->items = nlp__calloc(nlp->alloc, run->opt.batch_size, sizeof *run->items);
    if (!run->workers || !run->items) return NLP_NOMEM;
    for (int t = 0; t < run->n_threads; t++) {
        run->workers[t].alloc = nlp->alloc;
        /* Sub-zones are made here, before any parallel region, because the
         * parent's list of children is not locked. */
        if (run->opt.zone &&
            (st = nlp__zone_begin_child(run->opt.zone, &run->workers[t].zone)))
            return st;
    }
    return NLP_OK;
}

/* Runs batches until the source is exhausted or something fails. */
static nlp_status_t run_source(pipe_run_t *run, source_t *src) {
    nlp_status_t st;
    for (;;) {
        size_t n = 0;
        if ((st = src->fill(src, run, &n)) || n == 0) break;
        if ((st = run_batch(run, n))) break;
    }
    if (!st && run->failure)
        st = nlp__fail(run->failure, "document at index %zu: %s",
                       run->failure_index, run->failure_detail);
    return st;
}

/* Validates the common arguments, runs `src`, and cleans up. `prepare`
 * lets a source size itself by the team once the run exists. */
static nlp_status_t run_pipe(nlp_t *nlp, const nlp_pipe_options_t *options,
                             nlp_pipe_output_fn output, void *ctx,
                             source_t *src,
                             nlp_status_t (*prepare)(source_t *, pipe_run_t *)) {
    if (!nlp || !output)
        return nlp__fail(NLP_INVALID_ARG,
            "nlp_pipe: no pipeline or no output function");
    pipe_run_t run;
    uint64_t mark = nlp__failures();
    nlp_status_t st = run_init(&run, nlp, options, output, ctx);
    if (!st && prepare) st = prepare(src, &run);
    if (!st) st = run_source(&run, src);
    run_free(&run);
    return nlp__name_failure(st, mark, "nlp_pipe");
}

/* ---- array source ----------------------------------------------------- */

typedef struct array_source {
    source_t base;
    const char *const *texts;
    const size_t *lens;
    size_t n, pos;
} array_source_t;

static nlp_status_t array_fill(source_t *self, pipe_run_t *run, size_t *n) {
    array_source_t *a = (array_source_t *)self;
    size_t k = a->n - a->pos;
    if (k > run->opt.batch_size) k = run->opt.batch_size;
    for (size_t i = 0; i < k; i++) {
        pipe_item_t *it = &run->items[i];
        const char *text = a->texts[a->pos + i];
        it->text = text;
        /* A NULL text without a length is an empty document. */
        it->len = a->lens ? a->lens[a->pos + i] : text ? strlen(text) : 0;
        it->offset = it->end_offset = 0;
    }
    a->pos += k;
    *n = k;
    return NLP_OK;
}

nlp_status_t nlp_pipe_texts(nlp_t *nlp, const char *const *texts,
                            const size_t *lens, size_t n,
                            const nlp_pipe_options_t *options,
                            nlp_pipe_output_fn output, void *ctx) {
    if (!texts && n) return NLP__FAIL_ARGUMENTS();
    array_source_t src = {{array_fill}, texts, lens, n, 0};
    return run_pipe(nlp, options, output, ctx, &src.base, NULL);
}

/* ---- pull source ------------------------------------------------------ */

typedef struct pull_source {
    source_t base;
    nlp_pipe_input_fn input;
    void *input_ctx;
    const nlp_allocator_t *alloc;
    char *buf; /* the batch's texts, back to back */
    size_t cap;
    int done;
} pull_source_t;

static nlp_status_t pull_fill(source_t *self, pipe_run_t *run, size_t *n) {
    pull_source_t *p = (pull_source_t *)self;
    size_t k = 0, used = 0;
    while (k < run->opt.batch_size && !p->done) {
        const char *text = NULL;
        size_t len = 0;
        int rc = p->input(p->input_ctx, &text, &len);
        if (rc == 0) {
            p->done = 1;
            break;
        }
        if (rc < 0)
            return nlp__fail(NLP_IO, "the input callback failed at document %zu",
                             run->next_index + k);
        if (!text && len)
            return nlp__fail(NLP_INVALID_ARG,
                             "the input callback gave a NULL text of %zu bytes",
                             len);
        /* Copied, since the callback may reuse its buffer; the pointers are
         * set once the buffer stops moving. */
        if (len + 1 > p->cap - used) {
            size_t cap = p->cap ? p->cap : 4096;
            while (cap - used < len + 1) {
                if (nlp__mul_overflows(cap, 2)) return NLP_NOMEM;
                cap *= 2;
            }
            char *buf = nlp__realloc_array(p->alloc, p->buf, cap, 1);
            if (!buf) return NLP_NOMEM;
            p->buf = buf;
            p->cap = cap;
        }
        if (len) memcpy(p->buf + used, text, len);
        used += len;
        run->items[k].len = len;
        run->items[k].offset = run->items[k].end_offset = 0;
        k++;
    }
    for (size_t i = 0, at = 0; i < k; i++) {
        run->items[i].text = p->buf + at;
        at += run->items[i].len;
    }
    *n = k;
    return NLP_OK;
}

nlp_status_t nlp_pipe_pull(nlp_t *nlp, nlp_pipe_input_fn input, void *input_ctx,
                           const nlp_pipe_options_t *options,
                           nlp_pipe_output_fn output, void *ctx) {
    if (!nlp || !input) return NLP__FAIL_ARGUMENTS();
    pull_source_t src = {{pull_fill}, input, input_ctx, nlp->alloc, NULL, 0, 0};
    nlp_status_t st = run_pipe(nlp, options, output, ctx, &src.base, NULL);
    nlp__free(nlp->alloc, src.buf);
    return st;
}

/* ---- file source ------------------------------------------------------ */

/* The documents found in one chunk. */
typedef struct span_list {
    nlp__doc_span_t *spans;
    size_t n, cap;
    nlp_status_t status;    /* of loading and splitting the chunk */
    char error[DETAIL_MAX]; /* its detail, copied off the worker thread */
} span_list_t;

/* The file is read in groups of one chunk per worker. A batch never spans
 * two groups, because its texts point into the group's chunk buffers. */
typedef struct file_source {
    source_t base;
    const nlp_allocator_t *alloc;
    nlp__chunk_reader_t *reader;
    nlp_doc_split_t split;
    nlp__chunk_t *chunks;
    span_list_t *lists;
    size_t max_chunks;   /* chunks per group: one per worker */
    size_t n_chunks;     /* in the current group */
    size_t chunk_i, span_i; /* the next document to hand out */
    int eof;
} file_source_t;

/* Appends a document span to l. */
static nlp_status_t add_span(file_source_t *fs, span_list_t *l, nlp__doc_span_t span) {
    if (!nlp__grow_array(fs->alloc, (void **)&l->spans, &l->cap, l->n + 1, sizeof *l->spans))
        return NLP_NOMEM;
    l->spans[l->n++] = span;
    return NLP_OK;
}

/* Reads chunk c and finds its documents. Runs on a worker thread. */
static void load_and_split(file_source_t *fs, size_t c) {
    nlp__chunk_t *chunk = &fs->chunks[c];
    span_list_t *l = &fs->lists[c];
    l->n = 0;
    nlp__clear_error();
    nlp_status_t st = nlp__chunk_load(fs->reader, chunk);
    size_t len = (size_t)(chunk->end - chunk->start);
    if (!st && chunk->oversized) {
        /* One document, unread; its length (with its line ending) is over
         * the limit, which is all parse_item looks at. */
        st = add_span(fs, l, (nlp__doc_span_t){0, len, len});
    } else if (!st) { /* a chunk that failed to load has no data to split */
        nlp__doc_span_t span;
        size_t first = chunk->start == 0 ? nlp__bom_len(chunk->data, len) : 0;
        for (size_t pos = first; !st && nlp__next_doc(chunk->data, len, pos, fs->split, &span);
             pos = span.next)
            st = add_span(fs, l, span);
    }
    l->status = st;
    if (st) snprintf(l->error, sizeof l->error, "%s", nlp_error_detail());
}

/* Takes the next group of chunks from the reader (serially) and loads and
 * splits them in parallel, each worker reading its own range. */
static nlp_status_t load_group(file_source_t *fs, int n_threads) {
    fs->n_chunks = fs->chunk_i = fs->span_i = 0;
    while (fs->n_chunks < fs->max_chunks && !fs->eof) {
        int eof;
        nlp_status_t st = nlp__chunk_reader_next(fs->reader, &fs->chunks[fs->n_chunks], &eof);
        if (st) return st;
        if (eof) fs->eof = 1;
        else fs->n_chunks++;
    }
#if NLP_HAVE_OPENMP
    long count = (long)fs->n_chunks;
#pragma omp parallel for schedule(static, 1) num_threads(n_threads) \
    if (n_threads > 1 && count > 1)
    for (long c = 0; c < count; c++) load_and_split(fs, (size_t)c);
#else
    (void)n_threads;
    for (size_t c = 0; c < fs->n_chunks; c++) load_and_split(fs, c);
#endif
    for (size_t c = 0; c < fs->n_chunks; c++) {
        const span_list_t *l = &fs->lists[c];
        if (l->status)
            return l->error[0] ? nlp__fail(l->status, "%s", l->error) : l->status;
    }
    return NLP_OK;
}

static nlp_status_t file_fill(source_t *self, pipe_run_t *run, size_t *n) {
    file_source_t *fs = (file_source_t *)self;
    size_t k = 0;
    while (k < run->opt.batch_size) {
        if (fs->chunk_i == fs->n_chunks) {
            if (k > 0 || fs->eof) break;
            nlp_status_t st = load_group(fs, run->n_threads);
            if (st) return st;
            if (fs->n_chunks == 0) break;
            continue;
        }
        const span_list_t *l = &fs->lists[fs->chunk_i];
        if (fs->span_i == l->n) {
            fs->chunk_i++;
            fs->span_i = 0;
            continue;
        }
        const nlp__chunk_t *chunk = &fs->chunks[fs->chunk_i];
        const nlp__doc_span_t *s = &l->spans[fs->span_i++];
        pipe_item_t *it = &run->items[k++];
        it->text = chunk->oversized ? NULL : chunk->data + s->start;
        it->len = s->len;
        it->offset = chunk->start + s->start;
        it->end_offset = chunk->start + s->next;
    }
    *n = k;
    return NLP_OK;
}

static nlp_status_t file_prepare(source_t *self, pipe_run_t *run) {
    file_source_t *fs = (file_source_t *)self;
    fs->max_chunks = (size_t)run->n_threads;
    fs->chunks = nlp__calloc(fs->alloc, fs->max_chunks, sizeof *fs->chunks);
    fs->lists = nlp__calloc(fs->alloc, fs->max_chunks, sizeof *fs->lists);
    return fs->chunks && fs->lists ? NLP_OK : NLP_NOMEM;
}

nlp_status_t nlp_pipe_fd(nlp_t *nlp, int fd, const nlp_pipe_options_t *options,
                         nlp_pipe_output_fn output, void *ctx) {
    if (!nlp || !output || fd < 0) return NLP__FAIL_ARGUMENTS();
    file_source_t src = {.base = {file_fill}, .alloc = nlp->alloc};
    src.split = options ? options->split : NLP_SPLIT_LINES;
    uint64_t mark = nlp__failures();
    nlp_status_t st = nlp__chunk_reader_open(nlp->alloc, fd,
                                             options ? options->chunk_bytes : 0,
                                             src.split, &src.reader);
    if (st) return nlp__name_failure(st, mark, __func__);
    nlp__chunk_reader_limit_docs(src.reader, options ? options->max_doc_bytes : 0);
    st = run_pipe(nlp, options, output, ctx, &src.base, file_prepare);
    for (size_t c = 0; c < src.max_chunks; c++) {
        if (src.chunks) nlp__chunk_free(src.reader, &src.chunks[c]);
        if (src.lists) nlp__free(nlp->alloc, src.lists[c].spans);
    }
    nlp__free(nlp->alloc, src.chunks);
    nlp__free(nlp->alloc, src.lists);
    nlp__chunk_reader_free(src.reader);
    return st;
}

nlp_status_t nlp_pipe_file(nlp_t *nlp, const char *path,
                           const nlp_pipe_options_t *options,
                           nlp_pipe_output_fn output, void *ctx) {
    if (!nlp || !path || !output) return NLP__FAIL_ARGUMENTS();
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nlp__fail(NLP_IO, "%s: %s", path, strerror(errno));
    nlp_status_t st = nlp_pipe_fd(nlp, fd, options, output, ctx);
    close(fd);
    return st;
}
