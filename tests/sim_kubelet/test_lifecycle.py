"""Lifecycle realism (issue 3 item 3), each through the official client over HTTP."""

from __future__ import annotations

import time

from kubernetes import watch

from .helpers import container_status, events, pod, sh, wait_event, wait_for, wait_phase


def test_pod_runs_to_succeeded_quickly(api):
    start = time.monotonic()
    api.create_namespaced_pod("default", pod("ok", sh("main", "echo hi")))
    p = wait_phase(api, "ok")
    assert time.monotonic() - start < 10  # no pull or sandbox delay (the speed itself: bench/sim_throughput.py)
    assert p.status.phase == "Succeeded"
    term = container_status(p, "main").state.terminated
    assert term.exit_code == 0 and term.reason == "Completed"
    assert term.container_id.startswith("containerd://")
    assert p.spec.node_name == "kpodtui-sim-node"
    assert p.status.pod_ip.startswith("10.244.") and p.status.host_ip == "127.0.0.1"
    assert p.status.qos_class == "BestEffort" and p.status.start_time is not None
    cs = container_status(p, "main")
    assert cs.image_id and cs.restart_count == 0 and cs.ready is False
    conds = {c.type: (c.status, c.reason) for c in p.status.conditions}
    assert conds["PodScheduled"] == ("True", None)
    assert conds["Ready"] == ("False", "PodCompleted")
    reasons = [e[1] for e in events(api, "ok")]
    for r in ("Scheduled", "Pulling", "Pulled", "Created", "Started"):
        assert r in reasons
    assert api.read_namespaced_pod_log("ok", "default") == "hi\n"


def test_failing_container_fails_the_pod_with_its_exit_code(api):
    api.create_namespaced_pod("default", pod("bad", sh("main", "echo oops >&2; exit 3")))
    p = wait_phase(api, "bad")
    assert p.status.phase == "Failed"
    term = container_status(p, "main").state.terminated
    assert (term.exit_code, term.reason) == (3, "Error")


def test_containers_run_together_and_a_sidecar_keeps_the_pod_running(api):
    # "a" can only finish if "b" runs at the same time (they meet through the shared emptyDir)
    body = pod(
        "duo",
        sh("a", "until [ -e /shared/b-was-here ]; do sleep 0.05; done; echo a done",
           volumeMounts=[{"name": "shared", "mountPath": "/shared"}]),
        sh("b", "touch /shared/b-was-here; while true; do sleep 1; done",
           volumeMounts=[{"name": "shared", "mountPath": "/shared"}]),
        volumes=[{"name": "shared", "emptyDir": {}}],
    )
    api.create_namespaced_pod("default", body)

    def a_done():
        p = api.read_namespaced_pod("duo", "default")
        a = container_status(p, "a")
        return p if a is not None and a.state.terminated is not None else None

    p = wait_for(a_done, what="container a to finish")
    assert container_status(p, "a").state.terminated.exit_code == 0
    assert container_status(p, "b").state.running is not None
    assert p.status.phase == "Running"
    ready = {c.type: c for c in p.status.conditions}["Ready"]
    assert ready.status == "False" and ready.message == "containers with unready status: [a]"


def test_init_containers_run_first_and_in_order(api):
    mount = [{"name": "work", "mountPath": "/work"}]
    body = pod(
        "inits",
        sh("main", "cat /work/order", volumeMounts=mount),
        init=[sh("first", "echo first >> /work/order", volumeMounts=mount),
              sh("second", "sleep 0.1; echo second >> /work/order", volumeMounts=mount)],
        volumes=[{"name": "work", "emptyDir": {}}],
    )
    api.create_namespaced_pod("default", body)
    p = wait_phase(api, "inits")
    assert p.status.phase == "Succeeded"
    assert api.read_namespaced_pod_log("inits", "default") == "first\nsecond\n"
    first = container_status(p, "first", init=True).state.terminated
    second = container_status(p, "second", init=True).state.terminated
    assert first.reason == second.reason == "Completed"
    assert first.finished_at <= second.started_at


def test_failing_init_container_fails_the_pod_and_main_never_starts(api):
    body = pod("initfail", sh("main", "echo never"), init=[sh("setup", "exit 2")])
    api.create_namespaced_pod("default", body)
    p = wait_phase(api, "initfail")
    assert p.status.phase == "Failed"
    term = container_status(p, "setup", init=True).state.terminated
    assert (term.exit_code, term.reason) == (2, "Error")
    assert container_status(p, "main").state.waiting.reason == "PodInitializing"
    init = {c.type: c for c in p.status.conditions}["Initialized"]
    assert init.status == "False" and init.message == "containers with incomplete status: [setup]"


