#!/usr/bin/env python3
"""Train the WordPiece (BERT) tokenizers and generate their reference fixture (issue 15 item 1).

Writes

* ``Tests/CorpusTests/Fixtures/tokenizers/bert-wordpiece.json`` — the ``bert-base-uncased`` layout:
  ``BertNormalizer(clean_text, handle_chinese_chars, strip_accents=null, lowercase=true)``,
  ``BertPreTokenizer``, ``WordPiece(unk_token="[UNK]", continuing_subword_prefix="##",
  max_input_chars_per_word=100)``, a ``TemplateProcessing`` post-processor ([CLS] $A [SEP], as
  transformers' ``convert_slow_tokenizer.BertConverter`` writes it) and the ``WordPiece`` decoder;
* ``Tests/CorpusTests/Fixtures/tokenizers/bert-wordpiece-cased.json`` — the same, ``lowercase``
  false (``strip_accents`` null, so accents are kept too), trained on the original case;
* ``Tests/CorpusTests/Fixtures/wordpiece-fixtures.jsonl.zst`` — zstd JSON lines that
  ``Tests/CorpusTests/WordPieceTokenizerTests.swift`` compares with Gradus.

Both vocabularies have 6 000 ids ([PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4), trained with
``WordPieceTrainer`` on every text of the three shipped corpora in file order, with an alphabet of
up to 1 500 characters (so CJK ideographs are in it).

Line 1 is a header: format, version, the ``tokenizers`` version, the SHA-256 of each tokenizer file,
``variants`` (name -> the whole tokenizer.json of the uncased file with the edits of
``VARIANTS`` applied, as a string; the Swift test loads each), and ``characters``: how the reference classes every code point (see
``tools/gen_bert_tables.py``: ``control``, ``whitespace``, ``punctuation``, ``chinese``,
``numeric`` as [first, last] ranges; ``strip_accents`` and ``lowercase`` as {code point: output}
for the scalars they change), so the Swift tests check every scalar without Python.

Every other line: ``{"tokenizer", "text", "ids", "decoded", "origin"}`` (tokenizer: ``uncased``,
``cased`` or a variant name) with ids = ``encode(text, add_special_tokens=False).ids`` and decoded
= ``decode(ids, skip_special_tokens=False)``. Lowercasing, accent stripping and the decoder's
joining make decoding lossy, so only equality with the library's decode is checked.

Texts: the >= 2 000 documents ``tools/gen_bpe_fixtures.py`` samples (every language and script of
the corpora) and its edge cases (Khmer, Tibetan, CJK, Arabic, emoji, long runs, controls, ...) and
random strings for both files; BERT-specific edge cases (accents, İ/Σ, contractions the decoder
cleans up, [CLS]/[MASK] inside text, words at and over 100 characters, CJK mixed with Latin);
a subset for each variant.

Usage::

    python3 tools/gen_wordpiece_fixtures.py

Requirements: Python 3.9+, ``pip install tokenizers==0.23.3``, the ``zstd`` CLI. Deterministic:
the same corpora and library version give byte-identical files.
"""

import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import tokenizers  # noqa: E402
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers  # noqa: E402

from gen_bert_tables import probe, ranges  # noqa: E402
from gen_bpe_fixtures import ROOT, apply_edits, edge_cases, random_strings, read_corpus, sample_documents, write_fixture  # noqa: E402

FIXTURES = os.path.join(ROOT, "Tests", "CorpusTests", "Fixtures")
FILES = {"uncased": os.path.join(FIXTURES, "tokenizers", "bert-wordpiece.json"),
         "cased": os.path.join(FIXTURES, "tokenizers", "bert-wordpiece-cased.json")}
OUT_PATH = os.path.join(FIXTURES, "wordpiece-fixtures.jsonl.zst")
TEXT_CORPORA = ["gnomehelp.sample.jsonl.zst", "appstream.sample.jsonl.zst", "udhr.sample.jsonl.zst"]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
VOCAB_SIZE = 6000
FORMAT = "gradus-wordpiece-fixtures"
VERSION = 1


def train(lowercase):
    """A BERT-layout WordPiece tokenizer trained on the shipped corpora."""
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]", continuing_subword_prefix="##", max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None,
                                                      lowercase=lowercase)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    trainer = trainers.WordPieceTrainer(vocab_size=VOCAB_SIZE, min_frequency=2, special_tokens=SPECIALS,
                                        limit_alphabet=1500, continuing_subword_prefix="##", show_progress=False)
    texts = [record["text"] for name in TEXT_CORPORA for _, record in read_corpus(name)]
    tokenizer.train_from_iterator(texts, trainer=trainer)
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    if tokenizer.get_vocab_size() != VOCAB_SIZE:
        raise SystemExit(f"trained vocabulary has {tokenizer.get_vocab_size()} ids, expected {VOCAB_SIZE}")
    return tokenizer


