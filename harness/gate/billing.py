"""Did this cycle touch billing? The files changed between prod's SHA and the candidate SHA
(read with git from a checkout) matched against the topology's billing globs, unless the
caller decides explicitly. The decision records why, so "not applicable" is explained."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from harness.errors import ConfigError

GIT_TIMEOUT_S = 30


@dataclass(frozen=True)
class BillingDecision:
    touched: bool
    reason: str
    matches: tuple[tuple[str, str], ...] = ()  # (file, glob)


@lru_cache(maxsize=256)
def glob_regex(glob: str) -> re.Pattern[str]:
    """``**`` spans any number of directories (zero included), ``*`` and ``?`` stay inside
    one path segment, ``[...]`` is a character class."""
    out, i = [], 0
    while i < len(glob):
        c = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[" and "]" in glob[i + 1:]:
            end = glob.index("]", i + 1)
            out.append("[" + glob[i + 1:end].replace("!", "^", 1) + "]")
            i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z")


def matches(files: list[str], globs: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Pure: each changed file with the first billing glob it matches."""
    found = []
    for file in files:
        glob = next((g for g in globs if glob_regex(g).match(file)), None)
        if glob is not None:
            found.append((file, glob))
    return tuple(found)


def changed_files(repo: Path, base: str, head: str) -> list[str]:
    """Paths that differ between commits ``base`` and ``head`` of the checkout at ``repo``."""
    for sha in (base, head):
        _git(repo, "cat-file", "-e", f"{sha}^{{commit}}",
             failure=f"commit {sha} is not in the checkout at {repo}",
             fix="fetch it (git fetch origin; in CI check out with fetch-depth: 0)")
    out = _git(repo, "diff", "--name-only", "--no-renames", base, head,
               failure=f"git diff {base[:12]}..{head[:12]} failed in {repo}",
               fix="run the gate on a complete checkout of the application's repository")
    return [line for line in out.splitlines() if line]


def decide(*, explicit: bool | None, repo: Path | None, prod_sha: str | None, sha: str,
           globs: tuple[str, ...]) -> BillingDecision:
    """The flag wins; otherwise git decides; without either, it is a configuration error
    (guessing "no" would silently skip the webhook check)."""
    if explicit is not None:
        word = "touches" if explicit else "does not touch"
        return BillingDecision(explicit, f"the caller says this cycle {word} billing "
                                         f"(--{'billing' if explicit else 'no-billing'})")
    if repo is None:
        raise ConfigError("cannot tell whether this cycle touched billing",
                          fix="pass --repo PATH (a checkout of the application) or say it: "
                              "--billing / --no-billing")
    if prod_sha is None:
        raise ConfigError("cannot tell whether this cycle touched billing: prod's SHA is unknown",
                          fix="pass --prod-sha, or --billing / --no-billing")
    if not globs:
        raise ConfigError("no billing globs configured", where="[gate] billing_globs",
                          fix='add e.g. billing_globs = ["src/billing/**"], or pass '
                              "--billing / --no-billing")
    files = changed_files(repo, prod_sha, sha)
    found = matches(files, globs)
    span = f"{prod_sha[:12]}..{sha[:12]}"
    if not found:
        return BillingDecision(False, f"{len(files)} file(s) changed in {span}, none under "
                                      f"the billing globs ({', '.join(globs)})")
    shown = ", ".join(f for f, _ in found[:3]) + (" ..." if len(found) > 3 else "")
    return BillingDecision(True, f"{len(found)} of {len(files)} changed file(s) in {span} "
                                 f"touch billing: {shown}", found)


def _git(repo: Path, *args: str, failure: str, fix: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                              timeout=GIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"{failure}: {exc}", fix=fix) from exc
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1:] or [""]
        raise ConfigError(f"{failure}: {detail[0]}".rstrip(": "), fix=fix)
    return done.stdout
