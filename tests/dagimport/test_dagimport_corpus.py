"""The corpus: DAG files written for these tests, the specs `kpodtui import` must write for them
(``expected/``), and a round trip: each imported spec's dry run is the pod of the same task
written by hand (``handwritten/``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kpodtui.cli import main

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
EXPECTED = HERE / "expected"
HANDWRITTEN = HERE / "handwritten"

# DAG file -> the spec file it makes (named after the DAG id), and the exit code
CASES = {
    "provider_pod.py": ("etl_daily.yaml", 0),
    "aliases.py": ("ops_checks.yaml", 0),
    "old_provider.py": ("weekly_reports.yaml", 0),
    "contrib.py": ("legacy_nightly.yaml", 0),
    "mapped.py": ("backfill.yaml", 0),
    "unresolved.py": ("sync_nightly.yaml", 0),
    "missing_image.py": ("train_model.yaml", 2),
}


def _tasks(spec: Path) -> list[str]:
    import yaml

    return [d["task_id"] for d in yaml.safe_load_all(spec.read_text()) if d]


ROUND_TRIPS = [(name, task) for name, _rc in CASES.values() if (HANDWRITTEN / name).exists()
               for task in _tasks(HANDWRITTEN / name)]


@pytest.fixture
def imported(tmp_path_factory, monkeypatch):
    """Import every corpus file once, from the corpus folder (headers name files as given)."""
    out = tmp_path_factory.mktemp("imported")
    monkeypatch.chdir(CORPUS)
    codes = {dag: main(["import", dag, "-o", str(out)]) for dag in CASES}
    return out, codes


@pytest.mark.parametrize("dag", list(CASES))
def test_import_writes_the_expected_spec(dag, imported):
    out, codes = imported
    name, code = CASES[dag]
    assert (out / name).read_text() == (EXPECTED / name).read_text()
    assert codes[dag] == code


def test_the_corpus_covers_every_form_of_the_issue():
    text = "\n".join(p.read_text() for p in CORPUS.glob("*.py"))
    for form in (
        "from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator\n",  # plain
        "import KubernetesPodOperator as KPO",  # alias
        "import airflow.providers.cncf.kubernetes.operators.pod as kpod",  # module alias
        "operators.kubernetes_pod import KubernetesPodOperator",  # the older provider path
        "from airflow.contrib.operators import kubernetes_pod_operator",  # contrib
        'k8s.V1EnvVar("COUNT", "1")', "k8s.V1EnvVar(name=",  # models, positional and keyword
        "Secret(", "default_args=ARGS", "with DAG(", "@dag(", "TaskGroup(", "@task_group",
        'f"{REGISTRY}/etl:{VERSION}"', '"etl." + "extract"', "{**TEAM_LABELS",
        ".partial(", ".expand(", ".expand_kwargs(", "Variable.get(", "get_connection(",
    ):
        assert form in text, form


def _pod(spec: Path, task: str, capsys) -> dict:
    capsys.readouterr()
    assert main(["dry-run", str(spec), "--task", task, "-o", "json"]) == 0
    text = capsys.readouterr().out
    text = re.sub(r"secretvol[0-9a-f-]{36}", "secretvol", text)  # a fresh volume name per build
    pod = json.loads(text)
    pod["metadata"]["name"] = re.sub(r"-[a-z0-9]{8}$", "-SUFFIX", pod["metadata"]["name"])
    return pod


@pytest.mark.parametrize(("name", "task"), ROUND_TRIPS)
def test_round_trip_the_imported_spec_builds_the_pod_of_the_spec_written_by_hand(name, task, imported, capsys):
    out, _codes = imported
    by_hand = _pod(HANDWRITTEN / name, task, capsys)
    assert _pod(out / name, task, capsys) == by_hand
    assert by_hand["spec"]["containers"][0]["image"]  # a real pod, not two empty ones


def test_every_valid_import_has_its_hand_written_twin():
    for name, code in CASES.values():
        if code == 0:
            assert (HANDWRITTEN / name).exists(), name
            assert _tasks(HANDWRITTEN / name) == _tasks(EXPECTED / name)
