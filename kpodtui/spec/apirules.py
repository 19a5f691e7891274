"""What the API server refuses in a pod, as data beside the client's model.

``FIELD_RULES`` maps ``(model, field)`` -- the official client's model names and the
API's JSON field names, as in ``apischema.json`` (a test checks every key exists) --
to a rule; ``MODEL_RULES`` holds the checks that relate several fields of one
object (a volume has exactly one source, a toleration's operator and value...).
Limits and messages are those of Kubernetes' ``pkg/apis/core/validation``
(``ValidatePodCreate`` and its helpers) and ``apimachinery``'s ``util/validation``,
so a problem found here reads as the cluster would have said it.

Rules about the whole merged pod (unique container names, mounts of volumes that
exist...) are in :mod:`kpodtui.pod.checks`: they need the pod after merging.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kpodtui import apiformats as formats
from kpodtui.spec.apicheck import duplicate, forbidden, invalid, required, unsupported

if TYPE_CHECKING:
    from decimal import Decimal

    from kpodtui.spec.apicheck import ApiChecker
    from kpodtui.spec.yamlpos import Path

Rule = Callable[["ApiChecker", "Path", Any], None]

#: fields the API server requires that its OpenAPI schema leaves optional (an empty default)
REQUIRED: dict[str, tuple[str, ...]] = {
    "V1SecretVolumeSource": ("secretName",),
    "V1ConfigMapVolumeSource": ("name",),
    "V1ConfigMapEnvSource": ("name",),
    "V1SecretEnvSource": ("name",),
    "V1ConfigMapProjection": ("name",),
    "V1SecretProjection": ("name",),
    "V1ExecAction": ("command",),
    "V1Sysctl": ("name",),
}

#: objects whose required fields are only checked on the merged pod: a template's
#: container may leave its name and image to the parameters
NOT_REQUIRED_BEFORE_MERGE = frozenset({"V1Container", "V1PodSpec"})


class Enum:
    """One of ``choices`` (``empty_ok``: the empty string means the default)."""

    # plain classes, not dataclasses: generating their methods would cost every `validate` its start
    __slots__ = ("choices", "empty_ok", "message")

    def __init__(self, choices: tuple[str, ...], empty_ok: bool = False, message: str | None = None) -> None:
        self.choices, self.empty_ok, self.message = choices, empty_ok, message

    def __call__(self, chk: ApiChecker, path: Path, value: Any) -> None:
        if value in self.choices or (self.empty_ok and value == "") or chk.ctx.deferred(value):
            return
        chk.error(path, invalid(value, self.message) if self.message else unsupported(value, self.choices))


def enum(*choices: str, empty_ok: bool = False, message: str | None = None) -> Enum:
    return Enum(tuple(choices), empty_ok, message)


class Range:
    """A whole number between ``lo`` and ``hi`` (``message`` replaces the server's default words;
    ``zero_ok``: 0 means "not set", as for hostPort)."""

    __slots__ = ("lo", "hi", "message", "zero_ok")

    def __init__(self, lo: int, hi: int, message: str | None = None, zero_ok: bool = False) -> None:
        self.lo, self.hi, self.message, self.zero_ok = lo, hi, message, zero_ok

    def __call__(self, chk: ApiChecker, path: Path, value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or (self.zero_ok and value == 0):
            return
        if not self.lo <= value <= self.hi:
            chk.error(path, invalid(value, self.message or formats.inclusive_range_error(self.lo, self.hi)))


NON_NEGATIVE = Range(0, formats.INT64_MAX, "must be greater than or equal to 0")
POSITIVE = Range(1, formats.INT64_MAX, "must be greater than zero")
PORT = Range(1, 65535)
FILE_MODE = Range(0, formats.FILE_MODE_MAX, "must be a number between 0 and 0777 (octal), both inclusive")
USER_ID = Range(0, formats.ID_MAX)
WEIGHT = Range(1, 100, "must be in the range 1-100")


class Text:
    """A string in a named format: ``check`` returns the server's problems with it."""

    __slots__ = ("check",)

    def __init__(self, check: Callable[[str], list[str]]) -> None:
        self.check = check

    def __call__(self, chk: ApiChecker, path: Path, value: Any) -> None:
        if not isinstance(value, str) or value == "" or chk.ctx.deferred(value):
            return
        for problem in self.check(value):
            chk.error(path, invalid(value, problem))


