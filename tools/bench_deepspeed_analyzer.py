#!/usr/bin/env python3
"""DeepSpeed's own DataAnalyzer as the speed reference of `gradus index` (issue 16 item 5).

Runs DeepSpeed 0.19.8's real `DataAnalyzer` (deepspeed/runtime/data_pipeline/data_sampling/
data_analyzer.py) on CPU, 1 worker (worker_id 0, num_workers 1), 1 map thread, 1 reduce thread,
`torch.set_num_threads(1)`, over a Megatron `.bin/.idx` dataset read through DeepSpeed's own
`MMapIndexedDataset`, for the metrics Gradus indexes by default, the way Megatron-DeepSpeed's
examples_deepspeed/data_efficiency/analyze_data.py does:

  pass 1: `seqlen` (single_value_per_sample) and `total_vocab_freq` (accumulate_value_over_samples),
          map then reduce;
  pass 2: `vocab_rarity` (single_value_per_sample) from pass 1's total_vocab_freq file
          (zero counts replaced by 1, w = -ln(f / sum f)), map then reduce.

Samples have different lengths, so each batch is padded with a padding mask and the metric
functions are analyze_data.py's padded (BERT) forms: seqlen = count_nonzero(padding_mask),
vocab_rarity = sum(padding_mask * w[text]) truncated to int64; total_vocab_freq is its GPT form,
bincount(tokens, minlength=V+1), over the unpadded tokens. One item of the dataset is one sample.
The metric dtype is torch.int64: analyze_data.py passes np.int64, which DeepSpeed 0.19.8's
`metric_values.dtype == metric_dtype` check no longer accepts for a torch tensor.

Prints one JSON line: samples, tokens, seconds per stage (map/reduce of each pass; the import and
the dataset load are not timed), total seconds, samples/s.

`--write-from SRC` first copies the Megatron dataset SRC (e.g. written by Gradus, Megatron dtype
codes: 8 = uint16) into PREFIX with DeepSpeed's own `MMapIndexedDatasetBuilder` (DeepSpeed >= 0.13.3
codes: 6 = uint16), item by item and document by document. The copy is needed: DeepSpeed's
indexed_dataset.py reads dtype code 8 as uint64, so it misreads a Megatron-written uint16 file;
this script refuses such a file instead of analysing garbage.

Usage:
  python3 tools/bench_deepspeed_analyzer.py PREFIX --vocab-size 50000 [--write-from SRC]
      [--batch-size 1000] [--work DIR] [--write-only]
Exit status: 0 on success, 1 when deepspeed is missing or the dataset is unusable, 2 on usage errors.
"""

import argparse
import json
import os
import shutil
import struct
import sys
import tempfile
import time

import numpy as np

# Megatron's dtype codes (megatron/core/datasets/indexed_dataset.py) and DeepSpeed >= 0.13.3's
# (deepspeed/runtime/data_pipeline/data_sampling/indexed_dataset.py); they differ from code 6 on.
MEGATRON_CODES = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64, 6: np.float64, 7: np.float32,
                  8: np.uint16}
DEEPSPEED_CODES = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64, 6: np.uint16, 7: np.uint32,
                   8: np.uint64}


def fail(message):
    """Prints `error: message` to stderr and exits with status 1."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def import_deepspeed():
    """DeepSpeed's modules, or a clear refusal naming how to install it."""
    try:
        import logging
        import deepspeed  # first: without it the refusal costs no torch import
        import torch
        from deepspeed.utils import logger
        from deepspeed.runtime.data_pipeline.data_sampling.data_analyzer import DataAnalyzer
        from deepspeed.runtime.data_pipeline.data_sampling.indexed_dataset import (MMapIndexedDataset,
                                                                                   MMapIndexedDatasetBuilder)
    except ImportError as error:
        fail(f"deepspeed is not importable ({error}); install it on CPU without building its CUDA ops: "
             "DS_BUILD_OPS=0 python3 -m pip install deepspeed==0.19.8 (tools/setup.sh does this)")
    logger.setLevel(logging.WARNING)  # DataAnalyzer logs one INFO line per batch
    return torch, deepspeed, DataAnalyzer, MMapIndexedDataset, MMapIndexedDatasetBuilder


