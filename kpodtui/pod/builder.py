"""Spec -> pod manifest, step by step as the reference's ``build_pod_request_obj``.

1. template pod: ``pod_template_file`` (loaded with the spec) beats
   ``pod_template_dict``; ``full_pod_spec`` is merged on top of it;
2. the "operator pod" built from the parameters is merged on top of that
   (rules in :mod:`kpodtui.pod.merge`); ``restartPolicy: Never`` always;
3. name, namespace, secrets, XCom sidecar, run labels;
4. checks the reference leaves to the server (duplicate env/volume names,
   mounts of missing volumes, invalid names) become spec errors;
5. ``None`` and empty noise are pruned, so the dict is a kubectl-applicable manifest.

Pure: no network, no clock; randomness (name suffix, secret volume names) comes
from ``rng`` so tests can fix it.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from kpodtui.constants import (
    POD_CHECKED_KEY,
    XCOM_MOUNT,
    XCOM_SIDECAR_COMMAND,
    XCOM_SIDECAR_IMAGE,
    XCOM_SIDECAR_NAME,
    XCOM_SIDECAR_RESOURCES,
    XCOM_VOLUME,
)
from kpodtui.pod.checks import check_pod
from kpodtui.pod.labels import RunIdentity, run_labels
from kpodtui.pod.merge import always, merge_pods
from kpodtui.pod.names import add_unique_suffix, name_from_task_id, sanitize_pod_name
from kpodtui.pod.origins import ORIGIN, Origin, strip, tag_operator_pod, tag_pod
from kpodtui.pod.prune import prune
from kpodtui.spec.objects import SERVER_SET_METADATA
from kpodtui.spec.podtemplate import load_pod_template
from kpodtui.spec.taskspec import TaskSpec

_C0 = ("spec", "containers", 0)
# Where each parameter lands in the operator pod: an explicitly written value at
# that path overrides the template even when it is false / 0 / empty.
PARAM_PATHS: dict[str, tuple[Any, ...]] = {
    "namespace": ("metadata", "namespace"),
    "name": ("metadata", "name"),
    "image": (*_C0, "image"),
    "cmds": (*_C0, "command"),
    "arguments": (*_C0, "args"),
    "image_pull_policy": (*_C0, "imagePullPolicy"),
    "container_resources": (*_C0, "resources"),
    "container_security_context": (*_C0, "securityContext"),
    "termination_message_policy": (*_C0, "terminationMessagePolicy"),
    "runtime_class_name": ("spec", "runtimeClassName"),
    "node_selector": ("spec", "nodeSelector"),
    "affinity": ("spec", "affinity"),
    "tolerations": ("spec", "tolerations"),
    "host_aliases": ("spec", "hostAliases"),
    "image_pull_secrets": ("spec", "imagePullSecrets"),
    "service_account_name": ("spec", "serviceAccountName"),
    "automount_service_account_token": ("spec", "automountServiceAccountToken"),
    "hostnetwork": ("spec", "hostNetwork"),
    "hostname": ("spec", "hostname"),
    "subdomain": ("spec", "subdomain"),
    "security_context": ("spec", "securityContext"),
    "dnspolicy": ("spec", "dnsPolicy"),
    "dns_config": ("spec", "dnsConfig"),
    "schedulername": ("spec", "schedulerName"),
    "priority_class_name": ("spec", "priorityClassName"),
    "active_deadline_seconds": ("spec", "activeDeadlineSeconds"),
    "termination_grace_period": ("spec", "terminationGracePeriodSeconds"),
}


def operator_pod(spec: TaskSpec) -> dict[str, Any]:
    """The pod the parameters alone describe (the reference's step 5)."""
    env = list(spec.env_vars or []) + list(spec.pod_runtime_info_envs or [])
    env_from = list(spec.env_from or []) + [{"configMapRef": {"name": n}} for n in spec.configmaps or []]
    container = {
        "name": spec.base_container_name,
        "image": spec.image,
        "command": spec.cmds,
        "args": spec.arguments,
        "ports": spec.ports,
        "imagePullPolicy": spec.image_pull_policy,
        "resources": spec.container_resources,
        "volumeMounts": spec.volume_mounts,
        "env": env,
        "envFrom": env_from,
        "securityContext": spec.container_security_context,
        "terminationMessagePolicy": spec.termination_message_policy,
    }
    return copy.deepcopy({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": sanitize_pod_name(spec.name) if spec.name else None,
            "namespace": spec.namespace,
            "labels": spec.labels,
            "annotations": spec.annotations,
        },
        "spec": {
            "runtimeClassName": spec.runtime_class_name,
            "nodeSelector": spec.node_selector,
            "affinity": spec.affinity,
            "tolerations": spec.tolerations,
            "initContainers": spec.init_containers,
            "hostAliases": spec.host_aliases,
            "containers": [container],
            "imagePullSecrets": spec.image_pull_secrets,
            "serviceAccountName": spec.service_account_name,
            "automountServiceAccountToken": spec.automount_service_account_token,
            # false is the Kubernetes default: only noise unless the user wrote it.
            "hostNetwork": spec.hostnetwork if spec.hostnetwork or spec.written("hostnetwork") else None,
            "hostname": spec.hostname,
            "subdomain": spec.subdomain,
            "securityContext": spec.security_context,
            "dnsPolicy": spec.dnspolicy,
            "dnsConfig": spec.dns_config,
            "schedulerName": spec.schedulername,
            "restartPolicy": "Never",
            "priorityClassName": spec.priority_class_name,
            "volumes": spec.volumes,
            "activeDeadlineSeconds": spec.active_deadline_seconds,
            "terminationGracePeriodSeconds": spec.termination_grace_period,
        },
    })