def bert_edge_cases():
    """Texts for what BERT normalisation, pre-tokenization, WordPiece and its decoder do specially."""
    return [
        "Hello, World!", "HELLO world", "Café Ünïcödé naïve résumé", "İstanbul ΣΑΣ ὈΔΥΣΣΕΎΣ ß ẞ ǅ ﬁ",
        "Ångström Å Å Å", "don't can't I'm you're we've it's", "he said ' hi ' .", "I do not know",
        "a . b ? c ! d , e", "[CLS] hello [SEP] world [MASK]", "x[MASK]y", "[mask] [Mask]", "[UNK] [PAD]",
        "a" * 100, "a" * 101, "é" * 100, "é" * 101, "ab" * 60, "日" * 150, "supercalifragilisticexpialidocious",
        "中文English混合text", "我爱北京天安门。", "今日は良い天気です", "한국어 텍스트", "𠀀𪜀𫝀𫠠𬺰丽",
        "\u1780\u17d2\u179a\u17c1\u1794\u17b6 \u1781\u17d2\u1798\u17c2\u179a", "\u0f56\u0f7c\u0f51\u0f0b\u0f61\u0f72\u0f42\u0f0d",
        "مرحبا، بالعالم؟", "Привет, мир!", "\u0890\u08e2x\U00013430y", "a\u0897b\u1734c", "x\u2e43y\u166dz",
        "tab\there\u000bvt\u000cff\u0085nel\u00a0nbsp\u3000ideo", "\x00\ufffd\x7f", "\u200b\u200d\ufeff",
        "1,234.56 ½ Ⅻ ٣", "e\u0301 n\u0303 a\u0308", "\ud55c\u1100\u1161", "🏳️‍🌈 👨‍👩‍👧 👍🏽 🇯🇵",
        "##not a prefix", "##", "#hash #tag", "email@example.com http://x.org/a_b-c", "", " ", "\n\n",
    ]


VARIANTS = {
    "no_chinese_chars": [{"path": ["normalizer", "handle_chinese_chars"], "value": False}],
    "no_clean_text": [{"path": ["normalizer", "clean_text"], "value": False}],
    "strip_without_lowercase": [{"path": ["normalizer", "lowercase"], "value": False},
                                {"path": ["normalizer", "strip_accents"], "value": True}],
    "lowercase_without_strip": [{"path": ["normalizer", "strip_accents"], "value": False}],
    "max_chars_6": [{"path": ["model", "max_input_chars_per_word"], "value": 6}],
    "no_cleanup": [{"path": ["decoder", "cleanup"], "value": False}],
    "digits_individual": [{"path": ["pre_tokenizer"], "value": {"type": "Sequence", "pretokenizers": [
        {"type": "BertPreTokenizer"}, {"type": "Digits", "individual_digits": True}]}}],
    "digits_runs": [{"path": ["pre_tokenizer"], "value": {"type": "Sequence", "pretokenizers": [
        {"type": "WhitespaceSplit"}, {"type": "Digits", "individual_digits": False}]}}],
}
for _behavior in ("Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"):
    VARIANTS["punctuation_" + _behavior] = [{"path": ["pre_tokenizer"], "value": {"type": "Sequence", "pretokenizers": [
        {"type": "WhitespaceSplit"}, {"type": "Punctuation", "behavior": _behavior}]}}]


def record(tokenizer, name, text, origin):
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    return {"tokenizer": name, "text": text, "ids": ids, "decoded": tokenizer.decode(ids, skip_special_tokens=False),
            "origin": origin}


def main():
    os.makedirs(os.path.dirname(FILES["uncased"]), exist_ok=True)
    trained = {}
    for name, lowercase in (("uncased", True), ("cased", False)):
        train(lowercase).save(FILES[name], pretty=True)
        with open(FILES[name], "rb") as handle:
            raw = handle.read()
        trained[name] = (Tokenizer.from_str(raw.decode("utf-8")), raw)
    documents, groups = sample_documents()
    edges = edge_cases(groups) + bert_edge_cases()
    randoms = random_strings(300, 2024)
    header = {
        "format": FORMAT, "version": VERSION, "tokenizers": tokenizers.__version__,
        "files": {name: os.path.relpath(path, ROOT) for name, path in FILES.items()},
        "sha256": {name: hashlib.sha256(raw).hexdigest() for name, (_, raw) in trained.items()},
        "semantics": "ids = encode(text, add_special_tokens=False).ids; decoded = decode(ids, skip_special_tokens=False)",
    }
    classes = probe()
    header["characters"] = {key: ranges(classes[key]) for key in ("control", "whitespace", "punctuation", "chinese", "numeric")}
    for key in ("strip_accents", "lowercase"):
        header["characters"][key] = {str(cp): out for cp, out in sorted(classes[key].items())}
    records = []
    for name, (tokenizer, _) in trained.items():
        records += [record(tokenizer, name, text, origin) for origin, text in documents]
        records += [record(tokenizer, name, text, "edge") for text in edges]
        records += [record(tokenizer, name, text, "random") for text in randoms]
    definition = json.loads(trained["uncased"][1])
    header["variants"] = {}
    variant_texts = [t for _, t in documents[::25]] + bert_edge_cases() + edges[:80] + random_strings(40, 5)
    for name, edits in VARIANTS.items():
        text = json.dumps(apply_edits(definition, edits), ensure_ascii=False)
        header["variants"][name] = text
        tokenizer = Tokenizer.from_str(text)
        records += [record(tokenizer, name, text, "variant") for text in variant_texts]
    payload, compressed = write_fixture(OUT_PATH, header, records)
    print(json.dumps({"out": OUT_PATH, "records": len(records), "sampled_documents": len(documents),
                      "bytes_uncompressed": len(payload), "bytes": len(compressed),
                      "files": {name: os.path.getsize(path) for name, path in FILES.items()},
                      "tokenizers": tokenizers.__version__}))


if __name__ == "__main__":
    sys.exit(main())
