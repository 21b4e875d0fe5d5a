/* The model file container: writing (atomically, through a temporary file)
 * and reading (mapped, validated in full before any pointer is handed out).
 *
 * Format version 1, all integers little-endian:
 *
 *   offset  size  header (64 bytes)
 *        0     8  magic "SPACYCM1"
 *        8     4  format version (1)
 *       12     4  number of sections N
 *       16     8  offset of the section table (64)
 *       24     8  size of the whole file in bytes
 *       32     8  XXH3-64 of the section table's N * 80 bytes
 *       40    16  reserved, zero
 *       56     8  XXH3-64 of header bytes 0..55
 *
 *   section table: N entries of 80 bytes, in file order
 *        0    48  name: 1 to 47 bytes, NUL-terminated, zero-padded, unique
 *       48     8  offset of the section's bytes
 *       56     8  size of the section in bytes
 *       64     8  XXH3-64 of the section's bytes
 *       72     8  reserved, zero
 *
 *   sections: each starts at the first 64-byte boundary after the end of
 *   the table or of the previous section; the gaps are zero bytes, and the
 *   file ends with zero bytes at the next 64-byte boundary after the last
 *   section (or the table when N is 0).
 *
 * The layout is canonical (offsets follow from the sizes), so the reader
 * can check every byte: header and table through their checksums, sections
 * through theirs, and the padding for zeros. A single flipped bit anywhere
 * is therefore reported, never used.
 */
#include "model_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "core/alloc.h"
#include "io/output_target.h"

#define ALIGNMENT 64u
#define HEADER_SIZE 64u
#define ENTRY_SIZE 80u
#define NAME_FIELD (NLP__MODEL_SECTION_NAME_MAX + 1)

static const char MAGIC[8] = {'S', 'P', 'A', 'C', 'Y', 'C', 'M', '1'};

enum {
    H_MAGIC = 0,
    H_VERSION = 8,
    H_N_SECTIONS = 12,
    H_TABLE_OFFSET = 16,
    H_FILE_SIZE = 24,
    H_TABLE_CHECKSUM = 32,
    H_RESERVED = 40,
    H_CHECKSUM = 56,
    E_NAME = 0,
    E_OFFSET = 48,
    E_SIZE = 56,
    E_CHECKSUM = 64,
    E_RESERVED = 72,
};

_Static_assert(NAME_FIELD == E_OFFSET, "the name field fills the entry start");
_Static_assert(H_CHECKSUM + 8 == HEADER_SIZE, "the header checksum ends it");
_Static_assert(E_RESERVED + 8 == ENTRY_SIZE, "entry fields fill the entry");

static void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* Rounds up to the alignment; callers keep v far below UINT64_MAX. */
static uint64_t align_up(uint64_t v) {
    return (v + (ALIGNMENT - 1)) & ~(uint64_t)(ALIGNMENT - 1);
}

/* True when a stored checksum matches the bytes. The libFuzzer build
 * (which defines FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, as is customary)
 * skips the comparison, since a fuzzer cannot forge checksums and would
 * otherwise never reach the structural checks behind them. */
static int checksum_ok(uint64_t stored, const void *data, size_t len) {
    uint64_t computed = XXH3_64bits(data, len);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    (void)stored;
    (void)computed;
    return 1;
#else
    return stored == computed;
#endif
}

static int all_zero(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

/* ---- Writing ---------------------------------------------------------- */

typedef struct pending_section {
    char name[NAME_FIELD];
    void *data; /* writer-owned copy */
    size_t len;
} pending_section_t;

struct nlp__model_writer {
    const nlp_allocator_t *alloc;
    pending_section_t *sections;
    size_t n, cap;
};

nlp_status_t nlp__model_writer_create(const nlp_allocator_t *alloc,
                                      nlp__model_writer_t **out) {
    if (!out) return nlp__fail(NLP_INVALID_ARG, "no output writer");
    alloc = nlp__allocator_or_default(alloc);
    nlp__model_writer_t *w = nlp__calloc(alloc, 1, sizeof *w);
    *out = w;
    if (!w) return nlp__fail(NLP_NOMEM, "model writer");
    w->alloc = alloc;
    return NLP_OK;
}

void nlp__model_writer_free(nlp__model_writer_t *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) nlp__free(w->alloc, w->sections[i].data);
    nlp__free(w->alloc, w->sections);
    nlp__free(w->alloc, w);
}

static const pending_section_t *writer_find(const nlp__model_writer_t *w,
                                            const char *name) {
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->sections[i].name, name) == 0) return &w->sections[i];
    return NULL;
}

