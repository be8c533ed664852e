"""gradus.convert (issue 15 item 2): a real Parquet file written by pyarrow (300 rows with non-ASCII
text, two row groups) piped through ``python -m gradus.convert parquet`` into ``gradus index -``
gives the index of the equivalent JSONL file (written here with ``json``, not by the converter);
Arrow IPC files (file and stream format) convert to the same lines; a missing column is an error
naming the file and its columns; ``gradus index`` refuses the Parquet and Arrow files themselves."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gradus.convert import ConvertError, arrow_to_jsonl, parquet_to_jsonl

PYTHON_DIR = Path(__file__).resolve().parents[1]

WORDS = ["Grüße", "日本語の文", "naïve café", "plain ascii", "Ελληνικά", "emoji 🙂 here", "tab\tand \"quotes\""]


def _rows():
    """300 rows: id, text (non-ASCII, varied lengths), lang, source."""
    return [{"id": f"doc-{i}", "text": " ".join(WORDS[(i + k) % len(WORDS)] for k in range(1 + i % 9)),
             "lang": ["de", "ja", "fr", "en", "el"][i % 5], "source": f"src{i % 3}"} for i in range(300)]


@pytest.fixture()
def corpus(tmp_path):
    """The rows as a two-row-group Parquet file, Arrow IPC file and stream files, and JSONL."""
    rows = _rows()
    table = pa.table({key: [r[key] for r in rows] for key in ["id", "text", "lang", "source"]})
    parquet = tmp_path / "data.parquet"
    pq.write_table(table, parquet, row_group_size=150)
    assert pq.ParquetFile(parquet).metadata.num_row_groups == 2
    arrow_file, arrow_stream = tmp_path / "data.arrow", tmp_path / "cache.arrow"
    with pa.ipc.new_file(arrow_file, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=100):
            writer.write_batch(batch)
    with pa.ipc.new_stream(arrow_stream, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=70):
            writer.write_batch(batch)
    jsonl = tmp_path / "data.jsonl"
    jsonl.write_text("".join(json.dumps({"text": r["text"], "id": r["id"], "lang": r["lang"], "source": r["source"]},
                                        ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return {"rows": rows, "parquet": parquet, "arrow_file": arrow_file, "arrow_stream": arrow_stream, "jsonl": jsonl}


def _env():
    return dict(os.environ, PYTHONPATH=str(PYTHON_DIR) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _dump(gradus, index):
    return subprocess.run([str(gradus), "dump", str(index), "--metrics", "--tokens"],
                          check=True, capture_output=True, text=True).stdout


def test_parquet_piped_into_gradus_index_equals_the_jsonl_index(corpus, gradus_binary, tmp_path):
    reference = subprocess.run([str(gradus_binary), "index", str(corpus["jsonl"]), "--tokenizer", "bytes",
                                "--out", str(tmp_path / "jsonl.idx")], capture_output=True, text=True)
    assert reference.returncode == 0, reference.stderr
    assert "indexed 300 documents" in reference.stderr
    convert = subprocess.Popen([sys.executable, "-m", "gradus.convert", "parquet", str(corpus["parquet"]),
                                "--id-column", "id", "--columns", "lang,source"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    index = subprocess.run([str(gradus_binary), "index", "-", "--format", "jsonl", "--tokenizer", "bytes",
                            "--out", str(tmp_path / "pipe.idx")], stdin=convert.stdout, capture_output=True, text=True)
    convert.stdout.close()
    assert convert.wait() == 0, convert.stderr.read()
    assert index.returncode == 0, index.stderr
    assert "indexed 300 documents" in index.stderr
    assert _dump(gradus_binary, tmp_path / "pipe.idx") == _dump(gradus_binary, tmp_path / "jsonl.idx")


def test_converted_lines_carry_every_row_in_order(corpus):
    out = io.StringIO()
    assert parquet_to_jsonl([corpus["parquet"]], out, id_column="id", columns=["lang", "source"]) == 300
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert records == [{"text": r["text"], "id": r["id"], "lang": r["lang"], "source": r["source"]} for r in corpus["rows"]]


def test_arrow_file_and_stream_convert_like_parquet(corpus):
    expected = io.StringIO()
    parquet_to_jsonl([corpus["parquet"]], expected, columns=["lang"])
    for path in [corpus["arrow_file"], corpus["arrow_stream"]]:
        out = io.StringIO()
        assert arrow_to_jsonl([path], out, columns=["lang"]) == 300
        assert out.getvalue() == expected.getvalue(), path


def test_missing_column_names_the_file_and_its_columns(corpus, tmp_path):
    with pytest.raises(ConvertError) as error:
        parquet_to_jsonl([corpus["parquet"]], io.StringIO(), text_column="body")
    assert str(error.value) == (f"{corpus['parquet']}: no column 'body' (named by --text-column); "
                                "the file has the columns id, text, lang, source")
    cli = subprocess.run([sys.executable, "-m", "gradus.convert", "arrow", str(corpus["arrow_stream"]),
                          "--columns", "lang,country"], capture_output=True, text=True, env=_env())
    assert cli.returncode == 1
    assert cli.stdout == ""
    assert cli.stderr == (f"gradus.convert: {corpus['arrow_stream']}: no column 'country' (named by --columns); "
                          "the file has the columns id, text, lang, source\n")


def test_gradus_refuses_parquet_and_arrow_files_with_the_converter_command(corpus, gradus_binary, tmp_path):
    for path, name in [(corpus["parquet"], "Parquet"), (corpus["arrow_file"], "Arrow IPC")]:
        r = subprocess.run([str(gradus_binary), "index", str(path), "--tokenizer", "bytes", "--out", str(tmp_path / "x.idx")],
                           capture_output=True, text=True)
        assert r.returncode == 1, r.stderr
        assert f"{path}: {name} is not read directly; convert it to JSONL with `python -m gradus.convert" in r.stderr
        assert not (tmp_path / "x.idx" / "data.mdb").exists()
