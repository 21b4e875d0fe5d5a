/* spacyc parse: text in, annotated documents out (CoNLL-U or JSON lines),
 * parsed on every core with pipe() in bounded memory.
 *
 * A partial output never passes for a complete one: any failure gives a
 * non-zero exit status, and with -o the output is written to a temporary
 * file beside the target that is renamed into place only at the end (a
 * target that is no regular file, such as /dev/null, is written in place).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "io/output_target.h"
#include "progress.h"

/* A default that keeps a stray multi-GB line from taking the machine's
 * memory: 64 MiB of text parse in about 3 GB. */
#define DEFAULT_MAX_DOC_BYTES ((uint64_t)64 << 20)

static int usage(FILE *out) {
    fprintf(out,
            "usage: spacyc parse [options] [FILE|-]\n"
            "  Tags, parses and finds entities in each document of FILE (or\n"
            "  standard input) and writes them in input order.\n"
            "options:\n"
            "  --model PATH         model file (default: the bundled model)\n"
            "  --blank LANG         use a blank pipeline (tokenizer only)\n"
            "  --exclude LIST       leave out these components (comma-separated,\n"
            "                       e.g. ner or parser,ner); faster when their\n"
            "                       output is not needed\n"
            "  --format conllu|json CoNLL-U (default) or one spaCy-style\n"
            "                       Doc.to_json() object per line\n"
            "  --doc-per line|paragraph\n"
            "                       one document per line (default) or per\n"
            "                       blank-line-separated paragraph\n"
            "  --threads N          worker threads (default 0: all cores)\n"
            "  --batch-size N       documents per parallel batch (default 1000)\n"
            "  --chunk-bytes N      bytes read per chunk, with K/M/G suffixes\n"
            "                       (default 1M); memory grows with threads x N\n"
            "  --max-doc-bytes N    documents longer than N bytes fail instead of\n"
            "                       being parsed (default 64M; 0: no limit); parsing\n"
            "                       takes about 45 bytes of memory per byte of text\n"
            "  -o FILE              write to FILE (atomically) instead of stdout\n"
            "  --quiet              no progress bar (shown only on a terminal)\n"
            "  --stats              print documents, words and speed to stderr\n");
    return out == stderr ? 2 : 0;
}

typedef struct parse_args {
    const char *model, *blank, *exclude, *input, *output;
    int json, quiet, stats, threads;
    uint64_t batch_size, chunk_bytes, max_doc_bytes;
    nlp_doc_split_t split;
} parse_args_t;

/* Returns -1 when the arguments are fine, else the exit status. */
static int parse_arguments(int argc, char **argv, parse_args_t *a) {
    *a = (parse_args_t){.input = "-", .max_doc_bytes = DEFAULT_MAX_DOC_BYTES};
    int have_input = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        uint64_t n;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) return usage(stdout);
        if (!strcmp(arg, "--quiet") || !strcmp(arg, "--stats")) {
            *(arg[2] == 'q' ? &a->quiet : &a->stats) = 1;
            continue;
        }
        if (arg[0] != '-' || !strcmp(arg, "-")) {
            if (have_input++) {
                fprintf(stderr, "spacyc parse: more than one input file\n");
                return usage(stderr);
            }
            a->input = arg;
            continue;
        }
        if (!(v = nlp_cli_value(argc, argv, &i))) return 2;
        if (!strcmp(arg, "--model")) a->model = v;
        else if (!strcmp(arg, "--blank")) a->blank = v;
        else if (!strcmp(arg, "--exclude")) a->exclude = v;
        else if (!strcmp(arg, "-o") || !strcmp(arg, "--output")) a->output = v;
        else if (!strcmp(arg, "--format") && !strcmp(v, "json")) a->json = 1;
        else if (!strcmp(arg, "--format") && !strcmp(v, "conllu")) a->json = 0;
        else if (!strcmp(arg, "--doc-per") && !strcmp(v, "line")) a->split = NLP_SPLIT_LINES;
        else if (!strcmp(arg, "--doc-per") && !strcmp(v, "paragraph"))
            a->split = NLP_SPLIT_PARAGRAPHS;
        else if (!strcmp(arg, "--threads") && nlp_cli_parse_count(v, 0, 4096, &n)) a->threads = (int)n;
        else if (!strcmp(arg, "--batch-size") && nlp_cli_parse_count(v, 1, 1u << 24, &n))
            a->batch_size = n;
        else if (!strcmp(arg, "--chunk-bytes") && nlp_cli_parse_count(v, 1, SIZE_MAX, &n))
            a->chunk_bytes = n;
        else if (!strcmp(arg, "--max-doc-bytes") && nlp_cli_parse_count(v, 0, SIZE_MAX, &n))
            a->max_doc_bytes = n;
        else {
            fprintf(stderr, "spacyc parse: bad option or value: %s %s\n", arg, v);
            return usage(stderr);
        }
    }
    if (a->blank && (a->model || a->exclude)) {
        fprintf(stderr, "spacyc parse: --blank goes with neither --model nor --exclude\n");
        return 2;
    }
    return -1;
}