def template_pod(spec: TaskSpec, *, tagged: bool = False) -> dict[str, Any] | None:
    """The template side: the file (or dict) with ``full_pod_spec`` merged on top.

    ``tagged``: list items carry where they were written (:mod:`kpodtui.pod.origins`)."""
    base: dict[str, Any] | None = None
    where: Any = None
    prefix: tuple[str, ...] = ()
    if spec.pod_template_file:
        template = spec.template_pod
        if template is None:  # a TaskSpec made by hand: load it now, errors as spec errors
            ctx = spec.context()
            template = load_pod_template(spec.pod_template_file, spec.base_dir, ctx)
            if ctx.errors:
                raise ctx.errors[0]
        base, where = template.pod if template else None, template
    elif spec.pod_template_dict:
        base, where, prefix = spec.pod_template_dict, "spec", ("pod_template_dict",)
    base = copy.deepcopy(base)
    full = copy.deepcopy(spec.full_pod_spec)
    if tagged:
        tag_pod(base, where, prefix)
        tag_pod(full, "spec", ("full_pod_spec",))
    if full:
        # Everything written in full_pod_spec was written on purpose: it overrides the file.
        return merge_pods(base, full, always)
    return base or None


def _attach_secrets(pod: dict[str, Any], secrets: list[dict[str, Any]], rng: random.Random) -> None:
    c0 = pod["spec"]["containers"][0]
    for i, s in enumerate(secrets):
        where: dict[Any, Any] = {ORIGIN: Origin("spec", ("secrets", i), flat=True)}
        if s["deploy_type"] == "env" and s.get("key"):
            c0.setdefault("env", []).append({
                "name": s["deploy_target"].upper(),
                "valueFrom": {"secretKeyRef": {"name": s["secret"], "key": s["key"]}}, **where,
            })
        elif s["deploy_type"] == "env":
            c0.setdefault("envFrom", []).append({"secretRef": {"name": s["secret"]}, **where})
        else:
            import uuid  # only for secret volumes (it loads platform: a few ms off every start)

            vol = "secretvol" + str(uuid.UUID(int=rng.getrandbits(128), version=4))
            pod["spec"].setdefault("volumes", []).append(
                {"name": vol, "secret": {"secretName": s["secret"], "items": s.get("items")}, **where})
            c0.setdefault("volumeMounts", []).append(
                {"name": vol, "mountPath": s["deploy_target"], "readOnly": True, **where})


