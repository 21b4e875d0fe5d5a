/* The HTTP parsing service behind `spacyc serve`.
 *
 * Routes (HTTP/1.1, JSON bodies, keep-alive):
 *   POST /parse   {"texts": ["...", ...]}  ->  {"docs": [Doc.to_json(), ...]}
 *   GET  /health  {"status": "ok"}
 *   GET  /info    model metadata, pipeline, labels per component, versions
 *   GET  /stats   requests, docs, tokens and errors so far, and the time
 *                 spent in nlp_parse (parse_s) and in whole /parse handlers
 *                 (handler_s: JSON in, zone, parsing, JSON out)
 * Errors answer {"error": "message"}: 400 for malformed JSON, a wrong shape
 * or a body that is not valid UTF-8 (JSON must be UTF-8, so such a body is
 * rejected rather than repaired), 404 for an unknown route, 405 for a wrong
 * method (with an Allow header), 413 for a body over the configured limit,
 * 503 when memory runs out.
 *
 * Every /parse request runs in its own memory zone on one of the pool
 * threads, concurrently with the others; its Docs are serialised before the
 * zone ends, so the words a request brings are gone when it is answered.
 */
#ifndef NLP_SERVER_SERVER_H
#define NLP_SERVER_SERVER_H

#include <stddef.h>

#include "spacyc.h"

typedef struct nlp_server_options {
    const char *host;   /* address to bind, e.g. "127.0.0.1" or "::" */
    unsigned port;      /* 0 picks a free port (see nlp_server_port) */
    unsigned threads;   /* worker threads; 0 means one per CPU */
    size_t max_body;    /* largest accepted request body in bytes */
    int use_zones;      /* 0 parses outside zones under one lock (soak
                           comparison only: memory then grows) */
} nlp_server_options_t;

typedef struct nlp_server nlp_server_t;

/* Starts serving `nlp` (borrowed: it must outlive the server and must not
 * be used elsewhere for permanent additions while it runs). On failure
 * returns NULL and writes a message to err (err_cap bytes). */
nlp_server_t *nlp_server_start(nlp_t *nlp, const nlp_server_options_t *opts,
                               char *err, size_t err_cap);

/* The TCP port the server listens on (the chosen one when port was 0). */
unsigned nlp_server_port(const nlp_server_t *srv);

/* Stops the server gracefully: stops accepting connections, lets requests
 * already received finish (waiting at most grace_s seconds), then closes
 * every connection and frees the server. NULL is a no-op. */
void nlp_server_stop(nlp_server_t *srv, double grace_s);

#endif
