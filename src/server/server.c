/* The parsing service: HTTP on libmicrohttpd's thread pool, JSON in and out
 * with jansson, one memory zone per /parse request. */
#include "server.h"

#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Idle keep-alive connections are dropped after this many seconds. */
#define CONNECTION_TIMEOUT_S 60u
#define LISTEN_BACKLOG 1024u
/* Shutdown waits until no request has been in progress for this long, so
 * that a request already sent on an open connection is still answered. */
#define DRAIN_QUIET_S 0.2

struct nlp_server {
    struct MHD_Daemon *daemon;
    MHD_socket quiesced_fd; /* closed only after the daemon has stopped */
    nlp_t *nlp;
    nlp_server_options_t opts;
    char *info_json; /* the /info body, built once at start (malloc) */
    /* Without zones every parse adds permanent lexemes, which is allowed on
     * one thread at a time only. */
    pthread_mutex_t permanent_lock;
    atomic_int stopping;
    atomic_long in_flight; /* requests begun and not yet completed */
    atomic_ullong n_requests, n_docs, n_tokens, n_errors;
    /* Time inside nlp_parse, and in whole /parse handlers (JSON in, zone,
     * parsing, JSON out): their difference is the service's own cost. */
    atomic_ullong parse_ns, handler_ns;
    uint64_t started_ns;
};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- growable byte buffer (malloc-owned, handed to MHD with free) ---- */

typedef struct byte_buf {
    char *data;
    size_t len, cap;
    int failed; /* an allocation failed; the content is incomplete */
} byte_buf_t;

/* Most of a body's announced length reserved before it arrives. */
#define BODY_RESERVE_AHEAD (64u << 10)

static int buf_reserve(byte_buf_t *b, size_t extra) {
    if (b->failed) return -1;
    if (extra <= b->cap - b->len) return 0;
    char *p;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < extra) {
        if (cap > SIZE_MAX / 2) goto fail;
        cap *= 2;
    }
    p = realloc(b->data, cap);
    if (!p) goto fail;
    b->data = p;
    b->cap = cap;
    return 0;
fail:
    b->failed = 1;
    return -1;
}

