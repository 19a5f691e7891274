"""Pod volumes on the host: one directory per volume under the pod's work folder.

``emptyDir`` is an empty folder; ``configMap``, ``secret``, ``downwardAPI``
and ``projected`` are folders of files written from the objects (atomic
writer style is not needed: they are written once, before any container
starts); ``hostPath`` is the host path itself. Containers see them at their
``mountPath`` through bind mounts in a private mount namespace (see
:mod:`kpodtui.sim.containers`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpodtui.sim.envvars import Lookup, configmap_values, field_value, secret_values

Obj = dict[str, Any]
#: ``(pod, serviceAccountToken source) -> token`` for projected token volumes
TokenSource = Callable[[Obj, Obj], str]

#: a fake service account token, for projected volumes that ask for one
FAKE_TOKEN = "kpodtui-sim-service-account-token"


class VolumeError(Exception):
    """A volume cannot be set up; ``str()`` is the ``FailedMount`` message."""


@dataclass(frozen=True)
class Mount:
    """One bind mount into a container: host ``source`` appears at ``target``."""

    source: str
    target: str
    read_only: bool = False


def _write_files(folder: Path, files: dict[str, tuple[str, int]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for rel, (content, mode) in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        os.chmod(path, mode)


def _keyed_files(values: dict[str, str], items: list[Obj] | None, default_mode: int,
                 what: str, optional: bool) -> dict[str, tuple[str, int]]:
    if not items:
        return {k: (v, default_mode) for k, v in values.items()}
    files: dict[str, tuple[str, int]] = {}
    for item in items:
        key = item.get("key", "")
        if key not in values:
            if optional:
                continue
            raise VolumeError(f"configmap references non-existent config key: {key}"
                              if what == "configmap" else f"references non-existent secret key: {key}")
        files[item.get("path") or key] = (values[key], int(item.get("mode") or default_mode))
    return files


def _source_files(src_kind: str, ref: Obj, pod: Obj, lookup: Lookup, default_mode: int,
                  token: TokenSource | None = None) -> dict[str, tuple[str, int]]:
    namespace = pod["metadata"].get("namespace", "default")
    optional = bool(ref.get("optional"))
    if src_kind == "configMap":
        name = ref.get("name", "")
        obj = lookup("configmaps", namespace, name)
        if obj is None:
            if optional:
                return {}
            raise VolumeError(f'configmap "{name}" not found')
        return _keyed_files(configmap_values(obj), ref.get("items"), default_mode, "configmap", optional)
    if src_kind == "secret":
        name = ref.get("secretName") or ref.get("name", "")
        obj = lookup("secrets", namespace, name)
        if obj is None:
            if optional:
                return {}
            raise VolumeError(f'secret "{name}" not found')
        return _keyed_files(secret_values(obj), ref.get("items"), default_mode, "secret", optional)
    if src_kind == "downwardAPI":
        files = {}
        for item in ref.get("items") or []:
            fr = item.get("fieldRef") or {}
            files[item.get("path", "")] = (field_value(pod, fr.get("fieldPath", "")), int(item.get("mode") or default_mode))
        return files
    if src_kind == "serviceAccountToken":
        return {ref.get("path", "token"): (token(pod, ref) if token else FAKE_TOKEN, default_mode)}
    raise VolumeError(f"projected source {src_kind} is not supported by the simulated node")


def prepare_volumes(pod: Obj, pod_dir: Path, lookup: Lookup, token: TokenSource | None = None) -> dict[str, Path]:
    """Create every volume of ``pod`` under ``pod_dir/volumes``; name -> host folder.

    ``token`` gives projected ``serviceAccountToken`` sources their token (a fake one without).

    Raises :class:`VolumeError` with the kubelet's ``MountVolume.SetUp failed``
    message for the first volume that cannot be set up.
    """
    out: dict[str, Path] = {}
    for vol in pod["spec"].get("volumes") or []:
        name = vol.get("name", "")
        folder = pod_dir / "volumes" / name
        try:
            if "emptyDir" in vol:
                folder.mkdir(parents=True, exist_ok=True)
            elif "hostPath" in vol:
                hp = vol["hostPath"] or {}
                path = Path(hp.get("path", "/"))
                if hp.get("type") == "DirectoryOrCreate":
                    path.mkdir(parents=True, exist_ok=True)
                elif hp.get("type") == "FileOrCreate" and not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.touch()
                elif hp.get("type") and not path.exists():
                    raise VolumeError(f"hostPath type check failed: {path} is not a {hp['type']}")
                folder = path
            elif any(k in vol for k in ("configMap", "secret", "downwardAPI")):
                src_kind = next(k for k in ("configMap", "secret", "downwardAPI") if k in vol)
                ref = vol[src_kind] or {}
                mode = int(ref.get("defaultMode") or 0o644)
                _write_files(folder, _source_files(src_kind, ref, pod, lookup, mode))
            elif "projected" in vol:
                proj = vol["projected"] or {}
                mode = int(proj.get("defaultMode") or 0o644)
                files: dict[str, tuple[str, int]] = {}
                for source in proj.get("sources") or []:
                    for src_kind, ref in source.items():
                        files.update(_source_files(src_kind, ref or {}, pod, lookup, mode, token))
                _write_files(folder, files)
            else:
                kinds = [k for k in vol if k != "name"]
                raise VolumeError(f"volume type {kinds[0] if kinds else '?'} is not supported by the simulated node")
        except VolumeError as e:
            raise VolumeError(f'MountVolume.SetUp failed for volume "{name}" : {e}') from None
        out[name] = folder
    return out


def container_mounts(container: Obj, volumes: dict[str, Path], read_only_kinds: set[str]) -> list[Mount]:
    """The bind mounts of one container, parents before children (as runtimes order them)."""
    mounts: list[Mount] = []
    for vm in container.get("volumeMounts") or []:
        folder = volumes.get(vm.get("name", ""))
        if folder is None:
            continue
        source = folder
        sub = vm.get("subPath") or ""
        if sub:
            source = folder / sub
            if not source.exists():
                source.mkdir(parents=True, exist_ok=True)
        ro = bool(vm.get("readOnly")) or vm.get("name") in read_only_kinds
        mounts.append(Mount(str(source), vm.get("mountPath", ""), ro))
    return sorted(mounts, key=lambda m: m.target.rstrip("/").count("/"))


def read_only_volumes(pod: Obj) -> set[str]:
    """Volumes the kubelet always mounts read-only (configMap, secret, downwardAPI, projected)."""
    return {
        v.get("name", "")
        for v in pod["spec"].get("volumes") or []
        if any(k in v for k in ("configMap", "secret", "downwardAPI", "projected"))
    }
