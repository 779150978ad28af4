"""Find the migrations in a directory and pair each forward file with its down file.

Every problem is collected (not just the first), each naming the file and line and saying
what to do, so one lint run shows everything to fix."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import ConfigError
from harness.migrations import txmode
from harness.migrations.patterns import DEFAULT_DOWN_SUFFIX, DEFAULT_FORWARD_PATTERN
from harness.migrations.statements import ParsedSql, Statement, parse_sql

if TYPE_CHECKING:  # the topology module is only needed to read a topology file
    from harness.topology import MigrationsConfig


# The documented way to say a down cannot restore what its forward removed (see
# docs/migrations.md); a down holding only this comment passes pairing.
IRREVERSIBLE_MARKER = re.compile(r"^\s*--\s*harness:irreversible\b:?\s*(?P<reason>.*)$", re.I)

# Problems that mean the input itself is unusable (exit 2), not a failed check.
BAD_INPUT = frozenset({"syntax-error", "no-migrations", "unreadable"})


@dataclass(frozen=True)
class MigrationPattern:
    """How forward and down files are named. ``forward_pattern`` is a regex with a named
    group ``version`` (or ``timestamp``: the ordering key); the down file is
    ``<forward stem><down_suffix>``."""

    forward_pattern: str = DEFAULT_FORWARD_PATTERN
    down_suffix: str = DEFAULT_DOWN_SUFFIX

    def __post_init__(self) -> None:
        try:
            compiled = re.compile(self.forward_pattern)
        except re.error as exc:
            raise ConfigError(f"forward_pattern is not a valid regex: {exc}",
                              where="[migrations] forward_pattern",
                              fix="write a Python regex with a (?P<version>...) group") from exc
        if not {"version", "timestamp"} & set(compiled.groupindex):
            raise ConfigError("forward_pattern has no (?P<version>...) group",
                              where="[migrations] forward_pattern",
                              fix="name the ordering part of the file name (?P<version>...) "
                                  "or (?P<timestamp>...)")
        if not self.down_suffix.endswith(".sql") or self.down_suffix == ".sql":
            raise ConfigError(f"down_suffix {self.down_suffix!r} must end in .sql and say "
                              "more than .sql", where="[migrations] down_suffix",
                              fix='use e.g. ".down.sql"')

    @classmethod
    def from_config(cls, config: MigrationsConfig) -> MigrationPattern:
        """The pattern a topology's ``[migrations]`` section sets."""
        return cls(config.forward_pattern, config.down_suffix)

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.forward_pattern)

    def version_of(self, match: re.Match[str]) -> str:
        return match["version"] if "version" in match.re.groupindex else match["timestamp"]

    def down_name(self, forward_name: str) -> str:
        return forward_name.removesuffix(".sql") + self.down_suffix


@dataclass(frozen=True)
class Problem:
    """Something wrong with a migration file; ``code`` is stable for tests and JSON."""

    code: str
    path: Path
    line: int | None
    message: str
    fix: str
    column: int | None = None

    @property
    def where(self) -> str:
        if not self.line:
            return str(self.path)
        return f"{self.path}:{self.line}" + (f":{self.column}" if self.column else "")

    def render(self) -> str:
        return f"{self.where}: {self.message}\n  fix: {self.fix}"


@dataclass(frozen=True)
class SqlFile:
    path: Path
    statements: tuple[Statement, ...]


@dataclass(frozen=True)
class Irreversible:
    line: int
    reason: str


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    forward: SqlFile
    down: SqlFile | None
    irreversible: Irreversible | None = None

    @property
    def reversible(self) -> bool:
        return self.down is not None and self.irreversible is None


