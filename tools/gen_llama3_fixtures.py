#!/usr/bin/env python3
"""Train the Llama-3-style byte-level BPE test tokenizer and make its reference fixture (issue 15 item 1).

Writes two files the Swift tests read (no Python at test time):

``Tests/CorpusTests/Fixtures/tokenizers/llama3-bpe.json``
    A tokenizer laid out like Meta's Llama-3 ``tokenizer.json``, trained with ``tokenizers`` on the
    three shipped text corpora (file order, then record order; deterministic for one ``tokenizers``
    version): model ``BPE`` with ``ignore_merges: true``, no normalizer, pre-tokenizer
    ``Sequence[Split(Regex(<Llama-3 pattern>), Isolated, invert false), ByteLevel(add_prefix_space
    false, trim_offsets true, use_regex false)]``, decoder ``ByteLevel``, special tokens
    ``<|begin_of_text|>``, ``<|end_of_text|>`` (plus ``<|eot_id|>`` and a reserved token), 4 096 ids,
    a ``TemplateProcessing`` post-processor that adds ``<|begin_of_text|>`` (as Llama-3's does).

``Tests/CorpusTests/Fixtures/llama3-fixtures.jsonl.zst``
    zstd-compressed JSON lines. Line 1 is a header: format and version, the ``tokenizers`` version,
    the SHA-256 of the tokenizer file and ``variants`` (edits to the file, as in
    ``tools/gen_bpe_fixtures.py``: ``{"path": [keys], "value": v}`` sets, ``"delete": true``
    removes). Every other line is ``{"text", "ids", "decoded", "origin"}`` plus ``"variant"``, where
    ``ids = encode(text, add_special_tokens=False).ids`` and ``decoded = decode(ids,
    skip_special_tokens=False)``.

Records: the >= 2 000 documents and the edge cases of ``tools/gen_bpe_fixtures.py`` (imported, so
both fixtures sample the same way: round-robin over every language of the corpora, Khmer, Tibetan,
CJK, Arabic, ...), Llama-3 specific edge cases (CR/LF runs, digit runs, contractions in any case,
special tokens inside text), seeded random strings; variants: the GPT-4o (o200k) pattern, ``invert``,
each ``behavior`` on a literal (``String``) pattern, a pattern with empty matches, two Splits, a
ByteLevel with ``use_regex``/``add_prefix_space``, an ``NFC`` normalizer (Qwen2), and NFC with added
tokens matched before (``normalized: false``) and after (``normalized: true``) normalization.

Usage::

    python3 tools/gen_llama3_fixtures.py

Requirements: Python 3.9+, ``pip install tokenizers==0.23.3``, the ``zstd`` CLI. Deterministic: the
same inputs and library version give byte-identical files.
"""

import copy
import hashlib
import json
import os
import sys

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import tokenizers  # noqa: E402
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_bpe_fixtures import apply_edits, edge_cases, random_strings, sample_documents, write_fixture, reference_record as record  # noqa: E402
from train_tokenizer import corpus_texts  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZER_PATH = os.path.join(ROOT, "Tests", "CorpusTests", "Fixtures", "tokenizers", "llama3-bpe.json")
OUT_PATH = os.path.join(ROOT, "Tests", "CorpusTests", "Fixtures", "llama3-fixtures.jsonl.zst")
FORMAT = "gradus-llama3-fixtures"
VERSION = 1
VOCAB_SIZE = 4096
SPECIAL_TOKENS = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|eot_id|>"]

# Meta's Llama-3 pattern (tiktoken's cl100k_base with \p{N}{1,3}), as in its tokenizer.json.
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
# GPT-4o's pattern (tiktoken's o200k_base), as transformers' converters write it.
O200K_PATTERN = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
                 r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
                 r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def split(pattern, behavior="Isolated", invert=False, literal=False):
    return {"type": "Split", "pattern": {"String" if literal else "Regex": pattern}, "behavior": behavior, "invert": invert}


