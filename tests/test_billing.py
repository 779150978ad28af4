"""'Touched billing': globs, a real temporary git repository, and the explicit flag."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.gate import billing

GLOBS = ("**/billing/**", "**/*stripe*")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    return tmp_path


@pytest.mark.parametrize(("path", "hit"), [
    ("src/billing/invoice.ts", True),
    ("billing/x.py", True),
    ("src/payments/stripe_client.ts", True),
    ("stripe.ts", True),
    ("src/bill/invoice.ts", False),
    ("docs/billing", False),
    ("src/app.ts", False),
])
def test_globs(path: str, hit: bool) -> None:
    assert bool(billing.matches([path], GLOBS)) is hit


def test_single_star_stays_in_one_segment() -> None:
    assert billing.matches(["src/billing.ts"], ("src/*.ts",))
    assert not billing.matches(["src/a/billing.ts"], ("src/*.ts",))
    assert billing.matches(["a/b/c.sql"], ("a/**",))


def test_cycle_touching_billing(repo: Path) -> None:
    prod = commit(repo, {"src/app.ts": "1", "src/billing/invoice.ts": "1"}, "prod")
    candidate = commit(repo, {"src/billing/invoice.ts": "2", "README.md": "x"}, "cycle")
    decision = billing.decide(explicit=None, repo=repo, prod_sha=prod, sha=candidate, globs=GLOBS)
    assert decision.touched and decision.matches == (("src/billing/invoice.ts", "**/billing/**"),)
    assert "1 of 2 changed file(s)" in decision.reason and prod[:12] in decision.reason


def test_cycle_not_touching_billing(repo: Path) -> None:
    prod = commit(repo, {"src/app.ts": "1", "src/billing/invoice.ts": "1"}, "prod")
    candidate = commit(repo, {"src/app.ts": "2"}, "cycle")
    decision = billing.decide(explicit=None, repo=repo, prod_sha=prod, sha=candidate, globs=GLOBS)
    assert not decision.touched and "none under the billing globs" in decision.reason


def test_a_deleted_billing_file_counts(repo: Path) -> None:
    prod = commit(repo, {"src/stripe_webhook.ts": "1", "a": "1"}, "prod")
    (repo / "src/stripe_webhook.ts").unlink()
    candidate = commit(repo, {}, "remove webhook")
    assert billing.decide(explicit=None, repo=repo, prod_sha=prod, sha=candidate,
                          globs=GLOBS).touched


def test_unknown_commit_is_a_clear_error(repo: Path) -> None:
    head = commit(repo, {"a": "1"}, "one")
    with pytest.raises(ConfigError) as caught:
        billing.decide(explicit=None, repo=repo, prod_sha="0" * 40, sha=head, globs=GLOBS)
    assert "0000000000" in str(caught.value) and "fetch-depth: 0" in str(caught.value)


def test_the_flag_wins_and_no_information_is_an_error(tmp_path: Path) -> None:
    assert billing.decide(explicit=True, repo=None, prod_sha=None, sha="x", globs=()).touched
    assert not billing.decide(explicit=False, repo=None, prod_sha=None, sha="x", globs=()).touched
    with pytest.raises(ConfigError, match="--repo PATH"):
        billing.decide(explicit=None, repo=None, prod_sha="a", sha="b", globs=GLOBS)
    with pytest.raises(ConfigError, match=r"is not in the checkout"):
        billing.decide(explicit=None, repo=tmp_path, prod_sha="a" * 40, sha="b" * 40, globs=GLOBS)
