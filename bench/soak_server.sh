#!/usr/bin/env bash
# Soak benchmark of `spacyc serve`: wrk posts texts full of never-seen words
# (bench/soak_server.lua) until REQUESTS responses, once with one memory
# zone per request and once with --no-zones, while the server's RSS is
# sampled every few seconds. Prints both RSS curves, requests/s, words/s and
# error counts, and the RSS growth between 100,000 and the last request.
#
# usage: bench/soak_server.sh [SPACYC_BIN]   (default: build/src/cli/spacyc)
# environment (defaults in brackets):
#   SOAK_REQUESTS     responses per run [1000000]
#   SOAK_NOZONES_REQUESTS  responses in the --no-zones run [SOAK_REQUESTS]
#   SOAK_MAX_SECONDS  time bound per run [900]
#   SOAK_MODEL        model file, or "blank" [the default model if present,
#                     else blank]
#   SOAK_THREADS      server threads [nproc]
#   SOAK_CONNECTIONS  wrk connections [16]
#   SOAK_WRK_THREADS  wrk threads [2]
#   SOAK_SAMPLE_S     seconds between RSS samples [5]
#   SOAK_MAX_RSS_MB   a run is stopped when the server's RSS passes this [4096]
#   SOAK_OUT          directory for logs and curves [a new one under /tmp]
#   SOAK_MODES        which runs, in order ["zones nozones"]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bin=${1:-$root/build/src/cli/spacyc}
requests=${SOAK_REQUESTS:-1000000}
nozones_requests=${SOAK_NOZONES_REQUESTS:-$requests}
max_s=${SOAK_MAX_SECONDS:-900}
threads=${SOAK_THREADS:-$(nproc)}
conns=${SOAK_CONNECTIONS:-16}
wrk_threads=${SOAK_WRK_THREADS:-2}
sample_s=${SOAK_SAMPLE_S:-5}
max_rss_kb=$(( ${SOAK_MAX_RSS_MB:-4096} * 1024 ))
modes=${SOAK_MODES:-zones nozones}
out=${SOAK_OUT:-$(mktemp -d /tmp/spacyc-soak-XXXXXX)}
mkdir -p "$out"

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "soak: $tool is needed" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "soak: no spacyc binary at $bin (build first)" >&2; exit 1; }

