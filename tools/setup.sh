#!/usr/bin/env bash
# Installs what Gradus needs on a fresh Debian machine, only where it is missing:
# the C libraries' -dev packages (LMDB, zstd, OpenBLAS, zlib, xxHash, librsvg for the PNG plots) with pkg-config, the
# DejaVu fonts the plots' text is drawn with, the zstd CLI, and the gzip, bzip2 and xz CLIs the input tests compress with;
# for the Python tests, lmdb, numpy, pytest, torch (the CPU build), transformers, pyarrow, tensorboard, deepspeed and megatron-core.
# Called by `make demo` and `make test`; safe to run again (it then does nothing).
set -euo pipefail

packages=(liblmdb-dev libzstd-dev libopenblas-dev zlib1g-dev libxxhash-dev libonig-dev libicu-dev librsvg2-dev fonts-dejavu-core pkg-config zstd gzip bzip2 xz-utils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "setup: no Swift toolchain on PATH (Gradus needs Swift 6; see https://www.swift.org/install/linux/)" >&2
  exit 1
fi

# Python packages for the client tests (tools/python): lmdb, numpy, and xxhash (test_index_format.py checks the
# index's XXH3 chunk checksums with it) from PyPI.
if ! python3 -c "import lmdb, numpy, xxhash" >/dev/null 2>&1; then
  echo "setup: installing Python packages lmdb numpy xxhash" >&2
  python3 -m pip install -q lmdb numpy xxhash
fi

# The gradus Python package's tests (tools/python/tests): pytest, torch, transformers, torchdata, accelerate. torch is
# the CPU build (a fraction of the CUDA one's size); where no CPU build is offered, the default one.
if ! python3 -c "import pytest" >/dev/null 2>&1; then
  echo "setup: installing Python package pytest" >&2
  python3 -m pip install -q pytest
fi
if ! python3 -c "import torch" >/dev/null 2>&1; then
  echo "setup: installing Python package torch (CPU build)" >&2
  python3 -m pip install -q "torch==2.13.0+cpu" || python3 -m pip install -q torch
fi
if ! python3 -c "import transformers" >/dev/null 2>&1; then
  echo "setup: installing Python package transformers" >&2
  python3 -m pip install -q transformers
fi
# gradus.data's resumable loading (torchdata's StatefulDataLoader) and the HF Trainer example (accelerate).
if ! python3 -c "import torchdata.stateful_dataloader" >/dev/null 2>&1; then
  echo "setup: installing Python package torchdata" >&2
  python3 -m pip install -q torchdata
fi
if ! python3 -c "import accelerate" >/dev/null 2>&1; then
  echo "setup: installing Python package accelerate" >&2
  python3 -m pip install -q accelerate
fi
# The TensorBoard event files gradus train writes (issue 17 item 3) are read back in the tests by tensorboard.
if ! python3 -c "import tensorboard.backend.event_processing.event_accumulator" >/dev/null 2>&1; then
  echo "setup: installing Python package tensorboard" >&2
  python3 -m pip install -q tensorboard
fi
# gradus.convert (Parquet and Arrow files to JSONL, issue 15 item 2) and its tests: pyarrow.
if ! python3 -c "import pyarrow.parquet" >/dev/null 2>&1; then
  echo "setup: installing Python package pyarrow" >&2
  python3 -m pip install -q pyarrow
fi
# tools/gen_unigram_fixtures.py --train (a real SentencePiece model converted by transformers' T5Converter, issue 15
# item 1): sentencepiece, and protobuf for the converter. The committed fixtures need neither at test time.
if ! python3 -c "import sentencepiece, google.protobuf" >/dev/null 2>&1; then
  echo "setup: installing Python packages sentencepiece protobuf" >&2
  python3 -m pip install -q sentencepiece protobuf
fi
# DeepSpeed's DataAnalyzer, curriculum sampler and indexed datasets (tools/bench_deepspeed_analyzer.py, `gradus bench
# index --vs-deepspeed`, tools/python/tests/test_deepspeed_interop.py) and megatron-core's IndexedDataset (the same
# tests), issue 16 items 1 and 5. DS_BUILD_OPS=0: no CUDA/C++ ops are built (the CPU paths used here need none), so
# each installs from a wheel/sdist in about a minute.
if ! python3 -c "import deepspeed" >/dev/null 2>&1; then
  echo "setup: installing Python package deepspeed (CPU, no ops built)" >&2
  DS_BUILD_OPS=0 python3 -m pip install -q "deepspeed==0.19.8"
fi
if ! python3 -c "import megatron.core" >/dev/null 2>&1; then
  echo "setup: installing Python package megatron-core" >&2
  python3 -m pip install -q "megatron-core==0.16.1"
fi
