#!/usr/bin/env bash
# Memory and speed of one very large Doc: the raw text of UD English-EWT
# train.conllu joined into a single line and repeated (about 1 M words for
# the default 5 copies), parsed by `spacyc parse` as one document, with the
# default model and with a blank (tokenizer-only) pipeline. Prints peak RSS
# (measured by GNU time: Debian package `time`) and words/s.
#
# usage: bench/bench_one_doc.sh [PATH/TO/spacyc]
# Environment: MODEL, CONLLU, COPIES (default 5), BENCH_DIR (default /tmp)
set -euo pipefail
. "$(dirname "$0")/settings.sh"
copies=${COPIES:-5}
input="$dir/spacyc-bench-one-doc-$copies.txt"
line=$(grep '^# text = ' "$conllu" | sed 's/^# text = //' | tr '\n' ' ')
for _ in $(seq 1 "$copies"); do printf '%s' "$line"; done >"$input"
printf '\n' >>"$input"
echo "input: $input ($(stat -c %s "$input") bytes, one line)"
for pipeline in "--model $model" "--blank en"; do
  # shellcheck disable=SC2086
  /usr/bin/time -f '%M' -o "$dir/spacyc-bench-one-doc.rss" \
    "$spacyc" parse $pipeline --stats "$input" -o "$dir/spacyc-bench-one-doc.out" \
    2>"$dir/spacyc-bench-one-doc.err"
  stats=$(grep '^docs' "$dir/spacyc-bench-one-doc.err")
  echo "${pipeline%% *} ${pipeline#* }: $stats, peak RSS $(( $(cat "$dir/spacyc-bench-one-doc.rss") / 1024 )) MiB"
done
rm -f "$dir/spacyc-bench-one-doc.out"
