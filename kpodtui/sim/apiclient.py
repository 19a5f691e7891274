"""A small asyncio client of a real Kubernetes API server, for the sim's kubelet when it joins one.

Reads a kubeconfig (client certificate or bearer token, the cluster's CA) and
offers what a kubelet needs: JSON requests and watch streams. It runs on the
kubelet's event loop (aiohttp), so the node needs no thread of its own.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import yaml

Obj = dict[str, Any]


class ApiError(Exception):
    """A non-2xx answer: ``status`` and the server's ``Status`` (or text)."""

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        message = body.get("message") if isinstance(body, dict) else str(body)[:300]
        super().__init__(f"{status}: {message}")

    @property
    def reason(self) -> str:
        return str(self.body.get("reason", "")) if isinstance(self.body, dict) else ""


class KubeconfigError(Exception):
    """The kubeconfig cannot be used; ``str()`` says why."""


class Credentials:
    """The server URL, TLS context and headers a kubeconfig gives (one context)."""

    def __init__(self, path: Path, context: str | None = None) -> None:
        try:
            doc = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as e:
            raise KubeconfigError(f"cannot read kubeconfig {path}: {e}") from None
        name = context or doc.get("current-context")
        ctx = _named(doc, "contexts", name, "context")
        cluster = _named(doc, "clusters", ctx.get("cluster"), "cluster")
        user = _named(doc, "users", ctx.get("user"), "user") if ctx.get("user") else {}
        self.server: str = str(cluster.get("server", "")).rstrip("/")
        if not self.server:
            raise KubeconfigError(f"kubeconfig {path}: the cluster has no server")
        self.headers: dict[str, str] = {}
        self._files: list[str] = []
        self.ssl: ssl.SSLContext | bool = False
        if self.server.startswith("https://"):
            if cluster.get("insecure-skip-tls-verify"):
                sctx = ssl.create_default_context()
                sctx.check_hostname = False
                sctx.verify_mode = ssl.CERT_NONE
            else:
                sctx = ssl.create_default_context(cadata=self._pem(cluster, "certificate-authority", path).decode()
                                                  if _has(cluster, "certificate-authority") else None)
            if _has(user, "client-certificate"):
                cert = self._file(self._pem(user, "client-certificate", path))
                key = self._file(self._pem(user, "client-key", path))
                sctx.load_cert_chain(cert, key)
            self.ssl = sctx
        token = user.get("token")
        if not token and user.get("tokenFile"):
            token = Path(user["tokenFile"]).read_text().strip()
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.ca_pem: bytes | None = (self._pem(cluster, "certificate-authority", path)
                                     if _has(cluster, "certificate-authority") else None)

    @staticmethod
    def _pem(section: Obj, key: str, path: Path) -> bytes:
        if section.get(f"{key}-data"):
            return base64.b64decode(section[f"{key}-data"])
        file = Path(section.get(key, ""))
        if not file.is_absolute():
            file = Path(path).parent / file
        try:
            return file.read_bytes()
        except OSError as e:
            raise KubeconfigError(f"kubeconfig {path}: cannot read {key} {file}: {e.strerror}") from None

    def _file(self, data: bytes) -> str:
        """ssl wants files: the key material goes to a private temporary file, removed by :meth:`close`."""
        fd, name = tempfile.mkstemp(prefix="kpodtui-node-", suffix=".pem")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        self._files.append(name)
        return name

    def close(self) -> None:
        """Remove the temporary key files (the SSL context keeps what it loaded)."""
        for name in self._files:
            try:
                os.unlink(name)
            except OSError:
                pass
        self._files.clear()


def _has(section: Obj, key: str) -> bool:
    return bool(section.get(key) or section.get(f"{key}-data"))


def _named(doc: Obj, listing: str, name: Any, field: str) -> Obj:
    for item in doc.get(listing) or []:
        if item.get("name") == name:
            return item.get(field) or {}
    raise KubeconfigError(f"kubeconfig: no {listing[:-1]} named {name!r}")


class KubeClient:
    """JSON over HTTP(S) to one API server. Create and use it on one event loop."""

    def __init__(self, creds: Credentials, user_agent: str = "kpodtui-node") -> None:
        self.creds = creds
        self._session: aiohttp.ClientSession | None = None
        self._headers = {"Accept": "application/json", "User-Agent": user_agent, **creds.headers}

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=self.creds.ssl, limit=32),
                headers=self._headers, timeout=aiohttp.ClientTimeout(total=None, sock_connect=10))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self.creds.close()

    async def request(self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None,
                      content_type: str = "application/json", timeout: float = 30) -> Any:
        """Send a request; the decoded JSON answer, or :class:`ApiError` for a non-2xx one."""
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": content_type} if body is not None else {}
        async with self.session.request(method, self.creds.server + path, data=data, params=params,
                                        headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
            text = await resp.text()
            try:
                obj = json.loads(text) if text else None
            except ValueError:
                obj = text
            if resp.status >= 300:
                raise ApiError(resp.status, obj)
            return obj

    async def watch(self, path: str, params: dict[str, str]) -> AsyncIterator[Obj]:
        """The events of a watch, one decoded ``{"type", "object"}`` at a time, until it ends."""
        params = {**params, "watch": "true"}
        async with self.session.get(self.creds.server + path, params=params,
                                    timeout=aiohttp.ClientTimeout(total=None, sock_read=None)) as resp:
            if resp.status >= 300:
                text = await resp.text()
                try:
                    raise ApiError(resp.status, json.loads(text))
                except ValueError:
                    raise ApiError(resp.status, text) from None
            pending = b""
            async for chunk in resp.content.iter_any():
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
