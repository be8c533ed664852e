#!/usr/bin/env bash
# Python client tests (run by `make test` before the Swift suite): build a small index with the
# given gradus binary, then read it with tools/python/test_index_format.py (PyPI lmdb + numpy,
# using only docs/index-format.md); then tools/python/test_gradus_stream.py checks the binary batch
# stream (docs/stream-format.md) read by tools/python/gradus/stream.py against the JSONL stream.
# Last, the gradus package's pytest suite (tools/python/tests: random-LTD and the LayerToken LR on
# tiny PyTorch models, checked against `gradus schedule`; tests/data: gradus.data, gradus.index,
# torchrun and the examples); pytest's exit code 5 ("no tests collected") fails the script like
# any other non-zero code.
set -euo pipefail
gradus=${1:-.build/debug/gradus}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$gradus" index corpora/udhr.sample.jsonl.zst --tokenizer corpora/tokenizer.json --out "$work/udhr.idx" 2>/dev/null
python3 tools/python/test_index_format.py "$work/udhr.idx"
"$gradus" index corpora/protein.sample.fasta.zst --tokenizer residues --out "$work/protein.idx" 2>/dev/null
python3 tools/python/test_index_format.py "$work/protein.idx"
"$gradus" index corpora/udhr.sample.jsonl.zst --pack 256 --group-field lang --group-field source --out "$work/groups.idx" 2>/dev/null
python3 tools/python/test_index_format.py "$work/groups.idx"
python3 tools/python/test_gradus_stream.py "$gradus"
GRADUS=$(cd "$(dirname "$gradus")" && pwd)/$(basename "$gradus") python3 -m pytest -q -p no:cacheprovider tools/python/tests
echo "python client tests passed"
