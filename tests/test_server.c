/* End-to-end tests of `spacyc serve`: every route, every kind of bad input,
 * ten thousand concurrent requests full of new words with a bound on the
 * server's memory growth, and a graceful stop. The server is the built
 * binary ($SPACYC_BIN) on a free loopback port; the client is a minimal
 * HTTP/1.1 client over plain sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY 65536
#define SERVER_THREADS "4"
#define CLIENT_THREADS 4
#define WARMUP_REQUESTS 1000
#define LOAD_REQUESTS 10000
/* Allowed RSS growth between request 1,000 and request 10,000 with zones. */
#define RSS_BOUND_KB 1024

/* ---- the server process ---- */

typedef struct server {
    pid_t pid;
    unsigned port;
    char log_path[64];
} server_t;

static server_t shared_server;
/* Servers started by tests, so that a failed assertion (which leaves its
 * test early) does not leave one running: the group teardown kills them. */
static pid_t running[8];

static void remember(pid_t pid, pid_t replace) {
    for (size_t i = 0; i < sizeof running / sizeof *running; i++)
        if (running[i] == replace) {
            running[i] = pid;
            return;
        }
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Reads the start of the server's log (its stderr) into text, NUL-terminated
 * ("" while the file cannot be read). */
static void read_log(const server_t *s, char *text, size_t cap) {
    size_t len = 0;
    FILE *f = fopen(s->log_path, "r");
    if (f) {
        len = fread(text, 1, cap - 1, f);
        fclose(f);
    }
    text[len] = '\0';
}

/* Starts `spacyc serve --port 0 ARGS...` with its stderr in a temporary
 * file and waits for the line that names the port. Returns 0 or -1. */
static int server_start(server_t *s, const char *const *args) {
    const char *bin = getenv("SPACYC_BIN");
    if (!bin || access(bin, X_OK)) return -1;
    snprintf(s->log_path, sizeof s->log_path, "/tmp/test_server_XXXXXX");
    int log_fd = mkstemp(s->log_path);
    if (log_fd < 0) return -1;
    const char *argv[32] = {bin, "serve", "--port", "0", "--host", "127.0.0.1"};
    size_t n = 6;
    for (; args && *args && n < 31; args++) argv[n++] = *args;
    argv[n] = NULL;
    s->pid = fork();
    if (s->pid == 0) {
        dup2(log_fd, STDERR_FILENO);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(log_fd);
    if (s->pid < 0) return -1;
    for (double t0 = now_s(); now_s() - t0 < 30;) {
        char text[4096];
        read_log(s, text, sizeof text);
        const char *at = strstr(text, "listening on http://127.0.0.1:");
        if (at && sscanf(at, "listening on http://127.0.0.1:%u", &s->port) == 1) {
            remember(s->pid, 0);
            return 0;
        }
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) break;
        usleep(10000);
    }
    fprintf(stderr, "the server did not start; see %s\n", s->log_path);
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
    return -1;
}

/* Waits up to timeout_s for the server to exit; returns its exit status,
 * or -1 when it did not exit normally (it is then killed). */
static int server_wait(server_t *s, double timeout_s) {
    if (s->pid <= 0) return -1;
    int status = 0, exited = 0;
    for (double t0 = now_s(); !exited && now_s() - t0 < timeout_s;) {
        exited = waitpid(s->pid, &status, WNOHANG) == s->pid;
        if (!exited) usleep(10000);
    }
    if (!exited) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
    }
    remember(0, s->pid);
    s->pid = 0;
    unlink(s->log_path);
    return exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Sends SIGTERM and returns the exit status, as server_wait. */
static int server_stop(server_t *s) {
    if (s->pid <= 0) return -1;
    kill(s->pid, SIGTERM);
    return server_wait(s, 20);
}

/* Resident memory of a process in KiB, from /proc/PID/status. */
static long rss_kb(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb;
}

/* ---- a minimal HTTP/1.1 client ---- */

typedef struct conn {
    int fd;
    unsigned port;
    char buf[1 << 16]; /* bytes read but not yet consumed */
    size_t len;
} conn_t;

typedef struct reply {
    int status;
    char head[4096];    /* status line and headers, NUL-terminated */
    char *body;         /* malloc'ed, NUL-terminated */
    size_t body_len;
    int closed;         /* the server announced Connection: close */
} reply_t;

static int conn_open(conn_t *c, unsigned port) {
    c->port = port;
    c->len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) return -1;
    struct timeval tv = {10, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a)) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

