#!/usr/bin/env python3
"""Generate the reference fixture of the generic tokenizer.json pipeline (issue 15 item 1).

Writes ``Tests/CorpusTests/Fixtures/pipeline-fixtures.jsonl.zst``: zstd-compressed JSON lines
with the ids and decoded text the Python ``tokenizers`` library gives for WordLevel tokenizers
trained on the shipped corpora under several normalizer / pre-tokenizer / decoder chains, which
``Tests/CorpusTests/PipelineTokenizerTests.swift`` compares with ``PipelineTokenizer``. WordLevel
is the simplest model, so a mismatch there is a normalizer's, a pre-tokenizer's, a decoder's or
the added-token split's.

Line 1 is a header: format, version, the ``tokenizers`` version and ``tokenizers``: name ->
the whole tokenizer.json of each chain, as a string (``Tokenizer.to_str()``). Every other line: ``{"tokenizer", "text", "ids",
"decoded"}`` with ids = ``encode(text, add_special_tokens=False).ids`` and decoded =
``decode(ids, skip_special_tokens=False)``.

Texts: the >= 2 000 sampled documents of the byte-level BPE fixture (``tools/gen_bpe_fixtures.py``:
every language and script of the three text corpora), every other one per chain (each document is
in at least two chains), and per chain all its edge cases (Khmer, Tibetan, CJK, Arabic, emoji, long
runs, ...) and random strings, plus texts for the added tokens.

Usage::

    python3 tools/gen_pipeline_fixtures.py

Deterministic: the same corpora and library version give a byte-identical file.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import tokenizers  # noqa: E402
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers  # noqa: E402
from tokenizers import AddedToken, Regex  # noqa: E402

from gen_bpe_fixtures import ROOT, edge_cases, random_strings, sample_documents, write_fixture  # noqa: E402

OUT_PATH = os.path.join(ROOT, "Tests", "CorpusTests", "Fixtures", "pipeline-fixtures.jsonl.zst")
FORMAT = "gradus-pipeline-fixtures"
VERSION = 1
SPECIALS = ["<unk>", "</s>", "<pad>"]
EXTRA_TEXTS = ["<mask>hello world", "Hello World <mask> [tag] x[tag]y [tag]", "<mask>", "a<mask>b", " <mask> ",
               "\u2581already", "  two  spaces  ", "A\u00c5\u212b\u0041\u030a", "\ufb01\u2460\uff28",
               "\u1780\u17d2\u179a\u17c1\u1794\u17b6 \u0f56\u0f7c\u0f51\u0f0b\u0f61\u0f72\u0f42"]


def chains():
    """name -> (normalizer, pre_tokenizer, decoder, extra added tokens)."""
    return {
        "nfkc-lower-metaspace": (
            normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()]),
            pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True),
            decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True), []),
        "nfd-strip-accents-whitespace": (
            normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents(), normalizers.Strip()]),
            pre_tokenizers.Whitespace(), None, []),
        "llama-legacy-normalizer": (
            normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")]),
            None,
            decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                               decoders.Strip(content=" ", left=1, right=0)]),
            [AddedToken("<mask>", special=True, normalized=False)]),
        "split-then-metaspace-first": (
            normalizers.Sequence([normalizers.NFKD(), normalizers.Replace(Regex(" {2,}"), " "),
                                  normalizers.Strip(left=False, right=True)]),
            pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                     pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first")]),
            decoders.Metaspace(replacement="\u2581", prepend_scheme="first"), []),
        "nfc-metaspace-first-nosplit": (
            normalizers.Sequence([normalizers.NFC(), normalizers.Lowercase()]),
            pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=False),
            decoders.Metaspace(replacement="\u2581", prepend_scheme="first", split=False),
            [AddedToken("<mask>", special=True, normalized=False), AddedToken("hello world", normalized=True),
             AddedToken("[tag]", normalized=True, single_word=True)]),
    }


def train(normalizer, pre_tokenizer, decoder, added, texts):
    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.normalizer = normalizer
    if pre_tokenizer is not None:
        tokenizer.pre_tokenizer = pre_tokenizer
    if decoder is not None:
        tokenizer.decoder = decoder
    tokenizer.train_from_iterator(texts, trainers.WordLevelTrainer(vocab_size=3000, special_tokens=SPECIALS, show_progress=False))
    if added:
        tokenizer.add_tokens(added)
    return tokenizer


def record(name, tokenizer, text):
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    return {"tokenizer": name, "text": text, "ids": ids, "decoded": tokenizer.decode(ids, skip_special_tokens=False)}


def main():
    documents, groups = sample_documents()
    header = {"format": FORMAT, "version": VERSION, "tokenizers_version": tokenizers.__version__,
              "semantics": "ids = encode(text, add_special_tokens=False).ids; decoded = decode(ids, skip_special_tokens=False)",
              "tokenizers": {}}
    records = []
    extra = edge_cases(groups) + random_strings(300, 2025) + EXTRA_TEXTS
    for index, (name, (normalizer, pre_tokenizer, decoder, added)) in enumerate(chains().items()):
        tokenizer = train(normalizer, pre_tokenizer, decoder, added, [t for _, t in documents])
        header["tokenizers"][name] = tokenizer.to_str()
        # Every other document per chain (alternating halves): all documents are covered twice or
        # more over the five chains, at half the fixture's size.
        texts = [t for _, t in documents[index % 2::2]] + extra
        records += [record(name, tokenizer, text) for text in texts]
    payload, compressed = write_fixture(OUT_PATH, header, records)
    print(json.dumps({"out": OUT_PATH, "records": len(records),
                      "bytes": len(compressed), "tokenizers": tokenizers.__version__}))


if __name__ == "__main__":
    sys.exit(main())
