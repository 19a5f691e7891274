"""pytest plugin: the ``cluster`` fixture, one test run on two backends.

A test that asks for ``cluster`` (directly or through a fixture such as the
engine tests' ``session``) runs twice: ``[sim]`` on a fresh simulated cluster
and ``[real]`` on a real control plane (etcd, kube-apiserver, kube-scheduler,
kube-controller-manager built from Go modules by ``scripts/control-plane``,
with the sim's kubelet joined as its node), in a namespace of its own. A test
that also asks for ``sim`` (faults, counters, a configured node...) runs on the
sim only: it needs what a real cluster does not offer.

Both backends offer what a test may do to any cluster: ``kubeconfig_path``
(whose context names ``namespace``), ``namespace``, ``create_namespace``,
``create_configmap``, ``create_secret`` and ``get``.

Which backends run:

- ``KPODTUI_BACKENDS=sim`` (or ``real``) keeps only those variants;
- the real one starts one control plane per test session (about 10 s), or uses
  the one whose admin kubeconfig ``KPODTUI_CONTROL_PLANE_KUBECONFIG`` names;
- it needs the binaries built (``scripts/control-plane build``): where they are
  not, its variants are skipped saying so, except under ``CI`` where that fails.
"""

from __future__ import annotations

import base64
import importlib.machinery
import importlib.util
import itertools
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "control-plane"
#: fixtures that tie a test to the sim
SIM_ONLY = {"sim", "make_sim", "sim_kubeconfig"}
_counter = itertools.count(1)


def _wanted() -> list[str]:
    raw = os.environ.get("KPODTUI_BACKENDS", "sim,real")
    return [b.strip() for b in raw.split(",") if b.strip() in ("sim", "real")]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sim_only: the test needs the sim (no [real] variant)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "cluster_backend" not in metafunc.fixturenames:
        return  # no `cluster` of this plugin (tests/realcluster has a fixture of that name)
    backends = ["sim"]
    if not SIM_ONLY & set(metafunc.fixturenames) and metafunc.definition.get_closest_marker("sim_only") is None:
        backends.append("real")
    wanted = _wanted()
    chosen = [b for b in backends if b in wanted]
    # a test that only the sim can run keeps its sim variant whatever was asked
    metafunc.parametrize("cluster_backend", chosen or backends[:1], scope="function")


