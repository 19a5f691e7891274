"""Task specs: the schema of every operator parameter, YAML reading with errors
that point at file:line:column, ``--set`` overrides and Jinja rendering.

This layer knows nothing of pods. Loading a spec file with every check,
including the trial build of its pod, is :mod:`kpodtui.tasks` (``load_specs``,
``validate_file``, ``load_spec_text``, ``check_spec_text``, ``pick_task``).
"""

from __future__ import annotations

from kpodtui.spec.errors import SpecError
from kpodtui.spec.loader import parse_specs, read_spec_file
from kpodtui.spec.render import render_spec
from kpodtui.spec.schema import PARAMS, TEMPLATED_FIELDS
from kpodtui.spec.taskspec import TaskSpec

__all__ = ["PARAMS", "TEMPLATED_FIELDS", "SpecError", "TaskSpec", "parse_specs", "read_spec_file", "render_spec"]
