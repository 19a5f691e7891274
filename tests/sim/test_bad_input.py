"""Errors and bad input: real Status bodies with the right codes, never a 500 or a hang."""

from __future__ import annotations

import json

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import (
    ApiException,
    UnauthorizedException,
    UnprocessableEntityException,
)

from .helpers import pod_body

PODS = "/api/v1/namespaces/default/pods"


def _status(resp, code: int) -> dict:
    assert resp.status == code, resp.body
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert body["kind"] == "Status" and body["apiVersion"] == "v1" and body["status"] == "Failure"
    assert body["code"] == code and isinstance(body["message"], str) and body["metadata"] == {}
    return body


def test_no_token_is_401_for_the_official_client(sim):
    cfg = client.Configuration()
    config.load_kube_config(config_file=str(sim.kubeconfig_path), client_configuration=cfg)
    cfg.api_key = {}
    with client.ApiClient(cfg) as api, pytest.raises(UnauthorizedException) as info:
        client.CoreV1Api(api).list_namespaced_pod("default")
    assert json.loads(info.value.body)["reason"] == "Unauthorized"


def test_wrong_token_is_401(raw):
    _status(raw("GET", PODS, token=False, headers={"Authorization": "Bearer wrong"}), 401)
    _status(raw("GET", "/version", token=False, headers={"Authorization": "Bearer wrong"}), 401)
    _status(raw("GET", PODS, token=False), 401)
    # as on a real cluster: /version and the health checks answer a client with no credentials
    assert raw("GET", "/version", token=False).json()["major"] == "1"
    assert raw("GET", "/healthz", token=False).status == 200


@pytest.mark.parametrize("pod, field", [
    ({"metadata": {"name": "Bad_Name"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}, "metadata.name"),
    ({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}}, "spec.containers[0].image"),
    ({"metadata": {"name": "p"}, "spec": {"containers": [{"image": "i"}]}}, "spec.containers[0].name"),
    ({"metadata": {"name": "p"}, "spec": {"containers": []}}, "spec.containers"),
    ({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}, {"name": "c", "image": "i"}]}},
     "spec.containers[1].name"),
    ({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}],
                                          "initContainers": [{"name": "c", "image": "i"}]}},
     "spec.containers[0].name"),
    ({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}],
                                          "volumes": [{"name": "v", "emptyDir": {}}, {"name": "v", "emptyDir": {}}]}},
     "spec.volumes[1].name"),
    ({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i",
                                                          "volumeMounts": [{"name": "nope", "mountPath": "/x"}]}]}},
     "spec.containers[0].volumeMounts[0].name"),
    ({"metadata": {"name": "p", "labels": {"bad key!": "v"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}},
     "metadata.labels"),
    ({"metadata": {"name": "p", "labels": {"k": "bad value!"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}},
     "metadata.labels"),
    ({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}], "restartPolicy": "Sometimes"}},
     "spec.restartPolicy"),
    ({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "Upper", "image": "i"}]}},
     "spec.containers[0].name"),
])
def test_invalid_pods_are_422_with_causes_naming_the_field(raw, pod, field):
    body = _status(raw("POST", PODS, json.dumps(pod)), 422)
    assert body["reason"] == "Invalid"
    fields = [c["field"] for c in body["details"]["causes"]]
    assert field in fields
    assert body["details"]["kind"] == "Pod"
    assert body["message"].startswith(f'Pod "{pod["metadata"]["name"]}" is invalid: ')


def test_422_through_the_official_client(v1):
    with pytest.raises(UnprocessableEntityException) as info:
        v1.create_namespaced_pod("default", {"metadata": {"name": "p"}, "spec": {"containers": [
            {"name": "c", "image": "i"}], "restartPolicy": "Sometimes"}})
    cause = json.loads(info.value.body)["details"]["causes"][0]
    assert cause == {"reason": "FieldValueNotSupported", "field": "spec.restartPolicy",
                     "message": 'Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"'}


@pytest.mark.parametrize("body", ["{not json", "", "null", "[]", '"a string"', "42"])
def test_malformed_or_non_object_bodies_are_400(raw, body):
    _status(raw("POST", PODS, body), 400)


