-- Discussions: a thread replayed into a Discord thread (or forum post) of one guild, and what its members write
-- there, captured as comments of that discussion. The imported thread stays shared between guilds; a discussion
-- and its captured comments belong to the guild that held it.

CREATE TABLE discussions (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    parent_id   INTEGER NOT NULL,                  -- the text or forum channel holding the Discord thread
    channel_id  INTEGER NOT NULL UNIQUE,           -- the Discord thread (or forum post): one discussion each
    thread_id   INTEGER NOT NULL REFERENCES threads (id),
    revision_id INTEGER NOT NULL REFERENCES revisions (id),
    replay_id   INTEGER REFERENCES replays (id),
    state       TEXT NOT NULL CHECK (state IN ('open', 'closed', 'ended')),  -- ended: the Discord thread is gone
    next_number INTEGER NOT NULL,                  -- the number the next captured comment gets
    -- The newest member message captured, deleted or not: after a gap the bot reads back from here, so a message
    -- deleted or forgotten (/discuss forget-me) is never read back again.
    last_message_id INTEGER,
    started_by  INTEGER NOT NULL,
    note        TEXT,                              -- why it ended
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    closed_at   TEXT
);

CREATE INDEX discussions_by_guild ON discussions (guild_id, id);
CREATE INDEX discussions_by_thread ON discussions (thread_id);

-- A member's reply names the message it answers: find the replayed comment behind it.
CREATE INDEX replay_posts_by_message ON replay_posts (message_id) WHERE message_id IS NOT NULL;

-- Numbers continue the original thread's (last + 1, ...), so a reply may point at an original comment or a
-- captured one with one number; a deleted message's number is not reused.
CREATE TABLE discussion_comments (
    id            INTEGER PRIMARY KEY,
    discussion_id INTEGER NOT NULL REFERENCES discussions (id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    message_id    INTEGER NOT NULL UNIQUE,         -- delete events carry only ids
    author_id     INTEGER NOT NULL,
    author        TEXT NOT NULL,                   -- the member's display name when they wrote it
    posted_at     TEXT NOT NULL,                   -- ISO 8601, UTC
    edited_at     TEXT,
    reply_to      INTEGER,                         -- a comment number of this discussion (original or captured)
    text          TEXT NOT NULL,
    attachments   TEXT NOT NULL DEFAULT '[]',      -- JSON array of URLs
    UNIQUE (discussion_id, number)
);

CREATE INDEX discussion_comments_by_author ON discussion_comments (author_id);

CREATE VIRTUAL TABLE discussion_comments_fts USING fts5 (
    author, text, content = 'discussion_comments', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER discussion_comments_fts_insert AFTER INSERT ON discussion_comments BEGIN
    INSERT INTO discussion_comments_fts (rowid, author, text) VALUES (new.id, new.author, new.text);
END;

CREATE TRIGGER discussion_comments_fts_delete AFTER DELETE ON discussion_comments BEGIN
    INSERT INTO discussion_comments_fts (discussion_comments_fts, rowid, author, text)
        VALUES ('delete', old.id, old.author, old.text);
END;

CREATE TRIGGER discussion_comments_fts_update AFTER UPDATE OF author, text ON discussion_comments BEGIN
    INSERT INTO discussion_comments_fts (discussion_comments_fts, rowid, author, text)
        VALUES ('delete', old.id, old.author, old.text);
    INSERT INTO discussion_comments_fts (rowid, author, text) VALUES (new.id, new.author, new.text);
END;
