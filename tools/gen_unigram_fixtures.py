#!/usr/bin/env python3
"""Train the Unigram tokenizer files and generate their reference fixture (issue 15 item 1).

Two tokenizer.json files under ``Tests/CorpusTests/Fixtures/tokenizers/`` (written with ``--train``):

* ``unigram-nfkc.json`` — a ``tokenizers`` ``UnigramTrainer`` model (8 000 pieces: its training
  text has 5 057 distinct characters, which it must all keep; unknown piece ``<unk>``) with
  normalizer ``NFKC``, pre-tokenizer ``Metaspace`` (prepend always, split) and decoder
  ``Metaspace``.
* ``unigram-spm.json`` — a real SentencePiece Unigram model (``sentencepiece``, 2 400 pieces,
  ``normalization_rule_name=nmt_nfkc``, the rule set whose ``precompiled_charsmap`` T5, mT5 and
  XLM-R files carry) converted by transformers' ``T5Converter``: normalizer
  ``Sequence[Precompiled, Strip(right), Replace(" {2,}", "▁")]``, pre-tokenizer ``Metaspace``,
  decoder ``Metaspace``, three ``<extra_id_N>`` added tokens. The vocabulary is small so that the
  file, which is mostly the 320 KB base64 charsmap, stays under 400 KB.

Both are trained on the first 150 characters of every document of the three text corpora (4.1 M
characters), in file order.

Then ``Tests/CorpusTests/Fixtures/unigram-fixtures.jsonl.zst`` (always written): line 1 is a header
(format, version, the ``tokenizers`` version, each file's SHA-256, and ``variants``: name ->
{"tokenizer": base file, "edits": [...]}, edits to the file's JSON as in
``tools/gen_bpe_fixtures.py`` plus ``{"path": [...], "splice": [start, delete_count, items]}`` for
lists); every other line ``{"tokenizer", "variant"?, "text", "ids", "decoded"}`` with ids =
``encode(text, add_special_tokens=False).ids`` and decoded = ``decode(ids,
skip_special_tokens=False)``, or ``"error"`` (the library's message) where the library refuses the
text (a character no piece covers in a model without ``unk_id``).

Variants: the T5 layout of the Hub's files (``Precompiled`` + ``Replace(" {2,}", " ")``,
``WhitespaceSplit`` + legacy ``Metaspace(add_prefix_space)``); the XLM-R layout
(``XLMRobertaConverter``'s vocabulary: ``<s> <pad> </s> <unk>`` first, ``unk_id`` 3, ``<mask>``
last; the Hub's legacy Metaspace); byte fallback (the 256 ``<0xNN>`` pieces appended, the
SentencePiece converter's ``Replace/ByteFallback/Fuse/Strip`` decoder); ``Nmt`` before ``NFKC``;
no ``unk_id``.

Texts: the >= 2 000 sampled documents and the edge cases and random strings of
``tools/gen_bpe_fixtures.py`` (every language and script of the corpora; Khmer, Tibetan, CJK,
Arabic, emoji, long runs, control characters, ...) for both files; a tenth of the documents plus
the edge cases per variant.

Usage::

    python3 tools/gen_unigram_fixtures.py --train   # retrain both files (minutes), then fixtures
    python3 tools/gen_unigram_fixtures.py --train --only spm   # retrain one file (run both in parallel)
    python3 tools/gen_unigram_fixtures.py           # fixtures from the committed files

Requirements: ``tokenizers==0.23.3``; for ``--train`` also ``sentencepiece`` and ``protobuf``
(``tools/setup.sh`` installs them) and ``transformers``. The fixture and ``unigram-spm.json`` are
deterministic (the same corpora and library versions give byte-identical files; checked by
retraining). ``unigram-nfkc.json`` is not: ``tokenizers``' ``UnigramTrainer`` sums over randomly
seeded hash maps, so a retrained file has the same pieces with scores that differ in the last
digits (up to 0.003) and ties in another order — the committed file is the reference, and the
fixture is regenerated from it (the default mode).
"""

import argparse
import copy
import hashlib
import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import tokenizers  # noqa: E402
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers  # noqa: E402

from gen_bpe_fixtures import ROOT, edge_cases, random_strings, sample_documents, write_fixture  # noqa: E402
from train_tokenizer import corpus_texts  # noqa: E402

