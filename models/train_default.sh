#!/usr/bin/env bash
# Trains the bundled default English model from UD English-EWT (tagger,
# lemmatizer, senter, parser) and Universal NER English-EWT (entity recognizer), with
# word statistics from models/fetch_word_stats.sh and a gazetteer from
# models/fetch_gazetteer.sh (each fetched when missing), then scores it on the dev sets. Usage: models/train_default.sh [EWT_DIR] [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
ewt=${1:-../shared/data/en_ewt}
build=${2:-build}
spacyc="$build/src/cli/spacyc"
out=models/en_default.spacyc
stats=models/word_stats
gaz=models/gazetteer
[ -s "$stats/en_clusters.paths" ] && [ -s "$stats/en_word_probs.tsv" ] ||
  models/fetch_word_stats.sh "$stats"
[ -s "$gaz/en_gazetteer.tsv" ] || models/fetch_gazetteer.sh "$gaz"
"$spacyc" train --train "$ewt/train.conllu" --dev "$ewt/dev.conllu" \
  --ner-train "$ewt/ner-train.iob2" --ner-dev "$ewt/ner-dev.iob2" \
  --clusters "$stats/en_clusters.paths" --word-probs "$stats/en_word_probs.tsv" \
  --gazetteer "$gaz/en_gazetteer.tsv" \
  --pipeline tagger,lemmatizer,senter,parser,ner --seed 1 --name en_default -o "$out"
ls -l "$out"
echo "gold tokens:";  "$spacyc" evaluate --model "$out" --data "$ewt/dev.conllu" --gold-tokens
echo "raw text:";     "$spacyc" evaluate --model "$out" --data "$ewt/dev.conllu"
echo "entities:";     "$spacyc" evaluate --model "$out" --data "$ewt/ner-dev.iob2"