DNS_LABEL = Text(formats.is_dns1123_label)
DNS_SUBDOMAIN = Text(formats.is_dns1123_subdomain)
QUALIFIED_NAME = Text(formats.is_qualified_name)
PORT_NAME = Text(formats.is_port_name)
ENV_NAME = Text(formats.is_relaxed_env_var_name)
CONFIG_KEY = Text(formats.is_config_map_key)
IP = Text(formats.is_ip)
SYSCTL = Text(formats.is_sysctl_name)
HTTP_HEADER = Text(formats.is_http_header_name)
RELATIVE_PATH = Text(lambda v: formats.local_path_problems(v))
LOCAL_PATH = Text(lambda v: formats.local_path_problems(v, reserved=True))
NO_BACKSTEPS = Text(lambda v: formats.local_path_problems(v, relative=False))
ABSOLUTE_PATH = Text(lambda v: [] if v.startswith("/") else ["must be an absolute path"])
TRIMMED = Text(lambda v: ["must not have leading or trailing whitespace"] if v != v.strip() else [])


def each(rule: Rule) -> Rule:
    """``rule`` for every item of a list."""

    def inner(chk: ApiChecker, path: Path, value: Any) -> None:
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is not None:
                    rule(chk, (*path, i), item)

    return inner


def label_map(chk: ApiChecker, path: Path, value: Any) -> None:
    """``ValidateLabels``: qualified-name keys, label values."""
    if not isinstance(value, dict):
        return
    for k, v in value.items():
        if not chk.ctx.deferred(k):
            for problem in formats.is_qualified_name(str(k)):
                chk.error((*path, k), invalid(k, problem))
        if isinstance(v, str) and not chk.ctx.deferred(v):
            for problem in formats.is_label_value(v):
                chk.error((*path, k), invalid(v, problem))


def annotation_map(chk: ApiChecker, path: Path, value: Any) -> None:
    """``ValidateAnnotations``: qualified-name keys (lower-cased), 256 KiB in all."""
    if not isinstance(value, dict):
        return
    total = 0
    for k, v in value.items():
        if not chk.ctx.deferred(k):
            for problem in formats.is_qualified_name(str(k).lower()):
                chk.error((*path, k), invalid(k, problem))
        total += len(str(k).encode()) + (len(v.encode()) if isinstance(v, str) else 0)
    if total > formats.ANNOTATIONS_MAX_BYTES:
        chk.error(path, f"Too long: may not be more than {formats.ANNOTATIONS_MAX_BYTES} bytes "
                        f"(keys and values together: {total})")


def port_num_or_name(chk: ApiChecker, path: Path, value: Any) -> None:
    """``ValidatePortNumOrName``: a port number, or an IANA service name of a container port."""
    if isinstance(value, int) and not isinstance(value, bool):
        PORT(chk, path, value)
    elif isinstance(value, str) and not chk.ctx.deferred(value):
        for problem in formats.is_port_name(value):
            hint = " (write the number unquoted)" if value.isdigit() else ""
            chk.error(path, invalid(value, problem + hint))


def quantities(chk: ApiChecker, path: Path, value: Any) -> None:
    """Resource names in a resource list (overhead, limits, requests)."""
    if isinstance(value, dict):
        for name in value:
            if not chk.ctx.deferred(name):
                _resource_name(chk, (*path, name), str(name))


# -- objects ------------------------------------------------------------------------------

_STANDARD_RESOURCES = ("cpu", "memory", "ephemeral-storage")


def _native(name: str) -> bool:
    return "/" not in name or name.startswith("kubernetes.io/")


def _resource_name(chk: ApiChecker, path: Path, name: str) -> None:
    problems = formats.is_qualified_name(name)
    for problem in problems:
        chk.error(path, invalid(name, problem))
    if not problems and _native(name) and name.rpartition("/")[2] not in _STANDARD_RESOURCES \
            and not name.rpartition("/")[2].startswith("hugepages-"):
        chk.error(path, invalid(name, "must be a standard resource for containers"))


def _overcommit(name: str) -> bool:
    return _native(name) and not name.rpartition("/")[2].startswith("hugepages-")


