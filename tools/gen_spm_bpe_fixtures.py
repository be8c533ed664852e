#!/usr/bin/env python3
"""Train the Llama-2-style BPE test tokenizer and make its reference fixture (issue 15 item 1).

Writes two files:

* ``Tests/CorpusTests/Fixtures/tokenizers/llama2-bpe.json`` — a character-level BPE with
  SentencePiece-style byte fallback laid out as the real Llama-2 ``tokenizer.json`` files are
  (transformers' ``LlamaConverter``, ``legacy=True``): model ``BPE`` with ``byte_fallback: true``,
  ``unk_token: "<unk>"``, ``fuse_unk: true``; ids 0-2 ``<unk>``, ``<s>``, ``</s>`` (the only added
  tokens, special, not normalized); ids 3-258 the 256 byte tokens ``<0x00>`` ... ``<0xFF>`` in the
  model vocabulary only; normalizer ``Sequence[Prepend("▁"), Replace(" ", "▁")]``; no
  pre-tokenizer; decoder ``Sequence[Replace("▁", " "), ByteFallback, Fuse, Strip(" ", 1, 0)]``;
  post-processor ``TemplateProcessing("<s> $A")`` as Llama's. Trained with ``tokenizers``'
  ``BpeTrainer`` (4 096 ids; only the 600 most frequent characters are kept in the training text,
  so rare scripts and most emoji take the byte fallback) on the three shipped text corpora in file order, words split by
  ``Metaspace`` during training only — deterministic for a given ``tokenizers`` version.
* ``Tests/CorpusTests/Fixtures/spm-bpe-fixtures.jsonl.zst`` — line 1 a header (format, version,
  ``tokenizers`` version, SHA-256 of the tokenizer file, ``variants``); then one JSON line per text:
  ``{"text", "ids", "decoded", "origin"}`` (+ ``"variant"``), where ``ids =
  encode(text, add_special_tokens=False).ids`` and ``decoded = decode(ids,
  skip_special_tokens=False)``, both from the Python library.

Texts: the >= 2 000 documents and the edge cases of ``tools/gen_bpe_fixtures.py`` (imported, not
copied), the special tokens of this file written inside text, byte-token look-alikes (``<0x41>``
is plain text, not a token), and seeded random strings. Variants (edits to the JSON, as in the
byte-level fixture): the Metaspace layout of Mistral / ``legacy=False`` (no normalizer,
``Metaspace(prepend_scheme "first", split false)``) with the Sequence decoder and with a
``Metaspace`` decoder; Metaspace with ``split: true``; ``ignore_merges``; no byte fallback (fused,
unfused, no unknown token at all); byte tokens missing from the vocabulary (``<0xF0>``: 4-byte
characters become ``<unk>``, fused and unfused); and ``affixes``, a second small model with
``continuing_subword_prefix "##"`` and ``end_of_word_suffix "</w>"`` (trained by plain BPE here:
``BpeTrainer`` numbers affixed symbols in hash order, which differs between runs).

Usage::

    python3 tools/gen_spm_bpe_fixtures.py

Requirements: Python 3.9+, ``pip install tokenizers==0.23.3``, the ``zstd`` CLI.
"""

import hashlib
import json
import os
import sys

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tokenizers  # noqa: E402
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers  # noqa: E402

from gen_bpe_fixtures import (  # noqa: E402  (the shared document sampling and edge cases)
    ROOT, TEXT_CORPORA, apply_edits, edge_cases, random_strings, read_corpus, sample_documents, write_fixture,
    reference_record as record,
)

TOKENIZER_PATH = os.path.join(ROOT, "Tests", "CorpusTests", "Fixtures", "tokenizers", "llama2-bpe.json")
OUT_PATH = os.path.join(ROOT, "Tests", "CorpusTests", "Fixtures", "spm-bpe-fixtures.jsonl.zst")
FORMAT = "gradus-spm-bpe-fixtures"
VERSION = 1
VOCAB_SIZE = 4096
SPECIALS = ["<unk>", "<s>", "</s>"]
BYTE_TOKENS = ["<0x%02X>" % b for b in range(256)]


