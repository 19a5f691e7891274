"""A corpus of API requests replayed against the sim and a real API server, and their differences.

Each case runs its steps in a namespace of its own (the same name on both
sides). A step is one request (or a watch while other requests run, or an exec);
its outcome is reduced to what a client can rely on: the HTTP status, the
``Status`` reason and message, the returned object's fields (minus uids, times,
resourceVersions, managedFields), a log body, a watch's event sequence.
:func:`differences` compares the two outcomes field by field; each difference
is a line ``CASE/STEP PATH: sim=... real=...``. ``tests/conformance/known.py``
lists the differences that stay, with why (docs/SIM-CONFORMANCE.md).

    python -m tests.conformance.corpus SIM_KUBECONFIG REAL_KUBECONFIG   # print the differences
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
MISSING = "<missing>"
#: fields whose values differ by nature between any two clusters
DROP = {"uid", "resourceVersion", "creationTimestamp", "managedFields", "selfLink", "generation",
        "containerID", "imageID", "podIP", "podIPs", "hostIP", "hostIPs", "nodeName"}
_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
_UID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ", re.M)
_RV_MSG = re.compile(r"too old resource version: \d+ \(\d+\)")


# -- talking to a cluster --------------------------------------------------------------------

class Conn:
    """Raw requests to one cluster through the official client's transport (its auth and TLS)."""

    def __init__(self, kubeconfig: str) -> None:
        from kubernetes import client, config

        self.cfg = client.Configuration()
        config.load_kube_config(config_file=kubeconfig, client_configuration=self.cfg)
        self.api = client.ApiClient(self.cfg)
        self.core = client.CoreV1Api(self.api)
        self.auth = {a["key"]: a["value"] for a in self.cfg.auth_settings().values() if a.get("in") == "header"}

    def request(self, method: str, path: str, body: Any = None, content_type: str | None = None,
                timeout: float = 30) -> tuple[int, Any, dict[str, str]]:
        """Send the body as given (a str goes as it is, anything else as JSON)."""
        import urllib3

        headers = {"Accept": "application/json", **self.auth}
        data = None
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
        resp = self.api.rest_client.pool_manager.request(method, self.cfg.host + path, body=data, headers=headers,
                                                         timeout=urllib3.Timeout(total=timeout), retries=False)
        text = resp.data.decode("utf-8", "replace")
        try:
            parsed: Any = json.loads(text) if text.lstrip().startswith(("{", "[")) else text
        except ValueError:
            parsed = text
        return resp.status, parsed, {k.lower(): v for k, v in resp.headers.items()}

    def exec(self, ns: str, pod: str, command: list[str], stdin: str | None = None) -> Obj:
        from kubernetes.stream import stream

        resp = stream(self.core.connect_get_namespaced_pod_exec, pod, ns, command=command, stdout=True,
                      stderr=True, stdin=stdin is not None, tty=False, _preload_content=False)
        out, err = [], []
        if stdin is not None:
            resp.write_stdin(stdin)
            resp.close_channel(0)  # v5: stdin ends
        deadline = time.monotonic() + 20
        status = None
        while resp.is_open() and time.monotonic() < deadline:
            resp.update(timeout=1)
            out.append(resp.read_stdout(timeout=0.01) or "")
            err.append(resp.read_stderr(timeout=0.01) or "")
            raw = resp.read_channel(3, timeout=0.01)
            if raw:
                status = json.loads(raw)
        resp.close()
        return {"stdout": "".join(out), "stderr": "".join(err), "status": status}


# -- the corpus -------------------------------------------------------------------------------

@dataclass
class Step:
    """One request. ``path`` may use ``{ns}``; ``keep`` limits which top-level parts of a
    returned object are compared (None: all but ``status``, which depends on timing)."""

    name: str
    method: str = "GET"
    path: str = ""
    body: Any = None
    content_type: str | None = None
    keep: tuple[str, ...] | None = None
    #: a callable doing something other than one request (watch, exec, waits); returns the outcome
    run: Callable[[Conn, str], Any] | None = None