def _amount(value: Any) -> Decimal | None:
    return formats.parse_quantity(value) if isinstance(value, str) else None


def resource_requirements(chk: ApiChecker, path: Path, obj: dict[str, Any]) -> None:
    """Names, integer extended resources, requests <= limits (== for what cannot overcommit)."""
    limits: dict[Any, Any] = obj["limits"] if isinstance(obj.get("limits"), dict) else {}
    requests: dict[Any, Any] = obj["requests"] if isinstance(obj.get("requests"), dict) else {}
    for section, values in (("limits", limits), ("requests", requests)):
        for name, q in values.items():
            where = (*path, section, name)
            if chk.ctx.deferred(name):
                continue
            _resource_name(chk, where, str(name))
            amount = _amount(q)
            if amount is not None and not _native(str(name)) and amount != amount.to_integral_value():
                chk.error(where, invalid(q, "must be an integer"))
    for name, q in requests.items():
        req, lim = _amount(q), _amount(limits.get(name))
        where = (*path, "requests", name)
        if name in limits:
            if req is None or lim is None:
                continue
            if req != lim and not _overcommit(str(name)):
                chk.error(where, invalid(q, f"must be equal to {name} limit of {limits[name]}"))
            elif req > lim:
                chk.error(where, invalid(q, f"must be less than or equal to {name} limit of {limits[name]}"))
        elif not _overcommit(str(name)):
            chk.error((*path, "limits"), required("Limit must be set for non overcommitable resources"))
    names = {str(n).rpartition("/")[2] for n in (*limits, *requests)}
    if any(n.startswith("hugepages-") for n in names) and not names & {"cpu", "memory"}:
        chk.error(path, forbidden("HugePages require cpu or memory"))


