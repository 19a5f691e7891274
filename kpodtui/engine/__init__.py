"""The run engine: carries one pod through the lifecycle and publishes typed events.

Never imports Textual. The TUI and headless mode are subscribers.
"""