TOKENIZER_DIR = os.path.join(ROOT, "Tests", "CorpusTests", "Fixtures", "tokenizers")
FILES = {"nfkc": "unigram-nfkc.json", "spm": "unigram-spm.json"}
OUT_PATH = os.path.join(ROOT, "Tests", "CorpusTests", "Fixtures", "unigram-fixtures.jsonl.zst")
FORMAT = "gradus-unigram-fixtures"
VERSION = 1
TRAINING_CHARACTERS = 150  # per document (the first ones): 4.1 M characters, so training takes minutes, not an hour
EXTRA_TEXTS = [
    "<unk>", "a<unk>b", "<s>x</s>", "<extra_id_0> hello <extra_id_2>", "<0x41><0xE2>", "\u2581\u2581a",
    "\u2581", "  two  spaces  ", "tab\tand\nnewline\r\n", "\ufb01\u2460\uff28\u2126\u212b", "e\u0301 \u00e9",
    "\u1780\u17d2\u179a\u17c1\u1794\u17b6 \u0f56\u0f7c\u0f51\u0f0b\u0f61\u0f72\u0f42", "\u200b\u200d\ufeff\u00ad",
    "\U0001f469\U0001f3fd\u200d\U0001f4bb", "\u0915\u094d\u0937", "\u1100\u1161\u11a8", "\ufffd\ufffd",
    "\x01\x02\x7f\x8f\x9f", "\u3000\u3000x", "\u0660\u06f1 \u2153",
]


def train_nfkc(texts):
    tokenizer = Tokenizer(models.Unigram())
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    trainer = trainers.UnigramTrainer(vocab_size=8000, unk_token="<unk>", special_tokens=["<unk>", "</s>", "<pad>"],
                                      show_progress=False, max_piece_length=12, seed_size=100_000)
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


def train_spm(texts):
    import sentencepiece as spm
    from transformers.convert_slow_tokenizer import T5Converter

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts), model_writer=model,
        model_type="unigram", vocab_size=2400, normalization_rule_name="nmt_nfkc", character_coverage=0.995,
        num_threads=1, input_sentence_size=0, shuffle_input_sentence=False, minloglevel=2)
    path = os.path.join(TOKENIZER_DIR, "unigram-spm.model.tmp")
    with open(path, "wb") as handle:
        handle.write(model.getvalue())
    try:
        processor = spm.SentencePieceProcessor(model_file=path)

        class SlowT5:  # what T5Converter reads of a slow T5Tokenizer
            vocab_file = path
            _extra_ids = 3
            add_prefix_space = True
            legacy = True

            def convert_tokens_to_ids(self, token):
                return processor.piece_to_id(token)

        return T5Converter(SlowT5()).converted()
    finally:
        os.remove(path)


def apply_edits(definition, edits):
    out = copy.deepcopy(definition)
    for edit in edits:
        target = out
        for key in edit["path"][:-1]:
            target = target[key]
        last = edit["path"][-1]
        if edit.get("delete"):
            del target[last]
        elif "splice" in edit:
            start, count, items = edit["splice"]
            target[last][start:start + count] = items
        else:
            target[last] = edit["value"]
    return out


LEGACY_METASPACE = {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True, "prepend_scheme": "always"}


