#!/usr/bin/env bash
# Trains the bundled default English model from UD English-EWT (tagger,
# lemmatizer, senter, parser) and Universal NER English-EWT (entity recognizer), then
# scores it on the dev sets. Usage: models/train_default.sh [EWT_DIR] [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
ewt=${1:-../shared/data/en_ewt}
build=${2:-build}
spacyc="$build/src/cli/spacyc"
out=models/en_default.spacyc
"$spacyc" train --train "$ewt/train.conllu" --dev "$ewt/dev.conllu" \
  --ner-train "$ewt/ner-train.iob2" --ner-dev "$ewt/ner-dev.iob2" \
  --pipeline tagger,lemmatizer,senter,parser,ner --seed 1 --name en_default -o "$out"
ls -l "$out"
echo "gold tokens:";  "$spacyc" evaluate --model "$out" --data "$ewt/dev.conllu" --gold-tokens
echo "raw text:";     "$spacyc" evaluate --model "$out" --data "$ewt/dev.conllu"
echo "entities:";     "$spacyc" evaluate --model "$out" --data "$ewt/ner-dev.iob2"
