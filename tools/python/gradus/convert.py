"""gradus.convert — Parquet and Arrow files (e.g. Hugging Face datasets) to the JSONL Gradus reads.

Gradus reads JSONL, FASTA and text (plain, zstd or gzip) itself and refuses Parquet and Arrow with
a pointer here. This module streams such files record batch by record batch with ``pyarrow`` —
no temporary copy, memory bounded by one batch — and writes one JSON object per row::

    python -m gradus.convert parquet train-*.parquet --text-column text --columns lang,source \\
        | gradus index - --format jsonl --tokenizer corpora/tokenizer.json --out runs/hf.idx

Each row becomes ``{"id": ..., "text": ..., <column>: ...}``: the text column is written as
``"text"`` (Gradus's default ``--text-field``), the id column (only with ``--id-column``) as
``"id"``, and every ``--columns`` column under its own name (``lang`` and ``source`` are the ones
Gradus keeps; a ``tokens`` list of integers makes the input pre-tokenized). Values are written as
they are (a null text stays ``null`` and Gradus reports that record), non-ASCII text as UTF-8.

``arrow`` reads the Arrow IPC file format (``ARROW1``) and the IPC stream format (what
``datasets`` keeps in its cache as ``*.arrow``). Install pyarrow with ``pip install pyarrow``
(``tools/setup.sh`` does when it is missing, or ``pip install -e 'tools/python[convert]'``).
"""

import argparse
import json
import os
import sys

BATCH_ROWS = 8192


class ConvertError(Exception):
    """A file that cannot be converted: the message names the file and what to do."""


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.ipc  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError as error:
        raise ConvertError("pyarrow is not installed; install it with `python3 -m pip install pyarrow` "
                           "(or run tools/setup.sh)") from error
    return pyarrow


def _fields(path, names, text_column, id_column, columns):
    """The (output key, input column) pairs for `path`, whose columns are `names`."""
    wanted = [("text", text_column)] + ([("id", id_column)] if id_column else []) + [(c, c) for c in columns]
    keys = [key for key, _ in wanted]
    duplicate = next((k for k in keys if keys.count(k) > 1), None)
    if duplicate is not None:
        raise ConvertError(f"{path}: the output field {duplicate!r} would be written twice; "
                           "leave it out of --columns (text and id are written by --text-column and --id-column)")
    for option, (_, column) in zip(["--text-column"] + (["--id-column"] if id_column else [])
                                   + ["--columns"] * len(columns), wanted):
        if column not in names:
            raise ConvertError(f"{path}: no column {column!r} (named by {option}); the file has the columns "
                               f"{', '.join(names) or '(none)'}")
    return wanted


def _write_batches(path, batches, wanted, out):
    """Writes the rows of `batches` (pyarrow RecordBatches holding the `wanted` columns) to `out`."""
    rows = 0
    for batch in batches:
        data = [batch.column(column).to_pylist() for _, column in wanted]
        for values in zip(*data):
            try:
                line = json.dumps(dict(zip((key for key, _ in wanted), values)), ensure_ascii=False,
                                  allow_nan=False, default=str)
            except ValueError as error:
                raise ConvertError(f"{path}: row {rows}: {error} (JSON has no NaN or infinity); "
                                   "leave that column out of --columns") from error
            out.write(line)
            out.write("\n")
            rows += 1
    return rows


def parquet_to_jsonl(paths, out, text_column="text", id_column=None, columns=()):
    """Writes the rows of the Parquet files `paths` (in order) to the text stream `out` as JSONL.

    Streams with ``ParquetFile.iter_batches``, reading only the needed columns. Returns the
    number of rows written. Raises ``ConvertError`` naming the file for a missing column or a
    file pyarrow cannot read.
    """
    pa = _pyarrow()
    total = 0
    for path in paths:
        try:
            parquet = pa.parquet.ParquetFile(path)
        except (OSError, pa.ArrowException) as error:
            raise ConvertError(f"{path}: not a readable Parquet file: {error}") from error
        wanted = _fields(path, parquet.schema_arrow.names, text_column, id_column, columns)
        needed = list(dict.fromkeys(column for _, column in wanted))
        batches = parquet.iter_batches(batch_size=BATCH_ROWS, columns=needed)
        total += _write_batches(path, batches, wanted, out)
    return total


def arrow_to_jsonl(paths, out, text_column="text", id_column=None, columns=()):
    """Writes the rows of the Arrow IPC files `paths` (file or stream format) to `out` as JSONL.

    Reads batch by batch from a memory map. Returns the number of rows written; raises
    ``ConvertError`` as ``parquet_to_jsonl`` does.
    """
    pa = _pyarrow()
    total = 0
    for path in paths:
        try:
            source = pa.memory_map(os.fspath(path))
            try:
                reader = pa.ipc.open_file(source)
                schema = reader.schema
                batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
            except pa.ArrowInvalid:
                source.seek(0)
                reader = pa.ipc.open_stream(source)
                schema = reader.schema
                batches = iter(reader)
        except (OSError, pa.ArrowException) as error:
            raise ConvertError(f"{path}: not a readable Arrow IPC file: {error}") from error
        wanted = _fields(path, schema.names, text_column, id_column, columns)
        total += _write_batches(path, batches, wanted, out)
    return total


def main(argv=None):
    """``python -m gradus.convert {parquet,arrow} FILE... [options]``: JSONL on standard output."""
    parser = argparse.ArgumentParser(
        prog="python -m gradus.convert",
        description="Convert Parquet or Arrow files to JSONL on standard output, for `gradus index -`.")
    parser.add_argument("kind", choices=["parquet", "arrow"], help="the input format")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--text-column", default="text", help="the column holding the text (default: text)")
    parser.add_argument("--id-column", default=None, help="a column to write as the document id")
    parser.add_argument("--columns", default="", help="more columns to copy, comma-separated (e.g. lang,source)")
    args = parser.parse_args(argv)
    columns = [c.strip() for c in args.columns.split(",") if c.strip()]
    convert = parquet_to_jsonl if args.kind == "parquet" else arrow_to_jsonl
    out = open(sys.stdout.fileno(), "w", encoding="utf-8", newline="\n", buffering=1 << 20, closefd=False)
    try:
        convert(args.files, out, args.text_column, args.id_column, columns)
        out.flush()
    except ConvertError as error:
        print(f"gradus.convert: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # Nothing more can reach the reader: point stdout at /dev/null so the final flush at exit
        # does not raise again (Python's documented handling of SIGPIPE).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("gradus.convert: the reader closed the pipe before the end (see its error)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
