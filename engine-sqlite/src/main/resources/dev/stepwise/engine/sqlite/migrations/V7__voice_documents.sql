-- Stepwise SQLite schema, version 7: voices are a config kind of their own (issue 13).
-- Statements end with ';' at the end of a line (that is how the migrator splits them), so a
-- trigger body keeps its inner ';' in the middle of a line.
--
-- SQLite cannot change a CHECK constraint in place: the documents table is rebuilt with 'voice'
-- among its kinds, every row copied as it was, and its immutability triggers created again
-- (DROP TABLE drops them and fires no delete trigger). The migrator runs this in one
-- transaction, so a crash leaves version 6 or version 7, never half of it.

CREATE TABLE documents_v7 (
    kind         TEXT    NOT NULL CHECK (kind IN ('recipe', 'prompt', 'preset', 'provider', 'voice')),
    key          TEXT    NOT NULL CHECK (length(key) > 0),
    version      INTEGER NOT NULL CHECK (version >= 1),
    content_hash TEXT    NOT NULL
                 CHECK (length(content_hash) = 64 AND content_hash NOT GLOB '*[^0-9a-f]*'),
    content      TEXT    NOT NULL CHECK (json_valid(content)),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (kind, key, version)
) STRICT;

INSERT INTO documents_v7 (kind, key, version, content_hash, content, created_at)
SELECT kind, key, version, content_hash, content, created_at FROM documents ORDER BY kind, key, version;

DROP TABLE documents;

ALTER TABLE documents_v7 RENAME TO documents;

CREATE TRIGGER documents_next_version BEFORE INSERT ON documents
WHEN NEW.version <> 1 + COALESCE((SELECT MAX(version) FROM documents WHERE kind = NEW.kind AND key = NEW.key), 0)
BEGIN SELECT RAISE(ABORT, 'published versions are immutable; a new version must be the latest version + 1'); END;

CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents
BEGIN SELECT RAISE(ABORT, 'published versions are immutable'); END;

CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
BEGIN SELECT RAISE(ABORT, 'published versions are immutable'); END;
