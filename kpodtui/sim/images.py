"""Image references: parsing as containerd does, refusal, fake digests and default commands.

No image is ever downloaded: a "pull" checks the reference, consults the
node's refusal patterns and remembers the image as present. Containers run
host programs, so an image only matters for its default command (when the
pod gives none), which comes from a small table of well-known images.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from dataclasses import dataclass

# The distribution/reference grammar, as the kubelet applies it.
_ALNUM = r"[a-z0-9]+"
_SEP = r"(?:[._]|__|[-]+)"
_COMPONENT = rf"{_ALNUM}(?:{_SEP}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    rf"^(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$"
)


class InvalidImageError(ValueError):
    """The reference does not parse; ``str()`` is the kubelet's message."""


@dataclass(frozen=True)
class ImageRef:
    """A parsed reference: ``docker.io/library/busybox:latest`` style parts."""

    original: str
    domain: str
    path: str
    tag: str | None
    digest: str | None

    @property
    def normalized(self) -> str:
        """The fully qualified reference (default registry, ``library/``, ``:latest``)."""
        out = f"{self.domain}/{self.path}"
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out

    @property
    def short_name(self) -> str:
        """The last path component (``busybox``, ``python``), for the defaults table."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def image_id(self) -> str:
        """A stable fake ``imageID`` as containerd reports it (repo@sha256:...)."""
        digest = self.digest or "sha256:" + hashlib.sha256(self.normalized.encode()).hexdigest()
        return f"{self.domain}/{self.path}@{digest}"

    @property
    def size(self) -> int:
        """A stable fake image size in bytes, for the ``Pulled`` event."""
        return 1_000_000 + int(hashlib.sha256(self.normalized.encode()).hexdigest()[:6], 16)


def parse_image(image: str) -> ImageRef:
    """Parse and normalise ``image``; raise :class:`InvalidImageError` like the kubelet.

    The message is the kubelet's ``Failed to apply default image tag ...``.
    """
    m = _REFERENCE.match(image or "")
    if not m or len(image) > 255:
        raise InvalidImageError(
            f'Failed to apply default image tag "{image}": couldn\'t parse image name '
            f'"{image}": invalid reference format'
        )
    domain = m.group("domain")
    path = m.group("path")
    # "a/b": "a" is a registry only if it looks like a host (has . or :, or is localhost)
    if domain and not ("." in domain or ":" in domain or domain == "localhost" or domain.startswith("[")):
        path = f"{domain}/{path}"
        domain = None
    if domain is None:
        domain = "docker.io"
    if domain == "docker.io" and "/" not in path:
        path = f"library/{path}"
    tag = m.group("tag")
    digest = m.group("digest")
    if tag is None and digest is None:
        tag = "latest"
    return ImageRef(image, domain, path, tag, digest)


def default_pull_policy(ref: ImageRef) -> str:
    """``Always`` for ``:latest`` (or no tag), else ``IfNotPresent``, as the apiserver defaults."""
    return "Always" if ref.tag == "latest" and ref.digest is None else "IfNotPresent"


def is_refused(ref: ImageRef, patterns: list[str]) -> bool:
    """Whether the node refuses to pull ``ref`` (pattern match on the written or normalised form)."""
    return any(
        fnmatch.fnmatchcase(ref.original, p) or fnmatch.fnmatchcase(ref.normalized, p) for p in patterns
    )


def pull_error_message(ref: ImageRef) -> str:
    """The message of a failed pull, shaped like containerd's for an unknown registry host."""
    host = ref.domain.split(":")[0]
    manifest = ref.tag or ref.digest or "latest"
    return (
        f'Failed to pull image "{ref.original}": rpc error: code = Unknown desc = failed to pull and '
        f'unpack image "{ref.normalized}": failed to resolve reference "{ref.normalized}": failed to '
        f'do request: Head "https://{ref.domain}/v2/{ref.path}/manifests/{manifest}": dial tcp: '
        f"lookup {host}: no such host"
    )


#: default CMD of well-known images (none of them has an ENTRYPOINT, so ``args`` alone
#: replace it), used when a container gives no command
IMAGE_DEFAULTS: dict[str, list[str]] = {
    "busybox": ["sh"],
    "alpine": ["/bin/sh"],
    "ubuntu": ["/bin/bash"],
    "debian": ["bash"],
    "bash": ["bash"],
    "python": ["python3"],
    "pause": ["sleep", "infinity"],
}


def container_argv(ref: ImageRef, command: list[str] | None, args: list[str] | None) -> list[str] | None:
    """What the container runs: ``command`` + ``args``, else the image's CMD replaced by ``args``.

    None when there is nothing to run (no command, no args, unknown image).
    """
    if command:
        return list(command) + list(args or [])
    if args:
        return list(args)
    default = IMAGE_DEFAULTS.get(ref.short_name)
    return list(default) if default else None
