"""test_gradus_stream.py — checks tools/python/gradus/stream.py against the real gradus binary.

Usage: python3 tools/python/test_gradus_stream.py GRADUS_BINARY

Builds a small index of corpora/udhr.sample.jsonl.zst, writes a two-metric curriculum config,
and for several rank/world/format choices checks that `gradus batches --format binary` read by
gradus_stream (from a pipe, from a file, and through GradusIterableDataset) carries exactly the
records of the JSONL stream of the same command; that under seqlen_truncate every streamed row
is its sample's first min(length, c + 1) tokens for the frame's difficulty c, the header says
so, and --no-sequence-curriculum streams the samples whole. Also checks that a truncated stream,
a bad magic and a header of an unknown version (3) are rejected. Exits non-zero on the first
failure.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gradus import stream as gradus_stream  # noqa: E402
from gradus.data import GradusIterableDataset  # noqa: E402

CONFIG = {
    "train_batch_size": 16,
    "train_micro_batch_size_per_gpu": 2,
    "data_efficiency": {
        "seed": 11,
        "data_sampling": {"curriculum_learning": {"enabled": True, "curriculum_metrics": {
            "seqlen": {"difficulty_type": "percentile", "clustering_type": "schedule_based",
                       "min_difficulty": 30, "max_difficulty": 100, "schedule_type": "fixed_linear",
                       "schedule_config": {"total_curriculum_step": 6, "difficulty_step": 1}},
            "vocabularyrarity": {"difficulty_type": "percentile", "clustering_type": "schedule_based",
                                 "min_difficulty": 50, "max_difficulty": 100, "schedule_type": "fixed_root",
                                 "schedule_config": {"total_curriculum_step": 6, "difficulty_step": 1,
                                                     "root_degree": 2}},
        }}},
    },
}


# seqlen_truncate 8 → 32 over 6 steps (step 8) beside seqlen; S = gradus.train.seq_length = 32.
TRUNCATE = json.loads(json.dumps(CONFIG))
del TRUNCATE["train_micro_batch_size_per_gpu"]  # gradus train runs one micro-batch of batch_size rows
TRUNCATE["data_efficiency"]["data_sampling"]["curriculum_learning"]["curriculum_metrics"]["seqlen_truncate"] = {
    "difficulty_type": "value", "clustering_type": "single_cluster", "min_difficulty": 8, "max_difficulty": 32,
    "schedule_type": "fixed_linear", "schedule_config": {"total_curriculum_step": 6, "difficulty_step": 8}}
TRUNCATE["gradus"] = {"model": {"layers": 1, "d_model": 8, "heads": 1, "context": 64, "vocab": 8192},
                      "train": {"batch_size": 16, "seq_length": 32, "steps": 1,
                                "lr": {"peak": 0.001, "warmup": 0, "total": 1}}}


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def run(argv):
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if result.returncode != 0:
        fail("%s exited with %d: %s" % (" ".join(argv), result.returncode, result.stderr.decode(errors="replace")))
    return result.stdout


def compare(jsonl_bytes, batches, header, rank, world, tokens):
    lines = [json.loads(line) for line in jsonl_bytes.decode().splitlines()]
    check(len(lines) == len(batches), "JSONL has %d records, binary %d" % (len(lines), len(batches)))
    check(len(lines) > 0, "no records at all")
    check(header.rank == rank and header.world == world, "header rank/world %d/%d" % (header.rank, header.world))
    check(header.metrics == ["seqlen", "vocabularyrarity"], "header metrics %r" % header.metrics)
    check(header.has_tokens == tokens, "header tokens flag")
    check(header.version == 2 and header.post_process is None and header.sequence_length is None, "header post-process")
    for line, batch in zip(lines, batches):
        where = "step %d micro-batch %d" % (line["step"], line["micro_batch"])
        check((batch.step, batch.rank, batch.micro_batch) == (line["step"], line["rank"], line["micro_batch"]), where)
        check(batch.difficulty == {k: float(v) for k, v in line["difficulty"].items()}, where + ": difficulty")
        check(batch.sample_ids.dtype == np.uint64, where + ": id dtype")
        check(batch.sample_ids.tolist() == line["sample_ids"], where + ": sample ids")
        check(line["post_process"] is None, where + ": post_process")
        if tokens:
            check([t.tolist() for t in batch.tokens] == line["tokens"], where + ": tokens")
            check(batch.padded().shape[0] == len(line["sample_ids"]), where + ": padded rows")
        else:
            check(batch.tokens is None, where + ": unexpected tokens")


def check_rejects(data, what):
    import io
    try:
        list(gradus_stream.GradusStream.from_fileobj(io.BytesIO(data)))
    except gradus_stream.StreamError:
        return
    fail("a %s stream was accepted" % what)


def check_truncate(gradus, index, work):
    config = os.path.join(work, "truncate.json")
    with open(config, "w") as f:
        json.dump(TRUNCATE, f)
    base = [gradus, "batches", index, "--config", config, "--steps", "9", "--tokens", "--format", "binary"]
    cut = gradus_stream.GradusStream.from_command(base)
    cut_batches = list(cut)
    whole = gradus_stream.GradusStream.from_command(base + ["--no-sequence-curriculum"])
    whole_batches = list(whole)
    check(cut.header.post_process == "seqlen_truncate" and cut.header.sequence_length == 32, "truncate header")
    check(whole.header.post_process is None and whole.header.sequence_length is None, "--no-sequence-curriculum header")
    lengths = set()
    for a, b in zip(cut_batches, whole_batches):
        check(a.sample_ids.tolist() == b.sample_ids.tolist(), "step %d: the same samples either way" % a.step)
        c = int(a.difficulty["seqlen_truncate"])
        lengths.add(c)
        for row, full in zip(a.tokens, b.tokens):
            check(row.tolist() == full[: min(len(full), c + 1)].tolist(), "step %d: row is not cut to %d + 1" % (a.step, c))
        check(max(len(t) for t in b.tokens) > c + 1, "step %d: a full row must be longer for the check to bite" % a.step)
    check(lengths == {8, 16, 24, 32}, "scheduled lengths %r" % sorted(lengths))
    jsonl = [json.loads(line) for line in run(base[:-2]).decode().splitlines()]
    check(all(line["post_process"] == "seqlen_truncate" for line in jsonl), "JSONL post_process")
    check([len(t) for t in jsonl[0]["tokens"]] == [len(t) for t in cut_batches[0].tokens], "JSONL rows")


def check_unknown_version(data):
    import io
    patched = bytearray(data)
    patched[13:15] = (3).to_bytes(2, "little")  # u32 length, u8 type, 8 magic bytes, then u16 version
    try:
        list(gradus_stream.GradusStream.from_fileobj(io.BytesIO(bytes(patched))))
    except gradus_stream.StreamError as error:
        check("version 3" in str(error), "the message names the version: %s" % error)
        return
    fail("a version-3 stream was accepted")


def main():
    if len(sys.argv) != 2:
        fail("usage: test_gradus_stream.py GRADUS_BINARY")
    gradus = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as work:
        index = os.path.join(work, "udhr.idx")
        run([gradus, "index", "corpora/udhr.sample.jsonl.zst", "--tokenizer", "corpora/tokenizer.json", "--out", index])
        config = os.path.join(work, "cl.json")
        with open(config, "w") as f:
            json.dump(CONFIG, f)
        for rank, world, tokens in [(0, 1, True), (1, 2, True), (3, 4, False)]:
            base = [gradus, "batches", index, "--config", config, "--steps", "9", "--rank", str(rank), "--world", str(world)]
            base += ["--tokens"] if tokens else []
            jsonl = run(base + ["--format", "jsonl"])
            stream = gradus_stream.GradusStream.from_command(base + ["--format", "binary"])
            compare(jsonl, list(stream), stream.header, rank, world, tokens)
            path = os.path.join(work, "b.bin")
            data = run(base + ["--format", "binary"])
            with open(path, "wb") as f:
                f.write(data)
            from_file = gradus_stream.GradusStream.from_file(path)
            compare(jsonl, list(from_file), from_file.header, rank, world, tokens)
            items = list(GradusIterableDataset(index, config, 9, rank=rank, world=world, gradus=gradus))
            check(len(items) == len(list(from_file)), "dataset item count")
            if tokens:
                check(items[0]["input_ids"].ndim == 2 and items[0]["lengths"].sum() > 0, "dataset token matrix")
        check_rejects(data[:-3], "truncated")
        check_rejects(data[: len(data) - 21], "end-frame-less")
        check_rejects(b"\x09\x00\x00\x00\x01NOTGRADUS", "bad-magic")
        check_unknown_version(data)
        check_truncate(gradus, index, work)
    print("gradus_stream: binary stream equals the JSONL stream; seqlen_truncate rows cut; version 3 refused")


if __name__ == "__main__":
    main()