static void conn_close(conn_t *c) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

static int send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Reads until `want` bytes are buffered; -1 on error or end of stream. */
static int fill(conn_t *c, size_t want) {
    while (c->len < want) {
        if (c->len == sizeof c->buf) return -1;
        ssize_t k = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (k <= 0) return -1;
        c->len += (size_t)k;
    }
    return 0;
}

/* Value of header `name` in a reply head (copied into out), or NULL. */
static const char *header(const reply_t *r, const char *name, char *out, size_t cap) {
    size_t n = strlen(name);
    for (const char *p = strstr(r->head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (!strncasecmp(line, name, n) && line[n] == ':') {
            const char *v = line + n + 1, *end = strstr(v, "\r\n");
            while (*v == ' ') v++;
            size_t len = end ? (size_t)(end - v) : strlen(v);
            if (len >= cap) len = cap - 1;
            memcpy(out, v, len);
            out[len] = '\0';
            return out;
        }
    }
    return NULL;
}

/* Reads one response; `head_only` for replies to HEAD. Returns 0 or -1. */
static int read_reply(conn_t *c, reply_t *r, int head_only) {
    memset(r, 0, sizeof *r);
    char *end;
    for (;;) {
        end = c->len ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL;
        if (end) break;
        if (fill(c, c->len + 1)) return -1;
    }
    size_t head_len = (size_t)(end - c->buf) + 4;
    if (head_len >= sizeof r->head) return -1;
    memcpy(r->head, c->buf, head_len);
    if (sscanf(r->head, "HTTP/1.1 %d", &r->status) != 1) return -1;
    char v[64];
    size_t body_len = header(r, "Content-Length", v, sizeof v) ? strtoul(v, NULL, 10) : 0;
    r->closed = header(r, "Connection", v, sizeof v) && !strcasecmp(v, "close");
    if (head_only) body_len = 0;
    if (head_len + body_len > sizeof c->buf || fill(c, head_len + body_len)) return -1;
    r->body = malloc(body_len + 1);
    memcpy(r->body, c->buf + head_len, body_len);
    r->body[body_len] = '\0';
    r->body_len = body_len;
    memmove(c->buf, c->buf + head_len + body_len, c->len - head_len - body_len);
    c->len -= head_len + body_len;
    return 0;
}

/* Sends one request with a Content-Length body (when body != NULL) and
 * reads the reply, reconnecting first when the connection is closed. */
static int request(conn_t *c, const char *method, const char *path,
                   const char *body, size_t len, reply_t *r) {
    if (c->fd < 0 && conn_open(c, c->port)) return -1;
    char head[512];
    int n = body ? snprintf(head, sizeof head,
                            "%s %s HTTP/1.1\r\nHost: localhost\r\n"
                            "Content-Type: application/json\r\n"
                            "Content-Length: %zu\r\n\r\n", method, path, len)
                 : snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: localhost\r\n\r\n",
                            method, path);
    if (send_all(c->fd, head, (size_t)n) || (body && send_all(c->fd, body, len)) ||
        read_reply(c, r, !strcmp(method, "HEAD"))) {
        conn_close(c);
        return -1;
    }
    if (r->closed) conn_close(c);
    return 0;
}

/* A one-off request on a fresh connection to the server on `port`. */
static reply_t call_port(unsigned port, const char *method, const char *path,
                         const char *body) {
    conn_t *c = malloc(sizeof *c);
    c->fd = -1;
    c->port = port;
    reply_t r;
    assert_int_equal(request(c, method, path, body, body ? strlen(body) : 0, &r), 0);
    conn_close(c);
    free(c);
    return r;
}

/* The same on the shared server. */
static reply_t call(const char *method, const char *path, const char *body) {
    return call_port(shared_server.port, method, path, body);
}

/* The reply body as JSON (the caller frees with json_decref). */
static json_t *body_json(const reply_t *r) {
    json_error_t err;
    json_t *j = json_loadb(r->body, r->body_len, JSON_ALLOW_NUL, &err);
    if (!j) fprintf(stderr, "bad JSON reply (%s): %.200s\n", err.text, r->body);
    assert_non_null(j);
    return j;
}

