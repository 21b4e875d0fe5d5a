#!/usr/bin/env bash
# Trains the bundled default English model from UD English-EWT (tagger,
# lemmatizer, supertagger, parser; the taggers in one pass) and Universal NER
# English-EWT (entity recognizer), with
# word statistics from models/fetch_word_stats.sh and a gazetteer from
# models/fetch_gazetteer.sh (each fetched when missing), then scores it on the dev sets. Usage: models/train_default.sh [EWT_DIR] [BUILD_DIR]
# PIPELINE, TAGGER_PASSES (1 or 2) and OUT override the pipeline, the
# tagger's passes and the output file, e.g. a pipeline without a
# supertagger, whose sentence boundaries come from a senter (models/README.md):
#   PIPELINE=tagger,lemmatizer,senter,parser,ner TAGGER_PASSES=2 OUT=/tmp/en_senter.spacyc \
#     models/train_default.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ewt=${1:-../shared/data/en_ewt}
build=${2:-build}
spacyc="$build/src/cli/spacyc"
out=${OUT:-models/en_default.spacyc}
pipeline=${PIPELINE:-tagger,lemmatizer,supertagger,parser,ner}
passes=${TAGGER_PASSES:-1}
stats=models/word_stats
gaz=models/gazetteer
[ -s "$stats/en_clusters.paths" ] && [ -s "$stats/en_word_probs.tsv" ] ||
  models/fetch_word_stats.sh "$stats"
[ -s "$gaz/en_gazetteer.tsv" ] || models/fetch_gazetteer.sh "$gaz"
"$spacyc" train --train "$ewt/train.conllu" --dev "$ewt/dev.conllu" \
  --ner-train "$ewt/ner-train.iob2" --ner-dev "$ewt/ner-dev.iob2" \
  --clusters "$stats/en_clusters.paths" --word-probs "$stats/en_word_probs.tsv" \
  --gazetteer "$gaz/en_gazetteer.tsv" \
  --pipeline "$pipeline" --tagger-passes "$passes" --seed 1 --name "$(basename "$out" .spacyc)" -o "$out"
ls -l "$out"
echo "gold tokens:";  "$spacyc" evaluate --model "$out" --data "$ewt/dev.conllu" --gold-tokens
echo "raw text:";     "$spacyc" evaluate --model "$out" --data "$ewt/dev.conllu"
echo "entities:";     "$spacyc" evaluate --model "$out" --data "$ewt/ner-dev.iob2"
