-- Stepwise PostgreSQL schema, version 3: voices are a config kind of their own (issue 13; as
-- the SQLite store's version 7).
-- Statements end with ';' at the end of a line (that is how the migrator splits them).
--
-- The kind CHECK is replaced in one ALTER TABLE (the migrator runs it in one transaction); no
-- row changes. documents_kind_check is the name PostgreSQL gave the V1 column constraint.
ALTER TABLE {schema}.documents
    DROP CONSTRAINT documents_kind_check,
    ADD CONSTRAINT documents_kind_check CHECK (kind IN ('recipe', 'prompt', 'preset', 'provider', 'voice'));
