/* Chunked reading of text files at document boundaries (see chunk_reader.h). */
#include "chunk_reader.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"

#define DEFAULT_CHUNK_BYTES ((size_t)1 << 20)
/* How much is read at a time while looking for a boundary: lines are
 * usually short, so the first window nearly always holds the boundary. */
#define SCAN_WINDOW ((size_t)64 << 10)

struct nlp__chunk_reader {
    const nlp_allocator_t *alloc;
    int fd;
    int seekable;
    uint64_t size;       /* regular files: the size when opened */
    uint64_t pos;        /* start of the next range */
    /* Regular files: the end of the oversized document that starts at pos,
     * when the last range stopped before it (0: none), so it is not
     * scanned twice. */
    uint64_t oversized_end;
    size_t chunk_bytes;
    size_t max_doc_bytes; /* 0: no limit */
    nlp_doc_split_t split;
    /* Sequential input: bytes read past the last boundary handed out. */
    char *carry;
    size_t carry_len, carry_cap;
    int seq_eof;
};

static int is_blank_byte(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static int is_blank(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (!is_blank_byte(s[i])) return 0;
    return 1;
}

/* The end of the line starting at `pos`: the index of its '\n', or len. */
static size_t line_end(const char *data, size_t len, size_t pos) {
    const char *nl = memchr(data + pos, '\n', len - pos);
    return nl ? (size_t)(nl - data) : len;
}

/* Length of a line's text without a trailing '\r' (of "\r\n"). */
static size_t trim_cr(const char *line, size_t len) {
    return len > 0 && line[len - 1] == '\r' ? len - 1 : len;
}

int nlp__next_doc(const char *data, size_t len, size_t pos,
                  nlp_doc_split_t split, nlp__doc_span_t *span) {
    if (split == NLP_SPLIT_LINES) {
        if (pos >= len) return 0;
        size_t e = line_end(data, len, pos);
        span->start = pos;
        span->len = trim_cr(data + pos, e - pos);
        span->next = e < len ? e + 1 : len;
        return 1;
    }
    /* Paragraphs: skip blank lines, then take non-blank lines until a blank
     * line or the end. */
    while (pos < len) {
        size_t e = line_end(data, len, pos);
        if (!is_blank(data + pos, e - pos)) break;
        pos = e < len ? e + 1 : len;
    }
    if (pos >= len) return 0;
    span->start = pos;
    size_t p = pos;
    while (p < len) {
        size_t e = line_end(data, len, p);
        if (is_blank(data + p, e - p)) break;
        span->len = trim_cr(data + p, e - p) + (p - pos);
        p = e < len ? e + 1 : len;
    }
    span->next = p;
    return 1;
}

nlp_status_t nlp__chunk_reader_open(const nlp_allocator_t *alloc, int fd,
                                    size_t chunk_bytes, nlp_doc_split_t split,
                                    nlp__chunk_reader_t **out) {
    if (!out || fd < 0 ||
        (split != NLP_SPLIT_LINES && split != NLP_SPLIT_PARAGRAPHS))
        return NLP_INVALID_ARG;
    *out = NULL;
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return nlp__fail(NLP_IO, "cannot inspect the input: %s",
                         strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return nlp__fail(NLP_IO, "the input is a directory");
    alloc = nlp__allocator_or_default(alloc);
    nlp__chunk_reader_t *r = nlp__calloc(alloc, 1, sizeof *r);
    if (!r) return NLP_NOMEM;
    r->alloc = alloc;
    r->fd = fd;
    r->chunk_bytes = chunk_bytes ? chunk_bytes : DEFAULT_CHUNK_BYTES;
    r->split = split;
    r->seekable = S_ISREG(sb.st_mode);
    r->size = r->seekable ? (uint64_t)sb.st_size : 0;
    *out = r;
    return NLP_OK;
}

void nlp__chunk_reader_free(nlp__chunk_reader_t *r) {
    if (!r) return;
    nlp__free(r->alloc, r->carry);
    nlp__free(r->alloc, r);
}

void nlp__chunk_reader_limit_docs(nlp__chunk_reader_t *r, size_t max_doc_bytes) {
    r->max_doc_bytes = max_doc_bytes;
}

/* Whether a chunk of `len` bytes would hold more than a chunk's worth of
 * text plus one document at the limit (and its line ending): then the
 * document around the nominal end is over the limit. */
static int holds_oversized_doc(const nlp__chunk_reader_t *r, uint64_t len) {
    return r->max_doc_bytes && len > r->chunk_bytes &&
           len - r->chunk_bytes > (uint64_t)r->max_doc_bytes + 2;
}

uint64_t nlp__chunk_reader_size(const nlp__chunk_reader_t *r) {
    return r ? r->size : 0;
}

/* Reads exactly len bytes at `offset` unless the file ends first; returns
 * the bytes read, or -1 with errno set. */
static ssize_t pread_full(int fd, char *buf, size_t len, uint64_t offset) {
    size_t done = 0;
    while (done < len) {
        ssize_t k = pread(fd, buf + done, len - done, (off_t)(offset + done));
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        if (k == 0) break;
        done += (size_t)k;
    }
    return (ssize_t)done;
}

/* Where the scan for a boundary stands, carried from one window to the
 * next. In paragraph mode the scan first finds a line start, then looks for
 * the first blank line after it. */
typedef struct boundary_scan {
    int at_line_start_found; /* a line start has been reached */
    int line_blank;          /* the current line is blank so far */
} boundary_scan_t;

/* Scans buf[0..len) (at file offset `base`) for a boundary; returns 1 and
 * sets *found to its file offset, or 0 to continue with the next window. */
static int scan_window(const nlp__chunk_reader_t *r, boundary_scan_t *s,
                       const char *buf, size_t len, uint64_t base,
                       uint64_t *found) {
    size_t i = 0;
    if (!s->at_line_start_found) {
        const char *nl = memchr(buf, '\n', len);
        if (!nl) return 0;
        i = (size_t)(nl - buf) + 1;
        if (r->split == NLP_SPLIT_LINES) {
            *found = base + i;
            return 1;
        }
        s->at_line_start_found = 1;
        s->line_blank = 1;
    }
    while (i < len) {
        if (!s->line_blank) {
            /* The rest of a non-blank line does not matter. */
            const char *nl = memchr(buf + i, '\n', len - i);
            if (!nl) return 0;
            i = (size_t)(nl - buf) + 1;
            s->line_blank = 1;
            continue;
        }
        char c = buf[i++];
        if (c == '\n') {
            *found = base + i;
            return 1;
        }
        if (!is_blank_byte(c)) s->line_blank = 0;
    }
    return 0;
}

/* The first document boundary at or after `target` (0 < target < size),
 * or the file size when there is none. A boundary is a line start (lines)
 * or a line start right after a blank line (paragraphs). */
static nlp_status_t find_boundary(const nlp__chunk_reader_t *r,
                                  uint64_t target, uint64_t *out) {
    char buf[4096];
    char *window = buf;
    size_t window_len = sizeof buf;
    /* A bigger window once the boundary is not in the first page. */
    char *big = NULL;
    boundary_scan_t scan = {0, 0};
    /* Start one byte early: target itself is a line start when the byte
     * before it is '\n'. */
    uint64_t off = target - 1;
    nlp_status_t st = NLP_OK;
    *out = r->size;
    while (off < r->size) {
        ssize_t k = pread_full(r->fd, window, window_len, off);
        if (k < 0) {
            st = nlp__fail(NLP_IO, "read error: %s", strerror(errno));
            break;
        }
        if (k == 0) break;
        if (scan_window(r, &scan, window, (size_t)k, off, out)) break;
        off += (uint64_t)k;
        if (!big && (big = nlp__malloc(r->alloc, SCAN_WINDOW))) {
            window = big;
            window_len = SCAN_WINDOW;
        }
    }
    nlp__free(r->alloc, big);
    if (*out > r->size) *out = r->size;
    return st;
}

/* The end of the last complete document boundary in data[0..len), or 0 when
 * there is none (used for sequential input, where only what has been read
 * can be searched). */
static size_t last_boundary(const char *data, size_t len, nlp_doc_split_t split) {
    const char *nl = memrchr(data, '\n', len);
    if (!nl || split == NLP_SPLIT_LINES) return nl ? (size_t)(nl - data) + 1 : 0;
    /* Walk complete lines backwards until a blank one. */
    size_t e = (size_t)(nl - data);
    for (;;) {
        const char *prev = e ? memrchr(data, '\n', e) : NULL;
        size_t s = prev ? (size_t)(prev - data) + 1 : 0;
        if (is_blank(data + s, e - s)) return e + 1;
        if (!prev) return 0;
        e = (size_t)(prev - data);
    }
}

/* The last document boundary in [r->pos, target) of a regular file, or
 * r->pos when there is none. Reads at most chunk_bytes. */
static nlp_status_t last_boundary_before(const nlp__chunk_reader_t *r,
                                         uint64_t target, uint64_t *out) {
    size_t len = (size_t)(target - r->pos);
    char *buf = nlp__malloc(r->alloc, len ? len : 1);
    if (!buf) return NLP_NOMEM;
    ssize_t k = pread_full(r->fd, buf, len, r->pos);
    nlp_status_t st = NLP_OK;
    if (k < 0) st = nlp__fail(NLP_IO, "read error: %s", strerror(errno));
    else *out = r->pos + last_boundary(buf, (size_t)k, r->split);
    nlp__free(r->alloc, buf);
    return st;
}

/* Makes room for `len` bytes in the chunk's buffer, shrinking a buffer that
 * a very long line made much larger than a chunk. */
static nlp_status_t chunk_reserve(const nlp__chunk_reader_t *r,
                                  nlp__chunk_t *c, size_t len) {
    if (c->cap >= len && c->cap <= 4 * r->chunk_bytes + len) return NLP_OK;
    size_t cap = len > r->chunk_bytes ? len : r->chunk_bytes;
    char *data = nlp__realloc_array(r->alloc, c->data, cap ? cap : 1, 1);
    if (!data) return NLP_NOMEM;
    c->data = data;
    c->cap = cap;
    return NLP_OK;
}

/* Sequential input: reads until the carry buffer holds at least `want`
 * bytes or the input ends. */
static nlp_status_t fill_carry(nlp__chunk_reader_t *r, size_t want) {
    if (want > r->carry_cap) {
        char *carry = nlp__realloc_array(r->alloc, r->carry, want, 1);
        if (!carry) return NLP_NOMEM;
        r->carry = carry;
        r->carry_cap = want;
    }
    while (r->carry_len < want && !r->seq_eof) {
        ssize_t k = read(r->fd, r->carry + r->carry_len, want - r->carry_len);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0)
            return nlp__fail(NLP_IO, "read error: %s", strerror(errno));
        if (k == 0) r->seq_eof = 1;
        r->carry_len += (size_t)k;
    }
    return NLP_OK;
}

/* Sequential input: the carry holds the start of a document over the limit
 * and no boundary. Reads on without keeping it, to the document's end, and
 * hands the whole range out as one oversized chunk. */
static nlp_status_t skip_oversized(nlp__chunk_reader_t *r, nlp__chunk_t *c) {
    uint64_t skipped = r->carry_len;
    /* A paragraph's line may have just ended; then the next line may be the
     * blank one that ends it. */
    int line_ended = r->carry_len && r->carry[r->carry_len - 1] == '\n';
    boundary_scan_t scan = {line_ended, 1};
    r->carry_len = 0;
    for (;;) {
        nlp_status_t st = fill_carry(r, r->chunk_bytes);
        if (st) return st;
        uint64_t at;
        if (scan_window(r, &scan, r->carry, r->carry_len, 0, &at)) {
            skipped += at;
            memmove(r->carry, r->carry + at, r->carry_len - (size_t)at);
            r->carry_len -= (size_t)at;
            break;
        }
        skipped += r->carry_len;
        r->carry_len = 0;
        if (r->seq_eof) break;
    }
    c->start = r->pos;
    c->end = r->pos + skipped;
    c->loaded = 1;
    c->oversized = 1;
    r->pos += skipped;
    return NLP_OK;
}

static nlp_status_t next_sequential(nlp__chunk_reader_t *r, nlp__chunk_t *c,
                                    int *eof) {
    size_t want = r->chunk_bytes;
    size_t cut;
    for (;;) {
        nlp_status_t st = fill_carry(r, want);
        if (st) return st;
        if (r->seq_eof) {
            cut = r->carry_len;
            break;
        }
        if ((cut = last_boundary(r->carry, r->carry_len, r->split))) break;
        /* The carry starts at a boundary, so it is all one document. */
        if (holds_oversized_doc(r, r->carry_len)) return skip_oversized(r, c);
        /* A document longer than the buffer: read more. */
        if (nlp__mul_overflows(want, 2)) return nlp__fail(NLP_LIMIT, "line too long");
        want *= 2;
    }
    if (cut == 0) {
        *eof = 1;
        return NLP_OK;
    }
    nlp_status_t st = chunk_reserve(r, c, cut);
    if (st) return st;
    memcpy(c->data, r->carry, cut);
    memmove(r->carry, r->carry + cut, r->carry_len - cut);
    r->carry_len -= cut;
    c->start = r->pos;
    c->end = r->pos + cut;
    c->loaded = 1;
    r->pos += cut;
    return NLP_OK;
}

/* The range [r->pos, *end) ends with a document over the limit that spans
 * target: the documents before it make an ordinary chunk (the document's
 * end is kept for the next call), or, when it starts the range, the chunk
 * is that document alone. */
static nlp_status_t set_apart_oversized(nlp__chunk_reader_t *r, uint64_t target,
                                        uint64_t *end, nlp__chunk_t *c) {
    uint64_t doc_start = r->pos;
    nlp_status_t st = last_boundary_before(r, target, &doc_start);
    if (st) return st;
    if (doc_start > r->pos) {
        r->oversized_end = *end;
        *end = doc_start;
    } else {
        c->oversized = 1;
    }
    return NLP_OK;
}

nlp_status_t nlp__chunk_reader_next(nlp__chunk_reader_t *r, nlp__chunk_t *c,
                                    int *eof) {
    if (!r || !c || !eof) return NLP_INVALID_ARG;
    *eof = 0;
    c->start = c->end = r->pos;
    c->loaded = 0;
    c->oversized = 0;
    if (!r->seekable) return next_sequential(r, c, eof);
    if (r->pos >= r->size) {
        *eof = 1;
        return NLP_OK;
    }
    uint64_t end = r->size;
    if (r->oversized_end) {
        end = r->oversized_end;
        r->oversized_end = 0;
        c->oversized = 1;
    } else if (r->size - r->pos > r->chunk_bytes) {
        uint64_t target = r->pos + r->chunk_bytes;
        nlp_status_t st = find_boundary(r, target, &end);
        if (!st && holds_oversized_doc(r, end - r->pos))
            st = set_apart_oversized(r, target, &end, c);
        if (st) return st;
    }
    if (!c->oversized && end - r->pos > SIZE_MAX)
        return nlp__fail(NLP_LIMIT, "line too long");
    c->end = end;
    r->pos = end;
    return NLP_OK;
}

nlp_status_t nlp__chunk_load(const nlp__chunk_reader_t *r, nlp__chunk_t *c) {
    if (c->loaded || c->oversized) return NLP_OK;
    size_t len = (size_t)(c->end - c->start);
    nlp_status_t st = chunk_reserve(r, c, len);
    if (st) return st;
    ssize_t k = pread_full(r->fd, c->data, len, c->start);
    if (k < 0) return nlp__fail(NLP_IO, "read error: %s", strerror(errno));
    if ((size_t)k != len)
        return nlp__fail(NLP_IO, "the input shrank while it was read");
    c->loaded = 1;
    return NLP_OK;
}

void nlp__chunk_free(const nlp__chunk_reader_t *r, nlp__chunk_t *c) {
    if (!c) return;
    nlp__free(r->alloc, c->data);
    c->data = NULL;
    c->cap = 0;
}
