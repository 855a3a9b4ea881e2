"""A non-editable `pip install .` carries what Payback runs, the SQL transforms and the channel map as package
data, and nothing it does not: the local API servers (tests/fake_apis/) and the benchmark (bench/) stay in the
project's folder."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def test_the_wheel_holds_every_sql_transform(tmp_path):
    """Built from a copy of the project (setuptools writes its build folder into the source)."""
    pytest.importorskip("setuptools")
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".*", "data", "dagster_home", "build",
                                                                 "*.egg-info", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(source)], check=True, capture_output=True, cwd=tmp_path)
    names = set(zipfile.ZipFile(next(tmp_path.glob("payback-*.whl"))).namelist())
    expected = {path.relative_to(ROOT).as_posix() for path in (ROOT / "transforms").rglob("*.sql")}
    expected.add("transforms/channel_map.csv")  # the shipped channel map the SQL reads
    assert expected and expected <= names
    assert "pipelines/cli.py" in names
    assert not {name for name in names if name.startswith(("tests/", "bench/")) or "fake_apis" in name}
