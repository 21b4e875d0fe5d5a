/* libspacyc: version, status codes, allocator hooks and string ids.
 *
 * Everything in this header is thread-safe: it holds constants and pure
 * functions, plus one thread-local error detail string.
 */
#ifndef SPACYC_COMMON_H
#define SPACYC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define NLP_API __declspec(dllexport)
#elif defined(__GNUC__)
#define NLP_API __attribute__((visibility("default")))
#else
#define NLP_API
#endif

#define NLP_VERSION_MAJOR 0
#define NLP_VERSION_MINOR 1
#define NLP_VERSION_PATCH 0
#define NLP_VERSION_NUMBER \
    (NLP_VERSION_MAJOR * 10000 + NLP_VERSION_MINOR * 100 + NLP_VERSION_PATCH)
#define NLP_VERSION_STRING "0.1.0"

/* The version of the library actually linked, as NLP_VERSION_NUMBER; compare
 * with the macro to detect a header/library mismatch. */
NLP_API unsigned nlp_version(void);
NLP_API const char *nlp_version_string(void);

/* A string id: the 64-bit xxh3 hash of the string's bytes ("" is 0), as
 * spaCy's attr_t. Token and lexeme attributes are string ids. */
typedef uint64_t nlp_hash_t;

/* One list of status codes generates the enum, nlp_strerror and
 * nlp_status_name, so they can never disagree. */
#define NLP_STATUS_LIST(X)                                                     \
    X(OK, "success")                                                           \
    X(NOMEM, "out of memory")                                                  \
    X(INVALID_ARG, "invalid argument")                                         \
    X(STALE_HANDLE, "handle belongs to a memory zone that has ended")          \
    X(ZONE_OPEN,                                                               \
      "permanent tables are read-only while a memory zone is open")            \
    X(HASH_COLLISION, "two different strings have the same 64-bit hash")       \
    X(NOT_FOUND, "not found")                                                  \
    X(IO, "input/output error")                                                \
    X(FORMAT, "malformed input data")                                          \
    X(MODEL_CORRUPT, "model file is corrupt or truncated")                     \
    X(MODEL_VERSION, "model file format version is not supported")             \
    X(UNSUPPORTED, "operation not supported by this build")                    \
    X(LIMIT, "size limit exceeded")                                            \
    X(CANCELLED, "stopped by the caller")                                      \
    X(INTERNAL, "internal error")

typedef enum nlp_status {
#define NLP_STATUS_ENUM_(name, text) NLP_##name,
    NLP_STATUS_LIST(NLP_STATUS_ENUM_)
#undef NLP_STATUS_ENUM_
    NLP_STATUS_COUNT_
} nlp_status_t;

/* A constant English sentence describing `status`; never NULL. */
NLP_API const char *nlp_strerror(int status);
/* The enum name without the prefix, e.g. "STALE_HANDLE"; never NULL. */
NLP_API const char *nlp_status_name(int status);
/* Details of the last failure on the calling thread (file name, line number,
 * offending value; at least the call or component where it happened, as in
 * "tagger: out of memory"), or "" when there are none. Every failing call
 * replaces it. Valid until the next failing libspacyc call on this thread. */
NLP_API const char *nlp_error_detail(void);

/* Optional allocator, passed when an nlp_t is created. All three functions
 * must be given (NLP_INVALID_ARG otherwise); ctx is passed back unchanged.
 * The functions may be called from several threads at once. Memory zones
 * take large chunks from it and never call it per object. */
typedef struct nlp_allocator {
    void *(*malloc_fn)(void *ctx, size_t size);
    void *(*realloc_fn)(void *ctx, void *ptr, size_t size);
    void (*free_fn)(void *ctx, void *ptr);
    void *ctx;
} nlp_allocator_t;

/* Hashes bytes to a string id exactly as the string store does. Pure. */
NLP_API nlp_hash_t nlp_hash_string(const char *s, size_t len);

/* Output sink used by serialisers (JSON, CoNLL-U): return 0 to go on,
 * non-zero to stop (the serialiser then returns NLP_CANCELLED). */
typedef int (*nlp_write_fn)(void *ctx, const char *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
