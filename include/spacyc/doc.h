/* libspacyc: memory zones, documents and tokens.
 *
 * A Doc made inside a memory zone lives in the zone's arena and dies when
 * the zone ends; every Doc-level call on it afterwards returns
 * NLP_STALE_HANDLE (or NULL / 0 for accessors) instead of touching freed
 * memory. A Doc made with zone == NULL is freed with nlp_doc_free.
 *
 * Thread safety: a Doc may be read from several threads at once; it must not
 * be modified by one thread while another reads it. A zone is used by one
 * thread at a time; different zones may be used by different threads at the
 * same time with no locking.
 */
#ifndef SPACYC_DOC_H
#define SPACYC_DOC_H

#include "common.h"
#include "vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nlp nlp_t;
typedef struct nlp_doc nlp_doc_t;

/* Entity IOB codes, as spaCy's Token.ent_iob. */
enum { NLP_IOB_UNSET = 0, NLP_IOB_I = 1, NLP_IOB_O = 2, NLP_IOB_B = 3 };

/* One token. Read-only for callers; valid as long as its Doc. String
 * attributes are ids (0 = unset) resolved with nlp_vocab_string() passing the
 * Doc's zone. */
typedef struct nlp_token {
    const nlp_lexeme_t *lex; /* the word type; lex->orth is the text */
    uint32_t idx;            /* byte offset of the token in the Doc text */
    uint32_t len;            /* length in bytes */
    nlp_hash_t tag;          /* fine-grained tag (XPOS), spaCy's tag_ */
    nlp_hash_t pos;          /* universal POS, spaCy's pos_ */
    nlp_hash_t morph;        /* "Number=Sing|Person=3" */
    nlp_hash_t lemma;
    nlp_hash_t dep;          /* dependency label */
    nlp_hash_t ent_type;     /* entity label, 0 outside entities */
    int32_t head;            /* head index minus own index; 0 = root */
    uint8_t spacy;           /* 1 if followed by one space character */
    int8_t sent_start;       /* 1 starts a sentence, 0 does not, -1 unknown */
    uint8_t ent_iob;         /* NLP_IOB_* */
    uint8_t reserved_;
} nlp_token_t;

/* A span of tokens [start, end) with a label (entities, sentences). */
typedef struct nlp_span {
    uint32_t start, end;       /* token indices */
    uint32_t start_char, end_char; /* byte offsets */
    nlp_hash_t label;
} nlp_span_t;

/* Which annotation layers a Doc carries (bit set). */
enum {
    NLP_HAS_TAG = 1u << 0,
    NLP_HAS_POS = 1u << 1,
    NLP_HAS_MORPH = 1u << 2,
    NLP_HAS_LEMMA = 1u << 3,
    NLP_HAS_DEP = 1u << 4,
    NLP_HAS_SENTS = 1u << 5,
    NLP_HAS_ENTS = 1u << 6,
};

/* Opens a memory zone of the model's vocabulary. Strings, lexemes and Docs
 * made with this zone live in its arena until nlp_memory_zone_end(). While
 * any zone is open, permanent additions fail with NLP_ZONE_OPEN. */
NLP_API nlp_status_t nlp_memory_zone_begin(nlp_t *nlp, nlp_zone_t **out);
/* Ends a zone: every string, lexeme and Doc made in it dies at once, and
 * its memory is kept (bounded) for the next zone. NULL is a no-op. */
NLP_API nlp_status_t nlp_memory_zone_end(nlp_zone_t *zone);

/* Frees a Doc made outside any zone. NULL is a no-op; a zone Doc is left
 * to its zone. */
NLP_API void nlp_doc_free(nlp_doc_t *doc);

/* NLP_OK while the Doc is alive, NLP_STALE_HANDLE once its zone ended. */
NLP_API nlp_status_t nlp_doc_check(const nlp_doc_t *doc);

/* The Doc's text copy (NUL-terminated, borrowed) and its length in bytes.
 * NULL for a stale Doc. */
NLP_API const char *nlp_doc_text(const nlp_doc_t *doc, size_t *len);

/* The token array (borrowed; valid as long as the Doc) and its length. */
NLP_API nlp_status_t nlp_doc_tokens(const nlp_doc_t *doc,
                                    const nlp_token_t **tokens, size_t *n);

/* Entity spans, sorted by start. */
NLP_API nlp_status_t nlp_doc_ents(const nlp_doc_t *doc, const nlp_span_t **ents,
                                  size_t *n);

/* Sentence spans, computed from sent_start (or the whole Doc as one
 * sentence when none is set). Writes up to `cap` spans and the total in *n. */
NLP_API nlp_status_t nlp_doc_sents(const nlp_doc_t *doc, nlp_span_t *spans,
                                   size_t cap, size_t *n);

/* NLP_HAS_* bits of the layers set on the Doc; 0 for a stale Doc. */
NLP_API unsigned nlp_doc_layers(const nlp_doc_t *doc);

/* The vocabulary and zone (NULL when none) the Doc's ids resolve in. */
NLP_API nlp_vocab_t *nlp_doc_vocab(const nlp_doc_t *doc);
NLP_API nlp_zone_t *nlp_doc_zone(const nlp_doc_t *doc);

/* Resolves a string id of this Doc (token attribute, label) to its text;
 * "" for 0 and for unknown ids. Borrowed as long as the Doc. */
NLP_API const char *nlp_doc_str(const nlp_doc_t *doc, nlp_hash_t id);

/* Writes the Doc as one line of JSON in the shape of spaCy's Doc.to_json():
 * {"text", "ents", "sents", "tokens": [{"id","start","end", "tag","pos",
 * "morph","lemma","dep","head"}]} with only the layers that are set. Offsets
 * are in bytes of the UTF-8 text. No trailing newline. */
NLP_API nlp_status_t nlp_doc_to_json(const nlp_doc_t *doc, nlp_write_fn write,
                                     void *ctx);

/* Writes the Doc as CoNLL-U, one block per sentence; entities go in MISC as
 * NER=B-ORG. Ends with the blank line after the last sentence. */
NLP_API nlp_status_t nlp_doc_to_conllu(const nlp_doc_t *doc, nlp_write_fn write,
                                       void *ctx);

#ifdef __cplusplus
}
#endif
#endif
