/* The model file container: one binary file of named sections.
 *
 * Layout (all integers little-endian): a 64-byte header (magic "SPACYCM1",
 * format version, section count, offset of the section table, file size,
 * xxh3 checksum of the table), a section table (name, offset, size, xxh3
 * checksum of the bytes per entry), and the sections, each starting on a
 * 64-byte boundary so float arrays can be used in place. The reader maps
 * the file read-only (shared between threads and processes) and validates
 * every offset, size and checksum before handing out a pointer.
 */
#ifndef NLP_IO_MODEL_FILE_H
#define NLP_IO_MODEL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "spacyc/common.h"

#define NLP__MODEL_FORMAT_VERSION 1u
#define NLP__MODEL_SECTION_NAME_MAX 47 /* bytes, without the NUL */

typedef struct nlp__model_writer nlp__model_writer_t;
typedef struct nlp__model_reader nlp__model_reader_t;

nlp_status_t nlp__model_writer_create(const nlp_allocator_t *alloc,
                                      nlp__model_writer_t **out);
/* Adds a section holding a copy of data[0..len). Names are unique. */
nlp_status_t nlp__model_writer_add(nlp__model_writer_t *w, const char *name,
                                   const void *data, size_t len);
/* Writes the file to path.tmp and renames it into place. */
nlp_status_t nlp__model_writer_save(nlp__model_writer_t *w, const char *path);
void nlp__model_writer_free(nlp__model_writer_t *w);

/* Opens and validates a model file (NLP_IO, NLP_MODEL_CORRUPT,
 * NLP_MODEL_VERSION with a detail message on failure). */
nlp_status_t nlp__model_reader_open(const char *path,
                                    const nlp_allocator_t *alloc,
                                    nlp__model_reader_t **out);
/* Validates an in-memory image instead of a file (used by tests/fuzzing);
 * `data` must stay valid and 64-byte aligned while the reader lives. */
nlp_status_t nlp__model_reader_open_memory(const void *data, size_t len,
                                           const nlp_allocator_t *alloc,
                                           nlp__model_reader_t **out);
/* A section's bytes (64-byte aligned, read-only) or NLP_NOT_FOUND. */
nlp_status_t nlp__model_reader_section(const nlp__model_reader_t *r,
                                       const char *name, const void **data,
                                       size_t *len);
size_t nlp__model_reader_n_sections(const nlp__model_reader_t *r);
const char *nlp__model_reader_section_name(const nlp__model_reader_t *r,
                                           size_t i);
void nlp__model_reader_close(nlp__model_reader_t *r);

#endif