/* ---- formatting (runs on the worker threads) -------------------------- */

static nlp_status_t format_json(void *ctx, size_t index, const nlp_doc_t *doc,
                                nlp_write_fn write, void *wctx) {
    (void)ctx;
    (void)index;
    nlp_status_t st = nlp_doc_to_json(doc, write, wctx);
    if (!st && write(wctx, "\n", 1)) st = NLP_CANCELLED;
    return st;
}

static nlp_status_t format_conllu(void *ctx, size_t index, const nlp_doc_t *doc,
                                  nlp_write_fn write, void *wctx) {
    (void)ctx;
    const nlp_token_t *tokens;
    size_t n;
    nlp_status_t st = nlp_doc_tokens(doc, &tokens, &n);
    if (st || n == 0) return st; /* an empty document has no sentence */
    /* The document's 1-based number in the input, as a CoNLL-U doc id. */
    char head[64];
    int len = snprintf(head, sizeof head, "# newdoc id = doc%zu\n", index + 1);
    if (write(wctx, head, (size_t)len)) return NLP_CANCELLED;
    return nlp_doc_to_conllu(doc, write, wctx);
}

/* ---- output (runs on the calling thread, in input order) ------------- */

typedef struct parse_job {
    FILE *out;
    const char *input_name;
    nlp_cli_progress_t progress;
    uint64_t docs, words, failed;
    int write_errno; /* set when writing the output failed */
} parse_job_t;

static uint64_t count_words(const nlp_doc_t *doc) {
    const nlp_token_t *t;
    size_t n;
    uint64_t words = 0;
    if (nlp_doc_tokens(doc, &t, &n)) return 0;
    for (size_t i = 0; i < n; i++) words += !(t[i].lex->flags & NLP_FLAG_IS_SPACE);
    return words;
}

static int on_result(void *ctx, const nlp_pipe_result_t *r) {
    parse_job_t *job = ctx;
    job->docs++;
    if (r->status) {
        job->failed++;
        nlp_cli_progress_clear(&job->progress);
        fprintf(stderr, "spacyc: %s: document %zu (byte offset %" PRIu64 "): %s%s%s\n",
                job->input_name, r->index + 1, r->offset, nlp_strerror(r->status),
                *r->error ? ": " : "", r->error);
    } else {
        job->words += count_words(r->doc);
        if (fwrite(r->output, 1, r->output_len, job->out) != r->output_len) {
            job->write_errno = errno ? errno : EIO;
            return 1;
        }
    }
    nlp_cli_progress_update(&job->progress, r->end_offset, job->docs, job->words);
    return 0;
}

/* ---- the output file -------------------------------------------------- */