/* Asserts an error reply: the status and {"error": "...needle..."}. */
static void assert_error_reply(const reply_t *r, int status, const char *needle) {
    assert_int_equal(r->status, status);
    json_t *j = body_json(r);
    const char *msg = json_string_value(json_object_get(j, "error"));
    assert_non_null(msg);
    if (needle && !strstr(msg, needle)) fail_msg("error \"%s\" lacks \"%s\"", msg, needle);
    json_decref(j);
}

static void require_server(void) {
    if (!shared_server.pid) skip();
}

/* ---- routes ---- */

static void test_health_answers_ok(void **state) {
    (void)state;
    require_server();
    reply_t r = call("GET", "/health", NULL);
    assert_int_equal(r.status, 200);
    char v[64];
    assert_non_null(header(&r, "Content-Type", v, sizeof v));
    assert_string_equal(v, "application/json");
    json_t *j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
    json_decref(j);
    free(r.body);
    r = call("HEAD", "/health", NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    free(r.body);
}

static void test_info_describes_pipeline(void **state) {
    (void)state;
    require_server();
    reply_t r = call("GET", "/info", NULL);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "lang")), "en");
    assert_non_null(json_string_value(json_object_get(j, "library_version")));
    assert_true(json_is_array(json_object_get(j, "pipeline")));
    assert_true(json_is_object(json_object_get(j, "labels")));
    assert_int_equal(json_integer_value(json_object_get(j, "max_body")), MAX_BODY);
    json_decref(j);
    free(r.body);
}

/* Checks one Doc of a reply against the text sent: same text, tokens in
 * order, inside the text, not overlapping, covering every non-space byte. */
static void assert_doc_matches(const json_t *doc, const char *text) {
    assert_string_equal(json_string_value(json_object_get(doc, "text")), text);
    const json_t *tokens = json_object_get(doc, "tokens");
    assert_true(json_is_array(tokens));
    size_t len = strlen(text), covered_to = 0;
    for (size_t i = 0; i < json_array_size(tokens); i++) {
        const json_t *t = json_array_get(tokens, i);
        json_int_t start = json_integer_value(json_object_get(t, "start"));
        json_int_t end = json_integer_value(json_object_get(t, "end"));
        assert_int_equal(json_integer_value(json_object_get(t, "id")), (json_int_t)i);
        assert_true(start >= (json_int_t)covered_to && start < end && end <= (json_int_t)len);
        for (size_t b = covered_to; b < (size_t)start; b++)
            assert_true(text[b] == ' ' || text[b] == '\n' || text[b] == '\t');
        covered_to = (size_t)end;
    }
    for (size_t b = covered_to; b < len; b++) assert_true(text[b] == ' ');
}

static void test_parse_returns_one_doc_per_text(void **state) {
    (void)state;
    require_server();
    static const char *const texts[] = {"Hello world, this is spacyc.", "",
                                        "Caf\u00e9 na\u00efve \U0001F600 ok"};
    json_t *req = json_pack("{s:[s,s,s]}", "texts", texts[0], texts[1], texts[2]);
    char *body = json_dumps(req, JSON_COMPACT);
    reply_t r = call("POST", "/parse", body);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    const json_t *docs = json_object_get(j, "docs");
    assert_int_equal(json_array_size(docs), 3);
    for (size_t i = 0; i < 3; i++) assert_doc_matches(json_array_get(docs, i), texts[i]);
    assert_true(json_array_size(json_object_get(json_array_get(docs, 0), "tokens")) >= 5);
    json_decref(j);
    json_decref(req);
    free(body);
    free(r.body);
}

static void test_parse_of_no_texts_gives_no_docs(void **state) {
    (void)state;
    require_server();
    reply_t r = call("POST", "/parse", "{\"texts\": []}");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"docs\":[]}");
    free(r.body);
}

/* Every JSON string is a text, NUL characters included, and comes back
 * unchanged. */
static void test_parse_keeps_nul_characters(void **state) {
    (void)state;
    require_server();
    reply_t r = call("POST", "/parse", "{\"texts\": [\"a\\u0000b c\"]}");
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    const json_t *text = json_object_get(json_array_get(json_object_get(j, "docs"), 0), "text");
    assert_int_equal(json_string_length(text), 5);
    assert_memory_equal(json_string_value(text), "a\0b c", 5);
    json_decref(j);
    free(r.body);
}

static void test_parse_rejects_malformed_json(void **state) {
    (void)state;
    require_server();
    static const char *const bodies[] = {"", "{", "{\"texts\": [\"a\",]}", "texts", "{}}"};
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        reply_t r = call("POST", "/parse", bodies[i]);
        assert_error_reply(&r, 400, "JSON");
        free(r.body);
    }
}

