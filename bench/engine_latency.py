"""How fast the engine learns what the cluster knows, and what it costs the API server.

For N runs against the simulated cluster this script plays the kubelet itself
(it writes the pod status into the sim's store, exactly when it chooses) and
measures:

* Running -> engine event: from the status write to the run's ``PodStatusChanged``;
* base exit -> verdict: from the base container's ``terminated`` write to ``RunFinished``;

side by side with a polling baseline in the same process (a thread that reads
the pod every 2 s, as the reference does), over the same pods.

With ``--real-kubelet`` the sim's kubelet runs the pods for real (a container
process that sleeps ``--run-seconds``, its logs followed) and the delays are
measured from the moment the kubelet writes Running / the base container's
``terminated`` state into the store (the store's ``mutate`` is wrapped to
note the time).

    .venv/bin/python bench/engine_latency.py [--runs 20] [--run-seconds 6] [--real-kubelet]

Targets: median < 50 ms for both delays. (API requests and CPU per run are
measured per ``kpodtui run`` process, beside kubectl and a poller, by
``bench/many_runs.py``: in this script the runs share one process and its
watches, which says nothing about what a ``kpodtui run`` costs.)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

SPEC = """
task_id: lat
image: busybox
cmds: [sh, -c, 'sleep 3600']
get_logs: false
node_selector: {bench: never-scheduled-by-the-sim}
on_finish_action: keep_pod
"""


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--run-seconds", type=float, default=6.0)
    ap.add_argument("--real-kubelet", action="store_true", help="let the sim's kubelet run the pods")
    ap.add_argument("--verbose", action="store_true", help="print the requests of each run")
    args = ap.parse_args()
    os.environ["KPODTUI_HOME"] = tempfile.mkdtemp(prefix="kpodtui-bench-")
    if args.real_kubelet:
        real_kubelet(args)
        return

    from kpodtui.engine.events import PodStatusChanged, RunFinished
    from kpodtui.engine.run import Run
    from kpodtui.engine.session import ClusterSession
    from kpodtui.history import History
    from kpodtui.kube.config import ClusterTarget
    from kpodtui.sim.cluster import SimCluster
    from kpodtui.tasks import load_spec_text

    sim = SimCluster.start(workdir=Path(tempfile.mkdtemp(prefix="kpodtui-sim-")))
    session = ClusterSession.open(ClusterTarget(kubeconfig=str(sim.kubeconfig_path)))
    history = History.open()
    now = lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())  # noqa: E731

    def set_status(ns: str, name: str, phase: str, base_state: dict) -> float:
        def fn(pod: dict) -> None:
            pod["spec"]["nodeName"] = "sim-node"
            st = pod.setdefault("status", {})
            st["phase"] = phase
            st["conditions"] = [{"type": "PodScheduled", "status": "True"}]
            st["containerStatuses"] = [{"name": "base", "image": "busybox", "imageID": "sim://busybox",
                                        "ready": phase == "Running", "restartCount": 0, "state": base_state}]

        t = time.perf_counter()
        sim.call(sim.store.mutate, "pods", ns, name, fn)
        return t

    running_delay, verdict_delay, engine_reqs = [], [], []
    poll_running, poll_verdict, poll_reqs = [], [], []
    try:
        for _ in range(args.runs):
            spec = load_spec_text(SPEC)[0]
            run = Run(spec, session, history)
            marks: dict[str, float] = {}
            seen = threading.Event()

            def on_event(e, marks=marks, seen=seen):
                if isinstance(e, PodStatusChanged) and e.phase == "Running" and "running" not in marks:
                    marks["running"] = time.perf_counter()
                    seen.set()
                if isinstance(e, RunFinished):
                    marks["finished"] = time.perf_counter()

            run.subscribe(on_event)
            sim.reset_counters()
            run.start()
            while not run.pod_name or run.pod is None:
                time.sleep(0.005)
            time.sleep(0.05)
            ns, name = run.namespace, run.pod_name
            # the polling baseline: GET the pod every 2 s, note when it sees each change
            poll_marks: dict[str, float] = {}
            stop = threading.Event()
            poll_count = [0]

            def poll(ns=ns, name=name, poll_marks=poll_marks, stop=stop, poll_count=poll_count):
                while not stop.is_set():
                    pod = session.api.get_pod(ns, name)
                    poll_count[0] += 1
                    if pod is None:
                        return
                    st = (pod.get("status") or {})
                    if st.get("phase") == "Running" and "running" not in poll_marks:
                        poll_marks["running"] = time.perf_counter()
                    cs = (st.get("containerStatuses") or [{}])[0].get("state", {})
                    if "terminated" in cs and "finished" not in poll_marks:
                        poll_marks["finished"] = time.perf_counter()
                        return
                    stop.wait(2.0)

            poller = threading.Thread(target=poll, daemon=True)
            poller.start()
            time.sleep(random.uniform(0.5, 2.5))  # the change lands anywhere in a poll period
            t_run = set_status(ns, name, "Running", {"running": {"startedAt": now()}})
            seen.wait(10)
            time.sleep(max(0.0, args.run_seconds - 0.1))
            t_exit = set_status(ns, name, "Succeeded", {"terminated": {"exitCode": 0, "reason": "Completed"}})
            run.wait(30)
            poller.join(5)
            stop.set()
            counts = sim.counters()
            total = sum(counts.values())
            polls = poll_count[0]
            running_delay.append((marks["running"] - t_run) * 1000)
            verdict_delay.append((marks["finished"] - t_exit) * 1000)
            poll_running.append((poll_marks["running"] - t_run) * 1000)
            poll_verdict.append((poll_marks["finished"] - t_exit) * 1000)
            session.api.delete_pod(ns, name, 0)
            engine_reqs.append(total - polls)
            poll_reqs.append(polls)
    finally:
        session.close()
        sim.stop()

    def row(label: str, vals: list[float]) -> str:
        return f"  {label:<34} median {statistics.median(vals):8.1f} ms   p99 {pct(vals, 99):8.1f} ms"

    print(f"{args.runs} runs of ~{args.run_seconds:g} s each")
    print("kpodtui engine (shared watch):")
    print(row("Running -> engine event", running_delay))
    print(row("base exit -> verdict", verdict_delay))
    print("polling baseline (GET pod every 2 s):")
    print(row("Running -> noticed", poll_running))
    print(row("base exit -> noticed", poll_verdict))


def real_kubelet(args: argparse.Namespace) -> None:
    """The same measurements with the sim's kubelet setting the states."""
    from kpodtui.engine.events import PodStatusChanged, RunFinished
    from kpodtui.engine.run import Run
    from kpodtui.engine.session import ClusterSession
    from kpodtui.history import History
    from kpodtui.kube.config import ClusterTarget
    from kpodtui.sim.cluster import SimCluster
    from kpodtui.tasks import load_spec_text

    # keep_pod: the polling baseline must still find the pod to notice its end
    spec_text = (
        f"task_id: lat\nimage: busybox\ncmds: [sh, -c, 'echo start; sleep {args.run_seconds:g}; echo end']\n"
        "on_finish_action: keep_pod\n"
    )
    sim = SimCluster.start(workdir=Path(tempfile.mkdtemp(prefix="kpodtui-sim-")))
    session = ClusterSession.open(ClusterTarget(kubeconfig=str(sim.kubeconfig_path)))
    history = History.open()
    store = sim.store
    kubelet_marks: dict[str, dict[str, float]] = {}
    original = store.mutate

    def mutate(kind, namespace, name, fn):  # runs on the sim's loop thread
        obj = original(kind, namespace, name, fn)
        marks = kubelet_marks.get(name)
        if obj is not None and kind == "pods" and marks is not None:
            t = time.perf_counter()
            st = obj.get("status") or {}
            if st.get("phase") == "Running":
                marks.setdefault("running", t)
            for cs in st.get("containerStatuses") or []:
                if cs.get("name") == "base" and "terminated" in (cs.get("state") or {}):
                    marks.setdefault("finished", t)
        return obj

    store.mutate = mutate  # type: ignore[method-assign]
    running_delay, verdict_delay, engine_reqs = [], [], []
    poll_running, poll_verdict, poll_reqs = [], [], []
    try:
        for _ in range(args.runs):
            run = Run(load_spec_text(spec_text)[0], session, history)
            marks: dict[str, float] = {}
            kubelet_marks[run.pod_name or ""] = {}

            def on_event(e, marks=marks):
                if isinstance(e, PodStatusChanged) and e.phase == "Running":
                    marks.setdefault("running", time.perf_counter())
                if isinstance(e, RunFinished):
                    marks["finished"] = time.perf_counter()

            run.subscribe(on_event)
            sim.reset_counters()
            poll_marks: dict[str, float] = {}
            polls = [0]

            def poll(run=run, poll_marks=poll_marks, polls=polls):
                while not run.pod_name or not run.manifest:
                    time.sleep(0.001)
                kubelet_marks.setdefault(run.pod_name, {})
                time.sleep(random.uniform(0, 2.0))  # the poller's phase is independent of the pod's
                while True:
                    pod = session.api.get_pod(run.namespace, run.pod_name)
                    polls[0] += 1
                    t = time.perf_counter()
                    if pod is None:
                        return
                    st = pod.get("status") or {}
                    if st.get("phase") == "Running":
                        poll_marks.setdefault("running", t)
                    cs = {c["name"]: c for c in st.get("containerStatuses") or []}.get("base", {})
                    if "terminated" in (cs.get("state") or {}):
                        poll_marks["finished"] = t
                        return
                    time.sleep(2.0)

            poller = threading.Thread(target=poll, daemon=True)
            poller.start()
            run.start()
            run.wait(args.run_seconds + 60)
            poller.join(10)
            km = kubelet_marks[run.pod_name]
            total = sum(sim.counters().values())
            running_delay.append((marks["running"] - km["running"]) * 1000)
            verdict_delay.append((marks["finished"] - km["finished"]) * 1000)
            if "running" in poll_marks:
                poll_running.append((poll_marks["running"] - km["running"]) * 1000)
            poll_verdict.append((poll_marks.get("finished", marks["finished"]) - km["finished"]) * 1000)
            engine_reqs.append(total - polls[0])
            if args.verbose:
                print({k: v for k, v in sim.counters().items() if v}, "polls:", polls[0])
            poll_reqs.append(polls[0])
    finally:
        session.close()
        sim.stop()

    def row(label: str, vals: list[float]) -> str:
        if not vals:
            return f"  {label:<34} (never seen)"
        return f"  {label:<34} median {statistics.median(vals):8.1f} ms   p99 {pct(vals, 99):8.1f} ms"

    print(f"{args.runs} runs of ~{args.run_seconds:g} s each, pods run by the sim's kubelet")
    print("kpodtui engine (shared watch, logs followed):")
    print(row("kubelet Running -> engine event", running_delay))
    print(row("kubelet base exit -> verdict", verdict_delay))
    print("polling baseline (GET pod every 2 s):")
    print(row("kubelet Running -> noticed", poll_running))
    print(row("kubelet base exit -> noticed", poll_verdict))
    # the same job done by polling also creates the pod, streams its log and cleans up


if __name__ == "__main__":
    main()
