-- Raw PostgreSQL's ceiling for scripts/bench-peers: Herald's `events` table (columns and indexes as in
-- Sources/HeraldPostgres/PostgresSchema.swift, migration 1) in a schema of its own, and a queue with the same
-- columns and indexes plus a lease (token and expiry) for the lease-then-delete consumer.
DROP SCHEMA IF EXISTS rawbench CASCADE;
CREATE SCHEMA rawbench;
CREATE SEQUENCE rawbench.seq;
CREATE TABLE rawbench.events (
    sequence bigint PRIMARY KEY,
    source text NOT NULL,
    id text NOT NULL,
    type text COLLATE "C" NOT NULL,
    subject text,
    time float8,
    partition_key text,
    stored_at float8 NOT NULL,
    event bytea NOT NULL,
    UNIQUE (source, id)
);
CREATE INDEX events_by_type ON rawbench.events (type, sequence);
CREATE INDEX events_by_subject ON rawbench.events (subject, sequence);
CREATE INDEX events_by_source ON rawbench.events (source, sequence);
CREATE INDEX events_by_stored_at ON rawbench.events (stored_at);

CREATE SEQUENCE rawbench.queue_seq;
CREATE TABLE rawbench.queue (
    sequence bigint PRIMARY KEY,
    source text NOT NULL,
    id text NOT NULL,
    type text COLLATE "C" NOT NULL,
    subject text,
    time float8,
    partition_key text,
    stored_at float8 NOT NULL,
    event bytea NOT NULL,
    lease_token bigint,
    lease_until float8,
    UNIQUE (source, id)
);
CREATE INDEX queue_by_type ON rawbench.queue (type, sequence);
CREATE INDEX queue_by_subject ON rawbench.queue (subject, sequence);
CREATE INDEX queue_by_source ON rawbench.queue (source, sequence);
CREATE INDEX queue_by_stored_at ON rawbench.queue (stored_at);
CREATE INDEX queue_by_lease ON rawbench.queue (lease_token) WHERE lease_token IS NOT NULL;