def _unschedulable(api, name):
    def check():
        p = api.read_namespaced_pod(name, "default")
        conds = {c.type: c for c in p.status.conditions or []}
        c = conds.get("PodScheduled")
        return p if c is not None and c.status == "False" else None

    return wait_for(check, what=f"{name} unschedulable")


def test_too_big_pod_is_unschedulable(api):
    big = sh("main", "echo hi", resources={"requests": {"cpu": "64", "memory": "1Gi"}})
    api.create_namespaced_pod("default", pod("huge", big))
    p = _unschedulable(api, "huge")
    cond = {c.type: c for c in p.status.conditions}["PodScheduled"]
    assert cond.reason == "Unschedulable"
    assert cond.message.startswith("0/1 nodes are available: 1 Insufficient cpu.")
    assert p.status.phase == "Pending" and p.spec.node_name is None
    ev = wait_event(api, "huge", "FailedScheduling")
    assert ev[0] == "Warning" and "Insufficient cpu" in ev[2]


def test_node_selector_mismatch_is_unschedulable(api):
    api.create_namespaced_pod("default", pod("picky", sh("main", "echo hi"), nodeSelector={"disk": "ssd"}))
    p = _unschedulable(api, "picky")
    cond = {c.type: c for c in p.status.conditions}["PodScheduled"]
    assert "didn't match Pod's node affinity/selector" in cond.message
    wait_event(api, "picky", "FailedScheduling")


def test_pending_pod_is_scheduled_once_capacity_frees_up(api):
    api.create_namespaced_pod("default", pod("hog", sh("main", "sleep 0.3", resources={"requests": {"cpu": "3"}})))
    api.create_namespaced_pod("default", pod("next", sh("main", "echo hi", resources={"requests": {"cpu": "2"}})))
    _unschedulable(api, "next")
    assert wait_phase(api, "next").status.phase == "Succeeded"


def _waiting_reason(api, name, reason, timeout=10.0):
    def check():
        p = api.read_namespaced_pod(name, "default")
        cs = (p.status.container_statuses or [None])[0]
        w = cs.state.waiting if cs else None
        return p if w is not None and w.reason == reason else None

    return wait_for(check, timeout, f"{name} waiting {reason}")


def test_invalid_image_name(api):
    api.create_namespaced_pod("default", pod("badimg", {"name": "main", "image": "Not A Valid:Image"}))
    p = _waiting_reason(api, "badimg", "InvalidImageName")
    assert "invalid reference format" in container_status(p, "main").state.waiting.message
    assert p.status.phase == "Pending"
    wait_event(api, "badimg", "InspectFailed")


def test_refused_image_gives_errimagepull_then_imagepullbackoff(api):
    image = "registry.invalid/no-such-image:1.0"
    api.create_namespaced_pod("default", pod("nopull", {"name": "main", "image": image, "command": ["true"]}))
    _waiting_reason(api, "nopull", "ErrImagePull")
    p = _waiting_reason(api, "nopull", "ImagePullBackOff")
    assert container_status(p, "main").state.waiting.message == f'Back-off pulling image "{image}"'
    evs = events(api, "nopull")
    failed = [e for e in evs if e[1] == "Failed"]
    assert any(e[2].startswith(f'Failed to pull image "{image}"') for e in failed)
    assert ("Warning", "Failed", "Error: ErrImagePull") in evs
    assert ("Normal", "BackOff", f'Back-off pulling image "{image}"') in evs
    assert ("Warning", "Failed", "Error: ImagePullBackOff") in evs


def test_missing_configmap_key_gives_create_container_config_error(api, sim):
    sim.create_configmap("default", "settings", {"present": "yes"})
    c = sh("main", "echo $A", env=[{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "absent"}}}])
    api.create_namespaced_pod("default", pod("cfgkey", c))
    p = _waiting_reason(api, "cfgkey", "CreateContainerConfigError")
    msg = container_status(p, "main").state.waiting.message
    assert msg == "couldn't find key absent in ConfigMap default/settings"
    assert wait_event(api, "cfgkey", "Failed")[2] == f"Error: {msg}"


def test_missing_secret_gives_create_container_config_error(api):
    c = sh("main", "true", envFrom=[{"secretRef": {"name": "creds"}}])
    api.create_namespaced_pod("default", pod("nosecret", c))
    p = _waiting_reason(api, "nosecret", "CreateContainerConfigError")
    assert container_status(p, "main").state.waiting.message == 'secret "creds" not found'


