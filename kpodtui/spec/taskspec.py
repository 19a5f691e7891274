"""The loaded task: every parameter as a typed attribute, with its default."""

from __future__ import annotations

import copy
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

from kpodtui.constants import BASE_CONTAINER_NAME
from kpodtui.spec.context import CheckContext
from kpodtui.spec.errors import SpecError
from kpodtui.spec.schema import PARAMS
from kpodtui.spec.yamlpos import Document

if TYPE_CHECKING:
    from kpodtui.spec.podtemplate import PodTemplate

#: the parameters whose value is resolved on access (see :class:`TaskSpec`)
RESOLVED = ("base_container_name", "container_logs", "schedule_timeout_seconds")

JsonObj = dict[str, Any]


class TaskSpec:
    """A checked, normalised task spec.

    Every key of :data:`kpodtui.spec.schema.PARAMS` is a typed attribute
    (``spec.image``, ``spec.cmds``...), with the type its value has once checked
    and rendered (before :func:`~kpodtui.spec.render.render_spec`, a templated
    field may still hold its template text). Three are resolved on access, so
    they follow templating: ``base_container_name`` (None -> ``"base"``),
    ``container_logs`` (None/False -> the base container) and
    ``schedule_timeout_seconds`` (None -> ``startup_timeout_seconds``).

    Also: ``raw`` (the document as written, with ``--set`` overrides applied),
    ``source_path``, ``warnings`` (deprecations), ``explicit`` (the keys the user
    wrote, so an explicit ``false``/``0``/``[]`` can override a template),
    ``template_pod`` (the loaded ``pod_template_file``), ``rendered``.

    A new spec key is declared twice: in ``PARAMS`` (how it is checked) and
    here (its type); ``tests/spec/test_load.py`` fails when the two disagree.
    """

    # -- the task
    task_id: str
    params: JsonObj
    # -- cluster selection
    kubernetes_conn_id: str
    in_cluster: bool | None
    cluster_context: str | None
    config_file: str | None
    # -- pod identity
    namespace: str | None
    name: str | None
    random_name_suffix: bool
    labels: dict[str, str]
    annotations: dict[str, str]
    # -- base container
    image: str | None
    cmds: list[str]
    arguments: list[str]
    ports: list[JsonObj]
    volume_mounts: list[JsonObj]
    volumes: list[JsonObj]
    env_vars: list[JsonObj]
    env_from: list[JsonObj]
    secrets: list[JsonObj]
    configmaps: list[str]
    pod_runtime_info_envs: list[JsonObj]
    image_pull_policy: str | None
    container_resources: JsonObj | None
    container_security_context: JsonObj | None
    termination_message_policy: str
    # -- pod spec
    init_containers: list[JsonObj]
    affinity: JsonObj
    tolerations: list[JsonObj]
    node_selector: dict[str, str]
    runtime_class_name: str | None
    priority_class_name: str | None
    schedulername: str | None
    dnspolicy: str | None
    dns_config: JsonObj | None
    hostname: str | None
    subdomain: str | None
    host_aliases: list[JsonObj]
    service_account_name: str | None
    automount_service_account_token: bool | None
    hostnetwork: bool
    security_context: JsonObj
    image_pull_secrets: list[JsonObj]
    termination_grace_period: int | None
    active_deadline_seconds: int | None
    # -- templates
    full_pod_spec: JsonObj | None
    pod_template_file: str | None
    pod_template_dict: JsonObj | None
    # -- lifecycle / timing
    reattach_on_restart: bool
    startup_timeout_seconds: int
    startup_check_interval_seconds: float
    get_logs: bool
    init_container_logs: bool | str | list[str] | None
    base_container_status_polling_interval: float
    log_events_on_startup: bool
    log_events_on_failure: bool
    log_pod_spec_on_failure: bool
    skip_on_exit_code: list[int]
    do_xcom_push: bool
    xcom_sidecar_container_image: str | None
    xcom_sidecar_container_resources: JsonObj | None
    xcom_sidecar_container_security_context: JsonObj | None
    on_finish_action: str
    on_kill_action: str
    is_delete_operator_pod: bool | None
    # -- deferrable mode, logging, hooks
    deferrable: bool
    poll_interval: float
    logging_interval: int | None
    container_name_log_prefix_enabled: bool
    callbacks: str | None
    progress_callback: str | None

    __slots__ = ("_values", "raw", "source_path", "source", "warnings", "explicit",
                 "template_pod", "rendered", "base_dir", "_doc", "_overrides",
                 *(name for name in PARAMS if name not in RESOLVED))

    def __init__(
        self,
        values: dict[str, Any],
        *,
        raw: dict[str, Any] | None = None,
        source_path: FsPath | None = None,
        source: str = "<spec>",
        warnings: list[str] | None = None,
        explicit: frozenset[str] | None = None,
        template_pod: PodTemplate | None = None,
        rendered: bool = False,
        doc: Document | None = None,
        overrides: dict[str, str] | None = None,
        base_dir: FsPath | None = None,
    ) -> None:
        full = {name: copy.deepcopy(p.default) for name, p in PARAMS.items()}
        full.update(values)
        self._values = full
        for name, value in full.items():
            if name not in RESOLVED:
                setattr(self, name, value)
        self.raw = raw if raw is not None else dict(values)
        self.source_path = source_path
        self.source = source
        self.warnings = list(warnings or [])
        self.explicit = explicit if explicit is not None else frozenset(values)
        self.template_pod = template_pod
        self.rendered = rendered
        self._doc = doc
        self._overrides = overrides or {}
        # Where relative pod_template_file paths start (the spec file's folder).
        self.base_dir = base_dir if base_dir is not None else (source_path.parent if source_path else None)

    # -- the parameters resolved on access

    @property
    def base_container_name(self) -> str:
        return self._values["base_container_name"] or BASE_CONTAINER_NAME

    @property
    def container_logs(self) -> bool | str | list[str]:
        value = self._values["container_logs"]
        return self.base_container_name if value is None or value is False else value

    @property
    def schedule_timeout_seconds(self) -> int:
        value = self._values["schedule_timeout_seconds"]
        return self.startup_timeout_seconds if value is None else value

    def __repr__(self) -> str:
        return f"TaskSpec(task_id={self.task_id!r}, source={self.source!r})"

    @property
    def values(self) -> dict[str, Any]:
        """Every parameter as stored (unresolved), a copy."""
        return copy.deepcopy(self._values)

    def written(self, name: str) -> bool:
        """True when the user wrote ``name`` (in the file or with --set)."""
        return name in self.explicit

    def replace(self, **changes: Any) -> TaskSpec:
        """A copy with some parameters changed (not re-checked); changed keys count as written."""
        unknown = set(changes) - set(PARAMS)
        if unknown:
            raise TypeError(f"unknown parameters: {sorted(unknown)}")
        values = self.values
        values.update(changes)
        return self._derive(values, explicit=self.explicit | frozenset(changes))

    def _derive(self, values: dict[str, Any], **kw: Any) -> TaskSpec:
        args: dict[str, Any] = dict(
            raw=self.raw, source_path=self.source_path, source=self.source, warnings=self.warnings,
            explicit=self.explicit, template_pod=self.template_pod, rendered=self.rendered,
            doc=self._doc, overrides=self._overrides, base_dir=self.base_dir,
        )
        args.update(kw)
        return TaskSpec(values, **args)

    def context(self, *, defer_templates: bool = False) -> CheckContext:
        """A check context that positions problems in this spec's source."""
        return CheckContext(self.source, self._doc, self._overrides, defer_templates=defer_templates)

    def error(self, path: tuple[Any, ...], what: str) -> SpecError:
        """A SpecError positioned at ``path`` of this spec (for problems found after loading)."""
        return self.context().make_error(path, what)
