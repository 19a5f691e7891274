"""Which cluster to talk to, and the client for it.

Sources, strongest first: ``--kubeconfig`` / ``--context`` / ``-n`` on the
command line, the spec's ``config_file`` / ``cluster_context`` / ``in_cluster``
/ ``namespace``, then ``$KUBECONFIG`` (several files joined with ``:``, as
kubectl merges them) or ``~/.kube/config``, then the in-cluster service account.

The ``kubernetes`` package is imported here, lazily, and only its ``ApiClient``
and config loader (~0.35 s): kpodtui sends raw requests through the client's
transport instead of the generated ``CoreV1Api`` (another ~0.7 s of pydantic
models to import, and 0.3-0.5 ms to decode each pod).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kpodtui.errors import BadInputError, ClusterError
from kpodtui.spec.taskspec import TaskSpec

IN_CLUSTER_NS_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


@dataclass(frozen=True)
class ClusterTarget:
    """What the user asked for; ``None`` everywhere means "the defaults"."""

    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    in_cluster: bool | None = None

    def merged_with_spec(self, spec: TaskSpec) -> ClusterTarget:
        """Fill what the command line left open from a spec's connection keys."""
        return ClusterTarget(
            kubeconfig=self.kubeconfig or spec.config_file,
            context=self.context or spec.cluster_context,
            namespace=self.namespace or spec.namespace,
            in_cluster=self.in_cluster if self.in_cluster is not None else spec.in_cluster,
        )


@dataclass
class KubeClient:
    """A connected client: the official ``ApiClient`` plus where it points."""

    api_client: Any  # kubernetes.client.ApiClient
    context: str | None
    namespace: str  # the default namespace (context's, in-cluster's, or "default")
    kubeconfig: str | None
    server: str

    @property
    def configuration(self) -> Any:
        return self.api_client.configuration


def kubeconfig_paths(explicit: str | None) -> str:
    """The kubeconfig search string: explicit path, else ``$KUBECONFIG``, else ~/.kube/config."""
    if explicit:
        return explicit
    return os.environ.get("KUBECONFIG") or "~/.kube/config"


def _existing(paths: str) -> list[str]:
    return [p for p in paths.split(os.pathsep) if p and Path(p).expanduser().exists()]


def _absolute(paths: str) -> str:
    """``paths`` with each entry absolute: the history keeps it for attach / kill from any folder."""
    return os.pathsep.join(os.path.abspath(os.path.expanduser(p)) for p in paths.split(os.pathsep) if p)


def _check_kubeconfig_files(paths: str) -> None:
    """Each existing kubeconfig file is readable YAML holding a mapping, or one clear line.

    The client's loader would fail later with a multi-line YAML error, or with
    ``'str' object does not support item assignment`` for a file that is not a mapping.
    """
    fix = "fix it or pass another with --kubeconfig"
    for p in _existing(paths):
        path = Path(p).expanduser()
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise BadInputError(f"kubeconfig {p} is not valid YAML ({where}{problem}): {fix}") from None
        except IsADirectoryError:
            raise BadInputError(f"kubeconfig {p} is a directory, not a file: {fix}") from None
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise BadInputError(f"kubeconfig {p} cannot be read ({reason}): {fix}") from None
        if data is not None and not isinstance(data, dict):
            raise BadInputError(
                f"kubeconfig {p} is not a kubeconfig (a YAML mapping with clusters, contexts and users): {fix}"
            )


def connect(target: ClusterTarget) -> KubeClient:
    """Build a client for ``target``; raise a one-line error naming what to fix."""
    # start-up: the kubernetes package (~0.3 s) loads only when a cluster is reached
    from kubernetes import config as kconfig
    from kubernetes.client import ApiClient, Configuration
    from kubernetes.config.config_exception import ConfigException

    if target.kubeconfig and not _existing(target.kubeconfig):
        raise BadInputError(
            f"kubeconfig {target.kubeconfig!r} does not exist: pass an existing file to --kubeconfig (or try --sim)"
        )
    paths = kubeconfig_paths(target.kubeconfig)
    use_in_cluster = target.in_cluster is True or (
        target.in_cluster is None and not _existing(paths) and "KUBERNETES_SERVICE_HOST" in os.environ
    )
    if use_in_cluster:
        configuration = Configuration()
        try:
            kconfig.load_incluster_config(client_configuration=configuration)
        except ConfigException as exc:
            raise ClusterError(f"in-cluster config unavailable ({exc}); pass --kubeconfig") from None
        ns = target.namespace
        if not ns and Path(IN_CLUSTER_NS_FILE).exists():
            ns = Path(IN_CLUSTER_NS_FILE).read_text().strip()
        return KubeClient(ApiClient(configuration), None, ns or "default", None, configuration.host)

    if not _existing(paths):
        if os.environ.get("KUBECONFIG") and not target.kubeconfig:
            named = [p for p in paths.split(os.pathsep) if p]
            missing = f"{named[0]}, which does not exist" if len(named) == 1 else f"{', '.join(named)}, none of which exists"
            raise ClusterError(
                f"no kubeconfig found: $KUBECONFIG names {missing}: "
                "fix KUBECONFIG, pass --kubeconfig, or try --sim"
            )
        raise ClusterError(
            "no kubeconfig found ($KUBECONFIG and ~/.kube/config are missing): "
            "pass --kubeconfig, set KUBECONFIG, or try --sim"
        )
    _check_kubeconfig_files(paths)
    try:
        contexts, active = kconfig.list_kube_config_contexts(config_file=paths)
    except ConfigException as exc:
        if target.context is None:
            raise BadInputError(f"kubeconfig {paths}: {exc}") from None
        contexts, active = [], None
    except Exception as exc:  # yaml errors and the like
        raise BadInputError(f"kubeconfig {paths} cannot be read: {exc}") from None
    chosen = active
    if target.context is not None:
        chosen = next((c for c in contexts or [] if c.get("name") == target.context), None)
        if chosen is None:
            names = ", ".join(c.get("name", "?") for c in contexts or []) or "none"
            raise BadInputError(f"kubeconfig has no context {target.context!r} (contexts: {names})")
    configuration = Configuration()
    try:
        kconfig.load_kube_config(
            config_file=paths,
            context=target.context,
            client_configuration=configuration,
            persist_config=False,
        )
    except ConfigException as exc:
        raise BadInputError(f"kubeconfig {paths}: {exc}") from None
    ctx_ns = ((chosen or {}).get("context") or {}).get("namespace")
    return KubeClient(
        ApiClient(configuration),
        context=(chosen or {}).get("name"),
        namespace=target.namespace or ctx_ns or "default",
        kubeconfig=_absolute(paths),
        server=configuration.host,
    )


def context_names(target: ClusterTarget) -> list[str]:
    """The contexts of the kubeconfig ``target`` reads (``[]`` in-cluster or without one)."""
    from kubernetes import config as kconfig  # start-up: only when the contexts are asked for

    paths = kubeconfig_paths(target.kubeconfig)
    if not _existing(paths):
        return []
    try:
        contexts, _active = kconfig.list_kube_config_contexts(config_file=paths)
    except Exception:  # noqa: BLE001 - a kubeconfig without contexts
        return []
    return [c.get("name", "") for c in contexts or [] if c.get("name")]