static void test_parse_rejects_wrong_shapes(void **state) {
    (void)state;
    require_server();
    static const char *const bodies[] = {
        "[]", "\"hello\"", "{\"text\": \"a\"}", "{\"texts\": \"a\"}",
        "{\"texts\": {\"a\": 1}}", "{\"texts\": [1]}", "{\"texts\": [\"a\", null]}",
        "{\"texts\": [[\"a\"]]}"};
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        reply_t r = call("POST", "/parse", bodies[i]);
        assert_error_reply(&r, 400, "texts");
        free(r.body);
    }
}

static void test_parse_rejects_invalid_utf8(void **state) {
    (void)state;
    require_server();
    static const char *const bodies[] = {"{\"texts\": [\"caf\xe9\"]}",
                                         "{\"texts\": [\"\xff\xfe\"]}",
                                         "{\"texts\": [\"\xed\xa0\x80\"]}"};
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        reply_t r = call("POST", "/parse", bodies[i]);
        assert_error_reply(&r, 400, "UTF-8");
        free(r.body);
    }
}

static void test_parse_rejects_oversized_body(void **state) {
    (void)state;
    require_server();
    size_t len = MAX_BODY + 1;
    char *big = malloc(len + 1);
    memset(big, 'a', len);
    big[len] = '\0';
    /* Announced by Content-Length: refused before the body is read. */
    reply_t r = call("POST", "/parse", big);
    assert_error_reply(&r, 413, "limit");
    free(r.body);
    /* Chunked, so only counting the bytes can tell. */
    conn_t *c = malloc(sizeof *c);
    assert_int_equal(conn_open(c, shared_server.port), 0);
    const char *head = "POST /parse HTTP/1.1\r\nHost: localhost\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n";
    char size_line[32];
    int n = snprintf(size_line, sizeof size_line, "%zx\r\n", len);
    assert_int_equal(send_all(c->fd, head, strlen(head)), 0);
    assert_int_equal(send_all(c->fd, size_line, (size_t)n), 0);
    assert_int_equal(send_all(c->fd, big, len), 0);
    assert_int_equal(send_all(c->fd, "\r\n0\r\n\r\n", 7), 0);
    assert_int_equal(read_reply(c, &r, 0), 0);
    assert_error_reply(&r, 413, "limit");
    free(r.body);
    conn_close(c);
    free(c);
    free(big);
}

static void test_unknown_route_is_404(void **state) {
    (void)state;
    require_server();
    static const char *const paths[] = {"/", "/parse/", "/nope", "/PARSE", "/info/x"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        reply_t r = call("GET", paths[i], NULL);
        assert_error_reply(&r, 404, "route");
        free(r.body);
    }
}