model_args=(--blank)
model_name=blank
default_model=${SPACYC_MODEL:-$root/models/en_default.spacyc}
if [ "${SOAK_MODEL:-}" = blank ]; then :
elif [ -n "${SOAK_MODEL:-}" ]; then model_args=(--model "$SOAK_MODEL"); model_name=$SOAK_MODEL
elif [ -f "$default_model" ]; then model_args=(--model "$default_model"); model_name=$default_model
fi

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# One field of GET /stats, e.g. server_stat 8080 tokens.
server_stat() { curl -s --max-time 5 "http://127.0.0.1:$1/stats" |
         sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"; }

now() { date +%s.%N; }
# One line of the RSS curve: seconds since $2, requests served, RSS in kB.
sample() {
  awk -v t0="$2" -v t="$(now)" -v q="$(server_stat "$1" requests)" -v r="$(rss_kb "$server_pid")" \
    'BEGIN { printf "%.1f %d %d\n", t - t0, q, r }'
}

server_pid=''
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

# run MODE N: one soak run; writes $out/MODE.{log,wrk,curve,summary}.
run() {
  local mode=$1 n=$2 extra=()
  [ "$mode" = nozones ] && extra=(--no-zones)
  : >"$out/$mode.log"
  "$bin" serve --port 0 --threads "$threads" --max-body 1M "${model_args[@]}" "${extra[@]}" \
    2>"$out/$mode.log" &
  server_pid=$!
  local port=''
  for _ in $(seq 600); do
    port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$out/$mode.log")
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$out/$mode.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$port" ] || { echo "soak: the server did not start" >&2; exit 1; }

  # wrk runs in the background while this loop samples "seconds requests
  # rss_kB" into the curve, and stops wrk early if the server grows past the
  # cap (only a run without zones ever should).
  local t0 w1 tokens0 tokens1 server_errors wrk_pid docs0 docs1 parse0 parse1 handler0 handler1
  t0=$(now)
  tokens0=$(server_stat "$port" tokens)
  docs0=$(server_stat "$port" docs)
  parse0=$(server_stat "$port" parse_s)
  handler0=$(server_stat "$port" handler_s)
  local done_prefix="$out/$mode.done."
  rm -f "$done_prefix"*
  wrk -t"$wrk_threads" -c"$conns" -d"${max_s}s" --timeout 30s -s "$here/soak_server.lua" \
    "http://127.0.0.1:$port/parse" -- "$n" "$wrk_threads" "$done_prefix" \
    >"$out/$mode.wrk" 2>&1 &
  wrk_pid=$!
  : >"$out/$mode.curve"
  while kill -0 "$wrk_pid" 2>/dev/null; do
    sample "$port" "$t0" >>"$out/$mode.curve"
    if [ "$(rss_kb "$server_pid")" -gt "$max_rss_kb" ]; then
      echo "soak: $mode: RSS cap reached, stopping wrk" >&2
      kill -INT "$wrk_pid" 2>/dev/null || true
    fi
    for _ in $(seq $((sample_s * 10))); do
      kill -0 "$wrk_pid" 2>/dev/null || break
      # Every wrk thread has its share: end wrk now rather than after -d.
      if [ "$(ls "$done_prefix"* 2>/dev/null | wc -l)" -ge "$wrk_threads" ]; then
        kill -INT "$wrk_pid" 2>/dev/null || true
        break
      fi
      sleep 0.1
    done
  done
  wait "$wrk_pid" || true
  w1=$(now)
  tokens1=$(server_stat "$port" tokens)
  docs1=$(server_stat "$port" docs)
  parse1=$(server_stat "$port" parse_s)
  handler1=$(server_stat "$port" handler_s)
  sample "$port" "$t0" >>"$out/$mode.curve"
  server_errors=$(server_stat "$port" errors)
  kill -TERM "$server_pid"
  wait "$server_pid" || echo "soak: the server exited with status $?" >&2
  server_pid=''

  local secs rps lua non2xx sockerr
  secs=$(awk -v a="$t0" -v b="$w1" 'BEGIN { printf "%.2f", b - a }')
  rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$out/$mode.wrk")
  lua=$(sed -n 's/^soak: responses \([0-9]*\), non-200 \([0-9]*\).*/\1 \2/p' "$out/$mode.wrk")
  non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$out/$mode.wrk")
  sockerr=$(sed -n 's/.*Socket errors: *\(.*\)/\1/p' "$out/$mode.wrk")
  {
    echo "mode=$mode"
    echo "responses=${lua%% *}"
    echo "seconds=$secs"
    echo "requests_per_s=${rps:-0}"
    echo "words_per_s=$(awk -v a="${tokens0:-0}" -v b="${tokens1:-0}" -v s="$secs" \
                          'BEGIN { printf "%.0f", (b - a) / s }')"
    # The handler's own cost: JSON in, zone, JSON out (handler time minus
    # time in nlp_parse), per request and as a share of the handler time.
    # Without zones it also holds the wait for the one permanent lock.
    awk -v p0="$parse0" -v p1="$parse1" -v h0="$handler0" -v h1="$handler1" \
        -v n="${lua%% *}" -v d0="$docs0" -v d1="$docs1" 'BEGIN {
      p = p1 - p0; h = h1 - h0
      printf "parse_us_per_doc=%.1f overhead_us_per_request=%.1f overhead_share=%.1f%%\n",
             p / (d1 - d0 + 1e-9) * 1e6, (h - p) / (n + 1e-9) * 1e6, (h - p) / (h + 1e-12) * 100 }'
    echo "non_200=${lua##* } non_2xx_wrk=${non2xx:-0} server_errors=${server_errors:-0}"
    echo "socket_errors=${sockerr:-none}"
  } >"$out/$mode.summary"
}

# growth CURVE: RSS at the first sample at or past 100,000 requests, at the
# last sample, and the difference in MiB.
growth() {
  awk '$2 >= 100000 && !a { a = $3; an = $2 } { z = $3; zn = $2 }
       END { if (a) printf "RSS %.1f MiB at %d requests -> %.1f MiB at %d: %+.2f MiB\n",
                           a / 1024, an, z / 1024, zn, (z - a) / 1024;
             else print "fewer than 100,000 requests: no growth figure" }' "$1"
}

echo "soak: $bin, model $model_name, $threads server threads, wrk -t$wrk_threads -c$conns,"
echo "      $requests requests (zones) / $nozones_requests (no zones), at most ${max_s}s per run;"
echo "      output in $out"
for mode in $modes; do
  n=$requests
  [ "$mode" = nozones ] && n=$nozones_requests
  echo "== $mode: running"
  run "$mode" "$n"
done

for mode in $modes; do
  echo
  echo "== $mode"
  cat "$out/$mode.summary"
  growth "$out/$mode.curve"
  echo "RSS curve (seconds, requests served, RSS MiB; every sample in $out/$mode.curve):"
  # At most about 25 rows: every k-th sample and the last one.
  awk 'NR == FNR { n++; next }
       FNR == 1 { k = int((n + 24) / 25) }
       (FNR - 1) % k == 0 || FNR == n { printf "  %8.1f %10d %9.1f\n", $1, $2, $3 / 1024 }' \
    "$out/$mode.curve" "$out/$mode.curve"
done
