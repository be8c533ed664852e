#!/usr/bin/env python3
"""Generate the character classes of BERT normalisation for the Swift WordPiece family (issue 15 item 1).

Writes ``Sources/Corpus/WordPiece/BertCharacterTables.swift``: the code-point ranges that the Python
``tokenizers`` library (the reference) treats as

* ``control``     — removed by ``BertNormalizer(clean_text=True)`` (its ``is_control``: categories
                    Cc, Cf, Co, Cs of the ``unicode_categories`` crate, which is Unicode 8.0, so
                    format characters added later — U+0890, U+08E2, U+13430... — are kept),
* ``punctuation`` — isolated by ``BertPreTokenizer`` / ``Punctuation`` (``is_bert_punc``: ASCII
                    punctuation or a P* category of that crate, again Unicode 8.0),
* ``nonspacing``  — dropped after NFD by ``strip_accents`` (the crate's Mn; Unicode 8.0, so later
                    marks such as U+0897 stay and U+1734, Mn in 8.0 but Mc now, is dropped).

Each class is found by probing the reference one code point at a time (never copied from its
source), so the tables are right by construction for the installed ``tokenizers`` version, and do
not move with the Swift toolchain's Unicode version. ``tools/gen_wordpiece_fixtures.py`` records the
same probes in the fixture header so that the Swift tests check every code point.

Usage::

    python3 tools/gen_bert_tables.py        # rewrites the Swift file (deterministic)

Requirements: Python 3.9+, ``pip install tokenizers==0.23.3``.
"""

import os
import sys

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import tokenizers  # noqa: E402
from tokenizers import normalizers, pre_tokenizers  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_PATH = os.path.join(ROOT, "Sources", "Corpus", "WordPiece", "BertCharacterTables.swift")


def scalars():
    """Every Unicode scalar value (surrogates are not characters)."""
    return (cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF)


def probe():
    """Per reference class, the sorted code points in it; plus strip/lowercase maps of changed scalars.

    Returns a dict: ``control``, ``whitespace`` (turned into a space by clean_text, the space
    itself included), ``punctuation`` (non-whitespace scalars that ``BertPreTokenizer`` isolates),
    ``chinese`` (padded with spaces by handle_chinese_chars), ``numeric`` (isolated by
    ``Digits(individual_digits=True)``), ``nonspacing`` (removed by strip_accents alone), and
    ``strip_accents`` / ``lowercase``: ``{code point: output}`` for the scalars each changes.
    """
    clean = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)
    chinese = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=True, strip_accents=False, lowercase=False)
    strip = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False)
    lower = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=True)
    bert = pre_tokenizers.BertPreTokenizer()
    digits = pre_tokenizers.Digits(individual_digits=True)
    out = {k: [] for k in ("control", "whitespace", "punctuation", "chinese", "numeric", "nonspacing")}
    out["strip_accents"], out["lowercase"] = {}, {}
    for cp in scalars():
        c = chr(cp)
        cleaned = clean.normalize_str(c)
        if cleaned == "":
            out["control"].append(cp)
        elif cleaned == " ":
            out["whitespace"].append(cp)
        elif cleaned != c:
            raise SystemExit(f"clean_text maps U+{cp:04X} to {cleaned!r}: neither removed nor a space")
        if chinese.normalize_str(c) != c:
            out["chinese"].append(cp)
        pieces = len(bert.pre_tokenize_str("a" + c + "a"))
        if pieces == 3:
            out["punctuation"].append(cp)
        if len(digits.pre_tokenize_str("a" + c + "a")) == 3:
            out["numeric"].append(cp)
        stripped = strip.normalize_str(c)
        if stripped == "":
            out["nonspacing"].append(cp)
        if stripped != c:
            out["strip_accents"][cp] = stripped
        lowered = lower.normalize_str(c)
        if lowered != c:
            out["lowercase"][cp] = lowered
    return out


def ranges(code_points):
    """Sorted code points as inclusive [first, last] runs (surrogates bridged)."""
    runs = []
    for cp in code_points:
        if runs and (cp == runs[-1][1] + 1 or (runs[-1][1] == 0xD7FF and cp == 0xE000)):
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])
    return runs


def swift_table(name, doc, runs):
    lines = [f"    /// {doc}", f"    static let {name}: [ClosedRange<UInt32>] = ["]
    row = []
    for first, last in runs:
        row.append(f"0x{first:X}...0x{last:X}")
        if len(row) == 6:
            lines.append("        " + ", ".join(row) + ",")
            row = []
    if row:
        lines.append("        " + ", ".join(row) + ",")
    lines.append("    ]")
    return "\n".join(lines)


def main():
    classes = probe()
    non_ascii = lambda cps: [cp for cp in cps if cp >= 0x80]  # noqa: E731
    body = [
        "// BertCharacterTables.swift — GENERATED by tools/gen_bert_tables.py from the Python `tokenizers`",
        f"// {tokenizers.__version__} (do not edit): the non-ASCII code points its BERT normaliser and",
        "// pre-tokenizers class as control, punctuation and nonspacing mark. These follow the Unicode 8.0",
        "// categories of the `unicode_categories` crate that `tokenizers` uses, not the Swift toolchain's",
        "// current Unicode, which is why they are tables and not `Unicode.Scalar.Properties` lookups.",
        "",
        "/// Inclusive code-point ranges, sorted and disjoint, for `BertCharacters`.",
        "enum BertCharacterTables {",
        swift_table("control", "Removed by `clean_text`: Cc, Cf, Co, Cs (not tab, LF, CR) and U+FFFD.",
                    ranges(non_ascii(classes["control"]))),
        "",
        swift_table("punctuation", "Isolated by `BertPreTokenizer` and `Punctuation` (P*).",
                    ranges(non_ascii(classes["punctuation"]))),
        "",
        swift_table("nonspacing", "Dropped by `strip_accents` after NFD (Mn).", ranges(non_ascii(classes["nonspacing"]))),
        "}",
        "",
    ]
    with open(OUT_PATH, "w", encoding="utf-8") as handle:
        handle.write("\n".join(body))
    print(f"wrote {OUT_PATH}: " + ", ".join(f"{k} {len(ranges(non_ascii(classes[k])))} ranges"
                                          for k in ("control", "punctuation", "nonspacing")))


if __name__ == "__main__":
    sys.exit(main())