nlp_status_t nlp__model_writer_add(nlp__model_writer_t *w, const char *name,
                                   const void *data, size_t len) {
    if (!w || !name || (!data && len))
        return nlp__fail(NLP_INVALID_ARG, "model section: missing argument");
    size_t name_len = strnlen(name, NAME_FIELD);
    if (name_len == 0 || name_len > NLP__MODEL_SECTION_NAME_MAX)
        return nlp__fail(NLP_INVALID_ARG,
                         "model section name must be 1 to %d bytes",
                         NLP__MODEL_SECTION_NAME_MAX);
    if (writer_find(w, name))
        return nlp__fail(NLP_INVALID_ARG, "model section \"%s\" added twice",
                         name);
    if (w->n == UINT32_MAX)
        return nlp__fail(NLP_LIMIT, "too many model sections");
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        pending_section_t *bigger =
            nlp__realloc_array(w->alloc, w->sections, cap, sizeof *bigger);
        if (!bigger) return nlp__fail(NLP_NOMEM, "model section table");
        w->sections = bigger;
        w->cap = cap;
    }
    void *copy = nlp__malloc(w->alloc, len ? len : 1);
    if (!copy)
        return nlp__fail(NLP_NOMEM, "model section \"%s\" (%zu bytes)", name, len);
    if (len) memcpy(copy, data, len);
    pending_section_t *s = &w->sections[w->n++];
    memset(s->name, 0, sizeof s->name);
    memcpy(s->name, name, name_len);
    s->data = copy;
    s->len = len;
    return NLP_OK;
}

/* Fills the header and table for the writer's sections; returns the file
 * size. `image` holds HEADER_SIZE + n * ENTRY_SIZE bytes. */
static uint64_t layout(const nlp__model_writer_t *w, unsigned char *image) {
    uint64_t table_size = (uint64_t)w->n * ENTRY_SIZE;
    uint64_t end = HEADER_SIZE + table_size;
    memset(image, 0, HEADER_SIZE + table_size);
    for (size_t i = 0; i < w->n; i++) {
        const pending_section_t *s = &w->sections[i];
        unsigned char *e = image + HEADER_SIZE + i * ENTRY_SIZE;
        uint64_t offset = align_up(end);
        memcpy(e + E_NAME, s->name, NAME_FIELD);
        put_u64(e + E_OFFSET, offset);
        put_u64(e + E_SIZE, s->len);
        put_u64(e + E_CHECKSUM, XXH3_64bits(s->data, s->len));
        end = offset + s->len;
    }
    uint64_t file_size = align_up(end);
    memcpy(image + H_MAGIC, MAGIC, sizeof MAGIC);
    put_u32(image + H_VERSION, NLP__MODEL_FORMAT_VERSION);
    put_u32(image + H_N_SECTIONS, (uint32_t)w->n);
    put_u64(image + H_TABLE_OFFSET, HEADER_SIZE);
    put_u64(image + H_FILE_SIZE, file_size);
    put_u64(image + H_TABLE_CHECKSUM,
            XXH3_64bits(image + HEADER_SIZE, (size_t)table_size));
    put_u64(image + H_CHECKSUM, XXH3_64bits(image, H_CHECKSUM));
    return file_size;
}

