"""The run engine: carries one pod through the lifecycle and publishes typed events.

Front ends use :mod:`kpodtui.engine.run` (``Run``, ``RunService``) and
:mod:`kpodtui.engine.events`; the rest is the engine's own. Never imports
Textual. The TUI and headless mode are subscribers.
"""