static void test_wrong_method_is_405(void **state) {
    (void)state;
    require_server();
    static const struct {
        const char *method, *path, *allow;
    } cases[] = {{"GET", "/parse", "POST"},
                 {"PUT", "/parse", "POST"},
                 {"POST", "/health", "GET, HEAD"},
                 {"DELETE", "/info", "GET, HEAD"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        reply_t r = call(cases[i].method, cases[i].path,
                         strcmp(cases[i].method, "POST") ? NULL : "{}");
        assert_error_reply(&r, 405, "only");
        char v[64];
        assert_non_null(header(&r, "Allow", v, sizeof v));
        assert_string_equal(v, cases[i].allow);
        free(r.body);
    }
}

/* ---- load ---- */

typedef struct load_worker {
    pthread_t thread;
    unsigned id, port;
    unsigned first, count; /* request numbers [first, first + count) */
    unsigned failures;
    char failure[256];
} load_worker_t;

/* Two texts per request, each with words no request has used before. */
static void load_texts(unsigned worker, unsigned n, char *a, char *b, size_t cap) {
    snprintf(a, cap, "Order q%ux%uz shipped to user%u_%u@example.com via "
                     "https://ex.com/t/%u/%u today.", worker, n, n, worker, worker, n);
    snprintf(b, cap, "Ticket #%u-%u from Zq%uw%u says the %u%uth build of Kx%uv "
                     "failed: \"err%u%u\".", worker, n, n, worker, n, worker, n, worker, n);
}

static void *load_run(void *arg) {
    load_worker_t *w = arg;
    conn_t *c = malloc(sizeof *c);
    c->fd = -1;
    c->port = w->port;
    for (unsigned n = w->first; n < w->first + w->count; n++) {
        char a[256], b[256];
        load_texts(w->id, n, a, b, sizeof a);
        json_t *req = json_pack("{s:[s,s]}", "texts", a, b);
        char *body = json_dumps(req, JSON_COMPACT);
        json_decref(req);
        reply_t r = {0};
        json_t *j = NULL;
        const char *why = NULL;
        if (request(c, "POST", "/parse", body, strlen(body), &r)) why = "no reply";
        else if (r.status != 200) why = "status";
        else if (!(j = json_loadb(r.body, r.body_len, 0, NULL))) why = "bad JSON";
        else {
            const json_t *docs = json_object_get(j, "docs");
            const char *ta = json_string_value(json_object_get(json_array_get(docs, 0), "text"));
            const char *tb = json_string_value(json_object_get(json_array_get(docs, 1), "text"));
            if (json_array_size(docs) != 2 || !ta || !tb || strcmp(ta, a) || strcmp(tb, b))
                why = "wrong docs";
        }
        if (why && !w->failures++)
            snprintf(w->failure, sizeof w->failure, "request %u: %s (%d) %.120s", n, why,
                     r.status, r.body ? r.body : "");
        json_decref(j);
        free(r.body);
        free(body);
    }
    conn_close(c);
    free(c);
    return NULL;
}

typedef struct bad_worker {
    pthread_t thread;
    unsigned port;
    volatile int stop;
    unsigned sent, failures;
} bad_worker_t;

/* Sends bad requests of every kind until told to stop, checking each
 * answer, while the load workers run. */
static void *bad_run(void *arg) {
    bad_worker_t *w = arg;
    static const struct {
        const char *method, *path, *body;
        int status;
    } cases[] = {{"POST", "/parse", "{\"texts\": [", 400},
                 {"POST", "/parse", "{\"texts\": [7]}", 400},
                 {"POST", "/parse", "{\"texts\": [\"\xc3\x28\"]}", 400},
                 {"GET", "/missing", NULL, 404},
                 {"GET", "/parse", NULL, 405}};
    conn_t *c = malloc(sizeof *c);
    c->fd = -1;
    c->port = w->port;
    char *big = malloc(MAX_BODY + 2);
    memset(big, ' ', MAX_BODY + 1);
    big[MAX_BODY + 1] = '\0';
    for (unsigned i = 0; !w->stop; i++) {
        size_t k = i % 6;
        reply_t r = {0};
        int rc, want;
        if (k == 5) {
            rc = request(c, "POST", "/parse", big, MAX_BODY + 1, &r);
            want = 413;
        } else {
            const char *body = cases[k].body;
            rc = request(c, cases[k].method, cases[k].path, body, body ? strlen(body) : 0, &r);
            want = cases[k].status;
        }
        w->sent++;
        if (rc || r.status != want) w->failures++;
        free(r.body);
    }
    conn_close(c);
    free(c);
    free(big);
    return NULL;
}

/* Runs `total` requests numbered from `first`, split over the client
 * threads, with a bad-input thread alongside; returns the failures. */
static unsigned run_load(unsigned port, unsigned first, unsigned total) {
    load_worker_t workers[CLIENT_THREADS];
    bad_worker_t bad = {.port = port};
    pthread_create(&bad.thread, NULL, bad_run, &bad);
    for (unsigned i = 0; i < CLIENT_THREADS; i++) {
        workers[i] = (load_worker_t){.id = i, .port = port,
                                     .first = first + i * (total / CLIENT_THREADS),
                                     .count = total / CLIENT_THREADS};
        pthread_create(&workers[i].thread, NULL, load_run, &workers[i]);
    }
    unsigned failures = 0;
    for (unsigned i = 0; i < CLIENT_THREADS; i++) {
        pthread_join(workers[i].thread, NULL);
        if (workers[i].failures)
            fprintf(stderr, "worker %u: %u failures, first: %s\n", i, workers[i].failures,
                    workers[i].failure);
        failures += workers[i].failures;
    }
    bad.stop = 1;
    pthread_join(bad.thread, NULL);
    if (bad.failures) fprintf(stderr, "bad-input thread: %u wrong answers\n", bad.failures);
    assert_true(bad.sent > 0);
    return failures + bad.failures;
}

/* Ten thousand requests with new words: every answer right, and the
 * server's memory after them within RSS_BOUND_KB of its memory after the
 * first thousand, because each request's words die with its zone. */
static void test_load_keeps_memory_flat(void **state) {
    (void)state;
    require_server();
    double t0 = now_s();
    assert_int_equal(run_load(shared_server.port, 0, WARMUP_REQUESTS), 0);
    long rss_warm = rss_kb(shared_server.pid);
    assert_int_equal(run_load(shared_server.port, WARMUP_REQUESTS,
                              LOAD_REQUESTS - WARMUP_REQUESTS), 0);
    long rss_end = rss_kb(shared_server.pid);
    double secs = now_s() - t0;
    fprintf(stderr, "# %d requests in %.2f s (%.0f/s); RSS %ld kB after %d, %ld kB after %d\n",
            LOAD_REQUESTS, secs, LOAD_REQUESTS / secs, rss_warm, WARMUP_REQUESTS, rss_end,
            LOAD_REQUESTS);
    assert_true(rss_warm > 0);
#ifdef __SANITIZE_ADDRESS__
    /* AddressSanitizer's quarantine holds freed memory back on purpose, so
     * resident memory says nothing here; its leak checker covers leaks. */
    fprintf(stderr, "# AddressSanitizer build: RSS bound not checked\n");
#else
    assert_in_range(rss_end, 0, rss_warm + RSS_BOUND_KB);
#endif
    reply_t r = call("GET", "/health", NULL);
    assert_int_equal(r.status, 200);
    free(r.body);
}

/* The same load on a server without zones does grow: the bound above is
 * one that a leak of every request's words would break. */
static void test_load_without_zones_grows(void **state) {
    (void)state;
    require_server();
    server_t s;
    const char *args[] = {"--blank", "--no-zones", "--threads", SERVER_THREADS,
                          "--max-body", "64K", NULL};
    assert_int_equal(server_start(&s, args), 0);
    assert_int_equal(run_load(s.port, 0, WARMUP_REQUESTS), 0);
    long rss_warm = rss_kb(s.pid);
    assert_int_equal(run_load(s.port, WARMUP_REQUESTS, LOAD_REQUESTS - WARMUP_REQUESTS), 0);
    long rss_end = rss_kb(s.pid);
    fprintf(stderr, "# without zones: RSS %ld kB after %d, %ld kB after %d\n", rss_warm,
            WARMUP_REQUESTS, rss_end, LOAD_REQUESTS);
    assert_true(rss_end > rss_warm + RSS_BOUND_KB);
    assert_int_equal(server_stop(&s), 0);
}

/* A request already sent when SIGTERM arrives is still answered in full,
 * and the server then exits with status 0. */
static void test_sigterm_finishes_request_in_flight(void **state) {
    (void)state;
    require_server();
    server_t s;
    const char *args[] = {"--blank", "--threads", "2", "--max-body", "4M", NULL};
    assert_int_equal(server_start(&s, args), 0);
    conn_t *c = malloc(sizeof *c);
    c->fd = -1;
    c->port = s.port;
    reply_t r;
    assert_int_equal(request(c, "GET", "/health", NULL, 0, &r), 0);
    free(r.body);
    /* A large text so that parsing takes a while. */
    size_t n_words = 200000;
    char *body = malloc(n_words * 8 + 32), *p = body;
    p += sprintf(p, "{\"texts\":[\"");
    for (size_t i = 0; i < n_words; i++) p += sprintf(p, "w%05zu ", i % 100000);
    p += sprintf(p, "\"]}");
    char head[256];
    int hn = snprintf(head, sizeof head, "POST /parse HTTP/1.1\r\nHost: x\r\n"
                                         "Content-Length: %zu\r\n\r\n", (size_t)(p - body));
    assert_int_equal(send_all(c->fd, head, (size_t)hn), 0);
    assert_int_equal(send_all(c->fd, body, (size_t)(p - body)), 0);
    kill(s.pid, SIGTERM);
    /* The reply may be larger than the client buffer: read it raw. */
    size_t got = 0, cap = 64 << 20;
    char *raw = malloc(cap);
    for (ssize_t k; got < cap && (k = recv(c->fd, raw + got, cap - got, 0)) > 0;)
        got += (size_t)k;
    assert_true(got > 12);
    assert_memory_equal(raw, "HTTP/1.1 200", 12);
    char *sep = memmem(raw, got, "\r\n\r\n", 4);
    assert_non_null(sep);
    json_t *j = json_loadb(sep + 4, got - (size_t)(sep + 4 - raw), 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(json_array_get(json_object_get(j, "docs"), 0),
                                                     "tokens")),
                     n_words);
    json_decref(j);
    free(raw);
    free(body);
    conn_close(c);
    free(c);
    assert_int_equal(server_wait(&s, 20), 0);
}

