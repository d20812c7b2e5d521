-- Stepwise SQLite schema, version 5: each step row keeps its attempts as data.
-- Statements end with ';' at the end of a line (that is how the migrator splits them).
--
-- attempt_log is a JSON array of {attempt, started_at, ended_at, outcome, error, retry_delay_ms},
-- oldest first (dev.stepwise.engine.api.Attempt#toJson). It rides in the step row that every
-- step boundary writes anyway, so recording attempts costs no extra B-tree, and the manifest's
-- attempt_log is read from it instead of being rebuilt from log text. Rows written before this
-- version have no attempts recorded: '[]'.
ALTER TABLE job_steps ADD COLUMN attempt_log TEXT NOT NULL DEFAULT '[]';