def test_env_from_configmaps_secrets_and_downward_api(api, sim):
    sim.create_configmap("default", "cfg", {"COLOR": "blue", "SIZE": "L"})
    sim.create_secret("default", "sec", {"token": "s3cret"})
    c = sh("main", 'echo "$APP_COLOR $APP_SIZE $TOKEN $POD $NS $NODE $PLAIN $REF $OPT."',
           envFrom=[{"configMapRef": {"name": "cfg"}, "prefix": "APP_"}],
           env=[{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "token"}}},
                {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                {"name": "PLAIN", "value": "v"},
                {"name": "REF", "value": "$(PLAIN)-x"},
                {"name": "OPT", "valueFrom": {"configMapKeyRef": {"name": "gone", "key": "k", "optional": True}}}])
    api.create_namespaced_pod("default", pod("envs", c))
    assert wait_phase(api, "envs").status.phase == "Succeeded"
    assert api.read_namespaced_pod_log("envs", "default") == "blue L s3cret envs default kpodtui-sim-node v v-x .\n"


def test_configmap_and_secret_volumes_are_mounted(api, sim):
    sim.create_configmap("default", "files", {"app.conf": "debug=1"})
    sim.create_secret("default", "keys", {"id": "abc"})
    # mount points missing on the host are created there (empty): keep them under /tmp
    c = sh("main", "cat /tmp/kpodtui-sim/app/app.conf; echo; cat /tmp/kpodtui-sim/keys/id; echo; "
           "touch /tmp/kpodtui-sim/app/x 2>/dev/null || echo ro",
           volumeMounts=[{"name": "conf", "mountPath": "/tmp/kpodtui-sim/app"},
                         {"name": "keys", "mountPath": "/tmp/kpodtui-sim/keys"}])
    body = pod("vols", c, volumes=[{"name": "conf", "configMap": {"name": "files"}},
                                   {"name": "keys", "secret": {"secretName": "keys"}}])
    api.create_namespaced_pod("default", body)
    assert wait_phase(api, "vols").status.phase == "Succeeded"
    assert api.read_namespaced_pod_log("vols", "default") == "debug=1\nabc\nro\n"


def test_active_deadline_seconds_fails_the_pod(api):
    c = sh("main", "trap 'exit 143' TERM; while true; do sleep 0.05; done")
    api.create_namespaced_pod("default", pod("late", c, activeDeadlineSeconds=1))
    p = wait_phase(api, "late", timeout=15)
    assert p.status.phase == "Failed"
    assert p.status.reason == "DeadlineExceeded"
    assert p.status.message == "Pod was active on the node longer than the specified deadline"
    wait_event(api, "late", "DeadlineExceeded")
    p = wait_for(lambda: (q := api.read_namespaced_pod("late", "default"))
                 and container_status(q, "main") and container_status(q, "main").state.terminated and q,
                 what="main terminated")
    assert container_status(p, "main").state.terminated.exit_code == 143


def test_termination_message_from_file(api):
    c = sh("main", "echo 'all good' > /dev/termination-log")
    api.create_namespaced_pod("default", pod("tmsg", c))
    p = wait_phase(api, "tmsg")
    assert container_status(p, "main").state.terminated.message == "all good\n"


def test_termination_message_custom_path(api):
    c = sh("main", "echo custom > /tmp/kpodtui-done; exit 1", terminationMessagePath="/tmp/kpodtui-done")
    api.create_namespaced_pod("default", pod("tpath", c))
    p = wait_phase(api, "tpath")
    assert container_status(p, "main").state.terminated.message == "custom\n"


def test_fallback_to_logs_on_error(api):
    c = sh("main", "for i in $(seq 1 100); do echo line $i; done; exit 4",
           terminationMessagePolicy="FallbackToLogsOnError")
    api.create_namespaced_pod("default", pod("tfall", c))
    p = wait_phase(api, "tfall")
    msg = container_status(p, "main").state.terminated.message
    lines = msg.splitlines()
    assert len(lines) == 80 and lines[0] == "line 21" and lines[-1] == "line 100"


