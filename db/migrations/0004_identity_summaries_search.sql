-- Thread identity, chunked imports, summaries without reading comments, caseless and accent-less titles, and
-- substring search for scripts written without spaces (CJK, Thai, ...).

-- What identifies a thread: the resolved path of its source file (see bot.importer.source_key). Threads stored
-- before this migration keep the path they were last imported from, marked 'legacy:', until a re-import of that
-- file replaces it with the resolved path. The slug is only a readable name from now on (made unique with -2, -3).
ALTER TABLE threads ADD COLUMN source_key TEXT;
-- The current revision: the highest complete one (NULL while a thread's first revision is still being written).
ALTER TABLE threads ADD COLUMN current_revision_id INTEGER;

-- A large file is written in several short transactions; its revision is complete (visible) only at the end.
ALTER TABLE revisions ADD COLUMN complete INTEGER NOT NULL DEFAULT 1 CHECK (complete IN (0, 1));
-- The title folded for matching (db.folding.fold: case folded, no accents, compatibility forms).
ALTER TABLE revisions ADD COLUMN title_key TEXT;
-- Summaries kept with the revision, so no command reads a whole thread to show them.
ALTER TABLE revisions ADD COLUMN reply_count INTEGER;
ALTER TABLE revisions ADD COLUMN commenter_count INTEGER;
ALTER TABLE revisions ADD COLUMN top_authors TEXT;              -- JSON [[author, comments], ...], most first

UPDATE threads SET current_revision_id =
    (SELECT id FROM revisions WHERE thread_id = threads.id ORDER BY number DESC LIMIT 1);
UPDATE threads SET source_key = 'legacy:' || (SELECT source_path FROM revisions WHERE id = threads.current_revision_id)
    WHERE current_revision_id IS NOT NULL;
CREATE UNIQUE INDEX threads_source_key ON threads (source_key);
CREATE INDEX threads_current_revision ON threads (current_revision_id);

UPDATE revisions SET
    title_key = rethread_fold(title),
    reply_count = (SELECT COUNT(reply_to) FROM comments WHERE revision_id = revisions.id),
    commenter_count = (SELECT COUNT(DISTINCT author) FROM comments WHERE revision_id = revisions.id),
    top_authors = (SELECT json_group_array(json_array(author, n)) FROM
        (SELECT author, COUNT(*) AS n FROM comments WHERE revision_id = revisions.id
         GROUP BY author ORDER BY n DESC, author LIMIT 10));
CREATE INDEX revisions_title_key ON revisions (title_key);

-- Comments in scripts written without spaces, indexed by trigrams: found by any substring of three characters
-- or more (shorter ones by a scan of this table alone). It keeps its own copy of those comments only: the store
-- adds them on import (db.folding.needs_substring); the GLOB below is the same test, for comments stored before.
CREATE VIRTUAL TABLE comments_cjk USING fts5 (author, text, tokenize = 'trigram');

CREATE TRIGGER comments_cjk_delete AFTER DELETE ON comments BEGIN
    DELETE FROM comments_cjk WHERE rowid = old.id;
END;

INSERT INTO comments_cjk (rowid, author, text)
    SELECT id, author, text FROM comments WHERE text GLOB '*[฀-໿က-႟ᄀ-ᇿក-៿⺀-⿟぀-ㇿ㐀-䶿一-鿿가-힯豈-﫿ｦ-ﾟ𠀀-𱍏]*' OR author GLOB '*[฀-໿က-႟ᄀ-ᇿក-៿⺀-⿟぀-ㇿ㐀-䶿一-鿿가-힯豈-﫿ｦ-ﾟ𠀀-𱍏]*';