def byte_level(add_prefix_space=False, use_regex=False):
    return {"type": "ByteLevel", "add_prefix_space": add_prefix_space, "trim_offsets": True, "use_regex": use_regex}


def pre_tokenizer_edit(*members):
    return [{"path": ["pre_tokenizer"], "value": {"type": "Sequence", "pretokenizers": list(members)}}]


VARIANTS = {
    "o200k": pre_tokenizer_edit(split(O200K_PATTERN), byte_level()),
    "nfc": [{"path": ["normalizer"], "value": {"type": "NFC"}}],
    "bytelevel_regex": pre_tokenizer_edit(split(LLAMA3_PATTERN), byte_level(use_regex=True)),
    "prefix_space": pre_tokenizer_edit(split(LLAMA3_PATTERN), byte_level(add_prefix_space=True)),
    "two_splits": pre_tokenizer_edit(split(r"\p{N}", "Isolated"), split(LLAMA3_PATTERN), byte_level()),
    "invert_removed": pre_tokenizer_edit(split(r"\p{L}+", "Removed", invert=True), byte_level()),
    "invert_merged_previous": pre_tokenizer_edit(split(r"\s+", "MergedWithPrevious", invert=True), byte_level()),
    "invert_contiguous": pre_tokenizer_edit(split(r"\p{P}", "Contiguous", invert=True), byte_level()),
    "empty_matches": pre_tokenizer_edit(split(r"\s*", "MergedWithNext"), byte_level()),
    "no_merges_ignored": [{"path": ["model", "ignore_merges"], "value": False}],
}
for _behavior in ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"]:
    VARIANTS["literal_" + _behavior] = pre_tokenizer_edit(split(" ", _behavior, literal=True), byte_level(use_regex=True))
# Regex metacharacters in a literal pattern are literal.
VARIANTS["literal_metacharacters"] = pre_tokenizer_edit(split(".*", "MergedWithNext", literal=True), byte_level())
VARIANTS["literal_invert"] = pre_tokenizer_edit(split("--", "Contiguous", invert=True, literal=True), byte_level())