def read_header(prefix):
    """(dtype code, sizes, doc_idx) of PREFIX.idx, read directly (no table assumed)."""
    path = prefix + ".idx"
    try:
        with open(path, "rb") as f:
            head = f.read(34)
            if len(head) < 34 or head[:9] != b"MMIDIDX\x00\x00":
                fail(f"{path}: not an MMapIndexedDataset index (magic MMIDIDX missing or file shorter than 34 "
                     "bytes); give the prefix of a Megatron .bin/.idx pair")
            (code,) = struct.unpack("<B", head[17:18])
            count, docs = struct.unpack("<QQ", head[18:34])
            sizes = np.frombuffer(f.read(4 * count), dtype=np.int32)
            f.seek(34 + 12 * count)
            doc_idx = np.frombuffer(f.read(8 * docs), dtype=np.int64)
    except OSError as error:
        fail(f"{path}: cannot read ({error.strerror}); give the prefix of an existing .bin/.idx pair")
    if len(sizes) != count or len(doc_idx) != docs:
        fail(f"{path}: truncated ({count} items and {docs} doc_idx entries announced); rewrite the dataset")
    return code, sizes, doc_idx


def consistent_dtype(prefix, code, sizes, table):
    """The dtype that `table` gives `code`, if the .bin length matches it; else None."""
    dtype = table.get(code)
    if dtype is None or np.dtype(dtype).kind == "f":
        return None
    try:
        size = os.path.getsize(prefix + ".bin")
    except OSError as error:
        fail(f"{prefix}.bin: cannot read ({error.strerror}); give the prefix of an existing .bin/.idx pair")
    return dtype if size == int(sizes.astype(np.int64).sum()) * np.dtype(dtype).itemsize else None


def write_deepspeed_copy(source, prefix, builder_class):
    """Copies the Megatron dataset `source` to `prefix` with DeepSpeed's MMapIndexedDatasetBuilder."""
    code, sizes, doc_idx = read_header(source)
    dtype = consistent_dtype(source, code, sizes, MEGATRON_CODES) or consistent_dtype(source, code, sizes,
                                                                                       DEEPSPEED_CODES)
    if dtype is None:
        fail(f"{source}.bin: its length matches dtype code {code} under neither Megatron's nor DeepSpeed's "
             "code table; the .bin/.idx pair is damaged or mismatched")
    tokens = np.memmap(source + ".bin", dtype=dtype, mode="r")
    offsets = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    builder = builder_class(prefix + ".bin", dtype=dtype)
    for d in range(len(doc_idx) - 1):
        first, last = int(doc_idx[d]), int(doc_idx[d + 1])
        builder.add_items([tokens[offsets[i]:offsets[i + 1]] for i in range(first, last)])
        builder.end_document()
    builder.finalize(prefix + ".idx")
    del tokens