@dataclass
class Case:
    name: str
    steps: list[Step] = field(default_factory=list)


def pod(name: str, script: str = "sleep 300", **spec: Any) -> Obj:
    containers = spec.pop("containers", None) or [{"name": "c", "image": "busybox:1.36",
                                                     "command": ["sh", "-c", script]}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": spec.pop("labels", {})},
            "spec": {"containers": containers, "terminationGracePeriodSeconds": 1, **spec}}


def wait_phase(name: str, *phases: str, timeout: float = 30) -> Step:
    def run(conn: Conn, ns: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code, body, _ = conn.request("GET", f"/api/v1/namespaces/{ns}/pods/{name}")
            phase = (body.get("status") or {}).get("phase") if code == 200 else None
            if phase in phases:
                return {"phase": phase}
            time.sleep(0.1)
        return {"phase": "timed out"}

    return Step(f"wait-{name}", run=run)


def wait_gone(name: str, timeout: float = 30) -> Step:
    def run(conn: Conn, ns: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if conn.request("GET", f"/api/v1/namespaces/{ns}/pods/{name}")[0] == 404:
                return {"gone": True}
            time.sleep(0.1)
        return {"gone": False}

    return Step(f"gone-{name}", run=run)


def _watched(obj: Obj) -> Obj:
    """What the corpus compares of the object of a watch event (a pod, or an ERROR's Status)."""
    meta = obj.get("metadata", {})
    return {"labels": meta.get("labels"), "deleting": bool(meta.get("deletionTimestamp")),
            "code": obj.get("code"), "reason": obj.get("reason")}


def watch_during(name: str, query: str, actions: list[Step], seconds: float = 4, from_list: bool = True) -> Step:
    """Watch pods (from the list's resourceVersion) while ``actions`` run; the event sequence."""

    def run(conn: Conn, ns: str) -> Any:
        rv, listed = "", []
        if from_list:
            listing = conn.request("GET", f"/api/v1/namespaces/{ns}/pods?{query}")[1]
            rv, listed = listing["metadata"]["resourceVersion"], listing.get("items") or []
        got: list[Any] = []
        q = f"{query}&watch=true&timeoutSeconds={int(seconds)}" + (f"&resourceVersion={rv}" if rv else "")
        t = threading.Thread(target=lambda: got.append(conn.request("GET", f"/api/v1/namespaces/{ns}/pods?{q}",
                                                                   timeout=seconds + 10)))
        t.start()
        time.sleep(0.5)
        for a in actions:
            conn.request(a.method, a.path.format(ns=ns), a.body, a.content_type)
        t.join(seconds + 15)
        code, body, _ = got[0] if got else (0, "", {})

        # The scheduler's and the kubelet's status writes come when they come (between the user's
        # changes, or not at all in the watch's time): an event that shows a pod as the previous
        # event of that pod (or the list) did is one of those and is left out. The user's changes,
        # made one after the other, and the ends are what is compared, in their order.
        last: dict[Any, Obj] = {item["metadata"]["name"]: _watched(item) for item in listed}
        collapsed: list[Obj] = []
        for line in (body if isinstance(body, str) else json.dumps(body)).splitlines():
            if not line.strip():
                continue
            ev = json.loads(line)
            if ev["type"] == "BOOKMARK":
                continue
            obj = ev["object"]
            name = obj.get("metadata", {}).get("name")
            if ev["type"] == "MODIFIED" and last.get(name) == _watched(obj):
                continue
            last[name] = _watched(obj)
            collapsed.append({"type": ev["type"], "name": name, **_watched(obj)})
        return {"code": code, "events": collapsed}

    return Step(name, run=run)


def exec_step(name: str, pod_name: str, command: list[str], stdin: str | None = None) -> Step:
    return Step(name, run=lambda conn, ns: conn.exec(ns, pod_name, command, stdin))


P = "/api/v1/namespaces/{ns}/pods"
BAD_PORT = {"name": "c", "image": "busybox:1.36", "command": ["sleep", "1"],
            "ports": [{"name": "HTTP_PORT_NAME_TOO_LONG", "containerPort": 80}]}


def corpus() -> list[Case]:
    """Every case, in order."""
    return [
        Case("create-get", [
            Step("create", "POST", P, pod("a", labels={"app": "x", "tier": "web"})),
            Step("create-again", "POST", P, pod("a")),
            Step("get", "GET", P + "/a"),
            Step("get-missing", "GET", P + "/nope"),
            Step("create-in-missing-namespace", "POST", "/api/v1/namespaces/no-such-ns/pods", pod("a")),
            Step("generate-name", "POST", P, {**pod(""), "metadata": {"generateName": "gen-"}}, keep=("kind",)),
        ]),
        Case("list-selectors", [
            Step("create-1", "POST", P, pod("p1", labels={"app": "x", "tier": "web"}), keep=()),
            Step("create-2", "POST", P, pod("p2", labels={"app": "y"}), keep=()),
            Step("create-3", "POST", P, pod("p3", labels={"tier": "db"}), keep=()),
            *[Step(f"list {q}", "GET", P + "?" + q, keep=("kind", "items-names")) for q in (
                "labelSelector=app%3Dx", "labelSelector=app%21%3Dx", "labelSelector=app+in+%28x%2Cy%29",
                "labelSelector=app+notin+%28x%29", "labelSelector=tier", "labelSelector=%21tier",
                "fieldSelector=metadata.name%3Dp2", "fieldSelector=metadata.name%21%3Dp2",
                "labelSelector=app%3D%3D", "fieldSelector=spec.nope%3Dx", "limit=2")],
        ]),
        Case("validation", [
            Step("invalid-name", "POST", P, pod("Bad_Name")),
            Step("port-name-too-long", "POST", P, pod("ports", containers=[BAD_PORT])),
            Step("no-containers", "POST", P, {"metadata": {"name": "empty"}, "spec": {"containers": []}}),
            Step("duplicate-containers", "POST", P, pod("dup", containers=[
                {"name": "c", "image": "busybox"}, {"name": "c", "image": "busybox"}])),
            Step("no-image", "POST", P, pod("noimage", containers=[{"name": "c"}])),
            Step("bad-label", "POST", P, pod("badlabel", labels={"a b": "c"})),
            Step("wrong-type", "POST", P, {"metadata": {"name": "wt"}, "spec": {"containers": "busybox"}}),
            Step("wrong-type-int", "POST", P, {"metadata": {"name": "wt2"}, "spec": {
                "containers": [{"name": "c", "image": "busybox"}], "terminationGracePeriodSeconds": "ten"}}),
            Step("unknown-field-strict", "POST", P + "?fieldValidation=Strict",
                 {**pod("strict"), "spec": {**pod("strict")["spec"], "nope": 1}}),
            Step("unknown-field-warn", "POST", P + "?fieldValidation=Warn",
                 {**pod("warned"), "spec": {**pod("warned")["spec"], "nope": 1}}, keep=("kind", "warning")),
            Step("not-json", "POST", P, "{not json"),
            Step("bad-grace", "POST", P, {**pod("neg"), "spec": {**pod("neg")["spec"],
                                                               "terminationGracePeriodSeconds": -5}}),
        ]),
        Case("update-conflict", [
            Step("create", "POST", P, pod("u"), keep=()),
            Step("stale-update", "PUT", P + "/u", {**pod("u"), "metadata": {"name": "u", "resourceVersion": "1"}}),
            Step("name-mismatch", "PUT", P + "/u", pod("other")),
            Step("update-missing", "PUT", P + "/gone", pod("gone")),
        ]),
        Case("patches", [
            Step("create", "POST", P, pod("pt", labels={"a": "1"}), keep=()),
            Step("strategic", "PATCH", P + "/pt", {"metadata": {"labels": {"b": "2"}}},
                 "application/strategic-merge-patch+json", keep=("metadata",)),
            Step("merge", "PATCH", P + "/pt", {"metadata": {"labels": {"a": None}}},
                 "application/merge-patch+json", keep=("metadata",)),
            Step("json-add", "PATCH", P + "/pt", [{"op": "add", "path": "/metadata/labels/c", "value": "3"}],
                 "application/json-patch+json", keep=("metadata",)),
            Step("json-test-fails", "PATCH", P + "/pt", [{"op": "test", "path": "/metadata/labels/c",
                                                          "value": "9"}], "application/json-patch+json"),
            Step("json-bad-path", "PATCH", P + "/pt", [{"op": "replace", "path": "/metadata/nope/x",
                                                        "value": "1"}], "application/json-patch+json"),
            Step("immutable-image-change", "PATCH", P + "/pt", {"spec": {"containers": [
                {"name": "c", "image": "busybox:1.37"}]}}, "application/strategic-merge-patch+json",
                 keep=("metadata",)),
            Step("immutable-field", "PATCH", P + "/pt", {"spec": {"restartPolicy": "Never"}},
                 "application/merge-patch+json"),
            Step("patch-missing", "PATCH", P + "/nope", {"metadata": {"labels": {"a": "1"}}},
                 "application/merge-patch+json"),
            Step("bad-content-type", "PATCH", P + "/pt", {"metadata": {}}, "text/plain"),
            Step("apply-creates", "PATCH", P + "/applied?fieldManager=corpus",
                 json.dumps(pod("applied", labels={"via": "apply"})), "application/apply-patch+yaml",
                 keep=("metadata", "spec")),
            Step("apply-updates", "PATCH", P + "/applied?fieldManager=corpus",
                 json.dumps(pod("applied", labels={"via": "apply", "again": "yes"})),
                 "application/apply-patch+yaml", keep=("metadata",)),
            Step("apply-no-manager", "PATCH", P + "/applied", json.dumps(pod("applied")),
                 "application/apply-patch+yaml"),
        ]),
        Case("delete", [
            Step("create", "POST", P, pod("d0"), keep=()),
            Step("create-running", "POST", P, pod("d1", "trap 'exit 0' TERM; while true; do sleep 0.1; done",
                                                  terminationGracePeriodSeconds=20), keep=()),
            wait_phase("d0", "Running"),
            wait_phase("d1", "Running"),
            Step("delete-now", "DELETE", P + "/d0", {"gracePeriodSeconds": 0}, keep=("kind", "metadata")),
            wait_gone("d0"),
            Step("delete-graceful", "DELETE", P + "/d1", {"gracePeriodSeconds": 20}, keep=("kind", "metadata")),
            wait_gone("d1"),
            Step("delete-missing", "DELETE", P + "/d1"),
            Step("delete-precondition", "DELETE", P + "/nope", {"preconditions": {"uid": "x"}}),
        ]),
        Case("watch", [
            Step("create", "POST", P, pod("w0", labels={"app": "w"}), keep=()),
            watch_during("watch-changes", "labelSelector=app%3Dw", [
                Step("add", "POST", P, pod("w1", labels={"app": "w"})),
                Step("label", "PATCH", P + "/w0", {"metadata": {"labels": {"extra": "1"}}},
                     "application/merge-patch+json"),
                Step("unlabel", "PATCH", P + "/w1", {"metadata": {"labels": {"app": "other"}}},
                     "application/merge-patch+json"),
                Step("gone", "DELETE", P + "/w0", {"gracePeriodSeconds": 0}),
            ]),
            watch_during("watch-no-rv", "fieldSelector=metadata.name%3Dw1", [], seconds=2, from_list=False),
            Step("watch-too-old", "GET", P + "?watch=true&resourceVersion=1&timeoutSeconds=2"),
            Step("list-too-old-continue", "GET", P + "?limit=1&continue=bm90LWEtdG9rZW4"),
        ]),
        Case("logs", [
            Step("create", "POST", P, pod("l", "for i in 1 2 3 4 5; do echo line-$i; done; echo err >&2; sleep 300"),
                 keep=()),
            Step("create-two", "POST", P, pod("l2", containers=[
                {"name": "a", "image": "busybox", "command": ["sleep", "300"]},
                {"name": "b", "image": "busybox", "command": ["sleep", "300"]}]), keep=()),
            wait_phase("l", "Running"),
            wait_phase("l2", "Running"),
            Step("settle", run=lambda conn, ns: time.sleep(1.0)),
            *[Step(f"log {q or 'plain'}", "GET", P + "/l/log" + (f"?{q}" if q else "")) for q in (
                "", "tailLines=2", "limitBytes=8", "timestamps=true&tailLines=1", "sinceSeconds=3600",
                "sinceTime=2020-01-01T00:00:00Z", "container=c", "container=nope", "previous=true",
                "tailLines=-1", "sinceSeconds=0", "limitBytes=0", "sinceSeconds=5&sinceTime=2020-01-01T00:00:00Z",
                "tailLines=abc", "follow=true&limitBytes=6")],
            Step("log two containers, none named", "GET", P + "/l2/log"),
            Step("log missing pod", "GET", P + "/nope/log"),
        ]),
        Case("exec", [
            Step("create", "POST", P, pod("e"), keep=()),
            wait_phase("e", "Running"),
            exec_step("exec-ok", "e", ["sh", "-c", "echo out; echo err >&2"]),
            exec_step("exec-exit-3", "e", ["sh", "-c", "exit 3"]),
            exec_step("exec-stdin", "e", ["cat"], stdin="piped\n"),
            exec_step("exec-not-found", "e", ["no-such-binary"]),
            Step("exec-plain-get", "GET", P + "/e/exec?command=ls&stdout=true"),
            Step("exec-no-command", "GET", P + "/e/exec?stdout=true"),
        ]),
        Case("objects", [
            Step("configmap", "POST", "/api/v1/namespaces/{ns}/configmaps",
                 {"metadata": {"name": "cm"}, "data": {"k": "v"}}),
            Step("configmap-bad-key", "POST", "/api/v1/namespaces/{ns}/configmaps",
                 {"metadata": {"name": "cm2"}, "data": {"bad key": "v"}}),
            Step("secret-stringdata", "POST", "/api/v1/namespaces/{ns}/secrets",
                 {"metadata": {"name": "s"}, "stringData": {"password": "p"}}),
            Step("secret-bad-base64", "POST", "/api/v1/namespaces/{ns}/secrets",
                 {"metadata": {"name": "s2"}, "data": {"x": "not base64!"}}),
            Step("get-secret", "GET", "/api/v1/namespaces/{ns}/secrets/s"),
            Step("namespace-get", "GET", "/api/v1/namespaces/{ns}", keep=("kind", "metadata", "spec", "status")),
            Step("namespace-bad-name", "POST", "/api/v1/namespaces", {"metadata": {"name": "Bad"}}),
            Step("events-of-missing", "GET", "/api/v1/namespaces/{ns}/events?fieldSelector=involvedObject.name%3Dx",
                 keep=("kind", "items-names")),
        ]),
    ]


# -- running and normalising ----------------------------------------------------------------

def normalise(value: Any, ns: str) -> Any:
    """Drop what differs by nature; times, uids and the namespace become placeholders."""
    if isinstance(value, dict):
        return {k: normalise(v, ns) for k, v in value.items() if k not in DROP}
    if isinstance(value, list):
        return [normalise(v, ns) for v in value]
    if isinstance(value, str):
        if _TIME.match(value):
            return "<time>"
        value = _UID.sub("<uid>", value)
        value = _STAMP.sub("<ts> ", value)
        value = _RV_MSG.sub("too old resource version: N (M)", value)
        return value.replace(ns, "<ns>")
    return value


def outcome(step: Step, conn: Conn, ns: str) -> Obj:
    """What a client sees of one step, normalised."""
    if step.run is not None:
        return {"result": normalise(step.run(conn, ns), ns)}
    code, body, headers = conn.request(step.method, step.path.format(ns=ns), step.body, step.content_type)
    out: Obj = {"code": code}
    if isinstance(body, dict) and body.get("kind") == "Status":
        out["status"] = {k: body.get(k) for k in ("status", "reason", "message", "code", "details")}
    elif isinstance(body, dict):
        keep = step.keep
        if keep is None:
            keep = tuple(k for k in body if k != "status")
        obj = {k: body[k] for k in keep if k in body}
        if "items-names" in keep:
            obj["items-names"] = sorted(i["metadata"]["name"] for i in body.get("items") or [])
        if "warning" in keep:
            obj["warning"] = headers.get("warning", MISSING)
        out["object"] = obj
    else:
        out["text"] = body
    return normalise(out, ns)


def run_case(case: Case, conn: Conn, ns: str) -> dict[str, Obj]:
    return {step.name: outcome(step, conn, ns) for step in case.steps}


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def differences(case: str, sim: dict[str, Obj], real: dict[str, Obj]) -> list[str]:
    """``CASE/STEP PATH: sim=... real=...`` for every field that differs (one line for a step whose
    HTTP codes differ: the rest follows from that)."""
    out = []
    for step in real:
        a, b = sim.get(step, {}), real[step]
        if "code" in a and "code" in b and a["code"] != b["code"]:
            out.append(f"{case}/{step} code: sim={a['code']} {_gist(a)} real={b['code']} {_gist(b)}")
            continue
        fa, fb = flatten(a), flatten(b)
        for path in sorted(set(fa) | set(fb)):
            va, vb = fa.get(path, MISSING), fb.get(path, MISSING)
            if va != vb:
                out.append(f"{case}/{step} {path}: sim={_short(va)} real={_short(vb)}")
    return out


def _gist(outcome: Obj) -> str:
    status = outcome.get("status")
    return _short(status.get("message") if status else "(an object)")


def _short(v: Any) -> str:
    text = json.dumps(v) if not isinstance(v, str) else repr(v)
    return text if len(text) <= 300 else text[:297] + "..."


def compare(sim: Conn, real: Conn, make_namespace: Callable[[Conn, str], None],
            cases: list[Case] | None = None, prefix: str = "conf") -> list[str]:
    """Run every case on both clusters (namespace ``PREFIX-CASE`` on each); every difference."""
    diffs: list[str] = []
    for case in cases or corpus():
        ns = f"{prefix}-{case.name}"
        results = []
        for conn in (sim, real):
            make_namespace(conn, ns)
            results.append(run_case(case, conn, ns))
        diffs += differences(case.name, *results)
    return diffs


def _make_namespace(conn: Conn, name: str) -> None:
    conn.request("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # a real cluster's controllers add these (the sim needs none)
        sa = conn.request("GET", f"/api/v1/namespaces/{name}/serviceaccounts/default")[0]
        ca = conn.request("GET", f"/api/v1/namespaces/{name}/configmaps/kube-root-ca.crt")[0]
        if (sa == 200 and ca == 200) or sa == 404 and conn.request("GET", "/api/v1/namespaces/default/"
                                                                         "serviceaccounts/default")[0] == 404:
            return
        time.sleep(0.05)


if __name__ == "__main__":
    for line in compare(Conn(sys.argv[1]), Conn(sys.argv[2]), _make_namespace, prefix=f"c{int(time.time()) % 10000}"):
        print(line)
