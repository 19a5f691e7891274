"""The conformance corpus: the sim and a real API server answer the same requests the same way.

Every difference is either fixed in the sim or listed (with why) in known.py and
docs/SIM-CONFORMANCE.md. Runs on the sim and the real control plane of the test
session (see tests/backends.py; skipped where the control plane is not built).
"""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path

import pytest

from tests.conformance.corpus import Conn, _make_namespace, compare
from tests.conformance.known import KNOWN

DOC = Path(__file__).resolve().parents[2] / "docs" / "SIM-CONFORMANCE.md"


def _explained(line: str) -> bool:
    return any(fnmatch.fnmatchcase(line, pattern) for pattern in KNOWN)


@pytest.mark.timeout(400)
def test_the_sim_answers_the_corpus_as_the_real_api_server_does(sim, control_plane):
    prefix = f"conf{os.getpid() % 100000}"
    lines = [re.sub(rf"^{prefix}-", "", d) for d in
             compare(Conn(str(sim.kubeconfig_path)), Conn(str(control_plane.kubeconfig_path)), _make_namespace,
                     prefix=prefix)]
    unexplained = [d for d in lines if not _explained(d)]
    assert not unexplained, "differences not in known.py:\n" + "\n".join(unexplained)
    stale = [p for p in KNOWN if not any(fnmatch.fnmatchcase(d, p) for d in lines)]
    assert not stale, f"known differences that are gone (remove them from known.py and the doc): {stale}"


def test_every_known_difference_is_explained_in_the_docs():
    text = DOC.read_text()
    for why in KNOWN.values():
        key = why.split(":", 1)[0]
        assert f"`{key}`" in text, f"docs/SIM-CONFORMANCE.md does not explain `{key}`"
