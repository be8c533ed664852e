#!/usr/bin/env bash
# bench_merge.sh GRADUS [DIR] — the merge's cost does not grow with the number of tokens
# (docs/scaling.md, "Speed and memory"): two corpora with the same 200 000 documents in 2 Megatron
# files each, one of 16–128 tokens a document and one of 512–4 096, are indexed as 2 shards, then
# `gradus merge plan`, `metrics` (per shard) and `finish` are timed for both. Needs numpy.
set -euo pipefail
gradus=${1:?usage: tools/bench_merge.sh GRADUS [DIR]}
dir=${2:-$(mktemp -d /tmp/gradus-bench-merge.XXXXXX)}
mkdir -p "$dir"
python3 - "$dir" <<'PY'
import struct, sys
import numpy as np
out = sys.argv[1]
rng = np.random.default_rng(16)
for name, (lo, hi) in {"short": (16, 128), "long": (512, 4096)}.items():
    for part in range(2):
        sizes = rng.integers(lo, hi + 1, size=100_000).astype(np.int32)
        tokens = rng.zipf(1.3, size=int(sizes.sum())) % 50_000
        prefix = f"{out}/{name}-{part}"
        tokens.astype("<u2").tofile(prefix + ".bin")
        pointers = np.concatenate([[0], np.cumsum(sizes[:-1].astype(np.int64) * 2)])
        with open(prefix + ".idx", "wb") as f:   # Megatron layout, dtype code 8 = uint16
            f.write(b"MMIDIDX\x00\x00" + struct.pack("<QBQQ", 1, 8, len(sizes), len(sizes) + 1))
            f.write(sizes.astype("<i4").tobytes() + pointers.astype("<i8").tobytes())
            f.write(np.arange(len(sizes) + 1, dtype="<i8").tobytes())
PY
sync
for name in short long; do
    for i in 0 1; do
        "$gradus" index "$dir/$name-0.idx" "$dir/$name-1.idx" --vocab-size 50000 --shard "$i/2" --threads 1 \
            --out "$dir/$name.shard-$i.idx" --force 2>/dev/null
    done
    t0=$(date +%s.%N)
    "$gradus" merge plan "$dir/$name".shard-{0,1}.idx --out "$dir/$name.idx" --force 2>/dev/null
    t1=$(date +%s.%N)
    for i in 0 1; do "$gradus" merge metrics "$dir/$name.idx" --shard "$i" --threads 1 2>/dev/null; done
    t2=$(date +%s.%N)
    "$gradus" merge finish "$dir/$name.idx" --threads 1 2>/dev/null
    t3=$(date +%s.%N)
    tokens=$("$gradus" info "$dir/$name.idx" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens"])')
    python3 -c "print('{\"bench\":\"merge\",\"corpus\":\"$name\",\"samples\":200000,\"tokens\":$tokens,\"plan_s\":%.3f,\"metrics_s\":%.3f,\"finish_s\":%.3f}' % ($t1-$t0, $t2-$t1, $t3-$t2))"
done
