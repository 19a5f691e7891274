"""Helpers for the sim tests: a raw HTTP request, a minimal pod manifest."""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RawResponse:
    """A response read by :func:`raw_request`."""

    status: int
    headers: dict[str, str]
    body: bytes
    header_list: list[tuple[str, str]] = field(default_factory=list)  # repeated headers too

    def json(self) -> Any:
        return json.loads(self.body)

    def all(self, name: str) -> list[str]:
        """Every value of header ``name`` (e.g. one ``Warning`` per unknown field)."""
        return [v for k, v in self.header_list if k.lower() == name.lower()]


def raw_request(sim, method: str, path: str, body: bytes | str | None = None,
                headers: dict[str, str] | None = None, token: bool = True, timeout: float = 10) -> RawResponse:
    """One HTTP request to the sim with http.client (no Kubernetes client in the way)."""
    ctx = None
    if sim.url.startswith("https"):
        ctx = ssl.create_default_context(cafile=str(sim.ca_cert_path))
        conn: http.client.HTTPConnection = http.client.HTTPSConnection("127.0.0.1", sim.port, context=ctx,
                                                                       timeout=timeout)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=timeout)
    hdrs = dict(headers or {})
    if token:
        hdrs["Authorization"] = f"Bearer {sim.token}"
    if isinstance(body, str):
        body = body.encode()
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        pairs = resp.getheaders()
        return RawResponse(resp.status, {k.lower(): v for k, v in pairs}, resp.read(), pairs)
    finally:
        conn.close()


def pod_body(name: str, labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    """A minimal pod manifest."""
    spec.setdefault("containers", [{"name": "main", "image": "busybox:1.36", "command": ["true"]}])
    return {"metadata": {"name": name, "labels": labels or {}}, "spec": spec}


def stopped_scheduler_sim(tmp_path_factory):
    """A sim whose scheduler is stopped: pods stay exactly as the test wrote them.

    API-level tests (watch sequences, resourceVersions, events) use it as their
    ``sim`` fixture so that the kubelet's status writes do not interleave.
    """
    from kpodtui.sim.cluster import SimCluster
    from kpodtui.sim.node import NodeConfig

    cluster = SimCluster.start(workdir=tmp_path_factory.mktemp("sim"),
                               node=NodeConfig(scheduler_running=False))
    try:
        yield cluster
    finally:
        cluster.stop()
