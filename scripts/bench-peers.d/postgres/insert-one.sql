-- pgbench -M prepared -D ev=EVENT_JSON: one event per transaction (autocommit), sent by the client.
INSERT INTO rawbench.events (sequence, source, id, type, subject, time, partition_key, stored_at, event) SELECT s, '/bench', 'r' || s, 'bench.publish1', NULL, NULL, NULL, extract(epoch FROM now()) - 978307200, :ev::bytea FROM (SELECT nextval('rawbench.seq') AS s) AS x;
