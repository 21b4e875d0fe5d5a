/* spacyc serve: the HTTP parsing service (routes in src/server/server.h). */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"

#ifdef NLP_HAVE_SERVER
#include <pthread.h>

#include "server/server.h"

#define DEFAULT_PORT 8080u
#define DEFAULT_MAX_BODY (1u << 20)
#define DEFAULT_GRACE_S 10.0

static int usage(FILE *out) {
    fprintf(out,
            "usage: spacyc serve [options]\n"
            "  Serves POST /parse {\"texts\": [...]} -> {\"docs\": [...]}, GET /health,\n"
            "  GET /info and GET /stats over HTTP/1.1. Each request is parsed in its\n"
            "  own memory zone. SIGINT/SIGTERM stop after requests in flight finish.\n"
            "  Bodies must be UTF-8 JSON; anything else is answered with 400.\n\n"
            "  --host ADDR      address to bind (default 127.0.0.1)\n"
            "  --port N         TCP port (default %u; 0 picks a free one)\n"
            "  --threads N      worker threads (default: one per CPU)\n"
            "  --max-body N     largest request body in bytes, K/M/G suffixes allowed\n"
            "                   (default 1M); larger bodies get 413\n"
            "  --model PATH     model file (default: the installed default model)\n"
            "  --blank          serve a blank English pipeline (tokenizer only)\n"
            "  --exclude LIST   leave out these model components (comma-separated)\n"
            "  --grace SECONDS  longest wait for requests in flight at shutdown (default 10)\n"
            "  --no-zones       parse outside memory zones under one lock; memory then\n"
            "                   grows with every new word (for soak comparisons only)\n",
            DEFAULT_PORT);
    return out == stderr ? 2 : 0;
}

/* Largest --max-body: the body of one request is held in memory. */
#define MAX_BODY_LIMIT (1ull << 32)

/* Reads --grace: a finite number of seconds, 0 or more. */
static int parse_seconds(const char *s, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || v < 0) return 0;
    *out = v;
    return 1;
}

int nlp_cli_serve(int argc, char **argv) {
    nlp_server_options_t opts = {.host = "127.0.0.1", .port = DEFAULT_PORT,
                                 .max_body = DEFAULT_MAX_BODY, .use_zones = 1};
    const char *model = NULL, *exclude = NULL;
    int blank = 0;
    double grace_s = DEFAULT_GRACE_S;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(stdout);
        if (!strcmp(a, "--blank")) blank = 1;
        else if (!strcmp(a, "--no-zones")) opts.use_zones = 0;
        else if (!strcmp(a, "--host") || !strcmp(a, "--port") ||
                 !strcmp(a, "--threads") || !strcmp(a, "--max-body") ||
                 !strcmp(a, "--model") || !strcmp(a, "--grace") ||
                 !strcmp(a, "--exclude")) {
            if (!(v = nlp_cli_value(argc, argv, &i))) return 2;
            uint64_t n = 0;
            int good = 1;
            if (!strcmp(a, "--host")) opts.host = v;
            else if (!strcmp(a, "--model")) model = v;
            else if (!strcmp(a, "--exclude")) exclude = v;
            else if (!strcmp(a, "--grace")) good = parse_seconds(v, &grace_s);
            else if (!strcmp(a, "--port")) {
                if ((good = nlp_cli_parse_count(v, 0, 65535, &n))) opts.port = (unsigned)n;
            } else if (!strcmp(a, "--threads")) {
                if ((good = nlp_cli_parse_count(v, 1, 1024, &n))) opts.threads = (unsigned)n;
            } else if ((good = nlp_cli_parse_count(v, 1, MAX_BODY_LIMIT, &n))) {
                opts.max_body = (size_t)n;
            }
            if (!good) {
                fprintf(stderr, "spacyc: bad value for %s: %s\n", a, v);
                return 2;
            }
        } else {
            fprintf(stderr, "spacyc: unknown option %s\n", a);
            return usage(stderr);
        }
    }
    if (blank && exclude) {
        fprintf(stderr, "spacyc serve: --blank has no components to --exclude\n");
        return 2;
    }
    if (!opts.threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        opts.threads = n > 0 ? (unsigned)n : 1;
    }

    /* Stop signals are blocked before any thread starts, so every pool
     * thread inherits the mask and only sigwait() below receives them. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    nlp_t *nlp = NULL;
    if (blank) {
        nlp_status_t st = nlp_create_blank("en", NULL, &nlp);
        if (st) return nlp_cli_error("cannot create a blank pipeline", st);
    } else if (!(nlp = nlp_cli_load(model, exclude))) {
        return 1;
    }
    char err[512];
    nlp_server_t *srv = nlp_server_start(nlp, &opts, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "spacyc serve: %s\n", err);
        nlp_free(nlp);
        return 1;
    }
    int v6 = strchr(opts.host, ':') != NULL;
    fprintf(stderr,
            "spacyc serve: listening on http://%s%s%s:%u (%u threads, %s, "
            "max body %zu bytes)\n",
            v6 ? "[" : "", opts.host, v6 ? "]" : "", nlp_server_port(srv),
            opts.threads, opts.use_zones ? "one memory zone per request" : "no zones",
            opts.max_body);
    fflush(stderr);

    int sig = 0;
    sigwait(&stop_signals, &sig);
    fprintf(stderr, "spacyc serve: %s, finishing requests in flight\n",
            sig == SIGINT ? "interrupted" : "terminated");
    nlp_server_stop(srv, grace_s);
    nlp_free(nlp);
    fprintf(stderr, "spacyc serve: stopped\n");
    return 0;
}

#else

int nlp_cli_serve(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "spacyc: this build has no server (it needs libmicrohttpd "
                    "and jansson at build time)\n");
    return 1;
}

#endif
