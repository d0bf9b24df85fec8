"""The bot's logging: discord.py's handler and format, at the level from ``LOG_LEVEL``.

Some libraries print secrets at DEBUG, so their loggers stay quieter whatever ``LOG_LEVEL`` says: discord.py's
HTTP log prints response bodies (a new webhook's token is in one), its webhook log prints each webhook's URL
(the token is part of it), its gateway log prints every event (interaction tokens included), and aiosqlite
prints every statement's parameters (the saved webhook token)."""

from __future__ import annotations

import logging

import discord

QUIETER = {"discord.http": logging.WARNING, "discord.webhook": logging.INFO, "discord.gateway": logging.INFO,
           "aiosqlite": logging.INFO}


def setup_logging(level: str) -> None:
    discord.utils.setup_logging(level=logging.getLevelName(level), root=True)
    for name, floor in QUIETER.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(floor, logger.getEffectiveLevel()))
