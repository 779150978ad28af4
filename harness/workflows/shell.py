"""Find the commands in a workflow's ``run:`` script, as the shell would split them, enough
to hand each ``harness ...`` command's arguments to the real CLI parser. Pure.

Understood: quotes and backslashes, line continuations, ``;`` ``&&`` ``||`` ``|`` ``&`` and
newlines between commands, comments, redirections (``> file``, ``2>&1``, ``>> "$F"``, which
are not arguments), ``VAR=value`` prefixes, ``$(...)`` and backquotes, and GitHub's
``${{ ... }}`` expressions (filled in before the shell runs, so each one is a value the check
cannot know). ``${VAR:+words}`` is read as its words, so a flag passed only when a variable
is set is still checked. A value the shell fills in at run time keeps its ``$`` and is
reported by ``dynamic`` as unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HARNESS = "harness"
# Words that may stand before the command word without being it.
_PREFIXES = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "time",
                       "exec", "command", "env", "nohup", "{", "("})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)
_PLACEHOLDER = "$GH_EXPRESSION_"
_OPERATORS = (";;", "&&", "||", ";", "&", "|", "(", ")")


@dataclass(frozen=True)
class Command:
    """One simple command: its words after quote removal, and the 0-based script line its
    command word is on."""

    words: tuple[str, ...]
    line: int

    @property
    def is_harness(self) -> bool:
        word = self.command_word
        return word is not None and word.rsplit("/", 1)[-1] == HARNESS

    @property
    def command_word(self) -> str | None:
        index = self._command_index()
        return self.words[index] if index is not None else None

    @property
    def arguments(self) -> tuple[str, ...]:
        index = self._command_index()
        return self.words[index + 1:] if index is not None else ()

    def _command_index(self) -> int | None:
        for i, word in enumerate(self.words):
            if word in _PREFIXES or _ASSIGNMENT.match(word):
                continue
            return i
        return None


def dynamic(word: str) -> bool:
    """True for a word the shell or GitHub fills in at run time (its value is unknown here)."""
    return "$" in word or "`" in word


@dataclass(frozen=True)
class Script:
    """A ``run:`` script with GitHub's expressions set aside (see ``restore``)."""

    text: str
    expressions: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Script:
        found: list[str] = []

        def hold(match: re.Match[str]) -> str:
            found.append(match.group(0))
            return f"{_PLACEHOLDER}{len(found) - 1}"

        return cls(_expand_alternatives(_EXPRESSION.sub(hold, text)), tuple(found))

    def restore(self, text: str) -> str:
        """``text`` with each expression placeholder put back as written."""
        for i in reversed(range(len(self.expressions))):
            text = text.replace(f"{_PLACEHOLDER}{i}", self.expressions[i])
        return text

    def commands(self) -> list[Command]:
        return _Lexer(self.text).commands()

    def harness_commands(self) -> list[Command]:
        return [c for c in self.commands() if c.is_harness]


def _expand_alternatives(text: str) -> str:
    """``${NAME:+words}`` and ``${NAME+words}`` -> ``words`` (the case where they count)."""
    out: list[str] = []
    i = 0
    pattern = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?\+")
    while (match := pattern.search(text, i)) is not None:
        end = _closing(text, match.end(), "{", "}")
        if end is None:
            break
        out.append(text[i:match.start()])
        out.append(_expand_alternatives(text[match.end():end]))
        i = end + 1
    out.append(text[i:])
    return "".join(out)


def _closing(text: str, start: int, opening: str, closing: str) -> int | None:
    """Index of the ``closing`` that balances an ``opening`` just before ``start``."""
    depth, i, quote = 1, start, ""
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "\\":
            i += 1
        elif ch == opening:
            depth += 1
        elif ch == closing:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line = 0
        self.out: list[Command] = []
        self.words: list[tuple[str, int]] = []  # (word, line it starts on)
        self.word: list[str] | None = None  # None: between words
        self.word_line = 0
        self.discard = False  # the next word is a redirection's target, not an argument

    def commands(self) -> list[Command]:
        while self.i < len(self.text):
            self._step()
        self._end_command()
        return self.out

    # -- words and commands
    def _add(self, chars: str) -> None:
        if self.word is None:
            self.word, self.word_line = [], self.line
        self.word.append(chars)

    def _end_word(self) -> None:
        if self.word is not None:
            if self.discard:
                self.discard = False
            else:
                self.words.append(("".join(self.word), self.word_line))
        self.word = None

    def _end_command(self) -> None:
        self._end_word()
        self.discard = False
        if self.words:
            command = Command(tuple(w for w, _ in self.words), self.words[0][1])
            index = command._command_index()
            # The command word's own line, not that of a VAR=value prefix above it.
            line = self.words[index][1] if index is not None else command.line
            self.out.append(Command(command.words, line))
        self.words = []

    # -- the characters
    def _step(self) -> None:
        text, i = self.text, self.i
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            if text[i + 1] == "\n":  # continuation: the line goes on
                self.line += 1
            else:
                self._add(text[i + 1])
            self.i += 2
        elif ch == "\n":
            self._end_command()
            self.line += 1
            self.i += 1
        elif ch in " \t\r":
            self._end_word()
            self.i += 1
        elif ch == "#" and self.word is None:
            while self.i < len(text) and text[self.i] != "\n":
                self.i += 1
        elif ch == "'":
            end = text.find("'", i + 1)
            end = len(text) if end < 0 else end
            self._quoted(text[i + 1:end])
            self.i = end + 1
        elif ch == '"':
            self._double_quoted()
        elif text.startswith("$(", i) or ch == "`":
            self._substitution()
        elif ch in "<>" or (ch.isdigit() and self._fd_redirect()):
            self._redirect()
        elif (op := next((o for o in _OPERATORS if text.startswith(o, i)), None)) is not None:
            self._end_command()
            self.i += len(op)
        else:
            self._add(ch)
            self.i += 1

    def _quoted(self, body: str) -> None:
        self._add(body)
        self.line += body.count("\n")

    def _double_quoted(self) -> None:
        text, i = self.text, self.i + 1
        chars: list[str] = []
        while i < len(text) and text[i] != '"':
            if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in '"\\$`\n':
                if text[i + 1] != "\n":
                    chars.append(text[i + 1])
                i += 2
                continue
            chars.append(text[i])
            i += 1
        self._quoted("".join(chars))
        self.i = i + 1

    def _substitution(self) -> None:
        text, i = self.text, self.i
        if text[i] == "`":
            end = text.find("`", i + 1)
            end = len(text) - 1 if end < 0 else end
        else:
            found = _closing(text, i + 2, "(", ")")
            end = len(text) - 1 if found is None else found
        self._quoted(text[i:end + 1])  # kept as written: a value known only at run time
        self.i = end + 1

    def _fd_redirect(self) -> bool:
        """A digit run glued to ``<`` or ``>`` that starts a word is a file descriptor."""
        if self.word is not None:
            return False
        j = self.i
        while j < len(self.text) and self.text[j].isdigit():
            j += 1
        return j < len(self.text) and self.text[j] in "<>"

    def _redirect(self) -> None:
        self._end_word()
        text = self.text
        while self.i < len(text) and text[self.i].isdigit():
            self.i += 1
        while self.i < len(text) and text[self.i] in "<>&|":
            self.i += 1
        # `>&2`, `2>&1`: the target is a descriptor glued on; otherwise the next word is it.
        if text[self.i - 1] == "&" and self.i < len(text) and text[self.i].isdigit():
            while self.i < len(text) and text[self.i].isdigit():
                self.i += 1
            return
        self.discard = True
