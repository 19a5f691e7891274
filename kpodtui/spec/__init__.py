"""Task specs: the schema of every operator parameter, YAML loading with errors
that point at file:line:column, ``--set`` overrides and Jinja rendering.
"""

from __future__ import annotations

from kpodtui.spec.errors import SpecError
from kpodtui.spec.loader import (
    check_spec_text,
    load_spec_text,
    load_spec_text_all,
    load_specs,
    validate_file,
)
from kpodtui.spec.render import render_spec
from kpodtui.spec.schema import PARAMS, TEMPLATED_FIELDS
from kpodtui.spec.taskspec import TaskSpec

__all__ = [
    "PARAMS", "TEMPLATED_FIELDS", "SpecError", "TaskSpec", "check_spec_text", "load_spec_text",
    "load_spec_text_all", "load_specs",
    "render_spec", "validate_file",
]
