"""The kubeconfig a sim writes: server URL, bearer token, context ``kpodtui-sim``."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import yaml

CONTEXT = "kpodtui-sim"


def kubeconfig_dict(url: str, token: str, ca_pem: bytes | None = None, namespace: str = "default") -> dict:
    """A kubeconfig (as a dict) for a sim at ``url`` (https when ``ca_pem`` is given)."""
    cluster: dict = {"server": url}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": cluster}],
        "users": [{"name": CONTEXT, "user": {"token": token}}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": namespace}}],
        "current-context": CONTEXT,
        "preferences": {},
    }


def write_kubeconfig(path: Path, url: str, token: str, ca_pem: bytes | None = None) -> Path:
    """Write the kubeconfig to ``path`` (mode 0600: it holds the token) and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(kubeconfig_dict(url, token, ca_pem), fh, sort_keys=False)
    os.replace(tmp, path)
    return path
