"""Unknown fields as a real apiserver treats them (fieldValidation), and the OpenAPI v3
documents that let an unmodified ``kubectl apply`` validate on the server."""

from __future__ import annotations

import json

from .helpers import pod_body

PODS = "/api/v1/namespaces/default/pods"


def _post(raw, body: dict, directive: str | None = None):
    """POST ``body`` as it is (the client's models would drop unknown fields before sending)."""
    path = PODS + (f"?fieldValidation={directive}" if directive else "")
    return raw("POST", path, json.dumps(body), headers={"Content-Type": "application/json"})


def _typo_pod(name: str) -> dict:
    body = pod_body(name)
    body["spec"]["containers"][0]["imagee"] = "busybox:1.37"  # a typo of image
    body["spec"]["restartPolicyy"] = "Never"
    return body


def test_unknown_fields_are_dropped_with_a_warning_per_field_by_default(raw):
    resp = _post(raw, _typo_pod("warned"))
    assert resp.status == 201
    assert sorted(resp.all("Warning")) == [
        '299 - "unknown field \\"spec.containers[0].imagee\\""',
        '299 - "unknown field \\"spec.restartPolicyy\\""',
    ]
    stored = resp.json()
    assert "imagee" not in stored["spec"]["containers"][0] and "restartPolicyy" not in stored["spec"]
    assert stored["spec"]["containers"][0]["image"] == "busybox:1.36"  # what was known is kept
    assert raw("GET", f"{PODS}/warned").json()["spec"].get("restartPolicyy") is None
    clean = _post(raw, pod_body("clean"))  # nothing unknown: no warning
    assert clean.status == 201 and not clean.all("Warning")


def test_strict_refuses_naming_every_unknown_field_and_ignore_is_silent(raw):
    resp = _post(raw, _typo_pod("strict"), "Strict")
    assert resp.status == 400 and resp.json()["reason"] == "BadRequest"
    assert resp.json()["message"] == ('Pod in version "v1" cannot be handled as a Pod: strict decoding error: '
                                      'unknown field "spec.containers[0].imagee", unknown field "spec.restartPolicyy"')
    assert raw("GET", f"{PODS}/strict").status == 404
    quiet = _post(raw, _typo_pod("quiet"), "Ignore")
    assert quiet.status == 201 and not quiet.all("Warning")
    odd = _post(raw, pod_body("odd"), "Loose")
    assert odd.status == 400 and "fieldValidation" in odd.json()["message"]


def test_openapi_v3_says_each_kind_takes_field_validation(raw):
    root = raw("GET", "/openapi/v3")
    assert root.status == 200
    url = root.json()["paths"]["api/v1"]["serverRelativeURL"]
    doc = raw("GET", url)
    assert doc.status == 200
    patch = doc.json()["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert "fieldValidation" in [p["name"] for p in patch["parameters"]]


def test_numbers_in_quantities_are_kept_as_text_and_wrong_types_are_refused(raw, v1):
    """`cpu: 1` unquoted is a quantity (kept as "1"); a number where a string belongs is refused,
    as Go's decoder does: stored as sent, it made every list of pods fail in the Python client."""
    body = pod_body("sized")
    body["spec"]["containers"][0]["resources"] = {"requests": {"cpu": 1, "memory": 100}, "limits": {"cpu": 0.5}}
    resp = _post(raw, body)
    assert resp.status == 201, resp.body
    assert resp.json()["spec"]["containers"][0]["resources"] == {
        "requests": {"cpu": "1", "memory": "100"}, "limits": {"cpu": "0.5"}}
    assert [p.metadata.name for p in v1.list_namespaced_pod("default").items] == ["sized"]
    bad = pod_body("typed")
    bad["spec"]["containers"][0]["env"] = [{"name": "N", "value": 5}]
    resp = _post(raw, bad)
    assert resp.status == 400 and resp.json()["reason"] == "BadRequest"
    assert resp.json()["message"] == ('Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal '
                                      'number into Go struct field .spec.containers[0].env[0].value of type string')
    assert raw("GET", f"{PODS}/typed").status == 404
