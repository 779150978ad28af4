"""Reading $GITHUB_OUTPUT the way the GitHub Actions runner does (for the tests)."""

from __future__ import annotations


def parse_outputs(text: str) -> dict[str, str]:
    """``name=value`` lines and ``name<<DELIMITER`` blocks; a later output of the same name
    wins, as in the runner."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            outputs[line[:equals]] = line[equals + 1:]
            continue
        assert heredoc > 0, f"malformed line {line!r}"
        name, delimiter = line[:heredoc], line[heredoc + 2:]
        body = []
        while lines[i] != delimiter:
            body.append(lines[i])
            i += 1
        i += 1
        outputs[name] = "\n".join(body)
    return outputs
