"""Running the real `lactgraph` command in a scratch copy of the project."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT


def run_lactgraph(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lactgraph", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )


def scratch_project(tmp_path: Path) -> Path:
    """A copy of the project's sources, ontology and shapes, with no graph yet."""
    for folder in ("sources", "ontology", "shapes"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def assert_clean_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    """A failure the user can act on: non-zero, the fragments named, no traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
