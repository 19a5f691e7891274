"""What import cannot compute, and how it quotes the DAG's source when it says so."""

from __future__ import annotations

import ast


class Unresolvable(Exception):
    """An expression import cannot compute: ``node`` is where, ``why`` says why."""

    def __init__(self, node: ast.AST, why: str) -> None:
        super().__init__(why)
        self.node = node
        self.why = why


def snippet(source: str, node: ast.AST, limit: int = 60) -> str:
    """The source text of ``node`` on one line, shortened to ``limit`` characters."""
    text = ast.get_source_segment(source, node) or type(node).__name__
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
