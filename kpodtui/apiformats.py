"""The API server's string formats and its words for them, as pure functions.

A transcription (not a copy) of ``k8s.io/apimachinery/pkg/util/validation`` and
``api/resource``: each ``is_*`` returns the problems of a value in the words a real
API server uses (empty when the value is fine), so an error found before sending
reads like the one the cluster would have answered.

This module imports nothing from kpodtui and is the one part of it the simulated cluster (``kpodtui.sim``)
imports, so both sides of the wire speak the same rules.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from decimal import Decimal

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
LABEL_VALUE_MAX = 63
QUALIFIED_NAME_MAX = 63
PORT_NAME_MAX = 15
#: ``metadata.annotations``: keys and values together, in bytes
ANNOTATIONS_MAX_BYTES = 256 * 1024
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
#: user and group ids (uint32 since Kubernetes 1.34)
ID_MAX = 0xFFFFFFFF
FILE_MODE_MAX = 0o777

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = "(" + _QUALIFIED_NAME_FMT + ")?"
_CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+"
_HTTP_HEADER_FMT = "[-A-Za-z0-9]+"
_C_IDENTIFIER_FMT = "[A-Za-z_][A-Za-z0-9_]*"
_SYSCTL_SEGMENT = "[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
_SYSCTL_FMT = "(" + _SYSCTL_SEGMENT + "[\\./])*" + _SYSCTL_SEGMENT

@cache
def _regex(pattern: str) -> re.Pattern[str]:
    """Compiled on first use: compiling every format at import costs `kpodtui validate` its start."""
    return re.compile(pattern)


def _full(fmt: str, value: str) -> bool:
    """``value`` matches the format ``fmt`` whole."""
    return _regex(f"^{fmt}$").match(value) is not None


QUANTITY_REGEX = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
QUANTITY_MSG = f"quantities must match the regular expression '{QUANTITY_REGEX}'"
_QUANTITY_FMT = r"^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE])([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$"
_SUFFIX: dict[str, str | int] = {
    "": "1", "n": "1e-9", "u": "1e-6", "m": "1e-3", "k": "1e3", "M": "1e6", "G": "1e9", "T": "1e12", "P": "1e15",
    "E": "1e18", "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}


@cache
def _multiplier(suffix: str) -> Decimal:
    # imported when a quantity is first read: it costs a start of `validate`
    from decimal import Decimal

    return Decimal(_SUFFIX[suffix])  # type: ignore[arg-type]  # str or int, both fine


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """``msg (e.g. 'a',  or 'b', regex used for validation is 'fmt')``, as the API server says it."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def inclusive_range_error(lo: int, hi: int) -> str:
    return f"must be between {lo} and {hi}, inclusive"


