"""``d``'s text: a pod laid out as ``kubectl describe pod`` lays it out (kubectl's order, its columns)."""

from __future__ import annotations

from kpodtui.tui.data.describe import describe_pod, normalize_events

POD = {
    "metadata": {"name": "job-abc", "namespace": "batch", "labels": {"task_id": "job"}},
    "spec": {"nodeName": "node-1", "containers": [
        {"name": "base", "image": "busybox:1.36", "command": ["sh", "-c"], "args": ["i=0\nwhile true; do i=1; done\n"],
         "resources": {"limits": {"memory": "64Mi"}}, "volumeMounts": [{"name": "xcom", "mountPath": "/airflow/xcom"}]}],
        "volumes": [{"name": "xcom", "emptyDir": {}}]},
    "status": {"phase": "Running", "containerStatuses": [{
        "name": "base", "restartCount": 2, "ready": True,
        "state": {"running": {"startedAt": "2026-01-01T12:00:00Z"}},
        "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}],
        "conditions": [{"type": "Ready", "status": "True"}]},
}
EVENTS = [
    {"type": "Warning", "reason": "BackOff", "message": "Back-off restarting failed container base",
     "count": 3, "firstTimestamp": "2026-01-01T11:59:00Z", "lastTimestamp": "2026-01-01T11:59:50Z",
     "source": {"component": "kubelet"}},
    {"type": "Normal", "reason": "Scheduled", "message": "Successfully assigned batch/job-abc to node-1",
     "lastTimestamp": "2026-01-01T11:58:00Z"},
]


def test_describe_follows_kubectls_order_and_columns():
    now = 1767268800.0  # 2026-01-01T12:00:00Z
    text = describe_pod(POD, normalize_events(EVENTS), now)
    lines = text.splitlines()
    order = [next(i for i, line in enumerate(lines) if line.startswith(h))
             for h in ("Name:", "Namespace:", "Node:", "Labels:", "Status:", "Containers:", "Conditions:",
                       "Volumes:", "QoS Class:", "Events:")]
    assert order == sorted(order)
    # a container's fields in their own column, as kubectl's tabwriter puts them
    assert "    Restart Count:  2" in lines and "    Image:          busybox:1.36" in lines
    assert "    Last State:     Terminated" in lines and "      Reason:       OOMKilled" in lines
    assert "      Exit Code:    137" in lines and "      /airflow/xcom from xcom (rw)" in lines
    # a multi-line argument: one line each, as kubectl splits them
    assert "      i=0" in lines and "      while true; do i=1; done" in lines
    # events oldest first, with counts and ages
    scheduled = next(i for i, line in enumerate(lines) if "Scheduled" in line)
    backoff = next(i for i, line in enumerate(lines) if "BackOff" in line)
    assert scheduled < backoff and "10s (x3 over 60s)" in lines[backoff] and "kubelet" in lines[backoff]


def test_a_gone_pod_says_so_above_what_was_recorded():
    text = describe_pod(POD, [], 0.0, note="pod batch/job-abc is gone: as last recorded")
    assert text.startswith("# pod batch/job-abc is gone: as last recorded\n")
    assert "Events:           <none>" in text