def training_texts(limit=None):
    texts = [record["text"] for name in TEXT_CORPORA for _, record in read_corpus(name)]
    return texts if limit is None else texts[:limit]


def restrict_alphabet(texts, size):
    """The texts without the characters outside their `size` most frequent ones (ties by code
    point), so that those take the byte fallback. (BpeTrainer's own `limit_alphabet` breaks
    frequency ties in hash order, which differs between runs.)"""
    counts = {}
    for text in texts:
        for ch in text:
            counts[ch] = counts.get(ch, 0) + 1
    kept = set(sorted(counts, key=lambda ch: (-counts[ch], ord(ch)))[:size])
    return ["".join(ch for ch in text if ch in kept) for text in texts]


def train(texts, vocab_size):
    """A trained BPE with byte fallback; words split by Metaspace for training only."""
    texts = restrict_alphabet(texts, 600)
    tokenizer = Tokenizer(models.BPE(byte_fallback=True, unk_token="<unk>", fuse_unk=True))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIALS + BYTE_TOKENS,
                                  show_progress=False)
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


def llama_layout(tokenizer):
    """The trained tokenizer as Llama-2's tokenizer.json lays it out (LlamaConverter, legacy)."""
    tokenizer.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tokenizer.pre_tokenizer = None
    tokenizer.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                           decoders.Strip(content=" ", left=1, right=0)])
    tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                             special_tokens=[("<s>", 1)])
    definition = json.loads(tokenizer.to_str())
    # Llama keeps the byte tokens in the model vocabulary only; the trainer made them added tokens.
    definition["added_tokens"] = [t for t in definition["added_tokens"] if t["content"] in SPECIALS]
    vocab = definition["model"]["vocab"]
    for index, token in enumerate(SPECIALS + BYTE_TOKENS):
        if vocab.get(token) != index:
            raise SystemExit(f"{token} has id {vocab.get(token)}, expected {index}")
    return definition


def affix_model(texts, merge_count=200):
    """A small BPE model with ``continuing_subword_prefix "##"`` and ``end_of_word_suffix "</w>"``,
    trained here by plain BPE (most frequent pair, ties by the pair's strings) because
    ``BpeTrainer`` numbers affixed symbols in hash order, which differs between runs."""
    counts = {}
    for text in restrict_alphabet(texts, 80):
        for word in text.split():
            counts["▁" + word] = counts.get("▁" + word, 0) + 1
    words = []
    for word, count in sorted(counts.items()):
        symbols = [c if i == 0 else "##" + c for i, c in enumerate(word)]
        symbols[-1] += "</w>"
        words.append((symbols, count))
    vocab = SPECIALS + BYTE_TOKENS + sorted({s for symbols, _ in words for s in symbols})
    merges = []
    for _ in range(merge_count):
        pairs = {}
        for symbols, count in words:
            for pair in zip(symbols, symbols[1:]):
                pairs[pair] = pairs.get(pair, 0) + count
        if not pairs:
            break
        best = min(pairs, key=lambda pair: (-pairs[pair], pair))
        merged = best[0] + best[1][2:]
        merges.append(list(best))
        if merged not in vocab:
            vocab.append(merged)
        for symbols, _ in words:
            i = 0
            while i < len(symbols) - 1:
                if (symbols[i], symbols[i + 1]) == best:
                    symbols[i:i + 2] = [merged]
                i += 1
    return {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": "##",
            "end_of_word_suffix": "</w>", "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
            "vocab": {token: i for i, token in enumerate(vocab)}, "merges": merges}


METASPACE = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}


