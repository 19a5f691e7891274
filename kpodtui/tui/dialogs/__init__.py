"""Modal dialogs (names end in ``Dialog``)."""
