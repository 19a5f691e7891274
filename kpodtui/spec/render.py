"""Rendering the templated fields with Jinja2 in a sandbox.

Names available: ``task_id``, ``run_id``, ``ts`` (ISO 8601), ``ds``
(YYYY-MM-DD), ``ds_nodash``, ``ts_nodash``, ``try_number``, ``params``. An
undefined name is an error naming the field (StrictUndefined), never an empty
string silently sent to the cluster.

Strings anywhere inside a templated field are rendered (keys too, so env var
names in the mapping form are templated as in the reference). When a field that
wants a list or mapping is written as one ``{{ expression }}``, it takes the
expression's value (``cmds: "{{ params.cmds }}"`` with a list param is that list);
other template strings in such a field render to text that is read as YAML.
jinja2 is imported only when some field actually holds a template.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kpodtui.spec.check import BAD, check_value
from kpodtui.spec.context import is_template
from kpodtui.spec.podtemplate import load_pod_template
from kpodtui.spec.schema import PARAMS, TEMPLATED_FIELDS
from kpodtui.spec.taskspec import TaskSpec

_STRING_KINDS = frozenset({"str", "str?", "name", "dnslabel?", "task_id"})


def _has_template(value: Any) -> bool:
    if isinstance(value, str):
        return is_template(value)
    if isinstance(value, dict):
        return any(_has_template(k) or _has_template(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_template(v) for v in value)
    return False


def template_context(spec: TaskSpec, *, run_id: str, ts: datetime, try_number: int) -> dict[str, Any]:
    """The names a template can use."""
    return {
        "task_id": spec.task_id,
        "run_id": run_id,
        "ts": ts.isoformat(),
        "ts_nodash": ts.strftime("%Y%m%dT%H%M%S"),
        "ds": ts.strftime("%Y-%m-%d"),
        "ds_nodash": ts.strftime("%Y%m%d"),
        "try_number": try_number,
        "params": spec.params,
    }


def _render_all(fields: dict[str, tuple[Any, bool]], context: dict[str, Any]) -> dict[str, Any]:
    """Every field rendered within the CPU and memory budget (kpodtui.spec.bounded)."""
    from kpodtui.spec import templating
    from kpodtui.spec.bounded import BudgetExceeded, run_bounded

    templating.warm()
    try:
        return run_bounded(lambda: templating.render_fields(fields, context))
    except BudgetExceeded as exc:
        # Which field is unknown (they render together): name them all, they are few.
        return {name: ("error", (), f"rendering is stopped: {exc}") for name in fields}


def _written(spec: TaskSpec, field: str, path: tuple[Any, ...]) -> tuple[Any, ...]:
    """Where a problem at ``path`` of a rendered field was written: env vars in the mapping form
    ``NAME: value`` were rendered as the list ``[{name, value}]``."""
    raw = spec.raw.get(field) if isinstance(spec.raw, dict) else None
    if field == "env_vars" and isinstance(raw, dict) and path and isinstance(path[0], int) and path[0] < len(raw):
        return (field, list(raw)[path[0]])
    return (field, *path)


def render_spec(spec: TaskSpec, *, run_id: str, ts: datetime, try_number: int = 1) -> TaskSpec:
    """A copy of ``spec`` with every templated field rendered; raises SpecError naming the field."""
    values = spec.values
    ctx = spec.context(defer_templates=False)
    fields = [f for f in TEMPLATED_FIELDS if _has_template(values[f])]
    if fields:
        context = template_context(spec, run_id=run_id, ts=ts, try_number=try_number)
        results = _render_all({f: (values[f], PARAMS[f].kind in _STRING_KINDS) for f in fields}, context)
        for field in fields:
            result = results[field]
            if result[0] == "error":
                ctx.error(_written(spec, field, result[1]), result[2])
                continue
            checked = check_value(ctx, field, result[1])
            if checked is not BAD:
                values[field] = checked
    template_pod = spec.template_pod
    if "pod_template_file" in fields and values["pod_template_file"] and not ctx.errors:
        template_pod = load_pod_template(values["pod_template_file"], spec.base_dir, ctx)
    if ctx.errors:
        raise ctx.errors[0]
    return spec._derive(values, rendered=True, template_pod=template_pod)
