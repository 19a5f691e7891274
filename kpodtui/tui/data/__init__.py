"""What the app knows and does, without a widget: the seam to the rest of kpodtui.

The screens show and act; everything else is here, and none of it imports
Textual (the import contract in ``pyproject.toml`` checks it), so it can be
tested, reused and replaced on its own:

- :mod:`.backend`: the :class:`~.backend.Backend` protocol the app calls from
  workers, and the values it returns (``TaskEntry``, ``RunRow``, ``RunDetails``);
- :mod:`.engine_backend`: the real backend, on the engine's run service;
- :mod:`.followed`: the runs the app shows (followed live or opened from the
  history), fed by the engine and drained once per frame;
- :mod:`.run_model`: one run as the app shows it, built from engine events;
- :mod:`.log_ring`: the bounded ring of log lines behind the run view;
- :mod:`.history_rows`, :mod:`.tasks`, :mod:`.spec_support`, :mod:`.clock`:
  history rows, task discovery, editor checks and previews, the app's clock.
"""
