#!/usr/bin/env bash
# fuzz.sh — build and run one Gradus libFuzzer target (issue 8 item 4).
#
#   tools/fuzz.sh NAME SECONDS [extra libFuzzer flags...]
#   tools/fuzz.sh list
#
# NAME is jsonl, fasta, zstd, idx, bpe, config, state (sampler state), matrix (experiment matrix
# and run config) or results (results.jsonl and the report). The targets live in
# the separate package tools/fuzz/ (so `swift build` of Gradus never builds them) and are built
# with `-sanitize=fuzzer,address`, which instruments the Gradus modules too. The working corpus
# is tools/fuzz/corpus/NAME (not committed), seeded from the committed tools/fuzz/seeds/NAME
# (written by tools/gen_bad_inputs.py); crashing inputs go to tools/fuzz/crashes/NAME/ — add
# them to Tests/ReliabilityTests as regression tests. Runs one job (the machine has 2 cores).
# For `results` pass -timeout=120 (a report with its PNG plots takes seconds under ASan). For
# `matrix` and `results` leak detection is off (ASAN_OPTIONS, below): Foundation's
# Data(contentsOf:) leaks a 4 KiB buffer when it reads an empty file (a toolchain leak, not Gradus's).
# Exit status: libFuzzer's (0 = no finding in the time given).
set -euo pipefail
cd "$(dirname "$0")/fuzz"

declare -A PRODUCT=([jsonl]=FuzzJSONL [fasta]=FuzzFASTA [zstd]=FuzzZstd [idx]=FuzzIdx [bpe]=FuzzBPE
                    [config]=FuzzConfig [state]=FuzzSamplerState [matrix]=FuzzMatrix [results]=FuzzResults)

if [[ $# -lt 1 || "$1" == "list" ]]; then
    echo "targets: ${!PRODUCT[*]}"
    [[ $# -ge 1 ]] && exit 0 || exit 2
fi
name=$1
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
product=${PRODUCT[$name]:-}
if [[ -z "$product" ]]; then
    echo "fuzz.sh: unknown target '$name' (targets: ${!PRODUCT[*]})" >&2
    exit 2
fi

# ld.gold prints one harmless warning per ASan check symbol; keep the real errors.
swift build -c debug -Xswiftc -sanitize=fuzzer,address --product "$product" 2>&1 \
    | grep -v "Cannot export local symbol" || true
binary=$(swift build -c debug -Xswiftc -sanitize=fuzzer,address --show-bin-path)/$product
[[ -x "$binary" ]] || { echo "fuzz.sh: build of $product failed" >&2; exit 1; }

mkdir -p "corpus/$name" "crashes/$name"
if [[ -d "seeds/$name" ]]; then cp -n seeds/"$name"/* "corpus/$name/" 2>/dev/null || true; fi

dict=()
if [[ -f "dictionaries/$name.dict" ]]; then dict=(-dict="dictionaries/$name.dict"); fi

# The Swift runtime backtracer and ASan both catch the abort; keep only ASan/libFuzzer output.
export SWIFT_BACKTRACE=enable=no
if [[ "$name" == matrix || "$name" == results ]]; then export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}; fi
exec "$binary" "corpus/$name" "${dict[@]}" \
    -max_total_time="$seconds" -artifact_prefix="crashes/$name/" \
    -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 "$@"