def add_xcom_sidecar(pod: dict[str, Any], spec: TaskSpec) -> None:
    """Volume ``xcom`` first, mount first in the first container, sidecar container last."""
    mount = {"name": XCOM_VOLUME, "mountPath": XCOM_MOUNT, ORIGIN: Origin("spec", ("do_xcom_push",), flat=True)}
    pod["spec"]["volumes"] = [{"name": XCOM_VOLUME, "emptyDir": {}, ORIGIN: mount[ORIGIN]},
                              *(pod["spec"].get("volumes") or [])]
    c0 = pod["spec"]["containers"][0]
    c0["volumeMounts"] = [dict(mount), *(c0.get("volumeMounts") or [])]
    pod["spec"]["containers"].append({
        ORIGIN: mount[ORIGIN],
        "name": XCOM_SIDECAR_NAME,
        "image": spec.xcom_sidecar_container_image or XCOM_SIDECAR_IMAGE,
        "command": list(XCOM_SIDECAR_COMMAND),
        "volumeMounts": [dict(mount)],
        "resources": copy.deepcopy(spec.xcom_sidecar_container_resources or XCOM_SIDECAR_RESOURCES),
        "securityContext": copy.deepcopy(spec.xcom_sidecar_container_security_context),
    })


def _name(spec: TaskSpec, merged_name: str | None, rng: random.Random) -> str:
    if not merged_name:
        return name_from_task_id(spec.task_id, rng if spec.random_name_suffix else None)
    return add_unique_suffix(merged_name, rng) if spec.random_name_suffix else merged_name


def build_pod(spec: TaskSpec, identity: RunIdentity | None, *, rng: random.Random | None = None) -> dict[str, Any]:
    """The pod manifest for a rendered spec: camelCase, no None, no empty noise.

    ``identity`` None is a dry run: no run labels. Raises SpecError for problems
    only visible after merging (duplicate env or volume names, invalid names).
    """
    rng = rng or random.SystemRandom()
    if POD_CHECKED_KEY in (spec.labels or {}):
        raise spec.error(("labels", POD_CHECKED_KEY), "is reserved: kpodtui sets it after judging a pod")
    explicit_paths = {PARAM_PATHS[p] for p in spec.explicit if p in PARAM_PATHS}
    client = operator_pod(spec)
    tag_operator_pod(client, spec)
    pod = merge_pods(template_pod(spec, tagged=True), client, explicit_paths.__contains__)
    pod["apiVersion"], pod["kind"] = "v1", "Pod"
    pod_spec = pod["spec"]
    pod_spec["restartPolicy"] = "Never"

    meta = pod.get("metadata") or {}
    labels = {k: ("" if v is None else v) for k, v in (meta.get("labels") or {}).items()}
    # A template copied from a judged pod must not make the new pod invisible to reattach.
    labels.pop(POD_CHECKED_KEY, None)
    if identity is not None:
        labels.update(run_labels(spec, identity))
    rest = {k: v for k, v in meta.items() if k not in ("name", "namespace", "labels", *SERVER_SET_METADATA)}
    pod.pop("status", None)  # a template saved from a cluster: the server sets it
    pod["metadata"] = {
        "name": _name(spec, meta.get("name"), rng),
        "namespace": spec.namespace or meta.get("namespace"),  # else the cluster context's (engine)
        "labels": labels,
        **rest,
    }
    _attach_secrets(pod, spec.secrets or [], rng)
    if spec.do_xcom_push:
        add_xcom_sidecar(pod, spec)
    pod = {"apiVersion": "v1", "kind": "Pod", **{k: v for k, v in pod.items() if k not in ("apiVersion", "kind")}}
    pod = prune(pod)
    check_pod(spec, pod)
    return strip(pod)