@dataclass(frozen=True)
class MigrationSet:
    directory: Path
    migrations: tuple[Migration, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_for_problems(self) -> None:
        """Refuse to act on a directory with problems: nothing is applied half-way."""
        if self.problems:
            listing = "\n".join(p.render() for p in self.problems)
            raise ConfigError(f"{len(self.problems)} problem(s) in the migration files:\n"
                              f"{listing}", where=str(self.directory),
                              fix="fix the files listed (harness migrations lint shows them)")


def discover(directory: Path | str, pattern: MigrationPattern | None = None) -> MigrationSet:
    """Pair the forward and down files of ``directory`` and check each one."""
    pattern = pattern or MigrationPattern()
    root = Path(directory)
    if not root.is_dir():
        raise ConfigError(f"migration directory {root} does not exist or is not a directory",
                          where=str(root), fix="pass the directory holding the .sql files")
    problems: list[Problem] = []
    # scandir knows each entry's type from the directory listing: no stat per file.
    files = [root / name for name in sorted(
        e.name for e in os.scandir(root) if e.name.endswith(".sql") and e.is_file())]
    downs = {p.name: p for p in files if p.name.endswith(pattern.down_suffix)}
    forwards: dict[str, list[tuple[Path, str]]] = {}
    for path in files:
        if path.name in downs:
            continue
        match = pattern.regex.match(path.name)
        if match is None:
            problems.append(Problem("bad-name", path, None,
                                    "file name matches neither the forward pattern nor the "
                                    f"down suffix {pattern.down_suffix!r}",
                                    "rename it <14-digit timestamp>_<slug>.sql (or its "
                                    f"<stem>{pattern.down_suffix}), or move it out"))
            continue
        version = pattern.version_of(match)
        forwards.setdefault(version, []).append((path, version))

    migrations: list[Migration] = []
    paired_downs: set[str] = set()
    for version in sorted(forwards):
        entries = forwards[version]
        if len(entries) > 1:
            names = ", ".join(p.name for p, _ in entries)
            for path, _ in entries:
                problems.append(Problem("duplicate-version", path, None,
                                        f"version {version} is used by more than one forward "
                                        f"file: {names}",
                                        "give each migration its own timestamp"))
        for path, _ in entries:
            down_path = root / pattern.down_name(path.name)
            paired_downs.add(down_path.name)
            migrations.append(_load_migration(version, path, down_path, problems))

    for name, path in downs.items():
        if name not in paired_downs:
            forward = name.removesuffix(pattern.down_suffix) + ".sql"
            problems.append(Problem("orphan-down", path, None,
                                    f"down file has no forward file {forward}",
                                    f"add {forward} or delete this down file"))
    if not files:
        problems.append(Problem("no-migrations", root, None, "the directory holds no .sql file",
                                "pass the directory that holds the migration files (a check "
                                "of nothing must not pass)"))
    problems.sort(key=lambda p: (str(p.path), p.line or 0))
    return MigrationSet(root, tuple(migrations), tuple(problems))


def load(directory: Path | str, pattern: MigrationPattern | None = None) -> MigrationSet:
    """``discover`` that raises ConfigError listing every problem (for anything that writes)."""
    found = discover(directory, pattern)
    found.raise_for_problems()
    return found


def _load_migration(version: str, path: Path, down_path: Path,
                    problems: list[Problem]) -> Migration:
    forward_text = _read(path, problems)
    forward = _parse(path, forward_text, problems) if forward_text is not None else None
    if forward is not None and not forward.statements and not forward.problems:
        problems.append(Problem("empty-forward", path, None,
                                "forward file holds no SQL statement",
                                "write the migration's statements, or delete the file"))
    if forward is not None:
        _check_executable(path, forward, problems)
    fwd = SqlFile(path, forward.statements if forward else ())
    if not down_path.exists():
        problems.append(Problem("missing-down", path, None,
                                f"forward file has no down file {down_path.name}",
                                f"write {down_path.name} undoing this migration (or, when it "
                                "cannot be undone, a down holding only the comment "
                                "'-- harness:irreversible: <why>')"))
        return Migration(version, path.name.removesuffix(".sql"), fwd, None)
    down_text = _read(down_path, problems)
    if down_text is None:
        return Migration(version, path.name.removesuffix(".sql"), fwd, None)
    down = _parse(down_path, down_text, problems)
    irreversible = _irreversible_marker(down_text)
    if down.statements:
        _check_executable(down_path, down, problems)
        if irreversible is not None:
            problems.append(Problem("irreversible-with-sql", down_path, irreversible.line,
                                    "down file is marked irreversible but also holds SQL",
                                    "remove the marker or the statements: a down is either "
                                    "run or declared impossible"))
    elif irreversible is None:
        if not down.problems:
            problems.append(Problem("empty-down", down_path, None,
                                    "down file holds no SQL statement (empty or comments only)",
                                    "write the statements that undo the forward file, or mark "
                                    "it '-- harness:irreversible: <why>'"))
    elif not irreversible.reason:
        problems.append(Problem("irreversible-without-reason", down_path, irreversible.line,
                                "irreversible marker gives no reason",
                                "say why after the marker: '-- harness:irreversible: <why>'"))
    return Migration(version, path.name.removesuffix(".sql"), fwd,
                     SqlFile(down_path, down.statements), irreversible)


def _read(path: Path, problems: list[Problem]) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem("unreadable", path, None, f"cannot read the file: {exc}",
                                "save it as UTF-8 text"))
        return None


def _parse(path: Path, text: str, problems: list[Problem]) -> ParsedSql:
    parsed = parse_sql(text)
    for problem in parsed.problems:
        problems.append(Problem("syntax-error", path, problem.line,
                                f"PostgreSQL's parser: {problem.message}",
                                "correct the SQL at this line and column (nothing of a file "
                                "PostgreSQL cannot parse would run)", problem.column))
    return parsed


def _check_executable(path: Path, parsed: ParsedSql, problems: list[Problem]) -> None:
    """The same reading of transaction control and non-transactional statements as the
    runner's (``txmode``): what lint accepts, the runner runs."""
    for found in txmode.problems(parsed.statements):
        problems.append(Problem(found.code, path, found.statement.line, found.message,
                                found.fix, found.statement.column))


def _irreversible_marker(text: str) -> Irreversible | None:
    for number, line in enumerate(text.splitlines(), start=1):
        match = IRREVERSIBLE_MARKER.match(line)
        if match:
            return Irreversible(number, match["reason"].strip())
    return None
