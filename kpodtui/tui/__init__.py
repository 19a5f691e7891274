"""The Textual app. Nothing here is imported by the headless commands."""
