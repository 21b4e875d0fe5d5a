#!/usr/bin/env bash
# Speed of the whole default pipeline (tokenizer, tagger, lemmatizer,
# parser, NER) on one core, from raw text to CoNLL-U, and the model's load
# time. The input is the raw text of UD English-EWT train.conllu, one
# paragraph per line, repeated; words are the tokens `spacyc parse --stats`
# counts. Other processes can only slow a run down, so the best of several
# runs is kept.
#
# usage: bench/bench_pipeline.sh [PATH/TO/spacyc]
# Environment:
#   MODEL      model file (default $SPACYC_MODEL, else models/en_default.spacyc)
#   CONLLU     source of the text (default ../shared/data/en_ewt/train.conllu)
#   COPIES     times the text is repeated (default 2)
#   REPEAT     timed runs (default 5)
#   EXCLUDE    components to leave out, as `spacyc parse --exclude` takes
#              them (e.g. ner: the pipeline of tokenizer, tagger,
#              lemmatizer, supertagger and parser); default none
#   BENCH_DIR  where the input and output go (default /tmp; never the repo)
set -euo pipefail
. "$(dirname "$0")/settings.sh"
copies=${COPIES:-2}
repeat=${REPEAT:-5}
exclude=${EXCLUDE:+--exclude $EXCLUDE}

input="$dir/spacyc-bench-pipeline-$copies.txt"
text=$(grep '^# text = ' "$conllu" | sed 's/^# text = //')
for _ in $(seq 1 "$copies"); do printf '%s\n' "$text"; done >"$input"
output="$dir/spacyc-bench-pipeline.conllu"

echo "model: $model${EXCLUDE:+ without $EXCLUDE}"
echo "input: $input ($(wc -l <"$input") lines, $(stat -c %s "$input") bytes)"
echo "machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# Load time: the best of the figures `spacyc info` reports.
load=$(for _ in $(seq 1 "$repeat"); do
  "$spacyc" info --model "$model" | awk '/^load time:/ {print $3}'
done | sort -g | head -n 1)

# Speed of each run: words/s over wall-clock time, as `spacyc parse --stats`
# reports it (model load excluded), and words per CPU-second of the whole
# process (load included), which waiting for a busy core does not change.
TIMEFORMAT='%U %S'
stats="$dir/spacyc-bench-pipeline.stats"
speeds=$(for _ in $(seq 1 "$repeat"); do
  # shellcheck disable=SC2086 # $exclude is empty or two words
  cpu=$( { time "$spacyc" parse --model "$model" $exclude --threads 1 --format conllu --quiet \
    --stats "$input" -o "$output" 2>"$stats"; } 2>&1)
  awk -v cpu="$cpu" '/^docs/ {split(cpu, t, " "); print $8, $4 / (t[1] + t[2]), $4}' "$stats"
done)
rm -f "$output" "$stats"
echo "$speeds" | awk -v load="$load" '
  { wall[NR] = $1; cpu[NR] = $2; words = $3 }
  function best(a, n,   i, b) { b = a[1]; for (i = 2; i <= n; i++) if (a[i] > b) b = a[i]; return b }
  END {
    printf "words per run: %d\n", words
    printf "runs (words/s, wall):"; for (i = 1; i <= NR; i++) printf " %.0f", wall[i]; printf "\n"
    printf "pipeline, 1 thread: best %.0f words/s (wall), %.0f words per CPU-second\n",
           best(wall, NR), best(cpu, NR)
    printf "model load time: %s ms\n", load
  }'
