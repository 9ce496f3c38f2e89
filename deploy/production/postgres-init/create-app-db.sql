-- The postgres image runs this once, on an empty data directory. POSTGRES_DB (dagster) holds
-- the Dagster instance; the app DB, where personal data lives, is a database of its own so it
-- can be backed up, restored and access-controlled apart from orchestration metadata.
CREATE DATABASE salesagent;
