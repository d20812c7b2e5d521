-- Stepwise SQLite schema, version 2: versioned documents (recipes and the config entries
-- recipes refer to: prompts, presets, providers). One row per published version; a version,
-- once published, never changes and is never removed.
-- Statements end with ';' at the end of a line (that is how the migrator splits them), so a
-- trigger body keeps its inner ';' in the middle of a line.

CREATE TABLE documents (
    kind         TEXT    NOT NULL CHECK (kind IN ('recipe', 'prompt', 'preset', 'provider')),
    key          TEXT    NOT NULL CHECK (length(key) > 0),
    version      INTEGER NOT NULL CHECK (version >= 1),
    content_hash TEXT    NOT NULL
                 CHECK (length(content_hash) = 64 AND content_hash NOT GLOB '*[^0-9a-f]*'),
    content      TEXT    NOT NULL CHECK (json_valid(content)),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (kind, key, version)
) STRICT;

-- Published versions are immutable: the store only ever inserts, each new version the latest + 1.
-- The insert trigger also stops INSERT OR REPLACE from overwriting a version (REPLACE deletes
-- without firing delete triggers).
CREATE TRIGGER documents_next_version BEFORE INSERT ON documents
WHEN NEW.version <> 1 + COALESCE((SELECT MAX(version) FROM documents WHERE kind = NEW.kind AND key = NEW.key), 0)
BEGIN SELECT RAISE(ABORT, 'published versions are immutable; a new version must be the latest version + 1'); END;

CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents
BEGIN SELECT RAISE(ABORT, 'published versions are immutable'); END;

CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
BEGIN SELECT RAISE(ABORT, 'published versions are immutable'); END;
