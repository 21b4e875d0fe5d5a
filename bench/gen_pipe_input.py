#!/usr/bin/env python3
"""Writes a large text file for the pipe() benchmark: the sentences of UD
English-EWT, one per line, repeated until the file reaches the requested
size, with a unique token injected into every line (ids, e-mail addresses,
URLs, hashtags) so that new words keep arriving, as in real traffic.

usage: gen_pipe_input.py SIZE OUTPUT [EWT_DIR]
SIZE takes K/M/G suffixes (powers of 1000 bytes: 200M, 2G).
The output is deterministic; write it to /tmp, never into the repository.
"""
import os
import sys


def parse_size(text):
    units = {"K": 10**3, "M": 10**6, "G": 10**9}
    if text[-1].upper() in units:
        return int(float(text[:-1]) * units[text[-1].upper()])
    return int(text)


def ewt_sentences(ewt_dir):
    sentences = []
    for name in ("train.conllu", "dev.conllu"):
        path = os.path.join(ewt_dir, name)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("# text = "):
                    sentences.append(line[9:].rstrip("\n").split(" "))
    if not sentences:
        sys.exit(f"gen_pipe_input.py: no EWT sentences under {ewt_dir}")
    return sentences


# Shapes of the injected tokens; each gets a counter, so none repeats.
SHAPES = (
    "id{:x}",
    "user{}@example.com",
    "https://example.org/item/{}?ref=bench",
    "#topic{}",
    "ORD-{:07d}",
    "x{}y",
)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    target = parse_size(sys.argv[1])
    out_path = sys.argv[2]
    here = os.path.dirname(os.path.abspath(__file__))
    ewt_dir = sys.argv[3] if len(sys.argv) > 3 else os.path.join(
        here, "..", "..", "shared", "data", "en_ewt")
    sentences = ewt_sentences(ewt_dir)
    written = 0
    counter = 0
    tmp_path = out_path + ".part"
    with open(tmp_path, "wb") as out:
        while written < target:
            block = []
            for words in sentences:
                token = SHAPES[counter % len(SHAPES)].format(counter)
                at = counter % (len(words) + 1)
                block.append(" ".join(words[:at] + [token] + words[at:]))
                counter += 1
            data = ("\n".join(block) + "\n").encode("utf-8")
            last = written + len(data) >= target
            if last:
                # Stop at the first line end at or after the target size.
                data = data[:data.find(b"\n", target - written - 1) + 1]
            out.write(data)
            written += len(data)
            if last:
                break
    os.replace(tmp_path, out_path)
    print(f"{out_path}: {written} bytes")


if __name__ == "__main__":
    main()
