"""Reading ``pod_template_file``: a pod manifest in YAML, relative to the spec file.

Better than the reference, which only logs a warning for a missing file and
carries on with an empty pod: here a missing or broken template is a spec error.
Errors name the template by its resolved path and never quote what a file that
is not a pod holds (``pod_template_file: /etc/shadow`` says it is not a pod
manifest, not what its lines are).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpodtui.spec.apicheck import ApiChecker
from kpodtui.spec.context import CheckContext, type_name
from kpodtui.spec.errors import SpecError
from kpodtui.spec.files import read_text
from kpodtui.spec.k8s import camelize
from kpodtui.spec.objects import POD_KEYS, SERVER_SET_METADATA, check_pod_object
from kpodtui.spec.yamlpos import Document, parse_documents


@dataclass(frozen=True)
class PodTemplate:
    """A loaded template: the pod (camelCase, converted to the API's types) and where it was written."""

    pod: dict[str, Any]
    source: str
    doc: Document

    def context(self) -> CheckContext:
        """A check context that positions problems in the template file."""
        return CheckContext(self.source, self.doc, defer_templates=False)

    def error(self, path: tuple[Any, ...], what: str) -> SpecError:
        return self.context().make_error(path, what)


def resolve_template_path(path_str: str, base_dir: Path | None) -> Path:
    """``pod_template_file`` relative to the spec's folder (or the working directory), resolved."""
    path = Path(path_str).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    return path.resolve()


def load_pod_template(path_str: str, base_dir: Path | None, ctx: CheckContext) -> PodTemplate | None:
    """Load and check the template pod; problems go to ``ctx`` and None is returned."""
    key = ("pod_template_file",)
    path = resolve_template_path(path_str, base_dir)
    source = str(path)
    try:
        text = read_text(path, what="a pod template file")
    except SpecError as exc:
        ctx.error(key, f"{exc.what}: {source}")
        return None
    try:
        docs = [d for d in parse_documents(text, source) if d.value is not None]
    except SpecError as exc:
        ctx.errors.append(SpecError(f"pod template: {exc.what}", source=exc.source, line=exc.line,
                                    column=exc.column, key=exc.key))
        return None
    if not docs:
        ctx.error(key, f"{source} is empty: a pod template must be a pod manifest")
        return None
    doc = docs[0]
    if not isinstance(doc.value, dict) or not any(k in doc.value for k in POD_KEYS):
        # Not a pod at all: say so without quoting what the file holds (it may be anything).
        got = "a mapping with none of apiVersion, kind, metadata, spec" if isinstance(doc.value, dict) \
            else type_name(doc.value)
        ctx.error(key, f"{source} is not a pod manifest (its top level is {got})")
        return None
    if len(docs) > 1:
        ctx.error(key, f"{source} holds {len(docs)} YAML documents: a pod template is one pod manifest")
        return None
    tctx = CheckContext(source, doc, defer_templates=False)
    ctx.errors.extend(doc.errors)
    pod = camelize(doc.value)
    if check_pod_object(tctx, (), pod):
        pod = ApiChecker(tctx).check((), pod, "V1Pod")
    ctx.errors.extend(tctx.errors)
    meta = pod.get("metadata") if isinstance(pod.get("metadata"), dict) else {}
    saved = [k for k in SERVER_SET_METADATA if k in meta] + (["status"] if "status" in pod else [])
    if saved and not tctx.errors:
        ctx.warn(key, f"{source} looks saved from a cluster: its {', '.join(saved)} are left out "
                      "(the API server sets them)")
    return None if tctx.errors else PodTemplate(pod, source, doc)
