#!/usr/bin/env bash
# Benchmark of `spacyc parse` (pipe()): words/s with 1 and 2 threads, output
# identity across thread counts, and peak resident memory on a 200 MB and a
# 2 GB input, which must not grow with the input's size.
#
# usage: bench/bench_pipe.sh [PATH/TO/spacyc]
# Environment:
#   MODEL      model file, or "blank" for the tokenizer-only pipeline; default
#              $SPACYC_MODEL, else models/en_default.spacyc when it exists,
#              else blank
#   SIZES      inputs for the memory runs (default "200M 2G")
#   SLICE      bytes of input for the speed runs (default 20M with a model,
#              200M for the blank pipeline)
#   REPEAT     speed runs per thread count; the best is kept (default 3)
#   BENCH_DIR  where the generated inputs go (default /tmp; never the repo)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
spacyc=${1:-$root/build/src/cli/spacyc}
dir=${BENCH_DIR:-/tmp}
repeat=${REPEAT:-3}

model=${MODEL:-${SPACYC_MODEL:-}}
[ -z "$model" ] && [ -r "$root/models/en_default.spacyc" ] && model=$root/models/en_default.spacyc
if [ -n "$model" ] && [ "$model" != blank ]; then
  pipeline=(--model "$model")
  slice=${SLICE:-20M}
else
  pipeline=(--blank en)
  slice=${SLICE:-200M}
fi

# Generated inputs are kept between runs (same generator, same bytes).
input() {
  local path="$dir/spacyc-bench-$1.txt"
  [ -s "$path" ] || python3 "$here/gen_pipe_input.py" "$1" "$path" >&2
  echo "$path"
}

# Runs spacyc parse; prints "words/s wall_seconds cpu_seconds peak_rss_kB".
run() {
  local stats
  stats=$( { /usr/bin/time -f "TIME %e %U %S %M" "$spacyc" parse "${pipeline[@]}" \
    --quiet --stats --format json "$@" >/dev/null; } 2>&1)
  echo "$stats" | awk '/^docs/ {wps = $8} /^TIME/ {print wps, $2, $3 + $4, $5}'
}

echo "pipeline: ${pipeline[*]}"
echo "machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"

slice_file=$(input "$slice")
echo
echo "== speed on $slice_file ($(stat -c %s "$slice_file") bytes), best of $repeat"
declare -A best
for threads in 1 2; do
  best[$threads]=0
  for _ in $(seq 1 "$repeat"); do
    read -r wps wall cpu rss < <(run --threads "$threads" "$slice_file")
    printf '  threads=%d  %10.0f words/s  wall %6.2f s  cpu %6.2f s  rss %6d kB\n' \
      "$threads" "$wps" "$wall" "$cpu" "$rss"
    best[$threads]=$(awk -v a="${best[$threads]}" -v b="$wps" 'BEGIN {print (b > a) ? b : a}')
  done
done
awk -v a="${best[1]}" -v b="${best[2]}" \
  'BEGIN {printf "  best: 1 thread %.0f words/s, 2 threads %.0f words/s, speed-up %.2fx\n", a, b, b / a}'

echo
echo "== identical output for 1, 2 and 8 threads"
sums=()
for threads in 1 2 8; do
  sums+=("$("$spacyc" parse "${pipeline[@]}" --quiet --threads "$threads" --chunk-bytes 64K \
    --format json "$slice_file" | md5sum | cut -d' ' -f1)")
done
if [ "${sums[0]}" = "${sums[1]}" ] && [ "${sums[0]}" = "${sums[2]}" ]; then
  echo "  identical (md5 ${sums[0]})"
else
  echo "  DIFFERENT: ${sums[*]}"
fi

echo
echo "== peak memory, 2 threads"
first_rss=0
for size in ${SIZES:-200M 2G}; do
  file=$(input "$size")
  read -r wps wall cpu rss < <(run --threads 2 "$file")
  [ "$first_rss" -eq 0 ] && first_rss=$rss
  awk -v s="$size" -v r="$rss" -v f="$first_rss" -v w="$wps" -v t="$wall" \
    'BEGIN {printf "  %-5s peak RSS %7.1f MB (%+.1f%% vs first)  %10.0f words/s  %7.1f s\n", s, r / 1024, (r - f) * 100 / f, w, t}'
done