def control_plane_script() -> Any:
    """scripts/control-plane as a module (it has no .py suffix)."""
    loader = importlib.machinery.SourceFileLoader("kpodtui_control_plane", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


class ControlPlane:
    """A running control plane: its admin kubeconfig and kubectl."""

    def __init__(self, kubeconfig: Path, kubectl: str) -> None:
        self.kubeconfig_path = kubeconfig
        self.kubectl = kubectl
        from kubernetes import client, config

        self.api_client = config.new_client_from_config(str(kubeconfig))
        self.core = client.CoreV1Api(self.api_client)

    def namespace_for(self, test_name: str) -> str:
        """A fresh namespace for one test."""
        slug = re.sub(r"[^a-z0-9]+", "-", test_name.lower()).strip("-")[:40].strip("-")
        name = f"t{next(_counter)}-{slug}"
        self.create_namespace(name)
        return name

    def create_namespace(self, name: str) -> dict:
        """Create a namespace ready for pods: its default ServiceAccount and kube-root-ca.crt,
        which the controller manager adds, exist."""
        from kubernetes.client.rest import ApiException

        self.core.create_namespace({"metadata": {"name": name}})
        deadline = time.monotonic() + 30
        while True:
            try:
                self.core.read_namespaced_service_account("default", name)
                self.core.read_namespaced_config_map("kube-root-ca.crt", name)
                break
            except ApiException as e:
                if e.status != 404 or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        return self.get("namespaces", None, name) or {}

    def get(self, kind: str, namespace: str | None, name: str) -> dict | None:
        """An object as a dict, or None."""
        from kubernetes.client.rest import ApiException

        read = {"pods": lambda: self.core.read_namespaced_pod(name, namespace),
                "configmaps": lambda: self.core.read_namespaced_config_map(name, namespace),
                "secrets": lambda: self.core.read_namespaced_secret(name, namespace),
                "events": lambda: self.core.read_namespaced_event(name, namespace),
                "namespaces": lambda: self.core.read_namespace(name),
                "nodes": lambda: self.core.read_node(name)}[kind]
        try:
            return self.api_client.sanitize_for_serialization(read())
        except ApiException as e:
            if e.status == 404:
                return None
            raise


class RealCluster:
    """One test's view of the real control plane: its own namespace and kubeconfig."""

    backend = "real"

    def __init__(self, cp: ControlPlane, namespace: str, kubeconfig_path: Path) -> None:
        self.cp = cp
        self.core = cp.core
        self.namespace = namespace
        self.kubeconfig_path = kubeconfig_path
        self.kubectl = cp.kubectl

    def create_namespace(self, name: str) -> dict:
        return self.cp.create_namespace(name)

    def create_configmap(self, namespace: str, name: str, data: dict[str, str]) -> dict:
        return self.cp.api_client.sanitize_for_serialization(
            self.core.create_namespaced_config_map(namespace, {"metadata": {"name": name}, "data": dict(data)}))

    def create_secret(self, namespace: str, name: str, data: dict[str, str]) -> dict:
        encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
        body = {"metadata": {"name": name}, "type": "Opaque", "data": encoded}
        return self.cp.api_client.sanitize_for_serialization(self.core.create_namespaced_secret(namespace, body))

    def get(self, kind: str, namespace: str | None, name: str) -> dict | None:
        return self.cp.get(kind, namespace, name)


class SimBackend:
    """The sim seen through the same few methods (its namespace is ``default``)."""

    backend = "sim"
    namespace = "default"

    def __init__(self, sim: Any) -> None:
        self.sim = sim
        self.kubeconfig_path = sim.kubeconfig_path
        self.kubectl = shutil.which("kubectl")

    def create_namespace(self, name: str) -> dict:
        return self.sim.create_namespace(name)

    def create_configmap(self, namespace: str, name: str, data: dict[str, str]) -> dict:
        return self.sim.create_configmap(namespace, name, data)

    def create_secret(self, namespace: str, name: str, data: dict[str, str]) -> dict:
        return self.sim.create_secret(namespace, name, data)

    def get(self, kind: str, namespace: str | None, name: str) -> dict | None:
        return self.sim.get(kind, namespace, name)


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory):
    """The real control plane of this test session (see the module docstring)."""
    given = os.environ.get("KPODTUI_CONTROL_PLANE_KUBECONFIG")
    if given:
        # one that scripts/control-plane started: its kubectl is beside the kubeconfig
        built = Path(given).parent / "bin" / "kubectl"
        yield ControlPlane(Path(given), str(built) if built.exists() else shutil.which("kubectl") or "kubectl")
        return
    script = control_plane_script()
    go = shutil.which("go")
    bins = script.bin_dir(go) if go else None
    if bins is None or not all((bins / c).is_file() for c in script.COMPONENTS):
        why = ("the real control plane is not built: run `scripts/control-plane build` once "
               "(needs Go; about 15-25 minutes cold)")
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    d = tmp_path_factory.mktemp("control-plane")
    proc = subprocess.run([sys.executable, str(SCRIPT), "up", str(d)], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        subprocess.run([sys.executable, str(SCRIPT), "down", str(d)], capture_output=True, timeout=120)
        pytest.fail(f"scripts/control-plane up failed:\n{proc.stderr}")
    try:
        yield ControlPlane(d / "kubeconfig", str(bins / "kubectl"))
    finally:
        subprocess.run([sys.executable, str(SCRIPT), "down", str(d)], capture_output=True, timeout=120)


def _kubeconfig_in(src: Path, dest: Path, namespace: str) -> Path:
    doc = yaml.safe_load(src.read_text())
    current = doc["current-context"]
    for ctx in doc["contexts"]:
        if ctx["name"] == current:
            ctx["context"]["namespace"] = namespace
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(doc, f)
    return dest


@pytest.fixture
def cluster(cluster_backend: str, request: pytest.FixtureRequest, tmp_path: Path):
    """The cluster of this variant: the sim, or a namespace of the real control plane."""
    if cluster_backend == "sim":
        yield SimBackend(request.getfixturevalue("sim"))
    else:
        yield request.getfixturevalue("real_cluster")


@pytest.fixture
def real_cluster(request: pytest.FixtureRequest, tmp_path: Path):
    """A namespace of its own on the real control plane (for tests of the real backend only)."""
    cp: ControlPlane = request.getfixturevalue("control_plane")
    namespace = cp.namespace_for(request.node.originalname)
    kubeconfig = _kubeconfig_in(cp.kubeconfig_path, tmp_path / "kubeconfig", namespace)
    try:
        yield RealCluster(cp, namespace, kubeconfig)
    finally:
        try:
            cp.core.delete_namespace(namespace, propagation_policy="Background")
        except Exception:  # the namespace goes with the control plane anyway
            pass


@pytest.fixture
def cluster_kubeconfig(cluster, monkeypatch) -> str:
    """Path of the cluster's kubeconfig, also exported as ``KUBECONFIG``."""
    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig_path))
    return str(cluster.kubeconfig_path)
