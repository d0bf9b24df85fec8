"""A wire-level Discord stand-in for the bot run as a separate process: rate limits, faults, restarts."""

from tests.fakediscord.server import FakeDiscord, InteractionRecord, ShownMessage

__all__ = ["FakeDiscord", "InteractionRecord", "ShownMessage"]