/* Permissions of a new file: 0666 less the umask (mkstemp makes 0600). */
static mode_t new_file_mode(void) {
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

/* Opens the output for `path`: a temporary file beside the file it names
 * (so the final rename stays on one file system), with that file's
 * permissions, or the path itself when it is no regular file (see
 * io/output_target.h). *tmp_path is the file to rename into
 * target->path at the end, NULL when writing in place. Prints why on
 * failure. */
static FILE *open_output(const char *path, nlp__output_target_t *target,
                         char **tmp_path) {
    *tmp_path = NULL;
    nlp_status_t st = nlp__output_target(path, NULL, target);
    if (st) {
        nlp_cli_error("cannot write the output", st);
        return NULL;
    }
    if (target->direct) {
        FILE *f = fopen(target->path, "wb");
        if (!f) fprintf(stderr, "spacyc: cannot write %s: %s\n", path, strerror(errno));
        return f;
    }
    size_t size = strlen(target->path) + sizeof ".tmp-XXXXXX";
    char *tmp = malloc(size);
    int fd = -1;
    if (tmp) {
        snprintf(tmp, size, "%s.tmp-XXXXXX", target->path);
        fd = mkstemp(tmp);
    }
    FILE *f = fd < 0 ? NULL : fdopen(fd, "wb");
    mode_t mode = target->replaces ? target->mode : new_file_mode();
    if (!f || fchmod(fd, mode) != 0) {
        int e = tmp ? errno : ENOMEM;
        if (f) fclose(f);
        else if (fd >= 0) close(fd);
        if (fd >= 0) unlink(tmp);
        fprintf(stderr, "spacyc: cannot write %s: cannot create a file beside it: %s\n",
                path, strerror(e));
        free(tmp);
        return NULL;
    }
    *tmp_path = tmp;
    return f;
}

/* Finishes the output: flushes and closes it, then renames the temporary
 * file (if any) into place when everything succeeded. Returns 0 on success. */
static int finish_output(const parse_args_t *a, parse_job_t *job,
                         const char *target, char *tmp, int ok) {
    int rc = 0;
    if (fflush(job->out) != 0 || ferror(job->out)) {
        if (ok) fprintf(stderr, "spacyc: write error: %s\n", strerror(errno));
        rc = 1;
    }
    if (!a->output) return ok ? rc : 1;
    if (fclose(job->out) != 0 && !rc) {
        fprintf(stderr, "spacyc: write error: %s\n", strerror(errno));
        rc = 1;
    }
    if (!tmp) return ok ? rc : 1;
    if (ok && !rc && rename(tmp, target) != 0) {
        fprintf(stderr, "spacyc: cannot create %s: %s\n", a->output, strerror(errno));
        rc = 1;
    }
    if (!ok || rc) unlink(tmp);
    return ok ? rc : 1;
}

int nlp_cli_parse(int argc, char **argv) {
    parse_args_t a;
    int rc = parse_arguments(argc, argv, &a);
    if (rc >= 0) return rc;

    uint64_t size = 0;
    int fd = nlp_cli_open_input(a.input, &size);
    if (fd < 0) return 1;
    nlp_t *nlp = NULL;
    if (a.blank) {
        nlp_status_t st = nlp_create_blank(a.blank, NULL, &nlp);
        if (st) nlp_cli_error("cannot create a blank pipeline", st);
    } else {
        nlp = nlp_cli_load(a.model, a.exclude);
    }
    if (!nlp) {
        if (fd > 0) close(fd);
        return 1;
    }

    parse_job_t job = {.out = stdout, .input_name = strcmp(a.input, "-") ? a.input : "<stdin>"};
    char *tmp = NULL;
    nlp__output_target_t target = {0};
    if (a.output && !(job.out = open_output(a.output, &target, &tmp))) {
        nlp__output_target_free(&target, NULL);
        nlp_free(nlp);
        if (fd > 0) close(fd);
        return 1;
    }
    /* Whole batches are written at once; a large buffer saves calls. */
    setvbuf(job.out, NULL, _IOFBF, 1u << 20);
    nlp_cli_progress_start(&job.progress, a.quiet ? NULL : stderr, size);

    nlp_pipe_options_t opt = {
        .batch_size = (size_t)a.batch_size,
        .n_threads = a.threads,
        .chunk_bytes = (size_t)a.chunk_bytes,
        .split = a.split,
        .max_doc_bytes = (size_t)a.max_doc_bytes,
        .format = a.json ? format_json : format_conllu,
    };
    double start = nlp_cli_now();
    nlp_status_t st = nlp_pipe_fd(nlp, fd, &opt, on_result, &job);
    double seconds = nlp_cli_now() - start;
    nlp_cli_progress_finish(&job.progress, st == NLP_OK);
    if (a.stats)
        fprintf(stderr, "docs %" PRIu64 "  words %" PRIu64 "  seconds %.3f  words/s %.0f\n",
                job.docs, job.words, seconds, seconds > 0 ? (double)job.words / seconds : 0.0);
    if (job.write_errno)
        fprintf(stderr, "spacyc: write error: %s\n", strerror(job.write_errno));
    else if (job.failed)
        fprintf(stderr, "spacyc: %" PRIu64 " of %" PRIu64 " documents failed; %s\n",
                job.failed, job.docs,
                tmp ? "no output file was written" : "the output is incomplete");
    else if (st)
        nlp_cli_error(job.input_name, st);
    rc = finish_output(&a, &job, target.path, tmp, st == NLP_OK);
    free(tmp);
    nlp__output_target_free(&target, NULL);
    nlp_free(nlp);
    if (fd > 0) close(fd);
    return rc;
}