def variants(affixed):
    no_fallback = [{"path": ["model", "byte_fallback"], "value": False}]
    no_f0 = [{"path": ["model", "vocab", "<0xF0>"], "delete": True}]
    return {
        "metaspace": [{"path": ["normalizer"], "value": None}, {"path": ["pre_tokenizer"], "value": METASPACE}],
        "metaspace_decoder": [{"path": ["normalizer"], "value": None}, {"path": ["pre_tokenizer"], "value": METASPACE},
                              {"path": ["decoder"], "value": dict(METASPACE)}],
        "metaspace_split": [{"path": ["normalizer"], "value": None},
                            {"path": ["pre_tokenizer"], "value": dict(METASPACE, split=True)}],
        "ignore_merges": [{"path": ["normalizer"], "value": None},
                          {"path": ["pre_tokenizer"], "value": dict(METASPACE, split=True)},
                          {"path": ["model", "ignore_merges"], "value": True}],
        "no_fallback": no_fallback,
        "no_fallback_unfused": no_fallback + [{"path": ["model", "fuse_unk"], "value": False}],
        "no_fallback_no_unk": no_fallback + [{"path": ["model", "unk_token"], "value": None}],
        "partial_fallback": no_f0,
        "partial_fallback_unfused": no_f0 + [{"path": ["model", "fuse_unk"], "value": False}],
        "affixes": [{"path": ["model"], "value": affixed}, {"path": ["normalizer"], "value": None},
                    {"path": ["pre_tokenizer"], "value": dict(METASPACE, split=True)}],
    }


def special_texts():
    return [
        "<s>", "</s>", "<unk>", "<s>hello", "hello</s>", "hello </s> world", "a<s>b</s>c", " <s> ", "<s><s>",
        "</s></s>x", "<s", "s>", "</s", "<unk>x<unk>", "<0x41>", "<0x41><0xE2>", "<0x00>", "x<0xFF>y", "<0x4>",
        "▁", "▁▁", "▁hello", "hello▁world", " ▁ ", "▁ ▁",
    ]


def main():
    texts = training_texts()
    definition = llama_layout(train(texts, VOCAB_SIZE))
    affix = affix_model(texts[:150])
    os.makedirs(os.path.dirname(TOKENIZER_PATH), exist_ok=True)
    raw = (json.dumps(definition, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    with open(TOKENIZER_PATH, "wb") as handle:
        handle.write(raw)
    base = Tokenizer.from_str(raw.decode("utf-8"))
    documents, groups = sample_documents()
    edges = edge_cases(groups) + special_texts()
    edits = variants(affix)
    header = {
        "format": FORMAT, "version": VERSION, "tokenizers": tokenizers.__version__,
        "tokenizer": "Tests/CorpusTests/Fixtures/tokenizers/llama2-bpe.json",
        "tokenizer_sha256": hashlib.sha256(raw).hexdigest(),
        "semantics": "ids = encode(text, add_special_tokens=False).ids; decoded = decode(ids, skip_special_tokens=False)",
        "variants": edits,
    }
    records = [record(base, text, origin) for origin, text in documents]
    records += [record(base, text, "edge") for text in edges]
    records += [record(base, text, "random") for text in random_strings(300, 2024)]
    variant_texts = [t for _, t in documents[::12]] + edge_cases(groups)[:120] + special_texts() + random_strings(40, 17)
    for name, changes in edits.items():
        tokenizer = Tokenizer.from_str(json.dumps(apply_edits(definition, changes)))
        records += [record(tokenizer, text, "variant", name) for text in variant_texts]

    payload, compressed = write_fixture(OUT_PATH, header, records)
    print(json.dumps({"tokenizer": TOKENIZER_PATH, "tokenizer_bytes": len(raw), "out": OUT_PATH,
                      "records": len(records), "sampled_documents": len(documents), "bytes": len(compressed),
                      "tokenizers": tokenizers.__version__, "tokenizer_sha256": header["tokenizer_sha256"]}))


if __name__ == "__main__":
    sys.exit(main())