static int buf_append(byte_buf_t *b, const char *p, size_t n) {
    if (buf_reserve(b, n)) return -1;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

/* nlp_write_fn appending to a byte_buf_t. */
static int buf_write(void *ctx, const char *data, size_t len) {
    return buf_append(ctx, data, len) ? 1 : 0;
}

/* ---- responses ---- */

static const char oom_body[] = "{\"error\":\"out of memory\"}";

/* Queues `body` (malloc'ed; ownership passes to MHD, NULL after a failed
 * allocation) as a JSON response. `allow` adds an Allow header. */
static enum MHD_Result respond(nlp_server_t *srv, struct MHD_Connection *c,
                               unsigned status, char *body, size_t len,
                               const char *allow) {
    struct MHD_Response *r = NULL;
    if (body) r = MHD_create_response_from_buffer_with_free_callback(len, body, free);
    if (!r) {
        free(body);
        status = MHD_HTTP_SERVICE_UNAVAILABLE;
        r = MHD_create_response_from_buffer(sizeof oom_body - 1, (void *)oom_body,
                                            MHD_RESPMEM_PERSISTENT);
        if (!r) return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    /* While stopping, clients are told to go elsewhere for their next request. */
    if (atomic_load(&srv->stopping))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    if (status >= 400) atomic_fetch_add_explicit(&srv->n_errors, 1, memory_order_relaxed);
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result respond_out_of_memory(nlp_server_t *srv,
                                             struct MHD_Connection *c) {
    return respond(srv, c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, 0, NULL);
}

/* Answers {"error": message} with `status`. */
static enum MHD_Result respond_error(nlp_server_t *srv, struct MHD_Connection *c,
                                     unsigned status, const char *allow,
                                     const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static enum MHD_Result respond_error(nlp_server_t *srv, struct MHD_Connection *c,
                                     unsigned status, const char *allow,
                                     const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* jansson escapes the message; a message that is not UTF-8 (it never
     * should be) falls back to a generic one. */
    json_t *o = json_pack("{s:s}", "error", msg);
    if (!o) o = json_pack("{s:s}", "error", "request failed");
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return respond(srv, c, status, body, body ? strlen(body) : 0, allow);
}

/* ---- POST /parse ---- */

typedef struct request {
    const struct route *route;
    int method_ok; /* route found and method allowed */
    byte_buf_t body;
    int too_large; /* the body passed max_body; the rest is discarded */
} request_t;

/* Parses every text of `texts` (an array of strings) in `zone` (NULL: on
 * the heap, permanent) and appends {"docs": [...]} to out. */
static nlp_status_t parse_and_write(nlp_server_t *srv, nlp_zone_t *zone,
                                    const json_t *texts, byte_buf_t *out) {
    nlp_status_t st = NLP_OK;
    size_t n_tokens = 0, n_texts = json_array_size(texts);
    uint64_t parse_ns = 0;
    buf_append(out, "{\"docs\":[", 9);
    for (size_t i = 0; i < n_texts && !st; i++) {
        const json_t *t = json_array_get(texts, i);
        nlp_doc_t *doc;
        uint64_t t0 = now_ns();
        st = nlp_parse(srv->nlp, zone, json_string_value(t), json_string_length(t), &doc);
        parse_ns += now_ns() - t0;
        if (st) break;
        if (i) buf_append(out, ",", 1);
        st = nlp_doc_to_json(doc, buf_write, out);
        const nlp_token_t *tokens;
        size_t n;
        if (!st && !nlp_doc_tokens(doc, &tokens, &n)) n_tokens += n;
        if (!zone) nlp_doc_free(doc);
    }
    buf_append(out, "]}", 2);
    if (out->failed) return NLP_NOMEM;
    if (!st) {
        atomic_fetch_add_explicit(&srv->n_docs, n_texts, memory_order_relaxed);
        atomic_fetch_add_explicit(&srv->n_tokens, n_tokens, memory_order_relaxed);
        atomic_fetch_add_explicit(&srv->parse_ns, parse_ns, memory_order_relaxed);
    }
    return st;
}

/* Runs parse_and_write inside a fresh memory zone, which ends only after
 * the Docs are serialised; or, with zones off, under the permanent lock. */
static nlp_status_t parse_texts(nlp_server_t *srv, const json_t *texts,
                                byte_buf_t *out) {
    nlp_status_t st;
    if (!srv->opts.use_zones) {
        pthread_mutex_lock(&srv->permanent_lock);
        st = parse_and_write(srv, NULL, texts, out);
        pthread_mutex_unlock(&srv->permanent_lock);
        return st;
    }
    nlp_zone_t *zone;
    if ((st = nlp_memory_zone_begin(srv->nlp, &zone))) return st;
    st = parse_and_write(srv, zone, texts, out);
    nlp_status_t end_st = nlp_memory_zone_end(zone);
    return st ? st : end_st;
}

static unsigned http_status_for(nlp_status_t st) {
    switch (st) {
    case NLP_NOMEM: return MHD_HTTP_SERVICE_UNAVAILABLE;
    case NLP_LIMIT: return MHD_HTTP_CONTENT_TOO_LARGE;
    case NLP_INVALID_ARG:
    case NLP_FORMAT: return MHD_HTTP_BAD_REQUEST;
    default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

/* Returns the "texts" array of a request, or NULL after writing why the
 * document has the wrong shape into why. */
static const json_t *texts_of(const json_t *root, char *why, size_t why_cap) {
    const json_t *texts = json_is_object(root) ? json_object_get(root, "texts") : NULL;
    if (!json_is_array(texts)) {
        snprintf(why, why_cap, "expected a JSON object {\"texts\": [string, ...]}");
        return NULL;
    }
    for (size_t i = 0; i < json_array_size(texts); i++) {
        if (!json_is_string(json_array_get(texts, i))) {
            snprintf(why, why_cap, "texts[%zu] is not a string", i);
            return NULL;
        }
    }
    return texts;
}

static enum MHD_Result handle_parse(nlp_server_t *srv, struct MHD_Connection *c,
                                    request_t *req) {
    if (req->too_large)
        return respond_error(srv, c, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
                             "request body exceeds the limit of %zu bytes",
                             srv->opts.max_body);
    if (req->body.failed) return respond_out_of_memory(srv, c);
    uint64_t t0 = now_ns();
    json_error_t jerr;
    /* Any JSON value is accepted by the parser, so that a well-formed body
     * of the wrong kind is reported as a wrong shape; and any JSON string,
     * "\u0000" included, is a text (the library takes bytes and lengths). */
    json_t *root = json_loadb(req->body.data ? req->body.data : "", req->body.len,
                              JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!root) {
        /* JSON text must be UTF-8; repairing it would silently change what
         * the client sent, so it is refused. */
        if (json_error_code(&jerr) == json_error_invalid_utf8)
            return respond_error(srv, c, MHD_HTTP_BAD_REQUEST, NULL,
                                 "request body is not valid UTF-8 (near byte %d)",
                                 jerr.position);
        return respond_error(srv, c, MHD_HTTP_BAD_REQUEST, NULL,
                             "malformed JSON at line %d, column %d: %s",
                             jerr.line, jerr.column, jerr.text);
    }
    char why[128];
    const json_t *texts = texts_of(root, why, sizeof why);
    if (!texts) {
        json_decref(root);
        return respond_error(srv, c, MHD_HTTP_BAD_REQUEST, NULL, "%s", why);
    }
    byte_buf_t out = {0};
    nlp_status_t st = parse_texts(srv, texts, &out);
    json_decref(root);
    if (st == NLP_NOMEM) {
        free(out.data);
        return respond_out_of_memory(srv, c);
    }
    if (st) {
        free(out.data);
        const char *detail = nlp_error_detail();
        return respond_error(srv, c, http_status_for(st), NULL, "cannot parse: %s%s%s%s",
                             nlp_strerror(st), *detail ? " (" : "", detail,
                             *detail ? ")" : "");
    }
    atomic_fetch_add_explicit(&srv->handler_ns, now_ns() - t0, memory_order_relaxed);
    return respond(srv, c, MHD_HTTP_OK, out.data, out.len, NULL);
}

/* ---- GET routes ---- */

static enum MHD_Result handle_health(nlp_server_t *srv, struct MHD_Connection *c,
                                     request_t *req) {
    (void)req;
    /* A stopping server says so, so that a load balancer drains it. */
    int stopping = atomic_load(&srv->stopping);
    const char *body = stopping ? "{\"status\":\"stopping\"}" : "{\"status\":\"ok\"}";
    char *copy = strdup(body);
    return respond(srv, c, stopping ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK,
                   copy, strlen(body), NULL);
}

static enum MHD_Result handle_info(nlp_server_t *srv, struct MHD_Connection *c,
                                   request_t *req) {
    (void)req;
    char *copy = strdup(srv->info_json);
    return respond(srv, c, MHD_HTTP_OK, copy, copy ? strlen(copy) : 0, NULL);
}

static enum MHD_Result handle_stats(nlp_server_t *srv, struct MHD_Connection *c,
                                    request_t *req) {
    (void)req;
    char body[512];
    int len = snprintf(
        body, sizeof body,
        "{\"requests\":%llu,\"docs\":%llu,\"tokens\":%llu,\"errors\":%llu,"
        "\"in_flight\":%ld,\"uptime_s\":%.3f,\"parse_s\":%.6f,\"handler_s\":%.6f,"
        "\"zones\":%s,\"threads\":%u}",
        (unsigned long long)atomic_load(&srv->n_requests),
        (unsigned long long)atomic_load(&srv->n_docs),
        (unsigned long long)atomic_load(&srv->n_tokens),
        (unsigned long long)atomic_load(&srv->n_errors),
        (long)atomic_load(&srv->in_flight), (double)(now_ns() - srv->started_ns) * 1e-9,
        (double)atomic_load(&srv->parse_ns) * 1e-9,
        (double)atomic_load(&srv->handler_ns) * 1e-9,
        srv->opts.use_zones ? "true" : "false", srv->opts.threads);
    char *copy = strdup(body);
    return respond(srv, c, MHD_HTTP_OK, copy, (size_t)len, NULL);
}

/* ---- routing ---- */

typedef enum MHD_Result (*handler_fn)(nlp_server_t *, struct MHD_Connection *,
                                      request_t *);

typedef struct route {
    const char *path;
    const char *method; /* GET routes also answer HEAD */
    handler_fn handle;
} route_t;

static const route_t routes[] = {
    {"/parse", MHD_HTTP_METHOD_POST, handle_parse},
    {"/health", MHD_HTTP_METHOD_GET, handle_health},
    {"/info", MHD_HTTP_METHOD_GET, handle_info},
    {"/stats", MHD_HTTP_METHOD_GET, handle_stats},
};

static const route_t *find_route(const char *url) {
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++)
        if (!strcmp(url, routes[i].path)) return &routes[i];
    return NULL;
}

static int method_allowed(const route_t *r, const char *method) {
    if (!strcmp(method, r->method)) return 1;
    return !strcmp(r->method, MHD_HTTP_METHOD_GET) && !strcmp(method, MHD_HTTP_METHOD_HEAD);
}

/* The first call for a request (headers received): routes it and refuses
 * an announced body over the limit before reading it (MHD then closes the
 * connection). Everything else is answered once the request has been read
 * completely, which keeps the connection alive. */
static enum MHD_Result begin_request(nlp_server_t *srv, struct MHD_Connection *c,
                                     const char *url, const char *method,
                                     void **con_cls) {
    request_t *req = calloc(1, sizeof *req);
    if (!req) return MHD_NO;
    *con_cls = req;
    atomic_fetch_add(&srv->in_flight, 1);
    atomic_fetch_add_explicit(&srv->n_requests, 1, memory_order_relaxed);
    req->route = find_route(url);
    req->method_ok = req->route && method_allowed(req->route, method);
    if (!req->method_ok || strcmp(req->route->method, MHD_HTTP_METHOD_POST))
        return MHD_YES;
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        unsigned long long n = strtoull(cl, NULL, 10);
        if (n > srv->opts.max_body) {
            req->too_large = 1;
            return handle_parse(srv, c, req);
        }
        /* Memory follows the bytes that arrive, not the bytes announced:
         * a client that sends only headers holds at most this much. */
        buf_reserve(&req->body, (size_t)(n < BODY_RESERVE_AHEAD ? n : BODY_RESERVE_AHEAD) + 1);
    }
    return MHD_YES;
}

/* Collects a piece of the body of a POST; past max_body the rest is
 * dropped and the request is answered with 413 once it has been read.
 * Bodies sent to other routes are ignored. */
static void take_body(nlp_server_t *srv, request_t *req, const char *data,
                      size_t n) {
    if (req->too_large || !req->method_ok ||
        strcmp(req->route->method, MHD_HTTP_METHOD_POST))
        return;
    if (n > srv->opts.max_body - req->body.len) {
        req->too_large = 1;
        free(req->body.data);
        req->body = (byte_buf_t){0};
        return;
    }
    buf_append(&req->body, data, n);
}

/* Answers a request that has been read completely. */
static enum MHD_Result finish_request(nlp_server_t *srv, struct MHD_Connection *c,
                                      request_t *req) {
    const route_t *r = req->route;
    if (!r)
        return respond_error(srv, c, MHD_HTTP_NOT_FOUND, NULL,
                             "no such route; the service answers POST /parse, "
                             "GET /health, GET /info and GET /stats");
    if (!req->method_ok) {
        const char *allow = strcmp(r->method, MHD_HTTP_METHOD_GET) ? r->method : "GET, HEAD";
        return respond_error(srv, c, MHD_HTTP_METHOD_NOT_ALLOWED, allow,
                             "%s accepts %s only", r->path, allow);
    }
    return r->handle(srv, c, req);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls) {
    (void)version;
    nlp_server_t *srv = cls;
    request_t *req = *con_cls;
    if (!req) return begin_request(srv, c, url, method, con_cls);
    if (*upload_size) {
        take_body(srv, req, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    return finish_request(srv, c, req);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)c;
    (void)toe;
    nlp_server_t *srv = cls;
    request_t *req = *con_cls;
    if (!req) return;
    free(req->body.data);
    free(req);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->in_flight, 1);
}

/* ---- /info, start and stop ---- */

/* The labels component i predicts, as a new JSON array (NULL when memory
 * runs out). */
static json_t *component_labels(nlp_t *nlp, size_t i) {
    size_t n = 0;
    if (nlp_component_labels(nlp, i, NULL, 0, &n)) n = 0;
    const char **names = calloc(n ? n : 1, sizeof *names);
    json_t *list = json_array();
    size_t cap = n;
    if (!names || !list || (cap && nlp_component_labels(nlp, i, names, cap, &n))) n = 0;
    int bad = !names || !list;
    for (size_t k = 0; k < n && k < cap && !bad; k++)
        bad = json_array_append_new(list, json_string(names[k]));
    free(names);
    if (bad) {
        json_decref(list);
        return NULL;
    }
    return list;
}

/* Adds every component's name to `pipeline` and {"<name>": [labels...]} to
 * `labels`. Returns 0, or -1 when memory runs out. */
static int add_components(nlp_t *nlp, json_t *pipeline, json_t *labels) {
    for (size_t i = 0; i < nlp_n_components(nlp); i++) {
        const char *name = nlp_component_name(nlp, i);
        json_t *list = component_labels(nlp, i);
        /* The _new setters take the reference even when they fail. */
        if (!list || json_object_set_new(labels, name, list) ||
            json_array_append_new(pipeline, json_string(name)))
            return -1;
    }
    return 0;
}

/* The /info body, in the shape of spaCy's nlp.meta plus versions. */
static char *build_info(nlp_t *nlp, const nlp_server_options_t *opts) {
    json_t *o = json_object(), *pipeline = json_array(), *labels = json_object();
    char *out = NULL;
    if (!o || !pipeline || !labels) goto done;
    static const char *const keys[] = {"name", "lang", "version", "description"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const char *v = nlp_meta(nlp, keys[i]);
        if (json_object_set_new(o, keys[i], v ? json_string(v) : json_null())) goto done;
    }
    if (add_components(nlp, pipeline, labels) ||
        json_object_set(o, "pipeline", pipeline) ||
        json_object_set(o, "labels", labels) ||
        json_object_set_new(o, "library_version", json_string(nlp_version_string())) ||
        json_object_set_new(o, "zones", json_boolean(opts->use_zones)) ||
        json_object_set_new(o, "max_body", json_integer((json_int_t)opts->max_body)))
        goto done;
    out = json_dumps(o, JSON_COMPACT);
done:
    json_decref(pipeline);
    json_decref(labels);
    json_decref(o);
    return out;
}

static void free_server(nlp_server_t *srv) {
    free(srv->info_json);
    pthread_mutex_destroy(&srv->permanent_lock);
    free(srv);
}

nlp_server_t *nlp_server_start(nlp_t *nlp, const nlp_server_options_t *opts,
                               char *err, size_t err_cap) {
    nlp_server_t *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    srv->nlp = nlp;
    srv->opts = *opts;
    srv->quiesced_fd = MHD_INVALID_SOCKET;
    if (!srv->opts.threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        srv->opts.threads = n > 0 ? (unsigned)n : 1;
    }
    srv->started_ns = now_ns();
    pthread_mutex_init(&srv->permanent_lock, NULL);
    /* jansson seeds its hash function lazily; doing it here, before the pool
     * threads exist, keeps that first call from racing. */
    json_object_seed(0);
    char port[16];
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *addr = NULL;
    int gai;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    /* A pool of one is MHD's single polling thread. */
    unsigned pool = srv->opts.threads > 1 ? srv->opts.threads : 0;
    /* The pool size goes in only when there is a pool: MHD warns on a size
     * of 0 (an array that starts with MHD_OPTION_END is empty). */
    struct MHD_OptionItem pool_option[] = {
        {pool ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, pool, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    if (!(srv->info_json = build_info(nlp, &srv->opts))) {
        snprintf(err, err_cap, "out of memory");
        goto fail;
    }
    snprintf(port, sizeof port, "%u", opts->port);
    gai = getaddrinfo(opts->host, port, &hints, &addr);
    if (gai) {
        snprintf(err, err_cap, "cannot resolve %s: %s", opts->host, gai_strerror(gai));
        goto fail;
    }
    if (addr->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)opts->port, NULL, NULL, on_request, srv,
        MHD_OPTION_SOCK_ADDR, addr->ai_addr,
        MHD_OPTION_ARRAY, pool_option,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_S,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, LISTEN_BACKLOG,
        MHD_OPTION_END);
    freeaddrinfo(addr);
    if (!srv->daemon) {
        snprintf(err, err_cap, "cannot listen on %s port %u", opts->host, opts->port);
        goto fail;
    }
    return srv;
fail:
    free_server(srv);
    return NULL;
}

unsigned nlp_server_port(const nlp_server_t *srv) {
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

/* Waits until every connection has closed, or no request has been in
 * progress for DRAIN_QUIET_S seconds, or grace_s seconds have passed. */
static void wait_for_drain(nlp_server_t *srv, double grace_s) {
    struct timespec tick = {0, 10 * 1000 * 1000};
    uint64_t t0 = now_ns();
    double quiet_since = 0;
    for (double t = 0; t < grace_s; t = (double)(now_ns() - t0) * 1e-9) {
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (info && info->num_connections == 0) return;
        if (atomic_load(&srv->in_flight) > 0) quiet_since = t;
        else if (t - quiet_since >= DRAIN_QUIET_S) return;
        nanosleep(&tick, NULL);
    }
}

void nlp_server_stop(nlp_server_t *srv, double grace_s) {
    if (!srv) return;
    atomic_store(&srv->stopping, 1);
    srv->quiesced_fd = MHD_quiesce_daemon(srv->daemon);
    wait_for_drain(srv, grace_s);
    MHD_stop_daemon(srv->daemon);
    if (srv->quiesced_fd != MHD_INVALID_SOCKET) close(srv->quiesced_fd);
    free_server(srv);
}
