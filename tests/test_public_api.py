"""The public API: lazy exports that resolve, ``docs/api.md`` listing them, the README example
running as written on a demo cohort, and ``import myomri`` loading no stage."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["myomri", "myomri.io", "myomri.preprocess", "myomri.features", "myomri.t2", "myomri.tables",
            "myomri.analysis", "myomri.report", "myomri.demo", "myomri.pipeline"]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_export_resolves_and_is_documented(package):
    module = importlib.import_module(package)
    api = (ROOT / "docs" / "api.md").read_text()
    for name in module.__all__:
        assert getattr(module, name) is not None
        if name != "__version__":
            assert f"`{name}`" in api, f"{package}.{name} is missing from docs/api.md"


def test_importing_myomri_and_building_the_cli_loads_no_stage():
    code = ("import sys, myomri, myomri.cli; myomri.cli.build_parser(); "
            "print(sorted(m for m in ('numpy', 'pandas', 'sklearn', 'torch', 'myomri.t2.epg_model') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_readme_example_runs_as_written_on_a_demo_cohort(tmp_path):
    from myomri.cli import main

    assert main(["demo-data", str(tmp_path / "demo_out" / "data"), "--subjects-per-group", "1"]) == 0
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Python API"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "mean muscle water T2" in run.stdout and " 0.0 ms" not in run.stdout
