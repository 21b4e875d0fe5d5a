/* The UTF-8 byte order mark some editors write at the start of a file. It
 * names the file's encoding and is not text: every reader of text files
 * skips it, so it never sticks to the first token. */
#ifndef NLP_IO_BOM_H
#define NLP_IO_BOM_H

#include <stddef.h>
#include <string.h>

/* Bytes of a byte order mark at the start of data[0..len): 3, or 0. */
static inline size_t nlp__bom_len(const char *data, size_t len) {
    return len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

#endif