def padded_batch(torch):
    """collate_fn: (index, tokens) pairs to Megatron-style {'text', 'padding_mask', 'index'} tensors."""

    def collate(pairs):
        lengths = np.fromiter((len(t) for _, t in pairs), dtype=np.int64, count=len(pairs))
        width = int(lengths.max()) if len(pairs) else 0
        mask = np.arange(width)[None, :] < lengths[:, None]
        text = np.zeros((len(pairs), width), dtype=np.int64)
        if len(pairs):
            text[mask] = np.concatenate([t for _, t in pairs])
        index = np.array([[i] for i, _ in pairs], dtype=np.int64)
        return {"text": torch.from_numpy(text), "padding_mask": torch.from_numpy(mask.astype(np.int64)),
                "index": torch.from_numpy(index)}

    return collate


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prefix", help="the dataset PREFIX (.bin/.idx) DeepSpeed analyses (written by DeepSpeed)")
    parser.add_argument("--vocab-size", type=int, required=True, help="vocabulary size V (token ids < V)")
    parser.add_argument("--write-from", metavar="SRC",
                        help="first copy the Megatron dataset SRC into PREFIX with DeepSpeed's builder")
    parser.add_argument("--write-only", action="store_true", help="only write PREFIX (needs --write-from)")
    parser.add_argument("--batch-size", type=int, default=1000, help="samples per map batch (default 1000)")
    parser.add_argument("--work", help="DataAnalyzer's save_path (default: a temporary directory, removed)")
    args = parser.parse_args()
    if args.vocab_size < 1 or args.batch_size < 1:
        parser.error("--vocab-size and --batch-size must be positive")
    if args.write_only and not args.write_from:
        parser.error("--write-only needs --write-from SRC")
    if args.write_from and os.path.realpath(args.write_from) == os.path.realpath(args.prefix):
        parser.error("--write-from SRC must differ from PREFIX (the copy would overwrite its source)")

    # DeepSpeed's readers and builders print progress to stdout; the JSON line alone goes there.
    sys.stdout.flush()
    result = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    torch, deepspeed, DataAnalyzer, MMapIndexedDataset, MMapIndexedDatasetBuilder = import_deepspeed()
    torch.set_num_threads(1)
    if args.write_from:
        write_deepspeed_copy(args.write_from, args.prefix, MMapIndexedDatasetBuilder)
        if args.write_only:
            return

    code, sizes, _ = read_header(args.prefix)
    if consistent_dtype(args.prefix, code, sizes, DEEPSPEED_CODES) is None:
        fail(f"{args.prefix}.idx: DeepSpeed's MMapIndexedDataset reads dtype code {code} as "
             f"{np.dtype(DEEPSPEED_CODES.get(code, np.uint8)).name}, which does not match {args.prefix}.bin's "
             "length; a Megatron-written file (code 8 = uint16) must be copied first: add --write-from "
             f"{args.prefix} with another PREFIX")
    dataset = MMapIndexedDataset(args.prefix, skip_warmup=True)
    samples, tokens = len(dataset), int(dataset.sizes.astype(np.int64).sum())
    if samples == 0:
        fail(f"{args.prefix}: the dataset has no items; nothing to analyse")
    if tokens and int(np.memmap(args.prefix + ".bin", dtype=dataset.dtype, mode="r").max()) >= args.vocab_size:
        fail(f"{args.prefix}.bin: a token id is >= --vocab-size {args.vocab_size}; give the vocabulary size of "
             "the tokenizer that made the dataset")

    class Indexed(torch.utils.data.Dataset):
        """DeepSpeed's dataset with each item's index, as Megatron's datasets provide it."""

        def __len__(self):
            return samples

        def __getitem__(self, i):
            return i, dataset[i]

    vocab = args.vocab_size
    state = {}

    def metric_seqlen(data):
        return torch.count_nonzero(data["padding_mask"], dim=1)

    def metric_total_vocab_freq(data):
        return torch.bincount(data["text"][data["padding_mask"].bool()], minlength=vocab + 1)

    def metric_vocab_rarity(data):
        return torch.sum(data["padding_mask"] * state["weights"][data["text"]], dim=1).to(torch.long)

    work = args.work or tempfile.mkdtemp(prefix="gradus-ds-analyzer-")
    stages = {}
    try:
        def analyzer(names, functions, types):
            return DataAnalyzer(Indexed(), num_workers=1, worker_id=0, num_threads=1, num_threads_reduce=1,
                                batch_size=args.batch_size, metric_names=names, metric_functions=functions,
                                metric_types=types, metric_dtypes=[torch.int64] * len(names), save_path=work,
                                collate_fn=padded_batch(torch))

        first = analyzer(["seqlen", "total_vocab_freq"], [metric_seqlen, metric_total_vocab_freq],
                         ["single_value_per_sample", "accumulate_value_over_samples"])
        start = time.perf_counter()
        first.run_map()
        stages["map_seqlen_total_vocab_freq_s"] = time.perf_counter() - start
        start = time.perf_counter()
        first.run_reduce()
        stages["reduce_seqlen_total_vocab_freq_s"] = time.perf_counter() - start

        start = time.perf_counter()
        # As analyze_data.py: the dataset stays referenced while its item is copied (its __del__
        # unmaps the file, and a copy from a dropped temporary reads unmapped memory).
        total = MMapIndexedDataset(f"{work}/total_vocab_freq/total_vocab_freq_metric_value", skip_warmup=True)
        freq = np.copy(total[0]).astype(np.float64)
        del total
        freq[freq == 0] = 1
        state["weights"] = torch.tensor(np.log(freq / sum(freq)) * -1, dtype=torch.double)
        second = analyzer(["vocab_rarity"], [metric_vocab_rarity], ["single_value_per_sample"])
        second.run_map()
        stages["map_vocab_rarity_s"] = time.perf_counter() - start
        start = time.perf_counter()
        second.run_reduce()
        stages["reduce_vocab_rarity_s"] = time.perf_counter() - start
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    seconds = sum(stages.values())
    line = {"bench": "deepspeed_analyzer", "deepspeed": deepspeed.__version__, "torch": torch.__version__,
            "prefix": args.prefix, "samples": samples, "tokens": tokens, "workers": 1, "threads": 1,
            "batch_size": args.batch_size}
    line.update({k: round(v, 4) for k, v in stages.items()})
    line.update({"seconds": round(seconds, 4), "samples_per_s": round(samples / seconds, 2),
                 "tokens_per_s": round(tokens / seconds, 1)})
    sys.stdout.flush()
    print(json.dumps(line), file=result, flush=True)


if __name__ == "__main__":
    main()
