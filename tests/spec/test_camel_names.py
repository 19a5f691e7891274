"""snake_case fields of a pod (the Python client's names) become the API's camelCase exactly."""

from __future__ import annotations

import re

from kpodtui.spec.k8s import camel


def _pod_models():
    from kubernetes.client import models

    seen, todo = set(), ["V1Pod"]
    while todo:
        name = todo.pop()
        if name in seen or not hasattr(models, name):
            continue
        seen.add(name)
        for typ in getattr(models, name).openapi_types.values():
            todo.extend(re.findall(r"V\d\w+", typ))
    return [getattr(models, n) for n in sorted(seen)]


def test_every_pod_field_written_in_snake_case_gets_its_api_name():
    wrong = {}
    for cls in _pod_models():
        for py_name, api_name in cls.attribute_map.items():
            if camel(py_name) != api_name and camel(api_name) == api_name:
                wrong[f"{cls.__name__}.{py_name}"] = (camel(py_name), api_name)
    assert wrong == {}  # e.g. downward_api must be downwardAPI, not downwardApi (the server drops it)
    assert len(_pod_models()) > 100  # the walk did reach the whole pod schema


def test_camel_case_input_is_left_alone():
    for key in ("downwardAPI", "setHostnameAsFQDN", "exec", "mountPath", "hostIPC"):
        assert camel(key) == key
