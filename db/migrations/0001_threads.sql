-- Threads, their revisions (one per distinct file content), comments, and full-text search over comments.

CREATE TABLE threads (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,              -- the file's name without extension
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE revisions (
    id            INTEGER PRIMARY KEY,
    thread_id     INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,                -- 1, 2, ... per thread; the highest is current
    sha256        TEXT NOT NULL,                   -- of the file's bytes: same content, same revision
    source_path   TEXT NOT NULL,
    title         TEXT NOT NULL,
    byline        TEXT,
    article       TEXT NOT NULL,                   -- JSON array of paragraphs
    comment_count INTEGER NOT NULL,
    warnings      TEXT NOT NULL DEFAULT '[]',      -- JSON array
    imported_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (thread_id, number),
    UNIQUE (thread_id, sha256)
);

CREATE TABLE comments (
    id              INTEGER PRIMARY KEY,
    revision_id     INTEGER NOT NULL REFERENCES revisions (id) ON DELETE CASCADE,
    number          INTEGER NOT NULL,
    author          TEXT NOT NULL,
    verified        INTEGER NOT NULL CHECK (verified IN (0, 1)),
    posted_at       TEXT,
    reply_to        INTEGER,
    reply_to_author TEXT,
    reply_source    TEXT CHECK (reply_source IN ('header', 'quote', 'mention')),
    -- The comment's blocks joined by a blank line (a block never contains one), and one character per
    -- block saying whether it is a quote ('q') or the author's own paragraph ('p').
    text            TEXT NOT NULL,
    blocks          TEXT NOT NULL,
    UNIQUE (revision_id, number),
    FOREIGN KEY (revision_id, reply_to) REFERENCES comments (revision_id, number)
);

CREATE VIRTUAL TABLE comments_fts USING fts5 (
    author, text, content = 'comments', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER comments_fts_insert AFTER INSERT ON comments BEGIN
    INSERT INTO comments_fts (rowid, author, text) VALUES (new.id, new.author, new.text);
END;

CREATE TRIGGER comments_fts_delete AFTER DELETE ON comments BEGIN
    INSERT INTO comments_fts (comments_fts, rowid, author, text) VALUES ('delete', old.id, old.author, old.text);
END;
