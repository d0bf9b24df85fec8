-- Per-guild settings (only values that differ from the defaults in code), their change log,
-- and durable replays: the position of each and every message it has posted.

CREATE TABLE guild_settings (
    guild_id INTEGER NOT NULL,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,               -- JSON
    PRIMARY KEY (guild_id, key)
);

CREATE TABLE settings_log (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    key        TEXT NOT NULL,
    old_value  TEXT,                      -- JSON, NULL = the default
    new_value  TEXT,                      -- JSON, NULL = back to the default
    changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE channel_webhooks (
    channel_id INTEGER PRIMARY KEY,
    webhook_id INTEGER NOT NULL,
    token      TEXT NOT NULL
);

CREATE TABLE replays (
    id                INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    channel_id        INTEGER NOT NULL,
    revision_id       INTEGER NOT NULL REFERENCES revisions (id),
    state             TEXT NOT NULL CHECK (state IN ('running', 'paused', 'finished', 'stopped', 'failed')),
    first_number      INTEGER NOT NULL,   -- where the replay started (from_comment)
    next_number       INTEGER NOT NULL,   -- the next comment to post
    last_number       INTEGER NOT NULL,   -- the last comment of the thread
    in_flight         INTEGER,            -- a comment whose send began but was not recorded as complete
    pace              TEXT NOT NULL,      -- "6", "reading", "original:60", "manual"
    use_webhooks      INTEGER NOT NULL,
    status_message_id INTEGER,
    started_by        INTEGER NOT NULL,
    note              TEXT,               -- why it paused, stopped or failed
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- At most one live replay per channel.
CREATE UNIQUE INDEX replays_one_live_per_channel ON replays (channel_id) WHERE state IN ('running', 'paused');

CREATE TABLE replay_posts (
    replay_id      INTEGER NOT NULL REFERENCES replays (id) ON DELETE CASCADE,
    comment_number INTEGER NOT NULL,
    part           INTEGER NOT NULL,      -- 0, 1, ... when a long comment takes several messages
    message_id     INTEGER,               -- NULL: deliberately not posted (e.g. skipped by the profanity filter)
    PRIMARY KEY (replay_id, comment_number, part)
);
