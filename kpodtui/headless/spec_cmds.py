"""``kpodtui validate`` and ``kpodtui dry-run``.

Both stay light: no kubernetes client, no Textual; jinja2 only when a spec
holds templates.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from kpodtui.errors import EXIT_BAD_INPUT, EXIT_OK
from kpodtui.pod import build_pod, manifest_json, manifest_yaml
from kpodtui.spec.files import shown_path
from kpodtui.spec.render import render_spec
from kpodtui.tasks import load_file, load_specs, pick_task


def validate_command(args: argparse.Namespace) -> int:
    """Check every file; print every problem (one line each) on stderr; 0 if all are valid, else 2."""
    bad = 0
    for path in args.specs:
        specs, errors, _text = load_file(path, args.overrides)  # read once: it may be a pipe
        for err in errors:
            print(f"kpodtui: error: {err}", file=sys.stderr)
        if errors:
            bad += 1
            continue
        for spec in specs:
            for warning in spec.warnings:
                print(f"kpodtui: warning: {warning}", file=sys.stderr)
        ids = ", ".join(s.task_id for s in specs)
        print(f"{shown_path(path)}: ok ({ids})")
    return EXIT_BAD_INPUT if bad else EXIT_OK


def dry_run_command(args: argparse.Namespace) -> int:
    """Print the pod manifest the spec would create (no run labels: there is no run)."""
    spec = pick_task(load_specs(args.spec, args.overrides), getattr(args, "task", None), shown_path(args.spec))
    for warning in spec.warnings:
        print(f"kpodtui: warning: {warning}", file=sys.stderr)
    rendered = render_spec(spec, run_id="dry-run", ts=datetime.now(UTC))
    pod = build_pod(rendered, None)
    out = manifest_json(pod) if getattr(args, "output", "yaml") == "json" else manifest_yaml(pod)
    sys.stdout.write(out)
    return EXIT_OK