def test_unknown_content_type_on_create_is_415(raw):
    _status(raw("POST", PODS, json.dumps(pod_body("p")), {"Content-Type": "text/plain"}), 415)


def test_yaml_body_is_accepted(raw):
    resp = raw("POST", PODS, "metadata: {name: y}\nspec:\n  containers: [{name: c, image: i}]\n",
               {"Content-Type": "application/yaml"})
    assert resp.status == 201, resp.body


@pytest.mark.parametrize("path", ["/api/v1/namespaces/default/foos", "/api/v2/pods", "/nothing/here",
                                  "/api/v1/namespaces/default/pods/p/unknownsub", "/apis/apps/v1/deployments"])
def test_unknown_paths_are_404(raw, path):
    body = _status(raw("GET", path), 404)
    assert body["reason"] == "NotFound"


def test_method_not_allowed_is_405(raw):
    _status(raw("PUT", PODS, "{}"), 405)


@pytest.mark.parametrize("query", ["labelSelector=a%20in%20b", "labelSelector=%21", "labelSelector=a%3D%3D%3Db",
                                   "labelSelector=bad%20key%3Dx", "fieldSelector=spec.unknown%3Dx",
                                   "fieldSelector=garbage", "labelSelector=a%20in%20()", "limit=abc",
                                   "watch=true&resourceVersion=abc", "timeoutSeconds=x&watch=1"])
def test_invalid_selectors_and_parameters_are_400(raw, query):
    _status(raw("GET", f"{PODS}?{query}"), 400)


def test_unsupported_patch_type_is_415(v1, raw):
    v1.create_namespaced_pod("default", pod_body("p"))
    for ctype in ("text/plain", "application/json", ""):
        _status(raw("PATCH", f"{PODS}/p", '{"metadata":{}}', {"Content-Type": ctype} if ctype else {}), 415)


@pytest.mark.parametrize("ctype, body, code", [
    ("application/json-patch+json", '{"op":"add"}', 400),
    ("application/json-patch+json", "[1]", 400),
    ("application/json-patch+json", '[{"op":"bogus","path":"/x"}]', 422),
    ("application/json-patch+json", '[{"op":"remove","path":"/no/such"}]', 422),
    ("application/merge-patch+json", "[]", 400),
    ("application/strategic-merge-patch+json", "{oops", 400),
    ("application/strategic-merge-patch+json", '{"spec":{"containers":[{"image":"x"}]}}', 422),
])
def test_bad_patches(v1, raw, ctype, body, code):
    v1.create_namespaced_pod("default", pod_body("p"))
    _status(raw("PATCH", f"{PODS}/p", body, {"Content-Type": ctype}), code)


def test_bad_delete_options(v1, raw):
    v1.create_namespaced_pod("default", pod_body("p"))
    _status(raw("DELETE", f"{PODS}/p", "{bad"), 400)
    _status(raw("DELETE", f"{PODS}/p", '{"propagationPolicy":"Sideways"}'), 422)
    _status(raw("DELETE", f"{PODS}/p", '{"gracePeriodSeconds":"soon"}'), 400)


def test_namespace_mismatch_and_wrong_kind_are_400(raw):
    pod = pod_body("p")
    pod["metadata"]["namespace"] = "other"
    _status(raw("POST", PODS, json.dumps(pod)), 400)
    _status(raw("POST", PODS, json.dumps({**pod_body("p"), "kind": "ConfigMap"})), 400)


def test_the_sim_keeps_serving_after_bad_input(v1, raw):
    for body in ("{", "[]", "\xff\xfe"):
        raw("POST", PODS, body)
    raw("PATCH", f"{PODS}/x", "zz", {"Content-Type": "application/json-patch+json"})
    assert v1.create_namespaced_pod("default", pod_body("ok")).metadata.name == "ok"


def test_status_bodies_for_the_client_exceptions(v1):
    with pytest.raises(ApiException) as info:
        v1.read_namespaced_pod("missing", "default")
    assert info.value.status == 404 and info.value.reason == "Not Found"