def test_delete_sends_sigterm_then_sigkill_after_grace(api):
    graceful = sh("polite", "trap 'echo got TERM; exit 0' TERM; while true; do sleep 0.05; done")
    stubborn = sh("stubborn", "trap 'echo ignoring TERM' TERM; while true; do sleep 0.05; done")
    api.create_namespaced_pod("default", pod("victim", graceful, stubborn))
    wait_phase(api, "victim", ("Running",))
    w = watch.Watch()
    rv = api.read_namespaced_pod("victim", "default").metadata.resource_version
    start = time.monotonic()
    api.delete_namespaced_pod("victim", "default", grace_period_seconds=1)
    seen = []
    for ev in w.stream(api.list_namespaced_pod, "default", resource_version=rv, timeout_seconds=10,
                       field_selector="metadata.name=victim"):
        seen.append(ev)
        if ev["type"] == "DELETED":
            w.stop()
    elapsed = time.monotonic() - start
    assert seen[-1]["type"] == "DELETED"
    assert 0.9 <= elapsed < 15  # the grace period was given, and not much more
    last = seen[-1]["object"]
    assert container_status(last, "polite").state.terminated.exit_code == 0
    assert container_status(last, "stubborn").state.terminated.exit_code == 137
    assert last.status.phase == "Failed"
    assert any(ev["object"].metadata.deletion_timestamp for ev in seen)


def test_delete_of_a_pod_that_ignores_sigterm_as_pid1(api):
    # sh as PID 1 without a trap ignores SIGTERM, as in a real container: the grace period runs out
    api.create_namespaced_pod("default", pod("pid1", sh("main", "sleep 60")))
    wait_phase(api, "pid1", ("Running",))
    api.delete_namespaced_pod("pid1", "default", grace_period_seconds=1)
    assert ("Normal", "Killing", "Stopping container main") in wait_for(
        lambda: [e for e in events(api, "pid1") if e[1] == "Killing"], what="Killing event")
    from kubernetes.client.exceptions import ApiException

    def gone():
        try:
            api.read_namespaced_pod("pid1", "default")
        except ApiException as e:
            return e.status == 404
        return False

    wait_for(gone, 5, "pod gone")


def test_kill_container_fault(api, sim):
    api.create_namespaced_pod("default", pod("victim2", sh("main", "while true; do sleep 0.05; done")))
    wait_phase(api, "victim2", ("Running",))
    sim.kill_container("default", "victim2", "main", exit_code=42)
    p = wait_phase(api, "victim2")
    assert p.status.phase == "Failed"
    assert container_status(p, "main").state.terminated.exit_code == 42


def test_restart_policy_on_failure_restarts_with_backoff(make_sim):
    from kubernetes import client, config

    from kpodtui.sim.node import NodeConfig

    sim = make_sim(node=NodeConfig(crash_backoff_seconds=0.2))
    api = client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))
    c = sh("main", "n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n; "
                   "if [ $n -ge 3 ]; then echo third; exit 0; fi; echo try$n; exit 1",
           volumeMounts=[{"name": "state", "mountPath": "/state"}])
    api.create_namespaced_pod("default", pod("crashy", c, restart="OnFailure",
                                             volumes=[{"name": "state", "emptyDir": {}}]))
    p = wait_phase(api, "crashy")
    assert p.status.phase == "Succeeded"
    cs = container_status(p, "main")
    assert cs.restart_count == 2 and cs.last_state.terminated.exit_code == 1
    assert api.read_namespaced_pod_log("crashy", "default") == "third\n"
    assert api.read_namespaced_pod_log("crashy", "default", previous=True) == "try2\n"
    # as the kubelet: the first restart is at once, the back-off (and its event) from the second
    backoffs = [e for e in api.list_namespaced_event("default").items
                if e.involved_object.name == "crashy" and e.reason == "BackOff"]
    assert len(backoffs) == 1 and (backoffs[0].count or 1) == 1


def test_restart_policy_always_runs_init_containers_once(api):
    body = pod("svc", sh("main", "while true; do sleep 0.05; done"), init=[sh("prep", "echo prepared")],
               restart="Always")
    api.create_namespaced_pod("default", body)
    p = wait_phase(api, "svc", ("Running",))
    init = container_status(p, "prep", init=True)
    assert init.restart_count == 0 and init.state.terminated.reason == "Completed"


def test_a_container_path_without_system_dirs_still_starts(api):
    c = {"name": "main", "image": "busybox", "command": ["/bin/sh", "-c", "echo $PATH"],
         "env": [{"name": "PATH", "value": "/nowhere"}]}
    api.create_namespaced_pod("default", pod("oddpath", c))
    assert wait_phase(api, "oddpath").status.phase == "Succeeded"
    assert api.read_namespaced_pod_log("oddpath", "default") == "/nowhere\n"


def test_unknown_command_is_a_start_error(api):
    api.create_namespaced_pod("default", pod("nocmd", {"name": "main", "image": "busybox",
                                                        "command": ["no-such-binary-xyz"]}))
    p = wait_phase(api, "nocmd")
    term = container_status(p, "main").state.terminated
    assert (p.status.phase, term.reason, term.exit_code) == ("Failed", "StartError", 128)
    assert 'exec: "no-such-binary-xyz": executable file not found in $PATH' in term.message
