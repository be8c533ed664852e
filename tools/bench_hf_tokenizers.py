#!/usr/bin/env python3
"""Measure the reference: Hugging Face ``tokenizers`` encoding the sample corpora (issue 2, item 7).

Encodes the ``text`` of every record of ``gnomehelp.sample.jsonl.zst``, ``appstream.sample.jsonl.zst``
and ``udhr.sample.jsonl.zst`` with ``corpora/tokenizer.json``, on one thread
(``RAYON_NUM_THREADS=1``, ``TOKENIZERS_PARALLELISM=false``, set before the import), in two ways:

* ``encode``: one document at a time, ``Tokenizer.encode(text, add_special_tokens=False)`` — the
  figure to compare with ``gradus bench tokenize`` (one thread, one document at a time);
* ``encode_batch``: all documents in one ``encode_batch`` call (still one thread).

Reading and decompressing the corpora is done before the clock starts; only encoding is timed.
``bytes`` counts the UTF-8 bytes of the texts; MB is 10^6 bytes. Prints one JSON line per mode::

    {"impl": "hf-tokenizers", "mode": "encode", "version": "0.23.3", "threads": 1, "documents": N,
     "bytes": B, "tokens": T, "seconds": S, "mb_per_s": ..., "tokens_per_s": ...}

Usage::

    python3 tools/bench_hf_tokenizers.py [--tokenizer corpora/tokenizer.json] [--repeat 3]
        [--modes encode] [--max-documents N]

``gradus bench tokenize`` runs it (``--modes encode``) for each tokenizer it measures and prints
the ratio of the two speeds.

With ``--repeat R`` each mode runs R times and the fastest run is reported (least disturbed by
other work on a shared machine). Requirements: Python 3.9+, ``pip install tokenizers==0.23.3``,
the ``zstd`` CLI.
"""

import argparse
import json
import os
import subprocess
import sys
import time

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import tokenizers  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEXT_CORPORA = ["gnomehelp.sample.jsonl.zst", "appstream.sample.jsonl.zst", "udhr.sample.jsonl.zst"]


def load_texts(corpora_dir):
    texts = []
    for name in TEXT_CORPORA:
        raw = subprocess.run(["zstd", "-dc", "--", os.path.join(corpora_dir, name)],
                             check=True, stdout=subprocess.PIPE).stdout
        texts += [json.loads(line)["text"] for line in raw.decode("utf-8").split("\n") if line.strip()]
    return texts


def time_encode(tokenizer, texts):
    start = time.perf_counter()
    tokens = 0
    for text in texts:
        tokens += len(tokenizer.encode(text, add_special_tokens=False).ids)
    return time.perf_counter() - start, tokens


def time_encode_batch(tokenizer, texts):
    start = time.perf_counter()
    encodings = tokenizer.encode_batch(texts, add_special_tokens=False)
    seconds = time.perf_counter() - start
    return seconds, sum(len(e.ids) for e in encodings)


def main():
    parser = argparse.ArgumentParser(description="Benchmark Hugging Face tokenizers on the sample corpora.")
    parser.add_argument("--tokenizer", default=os.path.join(ROOT, "corpora", "tokenizer.json"))
    parser.add_argument("--corpora", default=os.path.join(ROOT, "corpora"))
    parser.add_argument("--repeat", type=int, default=1, help="runs per mode; the fastest is reported")
    parser.add_argument("--modes", default="encode,encode_batch", help="comma-separated: encode, encode_batch")
    parser.add_argument("--max-documents", type=int, default=None, help="only the first N documents")
    args = parser.parse_args()

    texts = load_texts(args.corpora)[:args.max_documents]
    total_bytes = sum(len(t.encode("utf-8")) for t in texts)
    modes = [m for m in args.modes.split(",") if m]
    for mode, run in (("encode", time_encode), ("encode_batch", time_encode_batch)):
        if mode not in modes:
            continue
        best, tokens = None, 0
        for _ in range(max(1, args.repeat)):
            tokenizer = Tokenizer.from_file(args.tokenizer)  # fresh word cache each run
            seconds, tokens = run(tokenizer, texts)
            best = seconds if best is None else min(best, seconds)
        print(json.dumps({
            "impl": "hf-tokenizers", "mode": mode, "version": tokenizers.__version__, "threads": 1,
            "documents": len(texts), "bytes": total_bytes, "tokens": tokens, "seconds": round(best, 3),
            "mb_per_s": round(total_bytes / best / 1e6, 3), "tokens_per_s": round(tokens / best),
        }), flush=True)


if __name__ == "__main__":
    sys.exit(main())
