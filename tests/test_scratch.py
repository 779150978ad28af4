"""Where throwaway embedded servers go: the folder HARNESS_PG_SCRATCH names, else a memory
file system with room, else the temporary folder; a sweep looks in every one of them."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.io.db import embedded, scratch


@pytest.fixture(autouse=True)
def no_scratch_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(scratch.SCRATCH_ENV, raising=False)


def test_the_named_folder_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(scratch.SCRATCH_ENV, str(tmp_path))
    assert scratch.root() == tmp_path
    home = embedded.new_home()
    assert home.parent == tmp_path and home.name.startswith(embedded.PREFIX)
    # The default look covers it (other servers may sit in the temporary folder meanwhile).
    assert home in embedded.homes() and embedded.homes(tmp_path) == [home]


@pytest.mark.parametrize("name", ["missing", "a-file"])
def test_a_named_folder_that_cannot_be_used_is_a_configuration_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv(scratch.SCRATCH_ENV, str(tmp_path / name))
    with pytest.raises(ConfigError) as caught:
        scratch.root()
    assert caught.value.where == scratch.SCRATCH_ENV and caught.value.exit_code == 2
    assert str(tmp_path / name) in caught.value.what and "unset" in (caught.value.fix or "")


def test_memory_is_used_only_when_it_is_a_tmpfs_with_room(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mounts = Path("/proc/mounts")
    shm = next((line.split()[1] for line in mounts.read_text().splitlines()
                if line.split()[2:3] == ["tmpfs"] and line.split()[1] == "/dev/shm"), None)
    if shm is None:
        pytest.skip("no tmpfs mounted on /dev/shm here")
    monkeypatch.setattr(scratch, "MIN_FREE_BYTES", 1)
    assert scratch.root() == Path("/dev/shm")
    monkeypatch.setattr(scratch, "MIN_FREE_BYTES", 1 << 60)  # more room than it has
    assert scratch.root() == Path(tempfile.gettempdir())
    monkeypatch.setattr(scratch, "MIN_FREE_BYTES", 1)
    monkeypatch.setattr(scratch, "MEMORY", tmp_path)  # a folder, but not a tmpfs mount
    assert scratch.root() == Path(tempfile.gettempdir())


def test_a_sweep_looks_in_memory_and_in_the_temporary_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    memory, temporary = tmp_path / "memory", tmp_path / "tmp"
    memory.mkdir()
    temporary.mkdir()
    monkeypatch.setenv(scratch.SCRATCH_ENV, str(memory))
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    assert scratch.roots() == [memory, temporary]
    left = [Path(tempfile.mkdtemp(prefix=embedded.PREFIX, dir=d)) for d in (memory, temporary)]
    lines = embedded.sweep()  # no owner file and young: a start still under way, kept
    assert lines == [] and all(p.is_dir() for p in left)
    monkeypatch.setattr(embedded, "_YOUNG_S", -1.0)
    lines = embedded.sweep()
    assert len(lines) == 2 and not any(p.exists() for p in left), lines
