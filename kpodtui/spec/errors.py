"""The one error type of spec loading: one line that says where and what.

Format: ``path:line:col: key: what is wrong (did you mean 'x'?)``; parts that are
unknown are left out. ``line``/``column`` are 1-based (what editors show).
"""

from __future__ import annotations

from collections.abc import Iterable

from kpodtui.errors import BadInputError
from kpodtui.termsafe import escape


class SpecError(BadInputError):
    """A problem in a task spec; carries its location for editors (``.line``, ``.column``, ``.key``)."""

    def __init__(
        self,
        what: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
        key: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        self.what = what
        self.source = source
        self.line = line
        self.column = column
        self.key = key
        self.suggestion = suggestion
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.source:
            where = self.source
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        key = f"{self.key}: " if self.key else ""
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        # Keep it to one line whatever the underlying message was, and show any control
        # character it echoes (from a --set value, a key, a template) as an escape.
        what = " ".join(self.what.split())
        return escape(f"{where}{key}{what}{hint}", newlines=False)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to a misspelt ``word``, if any is close enough."""
    import difflib  # only for a misspelt key: loaded then (a few ms off every start)

    matches = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


class SpecErrors(SpecError):
    """Several problems found together (e.g. in a merged pod); reads as the first, ``.errors`` holds all."""

    def __init__(self, errors: list[SpecError]) -> None:
        first = errors[0]
        super().__init__(first.what, source=first.source, line=first.line, column=first.column, key=first.key,
                         suggestion=first.suggestion)
        self.errors = list(errors)
