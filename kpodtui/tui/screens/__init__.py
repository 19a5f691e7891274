"""Screens of the app (names end in ``Screen``)."""
