"""Chat handlers, asked in order; the first whose ``matches`` is true answers."""
from __future__ import annotations

import importlib

# Order matters: secretariat commands and running dialogs come before small talk and the catch-all Q&A.
HANDLER_MODULES = ("handlers.reminders", "handlers.eligibility", "handlers.smalltalk", "handlers.qa")


def default_handlers() -> list:
    """Instances of every handler, in dispatch order."""
    found = []
    for name in HANDLER_MODULES:
        found.extend(importlib.import_module(name).HANDLERS)
    return found
