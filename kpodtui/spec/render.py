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

import re
from datetime import datetime
from functools import cache
from typing import Any

import yaml

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


_WHOLE = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.DOTALL)


def _whole_expression(value: Any) -> str | None:
    """The expression of a value that is exactly one ``{{ expr }}`` (None otherwise)."""
    if not isinstance(value, str):
        return None
    m = _WHOLE.match(value)
    if m is None or "{{" in m.group(1) or "}}" in m.group(1) or "{%" in value:
        return None
    return m.group(1).strip()


@cache
def _environment() -> Any:
    # start-up: jinja2 loads only for a spec that holds templates
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def _render(env: Any, value: Any, context: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return env.from_string(value).render(context) if is_template(value) else value
    if isinstance(value, dict):
        return {_render(env, k, context): _render(env, v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(env, v, context) for v in value]
    return value


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


def render_spec(spec: TaskSpec, *, run_id: str, ts: datetime, try_number: int = 1) -> TaskSpec:
    """A copy of ``spec`` with every templated field rendered; raises SpecError naming the field."""
    values = spec.values
    ctx = spec.context(defer_templates=False)
    fields = [f for f in TEMPLATED_FIELDS if _has_template(values[f])]
    if fields:
        from jinja2 import (  # (only with templates, as above)
            TemplateError,
            Undefined,
            UndefinedError,
        )

        env = _environment()
        context = template_context(spec, run_id=run_id, ts=ts, try_number=try_number)
        for field in fields:
            try:
                native = _whole_expression(values[field]) if PARAMS[field].kind not in _STRING_KINDS else None
                if native is not None:
                    # one {{ expr }} for a list or mapping: its value itself, not its text read
                    # back as YAML (which doubled backslashes and turned 'True' into true)
                    out = env.compile_expression(native, undefined_to_none=False)(**context)
                    if isinstance(out, Undefined):
                        out._fail_with_undefined_error()
                else:
                    out = _render(env, values[field], context)
            except UndefinedError as exc:
                ctx.error((field,), f"the template uses an undefined name: {exc.message}")
                continue
            except TemplateError as exc:
                ctx.error((field,), f"the template is broken: {exc.message or type(exc).__name__}")
                continue
            if isinstance(out, str) and PARAMS[field].kind not in _STRING_KINDS:
                try:
                    out = yaml.safe_load(out)
                except yaml.YAMLError as exc:
                    problem = getattr(exc, "problem", None) or str(exc)
                    ctx.error((field,), f"the template renders to invalid YAML ({problem}): {out!r}")
                    continue
            checked = check_value(ctx, field, out)
            if checked is not BAD:
                values[field] = checked
    template_pod = spec.template_pod
    if "pod_template_file" in fields and values["pod_template_file"] and not ctx.errors:
        template_pod = load_pod_template(values["pod_template_file"], spec.base_dir, ctx)
    if ctx.errors:
        raise ctx.errors[0]
    return spec._derive(values, rendered=True, template_pod=template_pod)
