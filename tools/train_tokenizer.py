#!/usr/bin/env python3
"""Train Gradus's byte-level BPE tokenizer, ``corpora/tokenizer.json`` (issue 2, item 4).

A GPT-2-style byte-level BPE in the Hugging Face ``tokenizers`` format:

* model ``BPE`` (no unk token, no byte fallback, no dropout),
* pre-tokenizer ``ByteLevel(add_prefix_space=False, use_regex=True)`` — the GPT-2 split regex
  ``'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+``,
* decoder ``ByteLevel``, post-processor ``ByteLevel(trim_offsets=False)`` (adds no tokens),
* no normalizer,
* 8 192 ids, of which id 0 is ``<|endoftext|>`` (end of document) and id 1 is ``<|pad|>``
  (padding); the 256 byte symbols (``ByteLevel.alphabet()``) are always in the vocabulary, so every
  byte sequence is encodable.

Training text: the ``text`` field of every record of ``gnomehelp.sample.jsonl.zst``,
``appstream.sample.jsonl.zst`` and ``udhr.sample.jsonl.zst``, read in that fixed order (file order,
then record order), so the result is deterministic for a given ``tokenizers`` version. The corpus
files are zstd-compressed JSONL (fields ``id``, ``text``, ``lang``, ``source``); they are
decompressed with the ``zstd`` command-line tool.

Usage::

    python3 tools/train_tokenizer.py                    # writes corpora/tokenizer.json
    python3 tools/train_tokenizer.py --out /tmp/t.json --corpora corpora --vocab-size 8192

Requirements: Python 3.9+, ``pip install tokenizers==0.23.3`` (the version the fixtures were made
with), and the ``zstd`` CLI (Debian package ``zstd``). After retraining, regenerate the Swift test
fixture with ``tools/gen_bpe_fixtures.py``.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys

# Single-threaded, so that nothing depends on scheduling (HF training is deterministic anyway).
os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers  # noqa: E402
import tokenizers  # noqa: E402

TEXT_CORPORA = ["gnomehelp.sample.jsonl.zst", "appstream.sample.jsonl.zst", "udhr.sample.jsonl.zst"]
END_OF_DOCUMENT = "<|endoftext|>"
PADDING = "<|pad|>"


def read_texts(path):
    """Yields the ``text`` field of each JSONL record of the zstd file ``path``, in file order."""
    proc = subprocess.run(["zstd", "-dc", "--", path], check=True, stdout=subprocess.PIPE)
    for number, line in enumerate(proc.stdout.decode("utf-8").split("\n"), start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        text = record.get("text")
        if not isinstance(text, str):
            raise SystemExit(f"{path}:{number}: record has no string field 'text'")
        yield text


def corpus_texts(corpora_dir):
    """All training texts, in the fixed order of ``TEXT_CORPORA``."""
    for name in TEXT_CORPORA:
        yield from read_texts(os.path.join(corpora_dir, name))


def build_tokenizer():
    """An untrained tokenizer with Gradus's pipeline."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    return tokenizer


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", default=os.path.join(root, "corpora"), help="directory of the sample corpora")
    parser.add_argument("--out", default=os.path.join(root, "corpora", "tokenizer.json"), help="output tokenizer.json")
    parser.add_argument("--vocab-size", type=int, default=8192, help="ids including special tokens (default 8192)")
    args = parser.parse_args()

    tokenizer = build_tokenizer()
    trainer = trainers.BpeTrainer(
        vocab_size=args.vocab_size,
        min_frequency=2,
        special_tokens=[END_OF_DOCUMENT, PADDING],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus_texts(args.corpora), trainer=trainer)

    size = tokenizer.get_vocab_size(with_added_tokens=True)
    if size != args.vocab_size:
        raise SystemExit(f"trained vocabulary has {size} ids, expected {args.vocab_size}")
    for token in (END_OF_DOCUMENT, PADDING):
        if tokenizer.token_to_id(token) is None:
            raise SystemExit(f"special token {token} is missing from the vocabulary")

    tokenizer.save(args.out, pretty=True)
    with open(args.out, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    print(json.dumps({"out": args.out, "vocab_size": size, "tokenizers": tokenizers.__version__,
                      "end_of_document": tokenizer.token_to_id(END_OF_DOCUMENT),
                      "padding": tokenizer.token_to_id(PADDING), "sha256": digest}))


if __name__ == "__main__":
    sys.exit(main())