/* A server with one thread answers, and its log holds no warning from
 * libmicrohttpd (a thread-pool size of 0 used to make it print one). */
static void test_one_thread_server_logs_no_warning(void **state) {
    (void)state;
    require_server();
    server_t s;
    const char *args[] = {"--blank", "--threads", "1", NULL};
    assert_int_equal(server_start(&s, args), 0);
    reply_t r = call_port(s.port, "GET", "/health", NULL);
    assert_int_equal(r.status, 200);
    free(r.body);
    char text[4096];
    read_log(&s, text, sizeof text);
    assert_non_null(strstr(text, "listening on"));
    assert_null(strcasestr(text, "warning"));
    assert_int_equal(server_stop(&s), 0);
}

/* With the trained default model (when present), tokens carry the layers
 * of spaCy's Doc.to_json(). */
static void test_parse_with_default_model_has_annotations(void **state) {
    (void)state;
    require_server();
    const char *model = getenv("SPACYC_MODEL");
    if (!model || access(model, R_OK)) skip();
    server_t s;
    const char *args[] = {"--model", model, "--threads", "2", NULL};
    assert_int_equal(server_start(&s, args), 0);
    conn_t *c = malloc(sizeof *c);
    c->fd = -1;
    c->port = s.port;
    const char *body = "{\"texts\":[\"Apple is looking at buying a U.K. startup. It "
                       "would cost $1 billion.\"]}";
    reply_t r;
    assert_int_equal(request(c, "POST", "/parse", body, strlen(body), &r), 0);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    const json_t *doc = json_array_get(json_object_get(j, "docs"), 0);
    assert_true(json_is_array(json_object_get(doc, "sents")));
    assert_true(json_is_array(json_object_get(doc, "ents")));
    const json_t *tok = json_array_get(json_object_get(doc, "tokens"), 0);
    static const char *const fields[] = {"tag", "pos", "lemma", "dep", "head"};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        assert_non_null(json_object_get(tok, fields[i]));
    json_decref(j);
    free(r.body);
    conn_close(c);
    free(c);
    assert_int_equal(server_stop(&s), 0);
}

