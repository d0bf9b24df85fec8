"""The bot's logging: discord.py's handler and format on stderr (journald reads it), at the level from
``LOG_LEVEL``, and optionally a rotating file (``LOG_FILE``).

Some libraries print secrets at DEBUG, so their loggers stay quieter whatever ``LOG_LEVEL`` says: discord.py's
HTTP log prints response bodies (a new webhook's token is in one), its webhook log prints each webhook's URL
(the token is part of it), its gateway log prints every event (interaction tokens included), and aiosqlite
prints every statement's parameters (the saved webhook token)."""

from __future__ import annotations

import logging
import logging.handlers

import discord

from bot.settings import Settings

QUIETER = {"discord.http": logging.WARNING, "discord.webhook": logging.INFO, "discord.gateway": logging.INFO,
           "aiosqlite": logging.INFO}
FILE_FORMAT = "%(asctime)s %(levelname)-8s %(name)s %(message)s"


def setup_logging(settings: Settings) -> None:
    level = logging.getLevelName(settings.log_level)
    discord.utils.setup_logging(level=level, root=True)
    if settings.log_file is not None:
        settings.log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            settings.log_file, maxBytes=settings.log_file_mb * 1024 * 1024, backupCount=settings.log_file_count,
            encoding="utf-8")
        handler.setFormatter(logging.Formatter(FILE_FORMAT))
        logging.getLogger().addHandler(handler)
    for name, floor in QUIETER.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(floor, logger.getEffectiveLevel()))
