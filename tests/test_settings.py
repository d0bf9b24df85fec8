"""Settings from the environment: every bad value is a clear message naming the variable."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError


@pytest.mark.parametrize(("name", "value", "message"), [
    ("LOG_LEVEL", "verbose", "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, not 'verbose'"),
    ("RETHREAD_MAX_FILE_MB", "lots", "RETHREAD_MAX_FILE_MB must be a whole number, not 'lots'"),
    ("RETHREAD_WEBHOOK_BUDGET", "30", "RETHREAD_WEBHOOK_BUDGET: a send budget looks like 30/60"),
    ("DEV_GUILD_ID", "my server", "DEV_GUILD_ID must be a whole number, not 'my server'"),
])
def test_bad_settings_are_named(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(dotenv=None)
    assert str(raised.value).startswith(message)


def test_log_level_is_case_insensitive(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "debug")
    assert Settings.from_env(dotenv=None).log_level == "DEBUG"
