"""The loggers of the Synapse libraries: named by module, quiet until the application configures logging.

Libraries must not decide where log records go (the Python logging HOWTO, "Configuring logging for a library"):
:func:`get_logger` puts a :class:`logging.NullHandler` on the package's top logger (``synapse_fileutils``,
``synapse_client``, ``synapse_plugins``), so an application without logging configuration sees no stray warnings on
stderr, and one with ``logging.basicConfig(...)`` sees everything as usual.

Example:
    >>> import logging
    >>> logger = get_logger("synapse_fileutils.download")
    >>> logger.name
    'synapse_fileutils.download'
    >>> any(isinstance(h, logging.NullHandler) for h in logging.getLogger("synapse_fileutils").handlers)
    True
"""

from __future__ import annotations

import logging

__all__ = ["get_logger"]


def get_logger(name: str) -> logging.Logger:
    """Return the logger ``name``, making sure its top-level package logger has a :class:`logging.NullHandler`.

    Args:
        name: A dotted logger name, such as ``"synapse_client"`` or ``"synapse_fileutils.download"``.

    Returns:
        The logger.

    Example:
        >>> get_logger("synapse_client").name
        'synapse_client'
    """
    root = logging.getLogger(name.split(".", 1)[0])
    if not any(isinstance(handler, logging.NullHandler) for handler in root.handlers):
        root.addHandler(logging.NullHandler())
    return logging.getLogger(name)
