#!/usr/bin/env python3
"""Generate the byte-level BPE reference fixture for the Swift tests (issue 2, items 4-5).

Writes ``Tests/CorpusTests/Fixtures/bpe-fixtures.jsonl.zst``: zstd-compressed JSON lines, the ids
that the Python ``tokenizers`` library gives for ``corpora/tokenizer.json``, which
``Tests/CorpusTests/BPETokenizerTests.swift`` compares with the Swift ``BPETokenizer``.

Semantics (what the Swift encoder implements):
  ``ids``     = ``Tokenizer.encode(text, add_special_tokens=False).ids``. With this tokenizer's
                ByteLevel post-processor that is also what plain ``encode(text)`` returns (the
                post-processor adds no tokens; the script asserts the equality). Special tokens
                written in the text (``<|endoftext|>``, ``<|pad|>``) ARE recognised and become
                their ids, as HF does by default.
  ``decoded`` = ``Tokenizer.decode(ids, skip_special_tokens=False)`` (special tokens decode to
                their content).

Line 1 is a header: format name and version, the ``tokenizers`` version, the SHA-256 of the
``tokenizer.json`` used (the test fails with "regenerate fixtures" when it changes), the variants,
and ``scalar_classes``: how the reference pre-tokenizer classes every code point for the GPT-2
regex (L = \\p{L}, N = \\p{N}, W = \\s, O = anything else), run-length encoded as
``[[first_code_point, class], ...]`` — found by probing ``pre_tokenizers.ByteLevel`` with two-character
strings, so the Swift classifier is checked exhaustively without Python.

Every other line: ``{"text", "ids", "decoded", "origin"}`` plus ``"variant"`` for records made with
a modified tokenizer: the header's ``variants[name]`` is a list of edits to apply to
``tokenizer.json``, ``{"path": [keys], "value": v}`` (set) or ``{"path": [keys], "delete": true}``
(e.g. extra added tokens with lstrip/rstrip/single_word/normalized, ``add_prefix_space``,
``use_regex: false``, ``ignore_merges``, bytes missing from the vocabulary with and without an
``unk_token``, ``fuse_unk``).

Records: >= 2 000 documents sampled deterministically from the three text corpora, round-robin
over (corpus, language) groups so that every language and script appears (Latin, Cyrillic, Greek,
Han, Kana, Hangul, Arabic, Hebrew, Devanagari, Thai, Georgian, Ethiopic, ...), truncated to 120-520
code points; hand-written edge cases (empty and whitespace-only strings, long runs, emoji
sequences, contractions, digits, combining marks, CRLF, special tokens inside words, U+FFFD,
private-use and noncharacters, scalars from Unicode 16/17, control characters, long unspaced CJK);
seeded random strings over a pool of tricky characters; and the variant records.

Usage::

    python3 tools/gen_bpe_fixtures.py            # after tools/train_tokenizer.py

Requirements: Python 3.9+, ``pip install tokenizers==0.23.3``, the ``zstd`` CLI. Deterministic:
the same inputs and library version give a byte-identical file.
"""

import copy
import hashlib
import json
import os
import random
import subprocess
import sys

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import tokenizers  # noqa: E402
from tokenizers import Tokenizer, pre_tokenizers  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZER_PATH = os.path.join(ROOT, "corpora", "tokenizer.json")
OUT_PATH = os.path.join(ROOT, "Tests", "CorpusTests", "Fixtures", "bpe-fixtures.jsonl.zst")
TEXT_CORPORA = ["gnomehelp.sample.jsonl.zst", "appstream.sample.jsonl.zst", "udhr.sample.jsonl.zst"]
SAMPLED_DOCUMENTS = 2200
FORMAT = "gradus-bpe-fixtures"
VERSION = 1


def read_corpus(name):
    """(corpus, record) pairs of one zstd JSONL corpus, in file order."""
    path = os.path.join(ROOT, "corpora", name)
    out = subprocess.run(["zstd", "-dc", "--", path], check=True, stdout=subprocess.PIPE).stdout
    short = name.split(".")[0]
    return [(short, json.loads(line)) for line in out.decode("utf-8").split("\n") if line.strip()]


