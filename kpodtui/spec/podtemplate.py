"""Reading ``pod_template_file``: a pod manifest in YAML, relative to the spec file.

Better than the reference, which only logs a warning for a missing file and
carries on with an empty pod: here a missing or broken template is a spec error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kpodtui.spec.apicheck import ApiChecker
from kpodtui.spec.context import CheckContext, type_name
from kpodtui.spec.errors import SpecError
from kpodtui.spec.k8s import camelize
from kpodtui.spec.objects import SERVER_SET_METADATA, check_pod_object
from kpodtui.spec.yamlpos import parse_documents


def resolve_template_path(path_str: str, base_dir: Path | None) -> Path:
    """``pod_template_file`` relative to the spec's folder (or the working directory)."""
    path = Path(path_str).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path


def load_pod_template(path_str: str, base_dir: Path | None, ctx: CheckContext) -> dict[str, Any] | None:
    """Load and check the template pod; problems go to ``ctx`` and None is returned."""
    key = ("pod_template_file",)
    path = resolve_template_path(path_str, base_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        ctx.error(key, f"no such file: {str(path)!r}")
        return None
    except IsADirectoryError:
        ctx.error(key, f"{str(path)!r} is a directory, not a pod template file")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        ctx.error(key, f"cannot read {str(path)!r}: {getattr(exc, 'strerror', None) or exc}")
        return None
    source = str(path)
    try:
        docs = parse_documents(text, source)
    except SpecError as exc:
        ctx.errors.append(SpecError(f"pod template: {exc.what}", source=exc.source, line=exc.line,
                                    column=exc.column, key=exc.key))
        return None
    tctx = CheckContext(source, docs[0] if docs else None, defer_templates=False)
    if not docs or not isinstance(docs[0].value, dict):
        got = type_name(docs[0].value) if docs else "an empty file"
        tctx.error((), f"a pod template must be a pod manifest (a mapping), got {got}")
        ctx.errors.extend(tctx.errors)
        return None
    ctx.errors.extend(docs[0].errors)
    pod = camelize(docs[0].value)
    if check_pod_object(tctx, (), pod):
        pod = ApiChecker(tctx).check((), pod, "V1Pod")
    ctx.errors.extend(tctx.errors)
    meta = pod.get("metadata") if isinstance(pod.get("metadata"), dict) else {}
    saved = [k for k in SERVER_SET_METADATA if k in meta] + (["status"] if "status" in pod else [])
    if saved and not tctx.errors:
        ctx.warn(key, f"{str(path)!r} looks saved from a cluster: its {', '.join(saved)} are left out "
                      "(the API server sets them)")
    return None if tctx.errors else pod