def _sources(obj: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    return [n for n in names if obj.get(n) is not None]


def volume(chk: ApiChecker, path: Path, obj: dict[str, Any]) -> None:
    """``validateVolumeSource``: exactly one volume type."""
    from kpodtui.spec.apicheck import models

    kinds = tuple(f for f in models()["V1Volume"]["fields"] if f != "name")
    given = _sources(obj, kinds)
    if not given:
        chk.error(path, required("must specify a volume type (emptyDir, configMap, secret, "
                                 "persistentVolumeClaim, hostPath...)"))
    for extra in given[1:]:
        chk.error((*path, extra), forbidden(f"may not specify more than 1 volume type ({given[0]} is given)"))


def env_var(chk: ApiChecker, path: Path, obj: dict[str, Any]) -> None:
    """``validateEnvVarValueFrom``."""
    source = obj.get("valueFrom")
    if not isinstance(source, dict):
        return
    given = _sources(source, ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef"))
    where = (*path, "valueFrom")
    if not given:
        chk.error(where, invalid("", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` "
                                     "or `secretKeyRef`"))
    elif obj.get("value"):
        chk.error(where, invalid("", "may not be specified when `value` is not empty"))
    elif len(given) > 1:
        chk.error(where, invalid("", "may not have more than one field specified at a time"))


def env_from(chk: ApiChecker, path: Path, obj: dict[str, Any]) -> None:
    given = _sources(obj, ("configMapRef", "secretRef"))
    if not given:
        chk.error(path, invalid("", "must specify one of: `configMapRef` or `secretRef`"))
    elif len(given) > 1:
        chk.error(path, invalid("", "may not have more than one field specified at a time"))


def volume_mount(chk: ApiChecker, path: Path, obj: dict[str, Any]) -> None:
    """``ValidateVolumeMounts`` for one mount (name and path uniqueness are checked on the pod)."""
    if obj.get("subPath") and obj.get("subPathExpr"):
        chk.error((*path, "subPathExpr"), invalid(obj["subPathExpr"], "subPathExpr and subPath are mutually exclusive"))
    rro = obj.get("recursiveReadOnly")
    if rro in ("Enabled", "IfPossible"):
        if not obj.get("readOnly"):
            chk.error((*path, "recursiveReadOnly"), forbidden("may only be specified when readOnly is true"))
        if obj.get("mountPropagation") not in (None, "None"):
            chk.error((*path, "recursiveReadOnly"),
                      forbidden("may only be specified when mountPropagation is None or not specified"))


def toleration(chk: ApiChecker, path: Path, obj: dict[str, Any]) -> None:
    """``ValidateTolerations``."""
    key, op, value = obj.get("key") or "", obj.get("operator") or "", obj.get("value") or ""
    if not key and op != "Exists":
        chk.error((*path, "operator"), invalid(op, "operator must be Exists when `key` is empty, which means "
                                                   '"match all values and all keys"'))
    if obj.get("tolerationSeconds") is not None and obj.get("effect") != "NoExecute":
        chk.error((*path, "effect"), invalid(obj.get("effect") or "",
                                             "effect must be 'NoExecute' when `tolerationSeconds` is set"))
    if op in ("", "Equal") and isinstance(value, str):
        problems = formats.is_label_value(value)
        if problems:
            chk.error((*path, "value"), invalid(value, ";".join(problems)))
    elif op == "Exists" and value:
        chk.error((*path, "value"), invalid(value, "value must be empty when `operator` is 'Exists'"))


def node_selector_requirement(chk: ApiChecker, path: Path, obj: dict[str, Any]) -> None:
    """``ValidateNodeSelectorRequirement``: values by operator."""
    op, values = obj.get("operator"), obj.get("values") or []
    if op in ("In", "NotIn") and not values:
        chk.error((*path, "values"), required("must be specified when `operator` is 'In' or 'NotIn'"))
    elif op in ("Exists", "DoesNotExist") and values:
        chk.error((*path, "values"), forbidden("may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
    elif op in ("Gt", "Lt") and len(values) != 1:
        chk.error((*path, "values"), required("must be specified single value when `operator` is 'Lt' or 'Gt'"))


def node_selector_term(chk: ApiChecker, path: Path, obj: dict[str, Any]) -> None:
    """``matchFields``: only ``metadata.name``, with one value for In / NotIn."""
    for i, req in enumerate(obj.get("matchFields") or []):
        if not isinstance(req, dict):
            continue
        where = (*path, "matchFields", i)
        if req.get("key") != "metadata.name":
            chk.error((*where, "key"), invalid(req.get("key") or "", "not a valid field selector key"))
        if req.get("operator") not in ("In", "NotIn"):
            chk.error((*where, "operator"), invalid(req.get("operator") or "", "not a valid selector operator"))
        elif len(req.get("values") or []) != 1:
            chk.error((*where, "values"), required("must be only one value when `operator` is 'In' or 'NotIn' "
                                                   "for node field selector"))


def node_selector(chk: ApiChecker, path: Path, obj: dict[str, Any]) -> None:
    if not obj.get("nodeSelectorTerms"):
        chk.error((*path, "nodeSelectorTerms"), required("must have at least one node selector term"))


def label_selector_requirement(chk: ApiChecker, path: Path, obj: dict[str, Any]) -> None:
    """``ValidateLabelSelectorRequirement``."""
    op, values = obj.get("operator"), obj.get("values") or []
    if op in ("In", "NotIn") and not values:
        chk.error((*path, "values"), required("must be specified when `operator` is 'In' or 'NotIn'"))
    elif op in ("Exists", "DoesNotExist") and values:
        chk.error((*path, "values"), forbidden("may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
    for i, v in enumerate(values):
        if isinstance(v, str):
            for problem in formats.is_label_value(v):
                chk.error((*path, "values", i), invalid(v, problem))


def topology_spread(chk: ApiChecker, path: Path, obj: dict[str, Any]) -> None:
    action = obj.get("whenUnsatisfiable")
    if obj.get("minDomains") is not None and action != "DoNotSchedule":
        chk.error((*path, "minDomains"), invalid(obj["minDomains"], f"can only use minDomains if "
                                                                    f"whenUnsatisfiable=DoNotSchedule, not {action}"))


def _handler(kinds: tuple[str, ...]) -> Rule:
    def inner(chk: ApiChecker, path: Path, obj: dict[str, Any]) -> None:
        given = _sources(obj, kinds)
        if not given:
            chk.error(path, required("must specify a handler type"))
        for extra in given[1:]:
            chk.error((*path, extra), forbidden("may not specify more than 1 handler type"))

    return inner


def _localhost_profile(kind: str) -> Callable[[ApiChecker, Path, dict[str, Any]], None]:
    """A seccomp or AppArmor profile: ``localhostProfile`` exactly when the type is Localhost."""

    def inner(chk: ApiChecker, path: Path, obj: dict[str, Any]) -> None:
        if obj.get("type") == "Localhost" and not obj.get("localhostProfile"):
            chk.error((*path, "localhostProfile"), required(f"must be set when {kind} type is Localhost"))
        elif obj.get("type") != "Localhost" and obj.get("localhostProfile") is not None:
            chk.error((*path, "localhostProfile"), invalid(obj["localhostProfile"],
                                                           f"can only be set when {kind} type is Localhost"))

    return inner


def security_context(chk: ApiChecker, path: Path, obj: dict[str, Any]) -> None:
    if obj.get("privileged") is True and obj.get("allowPrivilegeEscalation") is False:
        chk.error((*path, "allowPrivilegeEscalation"),
                  invalid(False, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"))


def dns_config(chk: ApiChecker, path: Path, obj: dict[str, Any]) -> None:
    servers, searches = obj.get("nameservers") or [], obj.get("searches") or []
    if len(servers) > 3:
        chk.error((*path, "nameservers"), invalid(len(servers), "must not have more than 3 nameservers"))
    if len(searches) > 32:
        chk.error((*path, "searches"), invalid(len(searches), "must not have more than 32 search paths"))
    if len(" ".join(str(s) for s in searches)) > 2048:
        chk.error((*path, "searches"), invalid(len(searches), "must not have more than 2048 characters "
                                                              "(including spaces) in the search list"))
    for i, search in enumerate(searches):
        if isinstance(search, str) and search != ".":
            for problem in formats.is_dns1123_subdomain(search.removesuffix(".")):
                chk.error((*path, "searches", i), invalid(search, problem))
    for i, option in enumerate(obj.get("options") or []):
        if isinstance(option, dict) and not option.get("name"):
            chk.error((*path, "options", i), required("must not be empty"))


def pod_security_context(chk: ApiChecker, path: Path, obj: dict[str, Any]) -> None:
    seen: set[str] = set()
    for i, s in enumerate(obj.get("sysctls") or []):
        name = s.get("name") if isinstance(s, dict) else None
        if isinstance(name, str) and name in seen:
            chk.error((*path, "sysctls", i, "name"), duplicate(name))
        seen.add(str(name))


def projected_token(chk: ApiChecker, path: Path, obj: dict[str, Any]) -> None:
    seconds = obj.get("expirationSeconds")
    if isinstance(seconds, int) and seconds < 600:
        chk.error((*path, "expirationSeconds"), invalid(seconds, "may not specify a duration less than 10 minutes"))
    elif isinstance(seconds, int) and seconds > 1 << 32:
        chk.error((*path, "expirationSeconds"), invalid(seconds, "may not specify a duration larger than 2^32 seconds"))


FIELD_RULES: dict[tuple[str, str], Rule | Enum | Range | Text] = {
    ("V1ObjectMeta", "namespace"): DNS_LABEL,
    ("V1ObjectMeta", "labels"): label_map,
    ("V1ObjectMeta", "annotations"): annotation_map,
    ("V1PodSpec", "activeDeadlineSeconds"): Range(1, formats.INT32_MAX),
    ("V1PodSpec", "dnsPolicy"): enum("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"),
    ("V1PodSpec", "restartPolicy"): enum("Always", "OnFailure", "Never"),
    ("V1PodSpec", "preemptionPolicy"): enum("PreemptLowerPriority", "Never"),
    ("V1PodSpec", "hostname"): DNS_LABEL,
    ("V1PodSpec", "subdomain"): DNS_LABEL,
    ("V1PodSpec", "serviceAccountName"): DNS_SUBDOMAIN,
    ("V1PodSpec", "nodeName"): DNS_SUBDOMAIN,
    ("V1PodSpec", "priorityClassName"): DNS_SUBDOMAIN,
    ("V1PodSpec", "runtimeClassName"): DNS_SUBDOMAIN,
    ("V1PodSpec", "nodeSelector"): label_map,
    ("V1PodSpec", "overhead"): quantities,
    ("V1PodOS", "name"): enum("linux", "windows"),
    ("V1Container", "name"): DNS_LABEL,
    ("V1Container", "image"): TRIMMED,
    ("V1Container", "imagePullPolicy"): enum("Always", "IfNotPresent", "Never"),
    ("V1Container", "terminationMessagePolicy"): enum("File", "FallbackToLogsOnError"),
    ("V1ContainerPort", "containerPort"): PORT,
    ("V1ContainerPort", "hostPort"): Range(1, 65535, zero_ok=True),
    ("V1ContainerPort", "name"): PORT_NAME,
    ("V1ContainerPort", "protocol"): enum("SCTP", "TCP", "UDP"),
    ("V1ContainerPort", "hostIP"): IP,
    ("V1EnvVar", "name"): ENV_NAME,
    ("V1EnvFromSource", "prefix"): ENV_NAME,
    ("V1ConfigMapKeySelector", "name"): DNS_SUBDOMAIN,
    ("V1ConfigMapKeySelector", "key"): CONFIG_KEY,
    ("V1SecretKeySelector", "name"): DNS_SUBDOMAIN,
    ("V1SecretKeySelector", "key"): CONFIG_KEY,
    ("V1ConfigMapEnvSource", "name"): DNS_SUBDOMAIN,
    ("V1SecretEnvSource", "name"): DNS_SUBDOMAIN,
    ("V1VolumeMount", "mountPropagation"): enum("Bidirectional", "HostToContainer", "None"),
    ("V1VolumeMount", "recursiveReadOnly"): enum("Disabled", "Enabled", "IfPossible"),
    ("V1VolumeMount", "subPath"): RELATIVE_PATH,
    ("V1VolumeMount", "subPathExpr"): RELATIVE_PATH,
    ("V1VolumeDevice", "devicePath"): NO_BACKSTEPS,
    ("V1Volume", "name"): DNS_LABEL,
    ("V1HostPathVolumeSource", "type"): enum("DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket",
                                             "CharDevice", "BlockDevice", empty_ok=True),
    ("V1HostPathVolumeSource", "path"): NO_BACKSTEPS,
    ("V1SecretVolumeSource", "defaultMode"): FILE_MODE,
    ("V1ConfigMapVolumeSource", "defaultMode"): FILE_MODE,
    ("V1DownwardAPIVolumeSource", "defaultMode"): FILE_MODE,
    ("V1ProjectedVolumeSource", "defaultMode"): FILE_MODE,
    ("V1KeyToPath", "mode"): FILE_MODE,
    ("V1KeyToPath", "path"): LOCAL_PATH,
    ("V1DownwardAPIVolumeFile", "mode"): FILE_MODE,
    ("V1DownwardAPIVolumeFile", "path"): LOCAL_PATH,
    ("V1GitRepoVolumeSource", "directory"): RELATIVE_PATH,
    ("V1NFSVolumeSource", "path"): ABSOLUTE_PATH,
    ("V1ISCSIVolumeSource", "lun"): Range(0, 255),
    ("V1GCEPersistentDiskVolumeSource", "partition"): Range(0, 255),
    ("V1AWSElasticBlockStoreVolumeSource", "partition"): Range(0, 255),
    ("V1EmptyDirVolumeSource", "medium"): enum("", "Memory", "HugePages", empty_ok=True),
    ("V1Toleration", "key"): QUALIFIED_NAME,
    ("V1Toleration", "operator"): enum("Equal", "Exists", empty_ok=True),
    ("V1Toleration", "effect"): enum("NoSchedule", "PreferNoSchedule", "NoExecute", empty_ok=True),
    ("V1NodeSelectorRequirement", "key"): QUALIFIED_NAME,
    ("V1NodeSelectorRequirement", "operator"): enum("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt",
                                                    message="not a valid selector operator"),
    ("V1LabelSelectorRequirement", "key"): QUALIFIED_NAME,
    ("V1LabelSelectorRequirement", "operator"): enum("In", "NotIn", "Exists", "DoesNotExist",
                                                     message="not a valid selector operator"),
    ("V1LabelSelector", "matchLabels"): label_map,
    ("V1PreferredSchedulingTerm", "weight"): WEIGHT,
    ("V1WeightedPodAffinityTerm", "weight"): WEIGHT,
    ("V1PodAffinityTerm", "topologyKey"): QUALIFIED_NAME,
    ("V1PodAffinityTerm", "namespaces"): each(DNS_LABEL),
    ("V1TopologySpreadConstraint", "maxSkew"): POSITIVE,
    ("V1TopologySpreadConstraint", "minDomains"): POSITIVE,
    ("V1TopologySpreadConstraint", "whenUnsatisfiable"): enum("DoNotSchedule", "ScheduleAnyway"),
    ("V1TopologySpreadConstraint", "nodeAffinityPolicy"): enum("Honor", "Ignore"),
    ("V1TopologySpreadConstraint", "nodeTaintsPolicy"): enum("Honor", "Ignore"),
    ("V1PodSecurityContext", "runAsUser"): USER_ID,
    ("V1PodSecurityContext", "runAsGroup"): USER_ID,
    ("V1PodSecurityContext", "fsGroup"): USER_ID,
    ("V1PodSecurityContext", "supplementalGroups"): each(USER_ID),
    ("V1PodSecurityContext", "fsGroupChangePolicy"): enum("OnRootMismatch", "Always"),
    ("V1PodSecurityContext", "supplementalGroupsPolicy"): enum("Merge", "Strict"),
    ("V1PodSecurityContext", "seLinuxChangePolicy"): enum("Recursive", "MountOption"),
    ("V1SecurityContext", "runAsUser"): USER_ID,
    ("V1SecurityContext", "runAsGroup"): USER_ID,
    ("V1SecurityContext", "procMount"): enum("Default", "Unmasked"),
    ("V1SeccompProfile", "type"): enum("Localhost", "RuntimeDefault", "Unconfined"),
    ("V1AppArmorProfile", "type"): enum("Localhost", "RuntimeDefault", "Unconfined"),
    ("V1Sysctl", "name"): SYSCTL,
    ("V1HostAlias", "ip"): IP,
    ("V1HostAlias", "hostnames"): each(DNS_SUBDOMAIN),
    ("V1PodDNSConfig", "nameservers"): each(IP),
    ("V1Probe", "initialDelaySeconds"): NON_NEGATIVE,
    ("V1Probe", "timeoutSeconds"): NON_NEGATIVE,
    ("V1Probe", "periodSeconds"): NON_NEGATIVE,
    ("V1Probe", "successThreshold"): NON_NEGATIVE,
    ("V1Probe", "failureThreshold"): NON_NEGATIVE,
    ("V1Probe", "terminationGracePeriodSeconds"): POSITIVE,
    ("V1HTTPGetAction", "port"): port_num_or_name,
    ("V1HTTPGetAction", "scheme"): enum("HTTP", "HTTPS"),
    ("V1TCPSocketAction", "port"): port_num_or_name,
    ("V1GRPCAction", "port"): PORT,
    ("V1HTTPHeader", "name"): HTTP_HEADER,
    ("V1ContainerResizePolicy", "resourceName"): enum("cpu", "memory"),
    ("V1ContainerResizePolicy", "restartPolicy"): enum("NotRequired", "RestartContainer"),
    ("V1PodReadinessGate", "conditionType"): QUALIFIED_NAME,
    ("V1PodSchedulingGate", "name"): QUALIFIED_NAME,
    ("V1PodResourceClaim", "name"): DNS_LABEL,
}

MODEL_RULES: dict[str, Callable[[ApiChecker, Path, dict[str, Any]], None]] = {
    "V1Volume": volume,
    "V1EnvVar": env_var,
    "V1EnvFromSource": env_from,
    "V1VolumeMount": volume_mount,
    "V1ResourceRequirements": resource_requirements,
    "V1Toleration": toleration,
    "V1NodeSelector": node_selector,
    "V1NodeSelectorTerm": node_selector_term,
    "V1NodeSelectorRequirement": node_selector_requirement,
    "V1LabelSelectorRequirement": label_selector_requirement,
    "V1TopologySpreadConstraint": topology_spread,
    "V1Probe": _handler(("exec", "httpGet", "tcpSocket", "grpc")),
    "V1LifecycleHandler": _handler(("exec", "httpGet", "tcpSocket", "sleep")),
    "V1SeccompProfile": _localhost_profile("seccomp"),
    "V1AppArmorProfile": _localhost_profile("AppArmor"),
    "V1SecurityContext": security_context,
    "V1PodSecurityContext": pod_security_context,
    "V1PodDNSConfig": dns_config,
    "V1ServiceAccountTokenProjection": projected_token,
}
