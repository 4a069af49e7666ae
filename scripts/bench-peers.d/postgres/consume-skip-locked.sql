-- pgbench -M prepared: one transaction per batch: lock the 100 oldest rows no other consumer holds, read them
-- (events included), delete them, commit.
BEGIN;
SELECT coalesce(array_agg(sequence)::text, '{}') AS ids, coalesce(array_agg(event), '{}') AS events FROM (SELECT sequence, event FROM rawbench.queue ORDER BY sequence LIMIT 100 FOR UPDATE SKIP LOCKED) AS batch \gset
DELETE FROM rawbench.queue WHERE sequence = ANY (:ids::bigint[]);
COMMIT;