static int start_shared(void **state) {
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    const char *args[] = {"--blank", "--threads", SERVER_THREADS, "--max-body", "64K", NULL};
    if (server_start(&shared_server, args)) {
        fprintf(stderr, "SPACYC_BIN is not set or the server did not start: skipping\n");
        shared_server.pid = 0;
    }
    return 0;
}

static int stop_shared(void **state) {
    (void)state;
    int rc = shared_server.pid && server_stop(&shared_server) != 0 ? -1 : 0;
    for (size_t i = 0; i < sizeof running / sizeof *running; i++) {
        if (running[i] > 0) {
            kill(running[i], SIGKILL);
            waitpid(running[i], NULL, 0);
        }
    }
    return rc;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health_answers_ok),
        cmocka_unit_test(test_info_describes_pipeline),
        cmocka_unit_test(test_parse_returns_one_doc_per_text),
        cmocka_unit_test(test_parse_of_no_texts_gives_no_docs),
        cmocka_unit_test(test_parse_keeps_nul_characters),
        cmocka_unit_test(test_parse_rejects_malformed_json),
        cmocka_unit_test(test_parse_rejects_wrong_shapes),
        cmocka_unit_test(test_parse_rejects_invalid_utf8),
        cmocka_unit_test(test_parse_rejects_oversized_body),
        cmocka_unit_test(test_unknown_route_is_404),
        cmocka_unit_test(test_wrong_method_is_405),
        cmocka_unit_test(test_load_keeps_memory_flat),
        cmocka_unit_test(test_one_thread_server_logs_no_warning),
        cmocka_unit_test(test_load_without_zones_grows),
        cmocka_unit_test(test_sigterm_finishes_request_in_flight),
        cmocka_unit_test(test_parse_with_default_model_has_annotations),
    };
    return cmocka_run_group_tests(tests, start_shared, stop_shared);
}
