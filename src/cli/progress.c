#include "progress.h"

#include <unistd.h>

#include "cli_util.h"

#define BAR_WIDTH 24
#define REDRAW_SECONDS 0.2

void nlp_cli_progress_start(nlp_cli_progress_t *p, FILE *out, uint64_t total_bytes) {
    *p = (nlp_cli_progress_t){0};
    p->out = out;
    p->enabled = out && isatty(fileno(out));
    p->total_bytes = total_bytes;
    p->start = p->last_draw = nlp_cli_now();
}

/* "12.3 MB" into buf. */
static const char *human_bytes(double b, char *buf, size_t size) {
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    int u = 0;
    while (b >= 1000.0 && u < 4) {
        b /= 1000.0;
        u++;
    }
    snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", b, units[u]);
    return buf;
}

/* "1.2M" style rates keep the line short. */
static const char *human_rate(double r, char *buf, size_t size) {
    if (r >= 1e6) snprintf(buf, size, "%.2fM", r / 1e6);
    else if (r >= 1e3) snprintf(buf, size, "%.1fk", r / 1e3);
    else snprintf(buf, size, "%.0f", r);
    return buf;
}

static void draw(nlp_cli_progress_t *p, double now) {
    double elapsed = now - p->start > 1e-9 ? now - p->start : 1e-9;
    char done[32], total[32], docs[32], words[32];
    human_bytes((double)p->bytes, done, sizeof done);
    human_rate((double)p->docs / elapsed, docs, sizeof docs);
    human_rate((double)p->words / elapsed, words, sizeof words);
    /* \r and the erase-line code redraw in place. */
    fputs("\r\033[K", p->out);
    if (p->total_bytes) {
        double frac = (double)p->bytes / (double)p->total_bytes;
        if (frac > 1.0) frac = 1.0;
        int fill = (int)(frac * BAR_WIDTH);
        char bar[BAR_WIDTH + 1];
        for (int i = 0; i < BAR_WIDTH; i++) bar[i] = i < fill ? '#' : '.';
        bar[BAR_WIDTH] = '\0';
        fprintf(p->out, "[%s] %3.0f%%  %s / %s", bar, frac * 100.0, done,
                human_bytes((double)p->total_bytes, total, sizeof total));
        fprintf(p->out, "  %s docs/s  %s words/s", docs, words);
        if (frac > 0.0 && frac < 1.0) {
            long left = (long)(elapsed * (1.0 - frac) / frac);
            fprintf(p->out, "  ETA %ld:%02ld:%02ld", left / 3600, left / 60 % 60, left % 60);
        }
    } else {
        fprintf(p->out, "%s  %s docs/s  %s words/s", done, docs, words);
    }
    fflush(p->out);
    p->drawn = 1;
    p->last_draw = now;
}

void nlp_cli_progress_update(nlp_cli_progress_t *p, uint64_t bytes, uint64_t docs,
                             uint64_t words) {
    p->bytes = bytes;
    p->docs = docs;
    p->words = words;
    if (!p->enabled) return;
    /* Reading the clock for every document costs little next to parsing
     * it, but drawing is rationed. */
    double now = nlp_cli_now();
    if (now - p->last_draw >= REDRAW_SECONDS) draw(p, now);
}

void nlp_cli_progress_clear(nlp_cli_progress_t *p) {
    if (!p->enabled || !p->drawn) return;
    fputs("\r\033[K", p->out);
    fflush(p->out);
    p->drawn = 0;
}

void nlp_cli_progress_finish(nlp_cli_progress_t *p, int complete) {
    if (!p->enabled) return;
    if (complete && p->total_bytes) p->bytes = p->total_bytes;
    draw(p, nlp_cli_now());
    fputc('\n', p->out);
    fflush(p->out);
}
