"""Every key a task spec may hold: the newer seed's constructor parameters with
their names and defaults, a few the reference (provider 10.25) added since, and
the spec's own ``task_id`` and ``params``.

``kind`` says how a value is checked and normalised (see :mod:`kpodtui.spec.check`);
``templated`` marks the reference's Jinja-rendered fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Param:
    """One spec key."""

    name: str
    kind: str
    default: Any = None
    templated: bool = False
    doc: str = ""


_P = Param

PARAMS: dict[str, Param] = {
    p.name: p
    for p in [
        _P("task_id", "task_id", None, doc="names the task (required)"),
        _P("params", "mapping", {}, doc="values for templates: {{ params.x }}"),
        # cluster selection
        _P("kubernetes_conn_id", "str", "kubernetes_default", True, "accepted for compatibility; kpodtui has no Airflow connections"),
        _P("in_cluster", "bool?", None),
        _P("cluster_context", "str?", None, True),
        _P("config_file", "str?", None, True),
        # pod identity
        _P("namespace", "str?", None, True),
        _P("name", "name", None, True),
        _P("random_name_suffix", "bool", True),
        _P("labels", "labels", {}, True),
        _P("annotations", "annotations", {}, True),
        # base container
        _P("image", "str?", None, True),
        _P("cmds", "strlist", [], True),
        _P("arguments", "strlist", [], True),
        _P("ports", "objlist", []),
        _P("volume_mounts", "objlist", [], True),
        _P("volumes", "objlist", [], True),
        _P("env_vars", "env_vars", [], True),
        _P("env_from", "objlist", [], True),
        _P("secrets", "secrets", []),
        _P("configmaps", "strlist", [], True),
        _P("pod_runtime_info_envs", "objlist", []),
        _P("image_pull_policy", "choice?", None),
        _P("container_resources", "obj?", None, True),
        _P("container_security_context", "obj?", None),
        _P("termination_message_policy", "choice", "File"),
        _P("base_container_name", "dnslabel?", None, True),
        # pod spec
        _P("init_containers", "objlist", []),
        _P("affinity", "obj", {}),
        _P("tolerations", "objlist", []),
        _P("node_selector", "strmap", {}, True),
        _P("runtime_class_name", "str?", None),
        _P("priority_class_name", "str?", None),
        _P("schedulername", "str?", None),
        _P("dnspolicy", "choice?", None),
        _P("dns_config", "obj?", None),
        _P("hostname", "str?", None, True),
        _P("subdomain", "str?", None),
        _P("host_aliases", "objlist", []),
        _P("service_account_name", "str?", None),
        _P("automount_service_account_token", "bool?", None),
        _P("hostnetwork", "bool", False),
        _P("security_context", "obj", {}),
        _P("image_pull_secrets", "pull_secrets", []),
        _P("termination_grace_period", "int?", None),
        _P("active_deadline_seconds", "posint?", None),
        # templates
        _P("full_pod_spec", "pod?", None),
        _P("pod_template_file", "str?", None, True),
        _P("pod_template_dict", "pod?", None, True),
        # lifecycle / timing
        _P("reattach_on_restart", "bool", True),
        _P("startup_timeout_seconds", "int", 120),
        _P("schedule_timeout_seconds", "int?", None, doc="None: same as startup_timeout_seconds"),
        _P("startup_check_interval_seconds", "num", 5),
        _P("get_logs", "bool", True),
        _P("container_logs", "logsel", None, doc="True, a name or a list; default the base container"),
        _P("init_container_logs", "logsel", None),
        _P("base_container_status_polling_interval", "num", 1),
        _P("log_events_on_startup", "bool", True),
        _P("log_events_on_failure", "bool", False),
        _P("log_pod_spec_on_failure", "bool", True),
        _P("skip_on_exit_code", "exitcodes", []),
        _P("do_xcom_push", "bool", False),
        _P("xcom_sidecar_container_image", "str?", None, doc="the reference's connection extra"),
        _P("xcom_sidecar_container_resources", "obj?", None, doc="the reference's connection extra"),
        _P("xcom_sidecar_container_security_context", "obj?", None),
        _P("on_finish_action", "choice", "delete_pod"),
        _P("on_kill_action", "choice", "delete_pod"),
        _P("is_delete_operator_pod", "bool?", None, doc="deprecated: use on_finish_action"),
        # deferrable mode, logging, hooks
        _P("deferrable", "bool", False),
        _P("poll_interval", "num", 2),
        _P("logging_interval", "int?", None),
        _P("container_name_log_prefix_enabled", "bool", True),
        _P("callbacks", "classpath?", None, doc="module:Class"),
        _P("progress_callback", "funcpath?", None, doc="module:function"),
    ]
}

TEMPLATED_FIELDS: tuple[str, ...] = tuple(p.name for p in PARAMS.values() if p.templated)

# The older seed's spellings. ``is_delete_operator_pod`` is also a (deprecated)
# parameter of the newer seed, so it lives in PARAMS and is mapped in check.py.
DEPRECATED_ALIASES: dict[str, str] = {
    "resources": "container_resources",
    "node_selectors": "node_selector",
}

# The older seed's ``resources`` dict spelt its keys this way: key -> (section, resource name).
# The loader reads them as ``requests``/``limits``; ``kpodtui import`` writes them so.
OLD_RESOURCES: dict[str, tuple[str, str]] = {
    "request_memory": ("requests", "memory"), "request_cpu": ("requests", "cpu"),
    "request_ephemeral_storage": ("requests", "ephemeral-storage"),
    "limit_memory": ("limits", "memory"), "limit_cpu": ("limits", "cpu"),
    "limit_gpu": ("limits", "nvidia.com/gpu"),
    "limit_ephemeral_storage": ("limits", "ephemeral-storage"),
}

CHOICES: dict[str, tuple[str, ...]] = {
    "on_finish_action": ("delete_pod", "delete_succeeded_pod", "delete_active_pod", "keep_pod"),
    "on_kill_action": ("delete_pod", "keep_pod"),
    "termination_message_policy": ("File", "FallbackToLogsOnError"),
    "image_pull_policy": ("Always", "IfNotPresent", "Never"),
    "dnspolicy": ("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"),
}

ALL_KEYS: tuple[str, ...] = (*PARAMS, *DEPRECATED_ALIASES)

# Where each parameter lands in the pod, as (model, field) of the client's schema
# (kpodtui.spec.apischema): its value is converted and checked by the API server's
# rules for that field. (model, None): the value is a whole object of that model.
_CONTAINER, _SPEC, _META = "V1Container", "V1PodSpec", "V1ObjectMeta"
PARAM_API: dict[str, tuple[str, str | None]] = {
    "namespace": (_META, "namespace"),
    "labels": (_META, "labels"),
    "annotations": (_META, "annotations"),
    "image": (_CONTAINER, "image"),
    "cmds": (_CONTAINER, "command"),
    "arguments": (_CONTAINER, "args"),
    "ports": (_CONTAINER, "ports"),
    "volume_mounts": (_CONTAINER, "volumeMounts"),
    "env_vars": (_CONTAINER, "env"),
    "env_from": (_CONTAINER, "envFrom"),
    "pod_runtime_info_envs": (_CONTAINER, "env"),
    "image_pull_policy": (_CONTAINER, "imagePullPolicy"),
    "container_resources": (_CONTAINER, "resources"),
    "container_security_context": (_CONTAINER, "securityContext"),
    "termination_message_policy": (_CONTAINER, "terminationMessagePolicy"),
    "base_container_name": (_CONTAINER, "name"),
    "xcom_sidecar_container_image": (_CONTAINER, "image"),
    "xcom_sidecar_container_resources": (_CONTAINER, "resources"),
    "xcom_sidecar_container_security_context": (_CONTAINER, "securityContext"),
    "volumes": (_SPEC, "volumes"),
    "init_containers": (_SPEC, "initContainers"),
    "affinity": (_SPEC, "affinity"),
    "tolerations": (_SPEC, "tolerations"),
    "node_selector": (_SPEC, "nodeSelector"),
    "runtime_class_name": (_SPEC, "runtimeClassName"),
    "priority_class_name": (_SPEC, "priorityClassName"),
    "schedulername": (_SPEC, "schedulerName"),
    "dnspolicy": (_SPEC, "dnsPolicy"),
    "dns_config": (_SPEC, "dnsConfig"),
    "hostname": (_SPEC, "hostname"),
    "subdomain": (_SPEC, "subdomain"),
    "host_aliases": (_SPEC, "hostAliases"),
    "service_account_name": (_SPEC, "serviceAccountName"),
    "security_context": (_SPEC, "securityContext"),
    "image_pull_secrets": (_SPEC, "imagePullSecrets"),
    "termination_grace_period": (_SPEC, "terminationGracePeriodSeconds"),
    "active_deadline_seconds": (_SPEC, "activeDeadlineSeconds"),
    "full_pod_spec": ("V1Pod", None),
    "pod_template_dict": ("V1Pod", None),
}