def stable_hash(text):
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def sample_documents():
    """Round-robin over (corpus, lang) groups, each group in a fixed pseudo-random order."""
    groups = {}
    for name in TEXT_CORPORA:
        for corpus, record in read_corpus(name):
            groups.setdefault((corpus, record.get("lang") or "?"), []).append(record)
    for records in groups.values():
        records.sort(key=lambda r: stable_hash(r["id"]))
    keys = sorted(groups)
    chosen, round_index = [], 0
    while len(chosen) < SAMPLED_DOCUMENTS:
        progressed = False
        for key in keys:
            if round_index < len(groups[key]) and len(chosen) < SAMPLED_DOCUMENTS:
                record = groups[key][round_index]
                limit = 120 + stable_hash(record["id"] + "#len") % 400
                chosen.append((f"{key[0]}:{record['id']}:{key[1]}", record["text"][:limit]))
                progressed = True
        if not progressed:
            break
        round_index += 1
    return chosen, groups


def edge_cases(groups):
    """Hand-written texts that stress the regex, the merges and the added-token split."""
    cases = [
        "", " ", "  ", "\t", "\n", "\r\n", " \t\n\r\x0b\x0c", "\u00a0", "\u3000", "a\u00a0b", "\u2028\u2029",
        "\x85", " \u00a0 \u3000\t\n x", "x \t\n", "  leading", "trailing  ", "a \t b", "a\t\tb", "a \n b",
        "\u00a0word", "\u3000word", " \u00a0word", "a  b   c    d", "\n\n\nx", "x\n\n\n", " \n", "\n ",
        "a" * 5000, " " * 3000, "!" * 1000, "ab" * 2000, "\n" * 500, "1" * 2000, "é" * 1000, "日本" * 800,
        "👨\u200d👩\u200d👧\u200d👦", "🇫🇷🇩🇪🇯🇵", "👍🏽👍🏿", "1\ufe0f\u20e3 #\ufe0f\u20e3 *\ufe0f\u20e3",
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "Hello 👋 world 🌍!",
        "I'm you're we've they'll he'd it's don't", "I'M YOU'RE IT'S DON'T", "'s 't 're 've 'm 'll 'd",
        "''s", "rock'n'roll", "'tis", "y'all", "'S", " 's", " 're", "it\u2019s", "'", "''", "x'", "'''ll",
        "abc123def", "3.14159", "1,000,000", "v2.0.1", "Ⅻ ½ ² ١٢٣ ४५६", "x²", " 123", "a1b2c3", "۱۲۳",
        "e\u0301", "ñ vs n\u0303", "Z\u0324\u0354\u0367\u0311\u0313a\u0308\u0356\u032d\u0308\u0307l",
        "नमस्ते दुनिया", "สวัสดีครับ", "שָׁלוֹם", "مرحبا بالعالم", "Ελληνικά", "Привет, мир!", "안녕하세요",
        "line1\r\nline2\r\n", "a\r\n\r\nb", "\r\r\n\n",
        "<|endoftext|>", "<|pad|>", "hello<|endoftext|>world", "hello <|endoftext|> world",
        "<|endoftext|><|endoftext|>", "<|endoftext|", "<|endoftext|>>", "<<|pad|>", "x<|pad|>y<|endoftext|>z",
        " <|endoftext|>", "<|endoftext|> ", "<|ENDOFTEXT|>", "<|pad|><|pad|>", "<|end<|endoftext|>",
        "word<|pad|>word", "\n<|endoftext|>\n", "<|endoftext|>'s",
        "\ufffd", "a\ufffdb", "\ue000\uf8ff", "\U000f0000\U0010fffd", "\ufdd0\uffff", "\U0001fffe",
        "\u1c89\u1c8a", "\u088f", "\U000105c0\U000105c1", "a\u1c89b", "\u0c5c", "a\u088fb", "x\u0c5c\u0cdcy",
        "\ufeffhello", "a\u200db", "a\u200bb", "soft\u00adhyphen", "a\u180eb", "a\u2060b",
        "Hello Привет Γειά 你好 こんにちは 안녕 مرحبا שלום नमस्ते สวัสดี ሰላም ᏣᎳᎩ ქართული Հայերեն",
        "\x00\x01\x7f", "a\x00b", "tab\there", "\x1b[31mred\x1b[0m",
        "supercalifragilisticexpialidocious" * 20, "https://example.org/a/b?c=d&e=f#g",
        "foo_bar-baz.qux", "C++ && x->y != z", "¡¿Qué?!", "«quotes» “curly” ‘single’", "—–-",
    ]
    cjk = "".join(r["text"] for r in groups.get(("gnomehelp", "zh-CN"), [])[:40])
    cjk = "".join(ch for ch in cjk if not ch.isspace())[:3000]
    if cjk:
        cases.append(cjk)
    return cases


