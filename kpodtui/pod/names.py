"""Pod names and label values, made safe exactly as the reference makes them."""

from __future__ import annotations

import random
import re
import string

POD_NAME_MAX_LENGTH = 63
MAX_LABEL_LEN = 63
SUFFIX_LENGTH = 8
_ALPHABET = string.ascii_lowercase + string.digits


def sanitize_pod_name(name: str) -> str:
    """Lower-case; every run of characters outside ``[a-z0-9-]`` becomes one ``-`` (ends kept)."""
    return re.sub(r"[^a-z0-9-]+", "-", name.lower())


def slugify(text: str) -> str:
    """``Some_Task.Name__x`` -> ``some-task-name-x`` (as python-slugify does for ASCII ids)."""
    text = re.sub(r"'+", "", text.lower())
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def random_suffix(rng: random.Random, length: int = SUFFIX_LENGTH) -> str:
    """``length`` random ``[a-z0-9]`` characters."""
    return "".join(rng.choice(_ALPHABET) for _ in range(length))


def add_unique_suffix(name: str, rng: random.Random, max_len: int = POD_NAME_MAX_LENGTH) -> str:
    """Keep what fits, strip ``-``/``.`` at both ends, append ``-`` + 8 random chars (<= 63 total)."""
    suffix = "-" + random_suffix(rng)
    return name[: max_len - len(suffix)].strip("-.") + suffix


def name_from_task_id(task_id: str, rng: random.Random | None, max_len: int = POD_NAME_MAX_LENGTH) -> str:
    """The pod name when none is given: the slug of the task id, suffixed when ``rng`` is given."""
    base = slugify(task_id)[:max_len].strip(".-")
    return add_unique_suffix(base, rng, max_len) if rng is not None else base


def make_safe_label_value(value: str) -> str:
    """Strip non-alphanumerics at the ends and drop characters outside ``[A-Za-z0-9_.-]``;
    if that changed anything or the result is too long, cut to 53 and add ``-`` + 9 hex of
    the MD5 of the original (so distinct values stay distinct)."""
    safe = re.sub(r"^[^a-z0-9A-Z]*|[^a-zA-Z0-9_\-\.]|[^a-z0-9A-Z]*$", "", value)
    if len(safe) > MAX_LABEL_LEN or value != safe:
        import hashlib  # rarely needed: loaded then (a few ms off every start)

        digest = hashlib.md5(value.encode(), usedforsecurity=False).hexdigest()[:9]
        safe = safe[: MAX_LABEL_LEN - len(digest) - 1] + "-" + digest
    return safe