DNS1123_LABEL_MSG = regex_error(
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character", _DNS1123_LABEL_FMT, "my-name", "123-abc")
DNS1123_SUBDOMAIN_MSG = regex_error(
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character", _DNS1123_SUBDOMAIN_FMT, "example.com")
_QUALIFIED_NAME_ERR = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                       "with an alphanumeric character")
QUALIFIED_NAME_MSG = "name part " + regex_error(_QUALIFIED_NAME_ERR, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
LABEL_VALUE_MSG = regex_error(
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character", _LABEL_VALUE_FMT, "MyValue", "my_value", "12345")
CONFIG_KEY_MSG = regex_error(
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'", _CONFIG_KEY_FMT,
    "key.name", "KEY_NAME", "key-name")
RELAXED_ENV_NAME_MSG = "a valid environment variable name must consist only of printable ASCII characters other than '='"


def is_dns1123_label(value: str) -> list[str]:
    """Container, volume, port-less names; hostname, subdomain, namespace."""
    errs = []
    if len(value) > DNS1123_LABEL_MAX:
        errs.append(max_len_error(DNS1123_LABEL_MAX))
    if not _full(_DNS1123_LABEL_FMT, value):
        errs.append("must not contain dots" if _full(_DNS1123_SUBDOMAIN_FMT, value) else DNS1123_LABEL_MSG)
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    """Pod, ConfigMap, Secret, service account, priority / runtime class names."""
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _full(_DNS1123_SUBDOMAIN_FMT, value):
        errs.append(DNS1123_SUBDOMAIN_MSG)
    return errs


def is_qualified_name(value: str) -> list[str]:
    """A label / annotation key: ``[prefix/]name``, the prefix a DNS subdomain."""
    prefix, slash, name = value.rpartition("/")
    errs: list[str] = []
    if value.count("/") > 1:
        return ["a qualified name " + regex_error(_QUALIFIED_NAME_ERR, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if slash and not prefix:
        errs.append("prefix part must be non-empty")
    elif prefix:
        errs += [f"prefix part {e}" for e in is_dns1123_subdomain(prefix)]
    if not name:
        errs.append("name part must be non-empty")
    else:
        if len(name) > QUALIFIED_NAME_MAX:
            errs.append(f"name part {max_len_error(QUALIFIED_NAME_MAX)}")
        if not _full(_QUALIFIED_NAME_FMT, name):
            errs.append(QUALIFIED_NAME_MSG)
    return errs


def is_label_value(value: str) -> list[str]:
    errs = []
    if len(value) > LABEL_VALUE_MAX:
        errs.append(max_len_error(LABEL_VALUE_MAX))
    if not _full(_LABEL_VALUE_FMT, value):
        errs.append(LABEL_VALUE_MSG)
    return errs


def is_port_name(value: str) -> list[str]:
    """An IANA_SVC_NAME: at most 15 of ``[-a-z0-9]``, a letter, no ``--``, no hyphen at the ends."""
    errs = []
    if len(value) > PORT_NAME_MAX:
        errs.append(max_len_error(PORT_NAME_MAX))
    if not _full("[-a-z0-9]+", value):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not any("a" <= c <= "z" for c in value):
        errs.append("must contain at least one letter (a-z)")
    if "--" in value:
        errs.append("must not contain consecutive hyphens")
    if value[:1] == "-" or value[-1:] == "-":
        errs.append("must not begin or end with a hyphen")
    return errs


def is_port_number(value: int) -> list[str]:
    return [] if 1 <= value <= 65535 else [inclusive_range_error(1, 65535)]


def is_relaxed_env_var_name(value: str) -> list[str]:
    """What modern clusters accept as an env var name: printable ASCII other than ``=``."""
    if not value:
        return ["environment variable name must be non-empty"]
    if any(not (32 <= ord(c) <= 126) or c == "=" for c in value):
        return [RELAXED_ENV_NAME_MSG]
    return []


def _chdir_prefix(value: str) -> list[str]:
    if value in (".", ".."):
        return [f"must not be '{value}'"]
    return ["must not start with '..'"] if value.startswith("..") else []


def is_config_map_key(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _full(_CONFIG_KEY_FMT, value):
        errs.append(CONFIG_KEY_MSG)
    return errs + _chdir_prefix(value)


def is_http_header_name(value: str) -> list[str]:
    if _full(_HTTP_HEADER_FMT, value):
        return []
    return [regex_error("a valid HTTP header must consist of alphanumeric characters or '-'",
                        _HTTP_HEADER_FMT, "X-Header-Name")]


def is_c_identifier(value: str) -> list[str]:
    if _full(_C_IDENTIFIER_FMT, value):
        return []
    return [regex_error("a valid C identifier must start with alphabetic character or '_', followed by "
                        "a string of alphanumeric characters or '_'", _C_IDENTIFIER_FMT, "my_name", "MY_NAME",
                        "MyName")]


def is_sysctl_name(value: str) -> list[str]:
    if len(value) <= DNS1123_SUBDOMAIN_MAX and _full(_SYSCTL_FMT, value):
        return []
    return [f"must have at most {DNS1123_SUBDOMAIN_MAX} characters and match regex ^{_SYSCTL_FMT}$"]


def is_ip(value: str) -> list[str]:
    import ipaddress

    try:
        ipaddress.ip_address(value)
    except ValueError:
        return ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"]
    return []


def parse_quantity(value: str) -> Decimal | None:
    """The value of a Kubernetes quantity (``250m`` -> 0.25, ``1Gi`` -> 1073741824), None if invalid."""
    from decimal import Decimal, InvalidOperation

    m = _regex(_QUANTITY_FMT).match(value)
    if m is None:
        return None
    sign, number, exp_mark, exponent, suffix = m.groups()
    try:
        amount = Decimal(number)
        if exp_mark:
            if abs(int(exponent)) > 1000:
                return None
            amount = amount.scaleb(int(exponent))
        else:
            amount *= _multiplier(suffix or "")
    except (InvalidOperation, ValueError):
        return None
    return -amount if sign == "-" else amount


def is_quantity(value: str) -> list[str]:
    return [] if parse_quantity(value) is not None else [QUANTITY_MSG]


def local_path_problems(path: str, *, relative: bool = True, reserved: bool = False) -> list[str]:
    """``validateLocalDescendingPath`` (and ``ValidateLocalNonReservedPath`` with ``reserved``)."""
    errs = []
    if relative and path.startswith("/"):
        errs.append("must be a relative path")
    if ".." in path.replace("\\", "/").split("/"):
        errs.append("must not contain '..'")
    elif reserved and path.startswith(".."):
        errs.append("must not start with '..'")
    return errs
