"""An installed harness runs its drill anywhere: the wheel carries the features, the step
modules and the harness's own pytest configuration, and `harness drill` from an empty folder
passes and writes its evidence (no checkout, no repository test settings)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", str(ROOT), "-w", str(out)], check=True, capture_output=True)
    (found,) = out.glob("promotion_harness-*.whl")
    return found


def test_the_wheel_carries_features_steps_and_its_own_pytest_config(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    features = {n for n in names if n.startswith("harness/features/") and n.endswith(".feature")}
    assert len(features) == len(list((ROOT / "features").rglob("*.feature")))
    assert {f"harness/steps/{p.name}" for p in (ROOT / "steps").glob("*.py")} <= names
    assert "harness/pytest/run.ini" in names and "harness/schemas/evidence-v1.json" in names


def test_an_installed_wheel_runs_the_drill_from_an_empty_folder(wheel: Path, tmp_path: Path) -> None:
    # A fresh environment holding only the wheel; its dependencies are borrowed from this
    # one (a path entry, not a site dir: this environment's editable harness stays out).
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    site = next((env_dir / "lib").glob("python*/site-packages"))
    (site / "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                    "-q", str(wheel)], check=True, capture_output=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    where = subprocess.run([str(python), "-c", "import harness; print(harness.__file__)"],
                           capture_output=True, text=True, check=True, cwd=empty).stdout
    assert str(site) in where, f"the installed harness must be the wheel's, not {where}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "HARNESS_"))}
    done = subprocess.run([str(env_dir / "bin" / "harness"), "drill"], cwd=empty, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    doc = json.loads((empty / "reports" / "latest" / "evidence.json").read_text(encoding="utf-8"))
    assert doc["verdict"] == "pass" and doc["kind"] == "drill" and len(doc["checks"]) == 7
    assert all(str(ROOT) not in c.get("feature", "") for c in doc["checks"])