# An NFC normalizer with added tokens found after normalization (`normalized: true`): "café" written
# with a combining accent matches only once NFC has composed it, as in the library.
NFC_ADDED_TOKENS = [
    {"id": 4096, "content": "caf\u00e9", "single_word": False, "lstrip": False, "rstrip": False, "normalized": True, "special": False},
    {"id": 4097, "content": "<|raw\u00e9|>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
]


def resolved_variants(definition):
    """VARIANTS plus "nfc_added_tokens" (the file's added tokens followed by NFC_ADDED_TOKENS)."""
    variants = copy.deepcopy(VARIANTS)
    variants["nfc_added_tokens"] = [{"path": ["normalizer"], "value": {"type": "NFC"}},
                                    {"path": ["added_tokens"], "value": definition["added_tokens"] + NFC_ADDED_TOKENS}]
    return variants


def nfc_added_texts():
    return ["cafe\u0301", "caf\u00e9", "un cafe\u0301 noir", "cafe\u0301\u0301", "<|raw\u00e9|>", "<|rawe\u0301|>",
            "x<|rawe\u0301|>cafe\u0301<|raw\u00e9|>", "CAFE\u0301", "cafe", "e\u0301" * 20]


def train():
    """The trained tokenizer (deterministic), saved to TOKENIZER_PATH; returns the file's bytes."""
    tokenizer = Tokenizer(models.BPE(ignore_merges=True))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, min_frequency=2, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(corpus_texts(os.path.join(ROOT, "corpora")), trainer=trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B",
        special_tokens=[("<|begin_of_text|>", tokenizer.token_to_id("<|begin_of_text|>"))])
    if tokenizer.get_vocab_size(with_added_tokens=True) != VOCAB_SIZE:
        raise SystemExit(f"trained vocabulary has {tokenizer.get_vocab_size()} ids, expected {VOCAB_SIZE}")
    os.makedirs(os.path.dirname(TOKENIZER_PATH), exist_ok=True)
    tokenizer.save(TOKENIZER_PATH, pretty=True)
    with open(TOKENIZER_PATH, "rb") as handle:
        return handle.read()


def llama3_edge_cases():
    """Texts aimed at the Llama-3 pattern and the special tokens of this file."""
    return [
        "I'M You'Re WE'VE they'LL He'D IT'S", "'S'T'RE", "x'S", "don't", " 's", "1234567", "12345 678 9",
        "a1b22c333d4444", "١٢٣٤٥", "x\r\ny", "x\r\n\r\n  y", " \r\n", "\r\r\r", "a \n\n b", "a  \n", "...\n\n",
        "hello!!!\n\n\nworld", "C:\\path\\to\\file", "foo/bar//baz", "$$$ 100", " !x", "\t!x", "\u00a0x", "\u3000漢字",
        "<|begin_of_text|>", "<|end_of_text|>", "hi<|end_of_text|>there", " <|eot_id|> ", "<|begin_of_text|><|eot_id|>",
        "<|reserved_special_token_0|>x", "<|end_of_text", "<|begin_of_text|>'s", "ថ្ងៃនេះ ជាថ្ងៃល្អ",
        "བོད་ཡིག་ ཀྱི་ཡི་གེ།", "مَرْحَبًا بِكُمْ", "😀😃😄 👩🏽\u200d💻 🇯🇵🇰🇷", "Ａｂｃ１２３", "ﬁ ﬂ Å Å",
        "e\u0301\u0302 a\u0308", "\u1100\u1161\u11a8", "x" + " " * 40 + "y", "-" * 300, "." * 301, "9" * 301,
        "\u0000\u0001\u001f", "\ud7ff\ue000",
    ]


def main():
    raw = train()
    definition = json.loads(raw)
    base = Tokenizer.from_str(raw.decode("utf-8"))
    documents, groups = sample_documents()
    variants = resolved_variants(definition)
    edges = edge_cases(groups) + llama3_edge_cases()
    header = {
        "format": FORMAT, "version": VERSION, "tokenizers": tokenizers.__version__,
        "tokenizer": "Tests/CorpusTests/Fixtures/tokenizers/llama3-bpe.json",
        "tokenizer_sha256": hashlib.sha256(raw).hexdigest(),
        "semantics": "ids = encode(text, add_special_tokens=False).ids; decoded = decode(ids, skip_special_tokens=False)",
        "variants": variants,
    }
    records = [record(base, text, origin) for origin, text in documents]
    records += [record(base, text, "edge") for text in edges]
    records += [record(base, text, "random") for text in random_strings(300, 2024)]
    for record_ in records:
        if record_["decoded"] != record_["text"]:
            raise SystemExit(f"reference does not round-trip {record_['text']!r}")
    # Variants: every 50th document, the edge cases up to 600 characters (the long runs are in the
    # base records; repeating them per variant would only slow the test down), random strings.
    variant_texts = [t for _, t in documents[::50]] + [t for t in edges if len(t) <= 600] + random_strings(30, 31)
    for name in sorted(variants):
        tokenizer = Tokenizer.from_str(json.dumps(apply_edits(definition, variants[name])))
        texts = variant_texts + (nfc_added_texts() if name == "nfc_added_tokens" else [])
        records += [record(tokenizer, text, "variant", name) for text in texts]

    payload, compressed = write_fixture(OUT_PATH, header, records)
    print(json.dumps({"out": OUT_PATH, "records": len(records), "sampled_documents": len(documents),
                      "tokenizer_bytes": len(raw), "bytes": len(compressed), "tokenizers": tokenizers.__version__,
                      "tokenizer_sha256": header["tokenizer_sha256"]}))


if __name__ == "__main__":
    sys.exit(main())
