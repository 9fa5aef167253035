"""Fails at import, as a handler with a missing dependency does."""
import a_module_that_is_not_installed  # noqa: F401


def handler(event, context):
    return event