def random_strings(count, seed):
    """Seeded random strings over characters of every class and the special-token fragments."""
    pool = list("aZé日한ß'sStrvelmd 1٣½\t\n\r\u00a0\u3000!?.,-_<|>") + [
        "'s", "'re", "'ll", " ", "  ", "<|endoftext|>", "<|pad|>", "<|", "|>", "\u0301", "👍🏽", "\ufffd", "\u2028",
    ]
    rng = random.Random(seed)
    return ["".join(rng.choice(pool) for _ in range(rng.randint(1, 40))) for _ in range(count)]


# Edits to tokenizer.json per variant: {"path": [...], "value": v} sets, {"path": [...], "delete": true}
# removes. "flags" (extra added tokens) is completed in resolved_variants. The unknown-byte variants
# remove "#" and "@" (bytes that occur in no merge) from the vocabulary.
_NO_HASH_AT = [{"path": ["model", "vocab", "#"], "delete": True}, {"path": ["model", "vocab", "@"], "delete": True}]
VARIANTS = {
    "prefix": [{"path": ["pre_tokenizer", "add_prefix_space"], "value": True}],
    "noregex": [{"path": ["pre_tokenizer", "use_regex"], "value": False}],
    "ignore_merges": [{"path": ["model", "ignore_merges"], "value": True}],
    "unknown_dropped": _NO_HASH_AT,
    "unknown": _NO_HASH_AT + [{"path": ["model", "unk_token"], "value": "<|pad|>"}],
    "unknown_fused": _NO_HASH_AT + [{"path": ["model", "unk_token"], "value": "<|pad|>"},
                                    {"path": ["model", "fuse_unk"], "value": True}],
}

EXTRA_ADDED_TOKENS = [
    {"id": 8192, "content": "<|sep|>", "single_word": False, "lstrip": True, "rstrip": True, "normalized": False, "special": True},
    {"id": 8193, "content": "Gradus", "single_word": True, "lstrip": False, "rstrip": False, "normalized": True, "special": False},
    {"id": 8194, "content": "<|end", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": False},
    {"id": 8195, "content": "[MASK]", "single_word": False, "lstrip": True, "rstrip": False, "normalized": True, "special": True},
]


def apply_edits(definition, edits):
    out = copy.deepcopy(definition)
    for edit in edits:
        target = out
        for key in edit["path"][:-1]:
            target = target[key]
        if edit.get("delete"):
            del target[edit["path"][-1]]
        else:
            target[edit["path"][-1]] = edit["value"]
    return out


def resolved_variants(definition):
    """VARIANTS plus "flags": the file's added tokens followed by EXTRA_ADDED_TOKENS."""
    variants = {"flags": [{"path": ["added_tokens"], "value": definition["added_tokens"] + EXTRA_ADDED_TOKENS}]}
    variants.update(copy.deepcopy(VARIANTS))
    return variants


def flags_texts():
    return [
        "a  <|sep|>  b", "<|sep|>", "  <|sep|>", "<|sep|>  ", "<|sep|><|sep|>", "x<|sep|>y", "\u3000<|sep|>\u00a0x",
        "Gradus rocks", "xGradus", "Gradus1", "Gradus_", "Gradusé", "éGradus", "(Gradus)", "Gradus Gradus",
        "the Gradus toolkit", "GradusGradus", "Gradus\u0301", "<|endoftext|> <|end", "<|end", "<|endoftex",
        "<|endoftext|>", "x   [MASK]  y", "[MASK]", " [MASK]", "a[MASK]b", "<|sep|> [MASK] Gradus <|pad|>",
        "x  <|sep|>  <|sep|>  y", "Gradus<|sep|>Gradus", "", " ",
    ] + random_strings(40, 7)


def probe_scalar_classes():
    """Class of every code point under the reference pre-tokenizer, run-length encoded."""
    pt = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)

    def single(s):
        return len(pt.pre_tokenize_str(s)) == 1

    runs, last = [], None
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            cls = "O"  # surrogates are not scalars; never in UTF-8 text
        else:
            c = chr(cp)
            cls = "L" if single("a" + c) else "N" if single("0" + c) else "W" if single("\t" + c) else "O"
            if cls == "O" and not single("!" + c):
                raise SystemExit(f"U+{cp:04X} fits no class of the GPT-2 regex")
        if cls != last:
            runs.append([cp, cls])
            last = cls
    return runs


