/* Tests of the model file container: round trips, atomic saving, and a
 * reader that turns every truncated, flipped or forged file into a clean
 * error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "io/model_file.h"
#include "test_util.h"

/* Offsets of the format (see src/io/model_file.c), repeated here so that a
 * change of layout has to be made on purpose in two places. */
enum {
    HEADER = 64,
    ENTRY = 80,
    H_VERSION = 8,
    H_N_SECTIONS = 12,
    H_TABLE_OFFSET = 16,
    H_FILE_SIZE = 24,
    H_TABLE_CHECKSUM = 32,
    H_RESERVED = 40,
    H_CHECKSUM = 56,
    E_OFFSET = 48,
    E_SIZE = 56,
    E_RESERVED = 72,
};

static char test_dir[64];

static int make_dir(void **state) {
    (void)state;
    snprintf(test_dir, sizeof test_dir, "/tmp/spacyc-model-XXXXXX");
    return mkdtemp(test_dir) ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *sb, int type,
                        struct FTW *ftw) {
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

static int remove_dir(void **state) {
    (void)state;
    return nftw(test_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static const char *dir_path(const char *name) {
    static char path[2][128];
    static int which;
    which ^= 1;
    snprintf(path[which], sizeof path[which], "%s/%s", test_dir, name);
    return path[which];
}

/* A model image in a 64-byte aligned buffer; free with free(). */
typedef struct image {
    unsigned char *data;
    size_t len;
} image_t;

static image_t read_image(const char *path) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    image_t img = {aligned_alloc(64, ((size_t)n + 64) / 64 * 64), (size_t)n};
    assert_non_null(img.data);
    assert_int_equal(fread(img.data, 1, img.len, f), img.len);
    fclose(f);
    return img;
}

static void write_bytes(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Recomputes both checksums of the header, as a forger would, so that the
 * structural checks behind them are what is tested. */
static void reseal(unsigned char *p, uint32_t n_sections) {
    put_u64(p + H_TABLE_CHECKSUM, XXH3_64bits(p + HEADER, (size_t)n_sections * ENTRY));
    put_u64(p + H_CHECKSUM, XXH3_64bits(p, H_CHECKSUM));
}

static unsigned char small_x[65];

/* Three sections: "meta" (10 bytes), "empty" (0) and "x" (65); 512 bytes. */
static void save_small(const char *path) {
    for (size_t i = 0; i < sizeof small_x; i++) small_x[i] = (unsigned char)(i * 7 + 1);
    nlp__model_writer_t *w;
    assert_int_equal(nlp__model_writer_create(NULL, &w), NLP_OK);
    assert_int_equal(nlp__model_writer_add(w, "meta", "lang=en\nv1", 10), NLP_OK);
    assert_int_equal(nlp__model_writer_add(w, "empty", NULL, 0), NLP_OK);
    assert_int_equal(nlp__model_writer_add(w, "x", small_x, sizeof small_x), NLP_OK);
    assert_int_equal(nlp__model_writer_save(w, path), NLP_OK);
    nlp__model_writer_free(w);
}

#define LARGE_SECTIONS 6

/* Sections of growing sizes up to 256 KiB with pseudo-random contents. */
static void save_large(const char *path) {
    nlp__model_writer_t *w;
    assert_int_equal(nlp__model_writer_create(NULL, &w), NLP_OK);
    uint32_t seed = 12345;
    for (int s = 0; s < LARGE_SECTIONS; s++) {
        size_t len = ((size_t)1 << (8 + 2 * s)) + (size_t)s * 13;
        if (len > 256 * 1024) len = 256 * 1024 + 3;
        unsigned char *data = malloc(len);
        assert_non_null(data);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            data[i] = (unsigned char)(seed >> 16);
        }
        char name[32];
        snprintf(name, sizeof name, "weights.%d", s);
        assert_int_equal(nlp__model_writer_add(w, name, data, len), NLP_OK);
        free(data);
    }
    assert_int_equal(nlp__model_writer_save(w, path), NLP_OK);
    nlp__model_writer_free(w);
}

static void expect_section(const nlp__model_reader_t *r, const char *name,
                           const void *data, size_t len) {
    const void *p = NULL;
    size_t n = 99;
    assert_int_equal(nlp__model_reader_section(r, name, &p, &n), NLP_OK);
    assert_int_equal(n, len);
    assert_int_equal((uintptr_t)p % 64, 0);
    if (len) assert_memory_equal(p, data, len);
}

static void test_model_file_round_trip(void **state) {
    (void)state;
    const char *path = dir_path("small.spacyc");
    save_small(path);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 512);
    assert_int_not_equal(access(dir_path("small.spacyc.tmp"), F_OK), 0);

    test_alloc_t a;
    test_alloc_init(&a);
    nlp__model_reader_t *r;
    assert_int_equal(nlp__model_reader_open(path, &a.iface, &r), NLP_OK);
    assert_int_equal(nlp__model_reader_n_sections(r), 3);
    assert_string_equal(nlp__model_reader_section_name(r, 0), "meta");
    assert_string_equal(nlp__model_reader_section_name(r, 1), "empty");
    assert_string_equal(nlp__model_reader_section_name(r, 2), "x");
    assert_null(nlp__model_reader_section_name(r, 3));
    expect_section(r, "meta", "lang=en\nv1", 10);
    expect_section(r, "empty", NULL, 0);
    expect_section(r, "x", small_x, sizeof small_x);
    const void *p;
    size_t n;
    assert_int_equal(nlp__model_reader_section(r, "missing", &p, &n), NLP_NOT_FOUND);
    assert_int_equal(nlp__model_reader_section(r, "met", &p, &n), NLP_NOT_FOUND);
    nlp__model_reader_close(r);
    assert_int_equal(a.live, 0);

    image_t img = read_image(path);
    assert_int_equal(nlp__model_reader_open_memory(img.data, img.len, NULL, &r), NLP_OK);
    expect_section(r, "x", small_x, sizeof small_x);
    assert_ptr_equal(nlp__model_reader_section_name(r, 0), (const char *)img.data + HEADER);
    nlp__model_reader_close(r);
    free(img.data);
}

static void test_model_file_large_round_trip(void **state) {
    (void)state;
    const char *path = dir_path("large.spacyc");
    save_large(path);
    nlp__model_reader_t *r;
    assert_int_equal(nlp__model_reader_open(path, NULL, &r), NLP_OK);
    assert_int_equal(nlp__model_reader_n_sections(r), LARGE_SECTIONS);
    for (size_t i = 0; i < LARGE_SECTIONS; i++) {
        const void *p;
        size_t n;
        const char *name = nlp__model_reader_section_name(r, i);
        assert_int_equal(nlp__model_reader_section(r, name, &p, &n), NLP_OK);
        assert_int_equal((uintptr_t)p % 64, 0);
    }
    nlp__model_reader_close(r);
}

static void test_model_file_empty_container(void **state) {
    (void)state;
    const char *path = dir_path("none.spacyc");
    nlp__model_writer_t *w;
    assert_int_equal(nlp__model_writer_create(NULL, &w), NLP_OK);
    assert_int_equal(nlp__model_writer_save(w, path), NLP_OK);
    nlp__model_writer_free(w);
    nlp__model_reader_t *r;
    assert_int_equal(nlp__model_reader_open(path, NULL, &r), NLP_OK);
    assert_int_equal(nlp__model_reader_n_sections(r), 0);
    const void *p;
    size_t n;
    assert_int_equal(nlp__model_reader_section(r, "meta", &p, &n), NLP_NOT_FOUND);
    nlp__model_reader_close(r);
}

static void test_model_writer_checks_names(void **state) {
    (void)state;
    nlp__model_writer_t *w;
    assert_int_equal(nlp__model_writer_create(NULL, &w), NLP_OK);
    char longest[NLP__MODEL_SECTION_NAME_MAX + 2];
    memset(longest, 'n', sizeof longest);
    longest[NLP__MODEL_SECTION_NAME_MAX] = '\0';
    assert_int_equal(nlp__model_writer_add(w, longest, "a", 1), NLP_OK);
    longest[NLP__MODEL_SECTION_NAME_MAX] = 'n';
    longest[NLP__MODEL_SECTION_NAME_MAX + 1] = '\0';
    assert_int_equal(nlp__model_writer_add(w, longest, "a", 1), NLP_INVALID_ARG);
    assert_int_equal(nlp__model_writer_add(w, "", "a", 1), NLP_INVALID_ARG);
    assert_int_equal(nlp__model_writer_add(w, "a", "a", 1), NLP_OK);
    assert_int_equal(nlp__model_writer_add(w, "a", "b", 1), NLP_INVALID_ARG);
    assert_non_null(strstr(nlp_error_detail(), "\"a\" added twice"));
    assert_int_equal(nlp__model_writer_add(w, "b", NULL, 3), NLP_INVALID_ARG);
    assert_int_equal(nlp__model_writer_add(w, NULL, "b", 1), NLP_INVALID_ARG);
    nlp__model_writer_free(w);
    nlp__model_writer_free(NULL);
    nlp__model_reader_close(NULL);
    assert_int_equal(nlp__model_reader_n_sections(NULL), 0);
}

static void test_model_file_save_is_atomic(void **state) {
    (void)state;
    const char *path = dir_path("swap.spacyc");
    nlp__model_writer_t *w;
    assert_int_equal(nlp__model_writer_create(NULL, &w), NLP_OK);
    assert_int_equal(nlp__model_writer_add(w, "meta", "old", 3), NLP_OK);
    assert_int_equal(nlp__model_writer_save(w, path), NLP_OK);
    nlp__model_writer_free(w);
    nlp__model_reader_t *old;
    assert_int_equal(nlp__model_reader_open(path, NULL, &old), NLP_OK);

    /* Replacing the file leaves the mapping of the old one intact. */
    assert_int_equal(nlp__model_writer_create(NULL, &w), NLP_OK);
    assert_int_equal(nlp__model_writer_add(w, "meta", "new!", 4), NLP_OK);
    assert_int_equal(nlp__model_writer_save(w, path), NLP_OK);
    nlp__model_writer_free(w);
    expect_section(old, "meta", "old", 3);
    nlp__model_reader_t *fresh;
    assert_int_equal(nlp__model_reader_open(path, NULL, &fresh), NLP_OK);
    expect_section(fresh, "meta", "new!", 4);
    nlp__model_reader_close(old);
    nlp__model_reader_close(fresh);

    /* A save that cannot happen leaves nothing behind. */
    assert_int_equal(nlp__model_writer_create(NULL, &w), NLP_OK);
    assert_int_equal(nlp__model_writer_save(w, dir_path("no/such/dir.spacyc")), NLP_IO);
    nlp__model_writer_free(w);
}

/* Saving through a symbolic link replaces the file it names, keeping its
 * permissions; the link stays a link. */
static void test_model_file_save_through_link(void **state) {
    (void)state;
    char target[4096], link[4096];
    snprintf(target, sizeof target, "%s", dir_path("linked.spacyc"));
    snprintf(link, sizeof link, "%s", dir_path("link.spacyc"));
    FILE *f = fopen(target, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(chmod(target, 0640), 0);
    assert_int_equal(symlink("linked.spacyc", link), 0);
    nlp__model_writer_t *w;
    assert_int_equal(nlp__model_writer_create(NULL, &w), NLP_OK);
    assert_int_equal(nlp__model_writer_add(w, "meta", "via link", 8), NLP_OK);
    assert_int_equal(nlp__model_writer_save(w, link), NLP_OK);
    nlp__model_writer_free(w);
    struct stat sb;
    assert_int_equal(lstat(link, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    assert_int_equal(stat(target, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0640);
    nlp__model_reader_t *r;
    assert_int_equal(nlp__model_reader_open(target, NULL, &r), NLP_OK);
    expect_section(r, "meta", "via link", 8);
    nlp__model_reader_close(r);
    unlink(link);
    unlink(target);
}

static void test_model_file_open_errors(void **state) {
    (void)state;
    nlp__model_reader_t *r = (nlp__model_reader_t *)1;
    assert_int_equal(nlp__model_reader_open(dir_path("absent"), NULL, &r), NLP_IO);
    assert_null(r);
    assert_non_null(strstr(nlp_error_detail(), "absent"));
    assert_int_equal(nlp__model_reader_open(test_dir, NULL, &r), NLP_IO);
    write_bytes(dir_path("empty"), "", 0);
    assert_int_equal(nlp__model_reader_open(dir_path("empty"), NULL, &r), NLP_MODEL_CORRUPT);
    char text[200];
    memset(text, 'a', sizeof text);
    write_bytes(dir_path("text"), text, sizeof text);
    assert_int_equal(nlp__model_reader_open(dir_path("text"), NULL, &r), NLP_MODEL_CORRUPT);
    assert_non_null(strstr(nlp_error_detail(), "bad magic"));
    assert_int_equal(nlp__model_reader_open(NULL, NULL, &r), NLP_INVALID_ARG);

    /* In-memory images must be aligned like a mapping. */
    unsigned char *buf = aligned_alloc(64, 256);
    assert_non_null(buf);
    memset(buf, 0, 256);
    assert_int_equal(nlp__model_reader_open_memory(buf + 1, 128, NULL, &r), NLP_INVALID_ARG);
    assert_int_equal(nlp__model_reader_open_memory(buf, 0, NULL, &r), NLP_MODEL_CORRUPT);
    assert_int_equal(nlp__model_reader_open_memory(NULL, 0, NULL, &r), NLP_MODEL_CORRUPT);
    free(buf);
}

static void test_model_file_wrong_magic_and_version(void **state) {
    (void)state;
    const char *path = dir_path("small.spacyc");
    save_small(path);
    image_t img = read_image(path);
    nlp__model_reader_t *r;
    img.data[0] = 'X';
    assert_int_equal(nlp__model_reader_open_memory(img.data, img.len, NULL, &r),
                     NLP_MODEL_CORRUPT);
    assert_non_null(strstr(nlp_error_detail(), "bad magic"));
    img.data[0] = 'S';
    put_u32(img.data + H_VERSION, 2);
    reseal(img.data, 3);
    assert_int_equal(nlp__model_reader_open_memory(img.data, img.len, NULL, &r),
                     NLP_MODEL_VERSION);
    assert_non_null(strstr(nlp_error_detail(), "format version 2"));
    put_u32(img.data + H_VERSION, 0);
    assert_int_equal(nlp__model_reader_open_memory(img.data, img.len, NULL, &r),
                     NLP_MODEL_VERSION);
    /* The same file on disk gives the same answer. */
    write_bytes(dir_path("v0.spacyc"), img.data, img.len);
    assert_int_equal(nlp__model_reader_open(dir_path("v0.spacyc"), NULL, &r),
                     NLP_MODEL_VERSION);
    free(img.data);
}

/* Opens a truncated or damaged image and asserts a clean failure. */
static void expect_rejected(const unsigned char *data, size_t len, size_t where) {
    nlp__model_reader_t *r = (nlp__model_reader_t *)1;
    nlp_status_t st = nlp__model_reader_open_memory(data, len, NULL, &r);
    if (st != NLP_MODEL_CORRUPT && st != NLP_MODEL_VERSION)
        fail_msg("damage at %zu (length %zu) gave %s", where, len, nlp_status_name(st));
    assert_null(r);
    assert_true(nlp_error_detail()[0] != '\0');
}

static void test_model_file_truncated_anywhere(void **state) {
    (void)state;
    const char *path = dir_path("small.spacyc");
    save_small(path);
    image_t img = read_image(path);
    for (size_t len = 0; len < img.len; len++) expect_rejected(img.data, len, len);
    /* Some of them through the file system too. */
    for (size_t len = 0; len < img.len; len += 37) {
        write_bytes(dir_path("cut.spacyc"), img.data, len);
        nlp__model_reader_t *r;
        assert_int_equal(nlp__model_reader_open(dir_path("cut.spacyc"), NULL, &r),
                         NLP_MODEL_CORRUPT);
    }
    free(img.data);

    path = dir_path("large.spacyc");
    save_large(path);
    img = read_image(path);
    for (size_t len = 0; len < img.len; len += len < 4096 ? 1 : 509)
        expect_rejected(img.data, len, len);
    /* One byte short of each section's end, and of the file's. */
    nlp__model_reader_t *r;
    assert_int_equal(nlp__model_reader_open_memory(img.data, img.len, NULL, &r), NLP_OK);
    for (size_t i = 0; i < LARGE_SECTIONS; i++) {
        const void *p;
        size_t n;
        nlp__model_reader_section(r, nlp__model_reader_section_name(r, i), &p, &n);
        size_t end = (size_t)((const unsigned char *)p - img.data) + n;
        expect_rejected(img.data, end - 1, end - 1);
        expect_rejected(img.data, end, end);
    }
    nlp__model_reader_close(r);
    expect_rejected(img.data, img.len - 1, img.len - 1);
    free(img.data);
}

static void flip_and_check(image_t img, size_t pos) {
    static const unsigned char masks[] = {0x01, 0x80, 0xFF};
    for (size_t m = 0; m < sizeof masks; m++) {
        img.data[pos] ^= masks[m];
        expect_rejected(img.data, img.len, pos);
        img.data[pos] ^= masks[m];
    }
}

static void test_model_file_byte_flips_anywhere(void **state) {
    (void)state;
    const char *path = dir_path("small.spacyc");
    save_small(path);
    image_t img = read_image(path);
    for (size_t pos = 0; pos < img.len; pos++) flip_and_check(img, pos);
    free(img.data);

    path = dir_path("large.spacyc");
    save_large(path);
    img = read_image(path);
    size_t table_end = HEADER + LARGE_SECTIONS * ENTRY;
    for (size_t pos = 0; pos < table_end + 64; pos++) flip_and_check(img, pos);
    uint32_t seed = 99;
    for (int k = 0; k < 3000; k++) {
        seed = seed * 1664525u + 1013904223u;
        flip_and_check(img, seed % img.len);
    }
    /* After all that, the image is intact again. */
    nlp__model_reader_t *r;
    assert_int_equal(nlp__model_reader_open_memory(img.data, img.len, NULL, &r), NLP_OK);
    nlp__model_reader_close(r);
    free(img.data);
}

/* Damage that keeps the checksums valid must still be caught by the
 * structural checks. */
static void expect_forgery_rejected(const char *what, void (*damage)(image_t *),
                                    const char *message) {
    const char *path = dir_path("small.spacyc");
    save_small(path);
    image_t img = read_image(path);
    damage(&img);
    nlp__model_reader_t *r;
    nlp_status_t st = nlp__model_reader_open_memory(img.data, img.len, NULL, &r);
    if (st != NLP_MODEL_CORRUPT || !strstr(nlp_error_detail(), message))
        fail_msg("%s: %s \"%s\", expected \"%s\"", what, nlp_status_name(st),
                 nlp_error_detail(), message);
    free(img.data);
}

static unsigned char *entry(image_t *img, int i) { return img->data + HEADER + i * ENTRY; }

static void misaligned_offset(image_t *img) {
    put_u64(entry(img, 2) + E_OFFSET, get_u64(entry(img, 2) + E_OFFSET) + 8);
    reseal(img->data, 3);
}
static void size_past_end(image_t *img) {
    put_u64(entry(img, 2) + E_SIZE, 1u << 20);
    reseal(img->data, 3);
}
static void huge_size(image_t *img) {
    put_u64(entry(img, 2) + E_SIZE, UINT64_MAX - 100);
    reseal(img->data, 3);
}
static void duplicate_name(image_t *img) {
    memcpy(entry(img, 1), "meta\0", 6);
    reseal(img->data, 3);
}
static void unterminated_name(image_t *img) {
    memset(entry(img, 0), 'm', 48);
    reseal(img->data, 3);
}
static void empty_name(image_t *img) {
    memset(entry(img, 0), 0, 48);
    reseal(img->data, 3);
}
static void garbage_after_name(image_t *img) {
    entry(img, 0)[40] = 'z';
    reseal(img->data, 3);
}
static void huge_count(image_t *img) {
    put_u32(img->data + H_N_SECTIONS, UINT32_MAX);
    put_u64(img->data + H_CHECKSUM, XXH3_64bits(img->data, H_CHECKSUM));
}
static void moved_table(image_t *img) {
    put_u64(img->data + H_TABLE_OFFSET, 128);
    reseal(img->data, 3);
}
static void wrong_file_size(image_t *img) {
    put_u64(img->data + H_FILE_SIZE, img->len + 64);
    reseal(img->data, 3);
}
static void reserved_header(image_t *img) {
    img->data[H_RESERVED + 3] = 1;
    reseal(img->data, 3);
}
static void reserved_entry(image_t *img) {
    entry(img, 1)[E_RESERVED] = 1;
    reseal(img->data, 3);
}
static void dropped_section(image_t *img) {
    /* Two sections in a table with room for three: the first section no
     * longer starts where the layout says. */
    put_u32(img->data + H_N_SECTIONS, 2);
    reseal(img->data, 2);
}
static void padded_tail(image_t *img) {
    unsigned char *bigger = aligned_alloc(64, img->len + 64);
    assert_non_null(bigger);
    memcpy(bigger, img->data, img->len);
    memset(bigger + img->len, 0, 64);
    free(img->data);
    img->data = bigger;
    img->len += 64;
    put_u64(img->data + H_FILE_SIZE, img->len);
    reseal(img->data, 3);
}

static void test_model_file_forged_structure(void **state) {
    (void)state;
    expect_forgery_rejected("misaligned", misaligned_offset, "is at offset");
    expect_forgery_rejected("past end", size_past_end, "runs past the end");
    expect_forgery_rejected("huge size", huge_size, "runs past the end");
    expect_forgery_rejected("duplicate", duplicate_name, "\"meta\" appears twice");
    expect_forgery_rejected("unterminated", unterminated_name, "section 0 has a bad name");
    expect_forgery_rejected("empty name", empty_name, "section 0 has a bad name");
    expect_forgery_rejected("garbage", garbage_after_name, "section 0 has a bad name");
    expect_forgery_rejected("count", huge_count, "runs past the end");
    expect_forgery_rejected("table offset", moved_table, "table offset");
    expect_forgery_rejected("file size", wrong_file_size, "header says");
    expect_forgery_rejected("reserved", reserved_header, "reserved");
    expect_forgery_rejected("reserved entry", reserved_entry, "reserved");
    expect_forgery_rejected("dropped", dropped_section, "is at offset");
    expect_forgery_rejected("tail", padded_tail, "padding at the end");
}

/* Writes 20 small sections to the file at ctx with `alloc`. */
static nlp_status_t save_attempt(void *ctx, const nlp_allocator_t *alloc) {
    nlp__model_writer_t *w = NULL;
    nlp_status_t st = nlp__model_writer_create(alloc, &w);
    for (int i = 0; i < 20 && !st; i++) {
        char name[16];
        snprintf(name, sizeof name, "s%d", i);
        st = nlp__model_writer_add(w, name, name, strlen(name));
    }
    if (!st) st = nlp__model_writer_save(w, ctx);
    nlp__model_writer_free(w);
    return st;
}

/* Opens the file save_attempt wrote and checks its last section. */
static nlp_status_t open_attempt(void *ctx, const nlp_allocator_t *alloc) {
    nlp__model_reader_t *r = NULL;
    nlp_status_t st = nlp__model_reader_open(ctx, alloc, &r);
    if (st == NLP_OK) expect_section(r, "s19", "s19", 3);
    nlp__model_reader_close(r);
    return st;
}

static void test_model_file_out_of_memory_sweep(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s", dir_path("oom.spacyc"));
    test_oom_sweep(save_attempt, path, 100000);
    test_oom_sweep(open_attempt, path, 100000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_file_round_trip),
        cmocka_unit_test(test_model_file_large_round_trip),
        cmocka_unit_test(test_model_file_empty_container),
        cmocka_unit_test(test_model_writer_checks_names),
        cmocka_unit_test(test_model_file_save_is_atomic),
        cmocka_unit_test(test_model_file_save_through_link),
        cmocka_unit_test(test_model_file_open_errors),
        cmocka_unit_test(test_model_file_wrong_magic_and_version),
        cmocka_unit_test(test_model_file_truncated_anywhere),
        cmocka_unit_test(test_model_file_byte_flips_anywhere),
        cmocka_unit_test(test_model_file_forged_structure),
        cmocka_unit_test(test_model_file_out_of_memory_sweep),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
