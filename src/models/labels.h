/* Label lists stored in model files: a count and NUL-terminated strings.
 *
 * Layout (little-endian): uint32 magic "LBL1", uint32 count, uint32 bytes of
 * string data, then the strings, each followed by a NUL. Components keep
 * their class labels in such a section and intern them permanently at load.
 */
#ifndef NLP_MODELS_LABELS_H
#define NLP_MODELS_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "spacyc/common.h"

/* Encodes labels[0..n) into a new buffer (caller frees with `alloc`). */
nlp_status_t nlp__labels_encode(const nlp_allocator_t *alloc,
                                const char *const *labels, size_t n,
                                void **blob, size_t *len);
/* Validates a blob and makes an array of n pointers into it (caller frees
 * the array with `alloc`; the strings stay in the blob). NLP_MODEL_CORRUPT
 * when counts, bounds or terminators are wrong. */
nlp_status_t nlp__labels_decode(const nlp_allocator_t *alloc, const void *blob,
                                size_t len, const char ***labels, size_t *n);

#endif