def write_fixture(path, header, records):
    """Writes the header and records as zstd-compressed JSON lines (level 19, byte-identical for the
    same input) to `path`; returns (uncompressed bytes, compressed bytes). Every fixture generator
    writes its file with this."""
    lines = [json.dumps(header, ensure_ascii=False)] + [json.dumps(r, ensure_ascii=False) for r in records]
    payload = ("\n".join(lines) + "\n").encode("utf-8")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    compressed = subprocess.run(["zstd", "-19", "-q", "-c"], input=payload, check=True, stdout=subprocess.PIPE).stdout
    with open(path, "wb") as handle:
        handle.write(compressed)
    return payload, compressed


def reference_record(tokenizer, text, origin, variant=None):
    """One fixture line: the library's ids without special tokens and its decoding of them. The
    generators of the other families use it as it is."""
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    out = {"text": text, "ids": ids, "decoded": tokenizer.decode(ids, skip_special_tokens=False), "origin": origin}
    if variant:
        out["variant"] = variant
    return out


def record(tokenizer, text, origin, variant=None):
    """`reference_record`, checking that this file's post-processor adds no token (so the ids are
    also what plain `encode(text)` gives)."""
    if tokenizer.encode(text).ids != tokenizer.encode(text, add_special_tokens=False).ids:
        raise SystemExit(f"encode() and encode(add_special_tokens=False) differ for {text!r}")
    return reference_record(tokenizer, text, origin, variant)


def main():
    with open(TOKENIZER_PATH, "rb") as handle:
        raw = handle.read()
    definition = json.loads(raw)
    base = Tokenizer.from_str(raw.decode("utf-8"))
    documents, groups = sample_documents()
    variants = resolved_variants(definition)
    header = {
        "format": FORMAT, "version": VERSION, "tokenizers": tokenizers.__version__,
        "tokenizer": "corpora/tokenizer.json", "tokenizer_sha256": hashlib.sha256(raw).hexdigest(),
        "semantics": "ids = encode(text, add_special_tokens=False).ids; decoded = decode(ids, skip_special_tokens=False)",
        "variants": variants, "scalar_classes": probe_scalar_classes(),
    }
    records = [record(base, text, origin) for origin, text in documents]
    records += [record(base, text, "edge") for text in edge_cases(groups)]
    records += [record(base, text, "random") for text in random_strings(300, 2024)]
    for record_ in records:
        if record_["decoded"] != record_["text"]:
            raise SystemExit(f"reference does not round-trip {record_['text']!r}")
    variant_texts = {
        "flags": flags_texts(),
        "prefix": [t for _, t in documents[:40]] + edge_cases(groups)[:60] + random_strings(30, 11),
        "noregex": [t for _, t in documents[::55]] + edge_cases(groups)[:40],
        "ignore_merges": [t for _, t in documents[::20]] + random_strings(30, 13),
    }
    unknown_texts = ["#", "@", "##@#", "a#b", "a##b", "#a#", "x @ y", "issue #42 @user", "#<|pad|>#", "@@ab@@",
                     "a#@#b c"] + [t for _, t in documents if "#" in t or "@" in t][:30]
    for name in ("unknown_dropped", "unknown", "unknown_fused"):
        variant_texts[name] = unknown_texts
    for name, texts in variant_texts.items():
        tokenizer = Tokenizer.from_str(json.dumps(apply_edits(definition, variants[name])))
        records += [record(tokenizer, text, "variant", name) for text in texts]

    payload, compressed = write_fixture(OUT_PATH, header, records)
    print(json.dumps({"out": OUT_PATH, "records": len(records), "sampled_documents": len(documents),
                      "bytes_uncompressed": len(payload), "bytes": len(compressed),
                      "tokenizers": tokenizers.__version__, "tokenizer_sha256": header["tokenizer_sha256"]}))


if __name__ == "__main__":
    sys.exit(main())
