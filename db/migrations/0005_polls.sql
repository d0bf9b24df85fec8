-- Native Discord polls about threads, and the votes on them (voter ids only to keep counts exact: never shown).

CREATE TABLE polls (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    channel_id     INTEGER NOT NULL,
    message_id     INTEGER NOT NULL UNIQUE,
    thread_id      INTEGER NOT NULL REFERENCES threads (id),
    kind           TEXT NOT NULL CHECK (kind IN ('comment', 'best', 'ask')),
    comment_number INTEGER,                  -- the comment a "Do you agree" poll is about
    question       TEXT NOT NULL,
    answers        TEXT NOT NULL,            -- JSON array, answer ids are 1, 2, ... in this order
    multiple       INTEGER NOT NULL,
    expires_at     TEXT NOT NULL,            -- ISO 8601, UTC
    created_by     INTEGER NOT NULL,
    final_counts   TEXT,                     -- JSON array once Discord says the results are final; NULL = open
    ended_at       TEXT,
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE INDEX polls_open_by_expiry ON polls (expires_at) WHERE final_counts IS NULL;
CREATE INDEX polls_by_guild ON polls (guild_id, id);

CREATE TABLE poll_votes (
    poll_id   INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL,
    answer_id INTEGER NOT NULL,
    PRIMARY KEY (poll_id, user_id, answer_id)
) WITHOUT ROWID;
