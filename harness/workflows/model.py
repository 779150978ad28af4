"""A parsed GitHub Actions workflow (with line numbers) and the claims made about it: the
shared ground of the contract checks and the harness-command checks. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from harness.errors import ConfigError

_BOOL_TAG = "tag:yaml.org,2002:bool"


class Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans, as GitHub reads workflows: ``on``/``off``/``yes``/
    ``no`` stay strings. Plain PyYAML turns the key ``on:`` into the boolean True."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


@dataclass(frozen=True)
class Claim:
    """One claim about one workflow file: held or broken, and where to look."""

    id: str
    file: str
    key: str
    statement: str
    ok: bool
    line: int | None = None
    seen: str = ""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def render(self) -> str:
        mark = "ok" if self.ok else "BROKEN"
        text = f"{mark:<6} {self.where} [{self.key}] {self.statement}"
        return text if self.ok or not self.seen else f"{text}: {self.seen}"


@dataclass(frozen=True)
class ContractReport:
    directory: str
    claims: tuple[Claim, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.claims)

    @property
    def broken(self) -> tuple[Claim, ...]:
        return tuple(c for c in self.claims if not c.ok)


@dataclass
class Workflow:
    """One parsed workflow file: its data and, for line numbers, its YAML node tree."""

    file: str
    data: dict[Any, Any]
    node: yaml.Node | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, text: str, file: str) -> Workflow:
        loader = Yaml12Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        except yaml.YAMLError as exc:
            raise ConfigError(f"not valid YAML: {exc}", where=file,
                              fix="fix the syntax at the line shown") from exc
        finally:
            loader.dispose()
        if not isinstance(data, dict):
            raise ConfigError("a workflow file must be a YAML mapping", where=file,
                              fix="start the file with `name:`, `on:` and `jobs:`")
        return cls(file, data, node)

    def line(self, *path: str) -> int | None:
        """1-based line of the deepest key of ``path`` that exists."""
        node, found = self.node, None
        for key in path:
            if not isinstance(node, yaml.MappingNode):
                break
            match = next(((k, v) for k, v in node.value
                          if isinstance(k, yaml.ScalarNode) and k.value == key), None)
            if match is None:
                break
            found = match[0].start_mark.line + 1
            node = match[1]
        return found

    @property
    def triggers(self) -> dict[str, Any]:
        """``on:`` as {event: config}; accepts the True key plain PyYAML produces."""
        raw = self.data.get("on", self.data.get(True))
        if isinstance(raw, str):
            return {raw: None}
        if isinstance(raw, list):
            return {str(e): None for e in raw}
        if isinstance(raw, dict):
            return {str(k): v for k, v in raw.items()}
        return {}

    @property
    def jobs(self) -> dict[str, dict[str, Any]]:
        raw = self.data.get("jobs")
        if not isinstance(raw, dict):
            return {}
        return {str(k): (v if isinstance(v, dict) else {}) for k, v in raw.items()}

    def dispatch_inputs(self) -> dict[str, dict[str, Any]]:
        dispatch = self.triggers.get("workflow_dispatch")
        inputs = dispatch.get("inputs") if isinstance(dispatch, dict) else None
        if not isinstance(inputs, dict):
            return {}
        return {str(k): (v if isinstance(v, dict) else {}) for k, v in inputs.items()}

    def claim(self, id: str, key: str, statement: str, ok: bool, seen: str = "") -> Claim:
        return Claim(id=id, file=self.file, key=key, statement=statement, ok=ok,
                     line=self.line(*key.split(".")), seen="" if ok else seen)



def strip_expression(value: Any) -> str:
    text = str(value).strip()
    match = re.fullmatch(r"\$\{\{(.*)\}\}", text, flags=re.S)
    return (match.group(1) if match else text).strip()


def is_false(value: Any) -> bool:
    """True for ``if: false`` and ``if: ${{ false }}``: a job or step that never runs."""
    if value is None:
        return False
    return value is False or strip_expression(value) == "false"
