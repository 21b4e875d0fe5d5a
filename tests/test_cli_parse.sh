#!/usr/bin/env bash
# End-to-end tests of `spacyc parse`: identical output whatever the thread
# count, batch size or chunk size; files and standard input; atomic -o; clear
# errors and non-zero exit codes for anything that is not a complete output.
# Usage: test_cli_parse.sh PATH/TO/spacyc
# With the trained model present (SPACYC_MODEL), the same checks also run on
# the full pipeline; otherwise on a blank (tokenizer-only) one.
set -u
spacyc=${1:?usage: test_cli_parse.sh PATH/TO/spacyc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
# check NAME COMMAND...: the command must succeed.
check() {
  local name=$1
  shift
  if "$@"; then ok; else fail "$name"; fi
}

# An input with the awkward cases: CRLF, empty and blank lines, a line far
# longer than the small chunk sizes, paragraphs, no final newline.
{
  for i in $(seq 1 200); do
    printf 'Line %d: the quick brown fox jumps over the lazy dog, id%dx.\n' "$i" "$((i * 7919))"
    if [ $((i % 9)) -eq 0 ]; then printf '\n'; fi
    if [ $((i % 13)) -eq 0 ]; then printf 'Windows line %d\r\n  \t\r\n' "$i"; fi
    if [ $((i % 50)) -eq 0 ]; then printf 'long%.0s ' $(seq 1 600); printf '\n'; fi
  done
  printf 'The last line has no newline.'
} >"$work/in.txt"

models=("--blank en")
if [ -n "${SPACYC_MODEL:-}" ] && [ -r "$SPACYC_MODEL" ]; then
  models+=("--model $SPACYC_MODEL")
fi

# References are named after the model (0 = blank) so the blank ones stay
# available to the checks below.
for m in "${!models[@]}"; do
  model=${models[$m]}
  for format in json conllu; do
    for per in line paragraph; do
      ref="$work/ref$m.$format.$per"
      # shellcheck disable=SC2086
      if ! "$spacyc" parse $model --threads 1 --format "$format" --doc-per "$per" \
        "$work/in.txt" >"$ref" 2>"$work/err"; then
        fail "reference run ($model $format $per)"
        continue
      fi
      check "no stderr chatter when stderr is not a terminal" test ! -s "$work/err"
      check "output is not empty ($format $per)" test -s "$ref"
      for threads in 1 2 8; do
        for settings in "--batch-size 1 --chunk-bytes 1" "--batch-size 3 --chunk-bytes 7" \
          "--batch-size 1000 --chunk-bytes 100" "--chunk-bytes 4K"; do
          # shellcheck disable=SC2086
          "$spacyc" parse $model --threads "$threads" $settings --format "$format" \
            --doc-per "$per" "$work/in.txt" >"$work/out" 2>/dev/null
          check "identical output: $model $format $per threads=$threads $settings" \
            cmp -s "$ref" "$work/out"
        done
      done
      # Standard input, both redirected (seekable) and through a pipe.
      # shellcheck disable=SC2086
      "$spacyc" parse $model --threads 2 --chunk-bytes 5 --format "$format" --doc-per "$per" \
        - <"$work/in.txt" >"$work/out"
      check "stdin redirect ($format $per)" cmp -s "$ref" "$work/out"
      # shellcheck disable=SC2086
      cat "$work/in.txt" | "$spacyc" parse $model --threads 2 --chunk-bytes 5 \
        --format "$format" --doc-per "$per" >"$work/out"
      check "stdin pipe ($format $per)" cmp -s "$ref" "$work/out"
    done
  done
done

ref="$work/ref0.json.line"
# One JSON object per input line, empty lines included.
lines=$(($(wc -l <"$work/in.txt") + 1))
check "one JSON line per input line" test "$(wc -l <"$ref")" -eq "$lines"

# -o writes the same bytes, atomically, and leaves no temporary file.
"$spacyc" parse --blank en --format json -o "$work/o.json" "$work/in.txt"
check "-o succeeds" test $? -eq 0
check "-o content" cmp -s "$ref" "$work/o.json"
check "-o leaves no temporary file" test -z "$(ls "$work" | grep tmp-)"

# -o through a symbolic link replaces the file it names (keeping its
# permissions), not the link; a pipe (like a device) is written in place.
echo old >"$work/linked.json"
chmod 600 "$work/linked.json"
ln -s linked.json "$work/link.json"
"$spacyc" parse --blank en --format json -o "$work/link.json" "$work/in.txt"
check "-o through a link keeps the link" test -L "$work/link.json"
check "-o through a link writes its target" cmp -s "$ref" "$work/linked.json"
check "-o keeps the target's permissions" test "$(stat -c %a "$work/linked.json")" = 600
mkfifo "$work/fifo"
timeout 60 cat "$work/fifo" >"$work/from_fifo" &
reader=$!
timeout 60 "$spacyc" parse --blank en --format json -o "$work/fifo" "$work/in.txt"
check "-o into a pipe succeeds" test $? -eq 0
wait "$reader"
check "-o into a pipe delivers the output" cmp -s "$ref" "$work/from_fifo"
check "-o leaves the pipe a pipe" test -p "$work/fifo"

# Failures: a clear message, a non-zero exit, and no output file.
echo "keep me" >"$work/existing"
"$spacyc" parse --blank en -o "$work/existing" "$work/missing.txt" 2>"$work/err"
check "missing input fails" test $? -eq 1
check "missing input is named" grep -q "cannot read .*missing.txt" "$work/err"
check "failed run keeps an existing -o file" grep -qx "keep me" "$work/existing"
"$spacyc" parse --blank en "$work" >/dev/null 2>"$work/err"
check "directory input fails" test $? -eq 1
check "directory input is explained" grep -qi "directory" "$work/err"

"$spacyc" tokenize "$work" >/dev/null 2>"$work/err"
check "tokenize: directory input fails" test $? -eq 1
check "tokenize: directory input is explained" grep -q "spacyc: cannot read .*: Is a directory" "$work/err"
"$spacyc" tokenize "$work/in.txt" "$work/in.txt" >/dev/null 2>"$work/err"
check "tokenize: two inputs are refused" test $? -eq 2
check "tokenize: two inputs are explained" grep -q "more than one input" "$work/err"
"$spacyc" tokenize --jsn "$work/in.txt" >/dev/null 2>"$work/err"
check "tokenize: unknown option is named" grep -q "unknown option --jsn" "$work/err"

# A UTF-8 byte order mark is not text: files saved by some editors start
# with one, and it must not stick to the first token.
printf '\xEF\xBB\xBFHello world.\nBye.\n' >"$work/bom.txt"
check "tokenize drops a byte order mark" \
  test "$("$spacyc" tokenize "$work/bom.txt" | head -1)" = "Hello world ."
check "parse drops a byte order mark" \
  grep -qx "# text = Hello world." <("$spacyc" parse --blank en "$work/bom.txt")
check "parse drops a byte order mark from standard input" \
  grep -qx "# text = Hello world." <("$spacyc" parse --blank en <"$work/bom.txt")
check "a byte order mark later in the file is kept" \
  grep -q $'\xEF\xBB\xBF' <(printf 'Hi.\n\xEF\xBB\xBFThere.\n' | "$spacyc" parse --blank en)

# Output to a full disk fails with the reason, whatever the command.
if [ -w /dev/full ]; then
  printf 'Hello world.\n' | "$spacyc" tokenize >/dev/full 2>"$work/err"
  check "tokenize to a full disk exits 1" test $? -eq 1
  check "tokenize to a full disk says why" grep -q "No space left" "$work/err"
  if [ -n "${SPACYC_MODEL:-}" ] && [ -r "$SPACYC_MODEL" ]; then
    "$spacyc" info --model "$SPACYC_MODEL" >/dev/full 2>"$work/err"
    check "info to a full disk exits 1" test $? -eq 1
  fi
  printf 'Hello world.\n' | "$spacyc" parse --blank en >/dev/full 2>"$work/err"
  check "parse to a full disk exits 1" test $? -eq 1
fi

# A NUL byte inside a word stays in its FORM (no C-string truncation).
printf 'Hello\0world is\n' | "$spacyc" parse --blank en >"$work/nul.conllu"
printf '1\tHello\0world\t_\t_\t_\t_\t_\t_\t_\t_\n' >"$work/nul.expected"
sed -n 3p "$work/nul.conllu" >"$work/nul.line"
check "a NUL byte stays in the form" cmp -s "$work/nul.line" "$work/nul.expected"
chmod 000 "$work/in.txt"
if ! cat "$work/in.txt" >/dev/null 2>&1; then
  "$spacyc" parse --blank en "$work/in.txt" >/dev/null 2>"$work/err"
  check "unreadable input fails" test $? -eq 1
fi
chmod 644 "$work/in.txt"
"$spacyc" parse --blank en -o "$work/no/such/dir/out.json" "$work/in.txt" 2>"$work/err"
check "unwritable -o fails" test $? -eq 1
if [ -w /dev/full ]; then
  "$spacyc" parse --blank en "$work/in.txt" >/dev/full 2>"$work/err"
  check "a full disk fails" test $? -eq 1
  check "a full disk is reported" grep -q "write error" "$work/err"
fi
"$spacyc" parse --model "$work/missing.spacyc" "$work/in.txt" >/dev/null 2>"$work/err"
check "missing model fails" test $? -eq 1
"$spacyc" parse --blank en --threads -1 "$work/in.txt" >/dev/null 2>&1
check "bad --threads is a usage error" test $? -eq 2
"$spacyc" parse --blank en --format xml "$work/in.txt" >/dev/null 2>&1
check "bad --format is a usage error" test $? -eq 2
"$spacyc" parse --blank en --chunk-bytes 0 "$work/in.txt" >/dev/null 2>&1
check "bad --chunk-bytes is a usage error" test $? -eq 2

# A document over --max-doc-bytes fails alone, by number and offset: the
# others are parsed, and the exit status says the output is incomplete,
# whether it goes to stdout or to -o (which is then not written).
long=$(head -c 3000 /dev/zero | tr '\0' 'a')
printf 'A short line.\n%s\nAnother short line.\n' "$long" >"$work/long.txt"
"$spacyc" parse --blank en --format json --max-doc-bytes 1K "$work/long.txt" \
  >"$work/out" 2>"$work/err"
check "a document over --max-doc-bytes fails the run" test $? -eq 1
check "the other documents are parsed" test "$(wc -l <"$work/out")" -eq 2
check "the long document is named" grep -q "document 2 (byte offset 14).*limit of 1024" "$work/err"
"$spacyc" parse --blank en --max-doc-bytes 1K -o "$work/limited.conllu" "$work/long.txt" 2>/dev/null
check "-o is not written when a document is over the limit" test ! -e "$work/limited.conllu"
"$spacyc" parse --blank en --format json --max-doc-bytes 0 "$work/long.txt" >"$work/out"
check "--max-doc-bytes 0 lifts the limit" test "$(wc -l <"$work/out")" -eq 3

# A 0-byte file gives an empty output and success.
: >"$work/empty.txt"
"$spacyc" parse --blank en --format json "$work/empty.txt" >"$work/out"
check "empty input succeeds" test $? -eq 0
check "empty input gives empty output" test ! -s "$work/out"

# `train` reports a bad gazetteer by file and line, before any training.
printf 'CITY\tParis\nno tab\n' >"$work/gaz.tsv"
ner_only=(--pipeline ner --ner-train "$work/none.iob2" --ner-dev "$work/none.iob2")
"$spacyc" train --gazetteer "$work/gaz.tsv" "${ner_only[@]}" -o "$work/never.spacyc" 2>"$work/err"
check "train with a malformed gazetteer exits 1" test $? -eq 1
check "the gazetteer error names file and line" grep -q "gaz.tsv:2:" "$work/err"
"$spacyc" train --gazetteer "$work/missing.tsv" "${ner_only[@]}" -o "$work/never.spacyc" 2>"$work/err"
check "train with a missing gazetteer exits 1" test $? -eq 1
check "the missing gazetteer is named" grep -q "missing.tsv" "$work/err"
check "no model is written" test ! -e "$work/never.spacyc"
"$spacyc" train --gazetteer "$work/gaz.tsv" --pipeline tagger -o "$work/never.spacyc" 2>"$work/err"
check "a gazetteer without ner is refused" test $? -eq 2
check "the refusal says why" grep -q "for the ner component" "$work/err"

# `train` refuses what would fail only after training: a bad --pipeline,
# missing data, an unwritable -o, a bad --epochs (exit 2 for arguments).
train_refusal() {
  local want=$1 why=$2
  shift 2
  "$spacyc" train --train "$work/none.conllu" --dev "$work/none.conllu" "$@" 2>"$work/err"
  local rc=$?
  check "train $* exits $want" test "$rc" -eq "$want"
  check "train $* says: $why" grep -q "$why" "$work/err"
}
train_refusal 2 "names tagger twice" --pipeline tagger,tagger -o "$work/never.spacyc"
train_refusal 2 "names no component" --pipeline "" -o "$work/never.spacyc"
train_refusal 2 'unknown component "tager"' --pipeline tager -o "$work/never.spacyc"
train_refusal 2 "ner needs --ner-train" --pipeline tagger,ner -o "$work/never.spacyc"
train_refusal 2 "from 1 to 1000" --epochs -1 -o "$work/never.spacyc"
train_refusal 1 "cannot write" --pipeline tagger -o "$work/no/such/dir/m.spacyc"
train_refusal 1 "directory" --pipeline tagger -o "$work"
: >"$work/empty.conllu"
train_refusal 1 "empty.conllu: no sentences" --pipeline tagger --train "$work/empty.conllu" \
  --dev "$work/empty.conllu" -o "$work/never.spacyc"
check "no model is written by a refused train" test ! -e "$work/never.spacyc"

# evaluate and info say what is wrong with their arguments and data.
"$spacyc" evaluate --blank --data "$work/empty.conllu" >"$work/out" 2>"$work/err"
check "evaluate on no sentences exits 1" test $? -eq 1
check "evaluate on no sentences says so" grep -q "no sentences to evaluate on" "$work/err"
check "evaluate on no sentences prints no scores" test ! -s "$work/out"
"$spacyc" evaluate --gold-tokens --line-per-sentence --data x 2>"$work/err"
check "evaluate with two input modes exits 2" test $? -eq 2
check "evaluate with two input modes says why" grep -q "exclude each other" "$work/err"
"$spacyc" evaluate --blank 2>"$work/err"
check "evaluate without --data says why" grep -q "\-\-data FILE is required" "$work/err"
"$spacyc" info extra 2>"$work/err"
check "info with an extra argument exits 2" test $? -eq 2
check "info names the extra argument" grep -q "unknown argument extra" "$work/err"

# --exclude leaves components out: without ner the CoNLL-U is the full
# output less its entity marks; a kept component that reads an excluded
# one's output, or a name the model lacks, is refused (exit 1, says why).
if [ -n "${SPACYC_MODEL:-}" ] && [ -r "$SPACYC_MODEL" ]; then
  { head -n 40 "$work/in.txt"
    printf 'Angela Merkel met Emmanuel Macron in Paris on Monday.\n'
    printf 'She flew to New York with Google engineers.\n'; } >"$work/few.txt"
  "$spacyc" parse --model "$SPACYC_MODEL" "$work/few.txt" >"$work/full.conllu"
  "$spacyc" parse --model "$SPACYC_MODEL" --exclude ner "$work/few.txt" >"$work/no-ner.conllu"
  check "the full output has entities" grep -q "NER=" "$work/full.conllu"
  sed -E '/^[0-9]/ { s/\|?NER=[^|]*$//; s/\t$/\t_/ }' "$work/full.conllu" \
    >"$work/full-less-ner.conllu"
  check "--exclude ner changes nothing but the entities" \
    cmp -s "$work/full-less-ner.conllu" "$work/no-ner.conllu"
  "$spacyc" parse --model "$SPACYC_MODEL" --exclude tagger "$work/few.txt" >/dev/null 2>"$work/err"
  check "excluding what others read fails" test $? -eq 1
  check "the refusal names both components" grep -q "lemmatizer reads what tagger writes" "$work/err"
  "$spacyc" parse --model "$SPACYC_MODEL" --exclude ner,, "$work/few.txt" >/dev/null 2>"$work/err"
  check "an empty name in --exclude fails" test $? -eq 1
  "$spacyc" parse --blank en --exclude ner "$work/few.txt" >/dev/null 2>&1
  check "--exclude with --blank is a usage error" test $? -eq 2
fi

# Line breaks are whitespace tokens, which the models never see: raw text
# with each sentence on its own line scores exactly as with spaces.
if [ -n "${SPACYC_MODEL:-}" ] && [ -r "$SPACYC_MODEL" ] && [ -r "${EWT_DIR:-}/dev.conllu" ]; then
  awk 'BEGIN { RS = ""; ORS = "\n\n" } NR <= 300' "$EWT_DIR/dev.conllu" >"$work/dev300.conllu"
  for mode in "" --line-per-sentence; do
    "$spacyc" evaluate --model "$SPACYC_MODEL" --data "$work/dev300.conllu" $mode |
      sed 's/"speed":[0-9.e+]*//' >"$work/scores$mode.json"
  done
  check "scores are read" grep -q '"dep_las"' "$work/scores.json"
  check "sentences on their own lines score as with spaces" \
    cmp -s "$work/scores.json" "$work/scores--line-per-sentence.json"
fi

# On a terminal, stderr shows a progress bar (only checked where script(1)
# can provide one).
if command -v script >/dev/null 2>&1; then
  script -qec "$spacyc parse --blank en --format json -o $work/tty.json $work/in.txt" \
    /dev/null >"$work/tty" 2>&1 </dev/null
  check "progress bar on a terminal" grep -q "words/s" "$work/tty"
  check "progress bar does not touch the output" cmp -s "$ref" "$work/tty.json"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