static int write_all(int fd, const void *data, size_t len) {
    const char *p = data;
    while (len) {
        ssize_t k = write(fd, p, len);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

static int write_zeros(int fd, size_t n) {
    static const unsigned char zeros[ALIGNMENT];
    while (n) {
        size_t k = n < sizeof zeros ? n : sizeof zeros;
        if (write_all(fd, zeros, k)) return -1;
        n -= k;
    }
    return 0;
}

/* Writes the whole file to fd; -1 with errno set on failure. */
static int write_file(int fd, const nlp__model_writer_t *w,
                      const unsigned char *image, uint64_t file_size) {
    size_t pos = HEADER_SIZE + w->n * ENTRY_SIZE;
    if (write_all(fd, image, pos)) return -1;
    for (size_t i = 0; i < w->n; i++) {
        size_t offset = (size_t)align_up(pos);
        if (write_zeros(fd, offset - pos) ||
            write_all(fd, w->sections[i].data, w->sections[i].len))
            return -1;
        pos = offset + w->sections[i].len;
    }
    if (write_zeros(fd, (size_t)file_size - pos)) return -1;
    /* EINVAL: a device or pipe that cannot be synced, nothing to lose. */
    return fsync(fd) != 0 && errno != EINVAL ? -1 : 0;
}

/* Makes the rename durable by syncing the directory; a failure only loses
 * durability, never the file's integrity, so it is not an error. */
static void sync_parent_dir(const nlp_allocator_t *alloc, const char *path) {
    char *dir = nlp__output_dir(path, alloc);
    if (!dir) return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    nlp__free(alloc, dir);
}

/* Writes the image to `fd` and closes it; 0 or the errno of the failure. */
static int write_and_close(int fd, const nlp__model_writer_t *w,
                           const unsigned char *image, uint64_t file_size) {
    int failed = write_file(fd, w, image, file_size);
    int err = failed ? errno : 0;
    if (close(fd) != 0 && !failed) err = errno ? errno : EIO;
    return err;
}

nlp_status_t nlp__model_writer_save(nlp__model_writer_t *w, const char *path) {
    if (!w || !path) return nlp__fail(NLP_INVALID_ARG, "model save: missing argument");
    size_t image_len = HEADER_SIZE + w->n * ENTRY_SIZE; /* n < 2^32: no overflow */
    nlp__output_target_t target;
    nlp_status_t st = nlp__output_target(path, w->alloc, &target);
    if (st) return st;
    size_t path_len = strlen(target.path);
    char *tmp = nlp__malloc(w->alloc, path_len + sizeof ".tmp");
    unsigned char *image = nlp__malloc(w->alloc, image_len);
    uint64_t file_size;
    int fd, err;
    if (!tmp || !image) {
        st = nlp__fail(NLP_NOMEM, "%s: saving", path);
        goto out;
    }
    memcpy(tmp, target.path, path_len);
    memcpy(tmp + path_len, ".tmp", sizeof ".tmp");
    file_size = layout(w, image);
    if (file_size > (uint64_t)SIZE_MAX) {
        st = nlp__fail(NLP_LIMIT, "%s: model too large", path);
        goto out;
    }
    if (target.direct) {
        fd = open(target.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        err = fd < 0 ? errno : write_and_close(fd, w, image, file_size);
        if (err) st = nlp__fail(NLP_IO, "%s: %s", path, strerror(err));
        goto out;
    }
    /* A new file gets open's 0666 less the umask; a replaced one keeps its
     * permissions (fchmod: open's mode would be masked). */
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        st = nlp__fail(NLP_IO, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    if (target.replaces) (void)fchmod(fd, target.mode);
    err = write_and_close(fd, w, image, file_size);
    if (!err && rename(tmp, target.path) != 0) err = errno;
    if (err) {
        unlink(tmp);
        st = nlp__fail(NLP_IO, "%s: %s", path, strerror(err));
        goto out;
    }
    sync_parent_dir(w->alloc, target.path);
out:
    nlp__output_target_free(&target, w->alloc);
    nlp__free(w->alloc, tmp);
    nlp__free(w->alloc, image);
    return st;
}

/* ---- Reading ---------------------------------------------------------- */

typedef struct section {
    const char *name; /* points into the table */
    const unsigned char *data;
    size_t len;
} section_t;

struct nlp__model_reader {
    const nlp_allocator_t *alloc;
    void *map; /* the mapping to unmap, or NULL for an in-memory image */
    size_t map_len;
    section_t *sections;    /* in file order */
    section_t **by_name;    /* sorted by name, for lookups */
    size_t n;
};

static int compare_names(const void *a, const void *b) {
    const section_t *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

/* Checks the fixed header; `what` names the file in messages. */
static nlp_status_t check_header(const unsigned char *p, size_t len,
                                 const char *what) {
    if (len < HEADER_SIZE)
        return nlp__fail(NLP_MODEL_CORRUPT,
                         "%s: %zu bytes, smaller than the %u-byte header",
                         what, len, HEADER_SIZE);
    if (memcmp(p + H_MAGIC, MAGIC, sizeof MAGIC) != 0)
        return nlp__fail(NLP_MODEL_CORRUPT,
                         "%s: not a libspacyc model file (bad magic)", what);
    /* The version comes before the checksum: a newer format may define the
     * rest of the header differently. */
    uint32_t version = get_u32(p + H_VERSION);
    if (version != NLP__MODEL_FORMAT_VERSION)
        return nlp__fail(NLP_MODEL_VERSION,
                         "%s: format version %u, this library reads version %u",
                         what, version, NLP__MODEL_FORMAT_VERSION);
    if (!checksum_ok(get_u64(p + H_CHECKSUM), p, H_CHECKSUM))
        return nlp__fail(NLP_MODEL_CORRUPT, "%s: header checksum mismatch", what);
    if (!all_zero(p + H_RESERVED, H_CHECKSUM - H_RESERVED))
        return nlp__fail(NLP_MODEL_CORRUPT, "%s: reserved header bytes set", what);
    uint64_t file_size = get_u64(p + H_FILE_SIZE);
    if (file_size != len)
        return nlp__fail(NLP_MODEL_CORRUPT,
                         "%s: %zu bytes, but the header says %llu (truncated?)",
                         what, len, (unsigned long long)file_size);
    if (get_u64(p + H_TABLE_OFFSET) != HEADER_SIZE)
        return nlp__fail(NLP_MODEL_CORRUPT, "%s: bad section table offset", what);
    uint64_t table_end = HEADER_SIZE + (uint64_t)get_u32(p + H_N_SECTIONS) * ENTRY_SIZE;
    if (table_end > len)
        return nlp__fail(NLP_MODEL_CORRUPT,
                         "%s: section table of %u entries runs past the end",
                         what, get_u32(p + H_N_SECTIONS));
    if (!checksum_ok(get_u64(p + H_TABLE_CHECKSUM), p + HEADER_SIZE,
                     (size_t)(table_end - HEADER_SIZE)))
        return nlp__fail(NLP_MODEL_CORRUPT, "%s: section table checksum mismatch",
                         what);
    return NLP_OK;
}

/* Checks table entry i against the canonical layout, given the end of the
 * previous section (or of the table), and fills *s. */
static nlp_status_t check_entry(const unsigned char *p, size_t len, size_t i,
                                uint64_t *end, section_t *s, const char *what) {
    const unsigned char *e = p + HEADER_SIZE + i * ENTRY_SIZE;
    const char *name = (const char *)e + E_NAME;
    size_t name_len = strnlen(name, NAME_FIELD);
    if (name_len == 0 || name_len == NAME_FIELD ||
        !all_zero(e + name_len, NAME_FIELD - name_len))
        return nlp__fail(NLP_MODEL_CORRUPT, "%s: section %zu has a bad name",
                         what, i);
    uint64_t offset = get_u64(e + E_OFFSET), size = get_u64(e + E_SIZE);
    uint64_t expected = align_up(*end);
    if (offset != expected)
        return nlp__fail(NLP_MODEL_CORRUPT,
                         "%s: section \"%s\" is at offset %llu, not %llu", what,
                         name, (unsigned long long)offset,
                         (unsigned long long)expected);
    if (offset > len || size > len - offset)
        return nlp__fail(NLP_MODEL_CORRUPT,
                         "%s: section \"%s\" (%llu bytes at %llu) runs past "
                         "the end", what, name, (unsigned long long)size,
                         (unsigned long long)offset);
    if (!all_zero(p + *end, (size_t)(offset - *end)))
        return nlp__fail(NLP_MODEL_CORRUPT,
                         "%s: nonzero padding before section \"%s\"", what, name);
    if (!all_zero(e + E_RESERVED, ENTRY_SIZE - E_RESERVED))
        return nlp__fail(NLP_MODEL_CORRUPT,
                         "%s: section \"%s\" has reserved bytes set", what, name);
    if (!checksum_ok(get_u64(e + E_CHECKSUM), p + offset, (size_t)size))
        return nlp__fail(NLP_MODEL_CORRUPT,
                         "%s: section \"%s\" checksum mismatch", what, name);
    s->name = name;
    s->data = p + offset;
    s->len = (size_t)size;
    *end = offset + size;
    return NLP_OK;
}

/* Validates the whole image and fills r's section arrays. */
static nlp_status_t index_sections(nlp__model_reader_t *r,
                                   const unsigned char *p, size_t len,
                                   const char *what) {
    nlp_status_t st = check_header(p, len, what);
    if (st) return st;
    size_t n = get_u32(p + H_N_SECTIONS);
    r->sections = nlp__calloc(r->alloc, n ? n : 1, sizeof *r->sections);
    r->by_name = nlp__calloc(r->alloc, n ? n : 1, sizeof *r->by_name);
    if (!r->sections || !r->by_name)
        return nlp__fail(NLP_NOMEM, "%s: %zu sections", what, n);
    uint64_t end = HEADER_SIZE + (uint64_t)n * ENTRY_SIZE;
    for (size_t i = 0; i < n; i++) {
        if ((st = check_entry(p, len, i, &end, &r->sections[i], what))) return st;
        r->by_name[i] = &r->sections[i];
    }
    /* end <= len here, and len is a multiple of 64 only for a canonical
     * file, so the padding test also catches a file that is too long. */
    if (align_up(end) != len || !all_zero(p + end, (size_t)(len - end)))
        return nlp__fail(NLP_MODEL_CORRUPT, "%s: bad padding at the end", what);
    qsort(r->by_name, n, sizeof *r->by_name, compare_names);
    for (size_t i = 1; i < n; i++)
        if (strcmp(r->by_name[i - 1]->name, r->by_name[i]->name) == 0)
            return nlp__fail(NLP_MODEL_CORRUPT, "%s: section \"%s\" appears twice",
                             what, r->by_name[i]->name);
    r->n = n;
    return NLP_OK;
}

static void reader_free(nlp__model_reader_t *r) {
    nlp__free(r->alloc, r->sections);
    nlp__free(r->alloc, r->by_name);
    if (r->map) munmap(r->map, r->map_len);
    nlp__free(r->alloc, r);
}

/* Builds a reader over p[0..len); on failure unmaps `map` (when given). */
static nlp_status_t reader_create(const void *p, size_t len, void *map,
                                  const nlp_allocator_t *alloc,
                                  const char *what, nlp__model_reader_t **out) {
    alloc = nlp__allocator_or_default(alloc);
    nlp__model_reader_t *r = nlp__calloc(alloc, 1, sizeof *r);
    if (!r) {
        if (map) munmap(map, len);
        return nlp__fail(NLP_NOMEM, "%s: model reader", what);
    }
    r->alloc = alloc;
    r->map = map;
    r->map_len = len;
    nlp_status_t st = index_sections(r, p, len, what);
    if (st) {
        reader_free(r);
        return st;
    }
    *out = r;
    return NLP_OK;
}

nlp_status_t nlp__model_reader_open_memory(const void *data, size_t len,
                                           const nlp_allocator_t *alloc,
                                           nlp__model_reader_t **out) {
    if (!out) return nlp__fail(NLP_INVALID_ARG, "no output reader");
    *out = NULL;
    if (!data && len)
        return nlp__fail(NLP_INVALID_ARG, "model image: no data");
    if ((uintptr_t)data % ALIGNMENT != 0)
        return nlp__fail(NLP_INVALID_ARG, "model image is not %u-byte aligned",
                         ALIGNMENT);
    return reader_create(data ? data : "", len, NULL, alloc, "model image", out);
}

nlp_status_t nlp__model_reader_open(const char *path,
                                    const nlp_allocator_t *alloc,
                                    nlp__model_reader_t **out) {
    if (!out) return nlp__fail(NLP_INVALID_ARG, "no output reader");
    *out = NULL;
    if (!path) return nlp__fail(NLP_INVALID_ARG, "no model path");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nlp__fail(NLP_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    nlp_status_t st = NLP_OK;
    if (fstat(fd, &sb) != 0)
        st = nlp__fail(NLP_IO, "%s: %s", path, strerror(errno));
    else if (!S_ISREG(sb.st_mode))
        st = nlp__fail(NLP_IO, "%s: not a regular file", path);
    else if ((uint64_t)sb.st_size < HEADER_SIZE)
        st = nlp__fail(NLP_MODEL_CORRUPT,
                       "%s: %lld bytes, smaller than the %u-byte header", path,
                       (long long)sb.st_size, HEADER_SIZE);
    else if ((uint64_t)sb.st_size > SIZE_MAX)
        st = nlp__fail(NLP_LIMIT, "%s: too large to map", path);
    if (st) {
        close(fd);
        return st;
    }
    size_t len = (size_t)sb.st_size;
    /* A shared read-only mapping lets every process that loads the model
     * share one copy of its pages. */
    void *map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    int err = errno;
    close(fd);
    if (map == MAP_FAILED) return nlp__fail(NLP_IO, "%s: mmap: %s", path, strerror(err));
    return reader_create(map, len, map, alloc, path, out);
}

nlp_status_t nlp__model_reader_section(const nlp__model_reader_t *r,
                                       const char *name, const void **data,
                                       size_t *len) {
    if (!r || !name || !data || !len)
        return nlp__fail(NLP_INVALID_ARG, "model section: missing argument");
    section_t key = {.name = name};
    const section_t *k = &key;
    section_t *const *hit =
        bsearch(&k, r->by_name, r->n, sizeof *r->by_name, compare_names);
    if (!hit) return nlp__fail(NLP_NOT_FOUND, "no model section \"%s\"", name);
    *data = (*hit)->data;
    *len = (*hit)->len;
    return NLP_OK;
}

size_t nlp__model_reader_n_sections(const nlp__model_reader_t *r) {
    return r ? r->n : 0;
}

const char *nlp__model_reader_section_name(const nlp__model_reader_t *r,
                                           size_t i) {
    return r && i < r->n ? r->sections[i].name : NULL;
}

void nlp__model_reader_close(nlp__model_reader_t *r) {
    if (r) reader_free(r);
}
