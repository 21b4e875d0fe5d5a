/* Corpus lifetime and the pieces shared by the CoNLL-U and IOB2 readers:
 * loading a file into the arena, cutting lines and fields in place, and
 * collecting the words of one sentence. */
#include "corpus_reader.h"
#include "io/bom.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"

/* Chunks are large because a corpus only grows; the file itself takes one
 * chunk of its own size. */
#define CORPUS_CHUNK_SIZE ((size_t)1 << 20)

/* An empty corpus with its own arena; the caller frees it with
 * nlp__corpus_free. */
static nlp_status_t corpus_create(const nlp_allocator_t *alloc,
                                  nlp__corpus_t **out) {
    alloc = nlp__allocator_or_default(alloc);
    nlp__corpus_t *c = nlp__calloc(alloc, 1, sizeof *c);
    *out = c;
    if (!c) return nlp__fail(NLP_NOMEM, "corpus");
    /* No chunk is ever released before the corpus dies, so none is kept. */
    nlp__chunk_cache_init(&c->cache, alloc, CORPUS_CHUNK_SIZE, 0);
    nlp__arena_init(&c->arena, &c->cache);
    return NLP_OK;
}

void nlp__corpus_free(nlp__corpus_t *c) {
    if (!c) return;
    const nlp_allocator_t *alloc = c->cache.alloc;
    nlp__arena_destroy(&c->arena);
    nlp__chunk_cache_destroy(&c->cache);
    nlp__free(alloc, c);
}

/* Reads all of fd into a buffer from the allocator; for pipes and other
 * files whose size is not known up front. The caller frees *data. */
static nlp_status_t read_stream(int fd, const char *path,
                                const nlp_allocator_t *alloc, char **data,
                                size_t *len) {
    size_t cap = 1 << 16, n = 0;
    char *buf = nlp__malloc(alloc, cap);
    if (!buf) return nlp__fail(NLP_NOMEM, "%s: reading", path);
    for (;;) {
        if (n == cap) {
            char *bigger = cap > SIZE_MAX / 2
                               ? NULL
                               : nlp__realloc_array(alloc, buf, cap * 2, 1);
            if (!bigger) {
                nlp__free(alloc, buf);
                return nlp__fail(NLP_NOMEM, "%s: reading", path);
            }
            buf = bigger;
            cap *= 2;
        }
        ssize_t k = read(fd, buf + n, cap - n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            int err = errno;
            nlp__free(alloc, buf);
            return nlp__fail(NLP_IO, "%s: %s", path, strerror(err));
        }
        if (k == 0) break;
        n += (size_t)k;
    }
    *data = buf;
    *len = n;
    return NLP_OK;
}

/* Reads exactly `len` bytes of a regular file into `dst`; a file that
 * shrank meanwhile is read as far as it goes. */