def variants(spm_definition):
    charsmap = spm_definition["normalizer"]["normalizers"][0]
    hub_normalizer = {"type": "Sequence", "normalizers": [
        charsmap, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}
    size = len(spm_definition["model"]["vocab"])
    xlmr_added = [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                   "normalized": False, "special": True} for i, c in enumerate(["<s>", "<pad>", "</s>", "<unk>"])]
    xlmr_added.append({"id": size - 3 + 1, "content": "<mask>", "single_word": False, "lstrip": True, "rstrip": False,
                       "normalized": False, "special": True})
    byte_pieces = [[f"<0x{b:02X}>", 0.0] for b in range(256)]
    return {
        "t5-hub": {"tokenizer": "spm", "edits": [
            {"path": ["normalizer"], "value": hub_normalizer},
            {"path": ["pre_tokenizer"], "value": {"type": "Sequence", "pretokenizers": [
                {"type": "WhitespaceSplit"}, LEGACY_METASPACE]}},
            {"path": ["decoder"], "value": LEGACY_METASPACE}]},
        "xlmr": {"tokenizer": "spm", "edits": [
            # XLMRobertaConverter: <s> <pad> </s> <unk>, the pieces after SentencePiece's first three
            # (<unk> <s> </s>), <mask>; no <extra_id_N> (they are the T5 converter's).
            {"path": ["model", "vocab"], "splice": [size - 3, 3, [["<mask>", 0.0]]]},
            {"path": ["model", "vocab"], "splice": [0, 3, [["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]]]},
            {"path": ["model", "unk_id"], "value": 3},
            {"path": ["added_tokens"], "value": xlmr_added},
            {"path": ["normalizer"], "value": hub_normalizer},
            {"path": ["pre_tokenizer"], "value": LEGACY_METASPACE},
            {"path": ["decoder"], "value": LEGACY_METASPACE}]},
        "byte-fallback": {"tokenizer": "spm", "edits": [
            {"path": ["model", "vocab"], "splice": [size, 0, byte_pieces]},
            {"path": ["model", "byte_fallback"], "value": True},
            {"path": ["decoder"], "value": {"type": "Sequence", "decoders": [
                {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "}, {"type": "ByteFallback"},
                {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}}]},
        "nmt-nfkc": {"tokenizer": "nfkc", "edits": [
            {"path": ["normalizer"], "value": {"type": "Sequence", "normalizers": [{"type": "Nmt"}, {"type": "NFKC"}]}}]},
        "no-unk": {"tokenizer": "nfkc", "edits": [{"path": ["model", "unk_id"], "value": None}]},
    }


def record(tokenizer, text, name, variant=None):
    out = {"tokenizer": name}
    if variant:
        out["variant"] = variant
    out["text"] = text
    try:
        ids = tokenizer.encode(text, add_special_tokens=False).ids
    except Exception as error:  # the library refuses the text: the Swift side must refuse it too
        out["error"] = str(error)
        return out
    out["ids"] = ids
    out["decoded"] = tokenizer.decode(ids, skip_special_tokens=False)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", action="store_true", help="retrain the two tokenizer files first")
    parser.add_argument("--only", choices=sorted(FILES), help="with --train: retrain this file only, write no fixture")
    args = parser.parse_args()
    os.makedirs(TOKENIZER_DIR, exist_ok=True)
    if args.train:
        texts = [t[:TRAINING_CHARACTERS] for t in corpus_texts(os.path.join(ROOT, "corpora"))]
        for name, train in (("nfkc", train_nfkc), ("spm", train_spm)):
            if args.only in (None, name):
                text = train(texts).to_str() + "\n"
                with open(os.path.join(TOKENIZER_DIR, FILES[name]), "w", encoding="utf-8") as handle:
                    handle.write(text)
        if args.only:
            return 0

    raw, definitions, bases = {}, {}, {}
    for name, file_name in FILES.items():
        with open(os.path.join(TOKENIZER_DIR, file_name), "rb") as handle:
            raw[name] = handle.read()
        definitions[name] = json.loads(raw[name])
        bases[name] = Tokenizer.from_str(raw[name].decode("utf-8"))
    edits = variants(definitions["spm"])
    documents, groups = sample_documents()
    extra = edge_cases(groups) + random_strings(300, 2026) + EXTRA_TEXTS
    header = {
        "format": FORMAT, "version": VERSION, "tokenizers": tokenizers.__version__,
        "files": {name: {"path": f"Tests/CorpusTests/Fixtures/tokenizers/{FILES[name]}",
                         "sha256": hashlib.sha256(raw[name]).hexdigest()} for name in FILES},
        "semantics": "ids = encode(text, add_special_tokens=False).ids; decoded = decode(ids, skip_special_tokens=False)",
        "variants": edits,
    }
    records = []
    for name, tokenizer in bases.items():
        records += [record(tokenizer, text, name) for _, text in documents]
        records += [record(tokenizer, text, name) for text in extra]
    for variant, spec in edits.items():
        tokenizer = Tokenizer.from_str(json.dumps(apply_edits(definitions[spec["tokenizer"]], spec["edits"])))
        texts = [t for _, t in documents[::10]] + edge_cases(groups) + EXTRA_TEXTS
        records += [record(tokenizer, text, spec["tokenizer"], variant) for text in texts]
    for r in records:
        if "error" in r and r.get("variant") != "no-unk":
            raise SystemExit(f"the library refused {r['text']!r} ({r.get('variant') or r['tokenizer']}): {r['error']}")

    payload, compressed = write_fixture(OUT_PATH, header, records)
    print(json.dumps({"out": OUT_PATH, "records": len(records), "sampled_documents": len(documents),
                      "errors": sum("error" in r for r in records), "bytes": len(compressed),
                      "tokenizers": tokenizers.__version__,
                      "files": {n: {"bytes": len(raw[n]), "sha256": header["files"][n]["sha256"]} for n in FILES}}))


if __name__ == "__main__":
    sys.exit(main())
