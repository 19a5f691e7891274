"""What a name in a DAG file refers to, read from its imports (never by importing anything).

``qualname`` turns ``KPO`` (``from airflow...pod import KubernetesPodOperator as KPO``),
``kpod.KubernetesPodOperator`` (a module alias) or ``k8s.V1EnvVar`` into the dotted
name it was imported as; the ``is_*`` helpers say what that dotted name is. They
match on the last part under the package, so every path Airflow ever used works:
the provider's ``operators.pod`` and older ``operators.kubernetes_pod``,
``airflow.contrib.operators.kubernetes_pod_operator``, ``airflow.sdk`` and
``airflow.models`` for DAGs.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

POD_OPERATOR = "KubernetesPodOperator"
#: The Airflow 1.10 contrib objects the old operator took instead of the client's models.
CONTRIB_OBJECTS = ("Volume", "VolumeMount", "Port", "PodRuntimeInfoEnv")


@dataclass
class Imports:
    """Local name -> the dotted name it was imported as, for one file."""

    names: dict[str, str] = field(default_factory=dict)
    star_modules: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, tree: ast.Module) -> Imports:
        out = cls()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        out.names[alias.asname] = alias.name
                    else:  # `import a.b.c` binds `a`
                        top = alias.name.split(".")[0]
                        out.names[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name == "*":
                        out.star_modules.append(node.module)
                    else:
                        out.names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        return out

    def qualname(self, node: ast.AST, local: frozenset[str] = frozenset()) -> str | None:
        """The dotted name ``node`` (a Name or an attribute chain) was imported as; None when it
        is not an imported name (a local variable, a call's result...). ``local``: names the
        file binds itself, which a star import cannot provide."""
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            if node.id not in local:
                for module in self.star_modules:
                    if module.startswith("airflow") and (node.id == POD_OPERATOR or node.id in ("DAG", "dag")):
                        return f"{module}.{node.id}"
            return None
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value, local)
            return f"{base}.{node.attr}" if base else None
        return None


def _airflow(qual: str | None, *last: str) -> bool:
    return bool(qual) and qual.startswith("airflow.") and qual.rsplit(".", 1)[-1] in last  # type: ignore[union-attr]


def is_pod_operator(qual: str | None) -> bool:
    return _airflow(qual, POD_OPERATOR)


def is_dag_class(qual: str | None) -> bool:
    return _airflow(qual, "DAG")


def is_dag_decorator(qual: str | None) -> bool:
    return _airflow(qual, "dag")


def is_task_group_class(qual: str | None) -> bool:
    return _airflow(qual, "TaskGroup")


def is_task_group_decorator(qual: str | None) -> bool:
    return _airflow(qual, "task_group")


def is_secret(qual: str | None) -> bool:
    return _airflow(qual, "Secret")


def is_param(qual: str | None) -> bool:
    return _airflow(qual, "Param")


def contrib_object(qual: str | None) -> str | None:
    """``Volume``, ``VolumeMount``, ``Port`` or ``PodRuntimeInfoEnv`` of old Airflow, else None."""
    if _airflow(qual, *CONTRIB_OBJECTS) and "kubernetes" in qual:  # type: ignore[operator]
        return qual.rsplit(".", 1)[-1]  # type: ignore[union-attr]
    return None


def k8s_model(qual: str | None) -> str | None:
    """The class name of a kubernetes client model (``kubernetes.client.V1EnvVar``,
    ``kubernetes.client.models.V1EnvVar``...), else None."""
    if not qual or not qual.startswith("kubernetes.client."):
        return None
    name = qual.rsplit(".", 1)[-1]
    return name if name[:1].isupper() else None


def runtime_source(qual: str | None) -> str | None:
    """Why a call to ``qual`` can only be known at run time, when it is a well-known case."""
    if not qual:
        return None
    parts = qual.split(".")
    if "Variable" in parts:
        return "an Airflow Variable, read at run time"
    if "get_connection" in parts or "Connection" in parts or "BaseHook" in parts:
        return "an Airflow connection, looked up at run time"
    if qual in ("os.getenv", "os.environ.get", "os.environ"):
        return "an environment variable of the machine that parses the DAG"
    if parts[0] == "airflow" and ("conf" in parts or "configuration" in parts):
        return "Airflow's configuration, read where the DAG runs"
    if "XComArg" in parts or "xcom_pull" in parts:
        return "an XCom, known at run time"
    if parts[0] in ("datetime", "pendulum", "time") or parts[-1] in ("now", "utcnow", "today"):
        return "a time, computed when the DAG is parsed"
    return None