static nlp_status_t read_regular(int fd, const char *path, char *dst,
                                 size_t *len) {
    size_t n = 0;
    while (n < *len) {
        ssize_t k = read(fd, dst + n, *len - n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return nlp__fail(NLP_IO, "%s: %s", path, strerror(errno));
        if (k == 0) break;
        n += (size_t)k;
    }
    *len = n;
    return NLP_OK;
}

/* Reads the file into the arena as "\0" + text + "\0": the leading NUL is
 * the corpus's empty string, the trailing one ends the last line. */
static nlp_status_t load_into_arena(nlp__corpus_t *c, const char *path,
                                    char **text, size_t *len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nlp__fail(NLP_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    nlp_status_t st = NLP_OK;
    char *buf = NULL;
    size_t n = 0;
    if (fstat(fd, &sb) != 0) {
        st = nlp__fail(NLP_IO, "%s: %s", path, strerror(errno));
    } else if (S_ISDIR(sb.st_mode)) {
        st = nlp__fail(NLP_IO, "%s: is a directory", path);
    } else if (S_ISREG(sb.st_mode)) {
        n = (size_t)sb.st_size;
        if ((uint64_t)sb.st_size > SIZE_MAX - 2 ||
            !(buf = nlp__arena_alloc(&c->arena, n + 2, 1)))
            st = nlp__fail(NLP_NOMEM, "%s: %zu bytes", path, n);
        else
            st = read_regular(fd, path, buf + 1, &n);
    } else {
        char *tmp = NULL;
        st = read_stream(fd, path, c->cache.alloc, &tmp, &n);
        if (st == NLP_OK) {
            buf = n > SIZE_MAX - 2 ? NULL : nlp__arena_alloc(&c->arena, n + 2, 1);
            if (buf) memcpy(buf + 1, tmp, n);
            else st = nlp__fail(NLP_NOMEM, "%s: %zu bytes", path, n);
            nlp__free(c->cache.alloc, tmp);
        }
    }
    close(fd);
    if (st) return st;
    buf[0] = '\0';
    buf[n + 1] = '\0';
    *text = buf;
    *len = n;
    return NLP_OK;
}

static uint32_t count_lines(const char *s, const char *end) {
    uint32_t lines = 1;
    while ((s = memchr(s, '\n', (size_t)(end - s))) != NULL) {
        lines++;
        s++;
    }
    return lines;
}

/* Loads the file at `path` into the corpus arena (skipping a UTF-8 byte
 * order mark) and points `r` at it. A NUL byte in the file is NLP_FORMAT,
 * since it would silently cut a string short. */
static nlp_status_t load_text(nlp__corpus_t *c, const char *path,
                              nlp__text_reader_t *r) {
    char *buf = NULL;
    size_t len = 0;
    nlp_status_t st = load_into_arena(c, path, &buf, &len);
    if (st) return st;
    char *text = buf + 1, *end = text + len;
    const char *nul = memchr(text, '\0', len);
    if (nul)
        return nlp__fail(NLP_FORMAT, "%s:%u: NUL byte in the text", path,
                         count_lines(text, nul));
    text += nlp__bom_len(text, len);
    r->path = path;
    r->cur = text;
    r->end = end;
    r->empty = buf;
    r->line = 0;
    return NLP_OK;
}

/* The next line, NUL-terminated in place without its "\n" or "\r\n", or
 * NULL at the end of the text. */
static char *next_line(nlp__text_reader_t *r) {
    if (r->cur >= r->end) return NULL;
    char *line = r->cur;
    char *nl = memchr(line, '\n', (size_t)(r->end - line));
    char *stop = nl ? nl : r->end;
    r->cur = nl ? nl + 1 : r->end;
    if (stop > line && stop[-1] == '\r') stop--;
    *stop = '\0';
    r->line++;
    return line;
}

static int line_is_blank(const char *line) {
    while (*line == ' ' || *line == '\t') line++;
    return *line == '\0';
}

size_t nlp__split_tabs(char *line, char **fields, size_t max) {
    size_t n = 0;
    char *p = line;
    for (;;) {
        if (n < max) fields[n] = p;
        n++;
        char *tab = strchr(p, '\t');
        if (!tab) return n;
        *tab = '\0';
        p = tab + 1;
    }
}

int32_t nlp__parse_index(const char *s, size_t len) {
    if (len == 0 || len > 10) return -1;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v > INT32_MAX ? -1 : (int32_t)v;
}

static char *skip_spaces(char *p) {
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

/* Recognises "# key = value", "# key" and "#key=value" comment lines. When
 * the comment's key is `key`, stores the value (trimmed in place, "" when
 * absent) and returns 1; otherwise returns 0. */
static int comment_value(char *line, const char *key, const char **value) {
    if (line[0] != '#') return 0;
    char *p = skip_spaces(line + 1);
    size_t k = strlen(key);
    if (strncmp(p, key, k) != 0) return 0;
    p += k;
    /* "# text_en = ..." is another key, not "text". */
    if (*p != '\0' && *p != ' ' && *p != '\t' && *p != '=') return 0;
    p = skip_spaces(p);
    if (*p == '=') p = skip_spaces(p + 1);
    char *end = p + strlen(p);
    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) end--;
    *end = '\0';
    *value = p;
    return 1;
}

static void builder_reset(nlp__sent_builder_t *b) {
    memset(&b->head, 0, sizeof b->head);
    b->head.sent_id = b->empty;
    b->head.text = b->empty;
    b->n_words = 0;
    b->n_mwts = 0;
    b->open = 0;
}

static void builder_init(nlp__sent_builder_t *b, const nlp_allocator_t *alloc,
                         const char *empty) {
    memset(b, 0, sizeof *b);
    b->alloc = nlp__allocator_or_default(alloc);
    b->empty = empty;
    builder_reset(b);
}

static void builder_free(nlp__sent_builder_t *b) {
    nlp__free(b->alloc, b->words);
    nlp__free(b->alloc, b->word_lines);
    nlp__free(b->alloc, b->mwts);
    b->words = NULL;
    b->word_lines = NULL;
    b->mwts = NULL;
    b->cap_words = b->cap_mwts = 0;
}

/* Marks the sentence as begun at `line` unless it has begun already. */
static void builder_touch(nlp__sent_builder_t *b, uint32_t line) {
    if (b->open) return;
    b->open = 1;
    b->head.line = line;
}

/* Grows the word and word-line arrays together. When the second fails the
 * first is merely larger than cap_words says, which is harmless. */
static int grow_words(nlp__sent_builder_t *b) {
    if (b->n_words < b->cap_words) return 1;
    size_t want = b->cap_words ? b->cap_words * 2 : 64;
    void *words = nlp__realloc_array(b->alloc, b->words, want, sizeof *b->words);
    if (!words) return 0;
    b->words = words;
    void *lines = nlp__realloc_array(b->alloc, b->word_lines, want,
                                     sizeof *b->word_lines);
    if (!lines) return 0;
    b->word_lines = lines;
    b->cap_words = want;
    return 1;
}

nlp__gold_word_t *nlp__sent_builder_add_word(nlp__sent_builder_t *b,
                                             uint32_t line) {
    if (b->n_words >= UINT32_MAX || !grow_words(b)) return NULL;
    builder_touch(b, line);
    nlp__gold_word_t *w = &b->words[b->n_words];
    w->form = w->lemma = w->upos = w->xpos = w->feats = w->deprel = w->misc =
        w->ner = b->empty;
    w->head = -1;
    w->space_after = 1;
    b->word_lines[b->n_words++] = line;
    return w;
}

nlp__gold_mwt_t *nlp__sent_builder_add_mwt(nlp__sent_builder_t *b) {
    if (!nlp__grow_array(b->alloc, (void **)&b->mwts, &b->cap_mwts, b->n_mwts + 1,
                         sizeof *b->mwts))
        return NULL;
    return &b->mwts[b->n_mwts++];
}

/* Appends one sentence slot to the corpus, doubling the array in the arena
 * when full; the abandoned copies cost at most as much as the final one. */
static nlp__gold_sent_t *corpus_push(nlp__corpus_t *c) {
    if (c->n_sents == c->cap_sents) {
        size_t want = c->cap_sents ? c->cap_sents * 2 : 1024;
        nlp__gold_sent_t *bigger = NLP__ARENA_NEW(&c->arena, nlp__gold_sent_t, want);
        if (!bigger) return NULL;
        if (c->n_sents) memcpy(bigger, c->sents, c->n_sents * sizeof *bigger);
        c->sents = bigger;
        c->cap_sents = want;
    }
    return &c->sents[c->n_sents++];
}

/* Copies the sentence's arrays into the arena, appends it to the corpus
 * and makes the builder ready for the next sentence. */
static nlp_status_t builder_finish(nlp__sent_builder_t *b, nlp__corpus_t *c) {
    nlp__gold_word_t *words = NLP__ARENA_NEW(&c->arena, nlp__gold_word_t,
                                             b->n_words ? b->n_words : 1);
    nlp__gold_mwt_t *mwts = NULL;
    if (b->n_mwts) mwts = NLP__ARENA_NEW(&c->arena, nlp__gold_mwt_t, b->n_mwts);
    nlp__gold_sent_t *s = words && (mwts || !b->n_mwts) ? corpus_push(c) : NULL;
    if (!s) return nlp__fail(NLP_NOMEM, "corpus sentence");
    memcpy(words, b->words, b->n_words * sizeof *words);
    if (b->n_mwts) memcpy(mwts, b->mwts, b->n_mwts * sizeof *mwts);
    *s = b->head;
    s->words = words;
    s->n_words = (uint32_t)b->n_words;
    s->mwts = mwts;
    s->n_mwts = (uint32_t)b->n_mwts;
    c->n_words += b->n_words;
    builder_reset(b);
    return NLP_OK;
}

const char *nlp__id_order_hint(int32_t id) {
    return id == 1 ? "; is the blank line before it missing?" : "";
}

nlp_status_t nlp__read_lines(const char *path, nlp__line_fn fn, void *ctx) {
    FILE *f = fopen(path, "r");
    if (!f) return nlp__fail(NLP_IO, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    unsigned n = 0;
    nlp_status_t st = NLP_OK;
    ssize_t got;
    while (!st && (got = getline(&line, &cap, f)) >= 0) {
        n++;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r')) line[--got] = '\0';
        st = fn(ctx, line, (size_t)got, n);
    }
    if (!st && ferror(f)) st = nlp__fail(NLP_IO, "%s: read error", path);
    free(line);
    fclose(f);
    return st;
}

nlp_status_t nlp__format_error(const char *path, uint32_t line,
                               const char *fmt, ...) {
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return nlp__fail(NLP_FORMAT, "%s:%u: %s", path, line, what);
}

/* Applies the comment lines both formats share; others are ignored. */
static void read_comment(nlp__sent_builder_t *b, char *line) {
    const char *value;
    if (comment_value(line, "sent_id", &value)) b->head.sent_id = value;
    else if (comment_value(line, "text", &value)) b->head.text = value;
    else if (comment_value(line, "newdoc", &value)) b->head.newdoc = 1;
    else if (comment_value(line, "newpar", &value)) b->head.newpar = 1;
}

static nlp_status_t end_sentence(const nlp__sentence_format_t *fmt,
                                 const nlp__text_reader_t *r,
                                 nlp__sent_builder_t *b, nlp__corpus_t *c) {
    if (b->n_words == 0)
        return nlp__format_error(r->path, b->head.line,
                                 "sentence without any word");
    nlp_status_t st = fmt->sentence_done(r, b);
    return st ? st : builder_finish(b, c);
}

static nlp_status_t read_lines(const nlp__sentence_format_t *fmt,
                               nlp__text_reader_t *r, nlp__sent_builder_t *b,
                               nlp__corpus_t *c) {
    nlp_status_t st = NLP_OK;
    char *line;
    while (!st && (line = next_line(r)) != NULL) {
        if (line_is_blank(line)) {
            if (b->open) st = end_sentence(fmt, r, b, c);
        } else if (line[0] == '#') {
            builder_touch(b, r->line);
            read_comment(b, line);
        } else {
            st = fmt->token_line(r, b, line);
        }
    }
    if (!st && b->open) st = end_sentence(fmt, r, b, c);
    return st;
}

nlp_status_t nlp__read_sentences(const char *path,
                                 const nlp_allocator_t *alloc,
                                 const nlp__sentence_format_t *fmt,
                                 nlp__corpus_t **out) {
    if (!out) return nlp__fail(NLP_INVALID_ARG, "no output corpus");
    *out = NULL;
    if (!path) return nlp__fail(NLP_INVALID_ARG, "no %s path", fmt->name);
    nlp__corpus_t *c;
    nlp_status_t st = corpus_create(alloc, &c);
    if (st) return st;
    nlp__text_reader_t r;
    if ((st = load_text(c, path, &r))) {
        nlp__corpus_free(c);
        return st;
    }
    nlp__sent_builder_t b;
    builder_init(&b, c->cache.alloc, r.empty);
    st = read_lines(fmt, &r, &b, c);
    builder_free(&b);
    if (st) {
        nlp__corpus_free(c);
        return st;
    }
    *out = c;
    return NLP_OK;
}
