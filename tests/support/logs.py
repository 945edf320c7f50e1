"""Logging as pytest set it up, kept across commands run in the test process."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


@contextlib.contextmanager
def logging_restored() -> Iterator[None]:
    """A command run in process (``elearn.entrypoints.cli.main``) configures logging for its
    process: the root logger's handlers (a stream handler on the ``sys.stderr`` of the moment,
    pytest's capture of that test, closed when it ends) and the levels of other loggers. This
    process goes on running other tests, which log into pytest's own handlers again."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    saved = {
        name: (logger.level, logger.disabled)
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, logger in list(logging.Logger.manager.loggerDict.items()):
            if isinstance(logger, logging.Logger):
                level_before, disabled_before = saved.get(name, (logging.NOTSET, False))
                logger.setLevel(level_before)
                logger.disabled = disabled_before
