"""docs/pytorch.md stays true: every ```python block of the page runs (each in a fresh namespace,
from the repository root) and its assertions hold."""

import os
import re

import pytest

from conftest import REPO

PAGE = REPO / "docs/pytorch.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", PAGE.read_text(encoding="utf-8"), flags=re.S | re.M)


def test_the_page_has_code_blocks():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_docs_pytorch_block_runs(index, monkeypatch):
    monkeypatch.chdir(REPO)
    exec(compile(BLOCKS[index], f"{PAGE}:block{index}", "exec"), {"__name__": "__docs__"})
