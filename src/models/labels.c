/* Encoding and validation of label-list sections. */
#include "labels.h"

#include <string.h>

#include "core/alloc.h"

#define LABELS_MAGIC 0x314c424cu /* "LBL1" */
#define LABELS_HEADER 12u

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

nlp_status_t nlp__labels_encode(const nlp_allocator_t *alloc,
                                const char *const *labels, size_t n,
                                void **blob, size_t *len) {
    *blob = NULL;
    *len = 0;
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) bytes += strlen(labels[i]) + 1;
    if (n > UINT32_MAX || bytes > UINT32_MAX - LABELS_HEADER)
        return nlp__fail(NLP_LIMIT, "labels: %zu labels is too many", n);
    uint8_t *out = nlp__malloc(alloc, LABELS_HEADER + bytes);
    if (!out) return NLP_NOMEM;
    put_u32(out, LABELS_MAGIC);
    put_u32(out + 4, (uint32_t)n);
    put_u32(out + 8, (uint32_t)bytes);
    uint8_t *p = out + LABELS_HEADER;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(labels[i]) + 1;
        memcpy(p, labels[i], l);
        p += l;
    }
    *blob = out;
    *len = LABELS_HEADER + bytes;
    return NLP_OK;
}

nlp_status_t nlp__labels_decode(const nlp_allocator_t *alloc, const void *blob,
                                size_t len, const char ***labels, size_t *n) {
    *labels = NULL;
    *n = 0;
    const uint8_t *b = blob;
    if (!b || len < LABELS_HEADER || get_u32(b) != LABELS_MAGIC)
        return nlp__fail(NLP_MODEL_CORRUPT, "labels: bad header");
    uint32_t count = get_u32(b + 4), bytes = get_u32(b + 8);
    if ((size_t)bytes != len - LABELS_HEADER || count > bytes ||
        (bytes && b[len - 1] != '\0'))
        return nlp__fail(NLP_MODEL_CORRUPT, "labels: %u labels in %u bytes",
                         count, bytes);
    const char **out = nlp__calloc(alloc, count ? count : 1, sizeof *out);
    if (!out) return NLP_NOMEM;
    const char *p = (const char *)b + LABELS_HEADER, *end = p + bytes;
    for (uint32_t i = 0; i < count; i++) {
        const char *nul = p < end ? memchr(p, '\0', (size_t)(end - p)) : NULL;
        if (!nul) {
            nlp__free(alloc, out);
            return nlp__fail(NLP_MODEL_CORRUPT, "labels: label %u runs past the end", i);
        }
        out[i] = p;
        p = nul + 1;
    }
    if (p != end) {
        nlp__free(alloc, out);
        return nlp__fail(NLP_MODEL_CORRUPT, "labels: trailing bytes");
    }
    *labels = out;
    *n = count;
    return NLP_OK;
}
