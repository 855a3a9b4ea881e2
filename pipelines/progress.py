"""Progress lines (which asset, how many rows) for the terminal, alongside Dagster's own event log."""

from __future__ import annotations

import logging

from dagster import AssetExecutionContext

logger = logging.getLogger("payback.progress")


def report(context: AssetExecutionContext | None, message: str) -> None:
    if context is not None:
        context.log.info(message)
    logger.info(message)
