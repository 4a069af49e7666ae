-- Tops the queue up to :target rows (psql variables target and ev, the event's JSON), in one transaction.
INSERT INTO rawbench.queue (sequence, source, id, type, subject, time, partition_key, stored_at, event)
SELECT s, '/bench', 'q' || s, 'backlog.e', NULL, NULL, NULL, extract(epoch FROM now()) - 978307200, convert_to(:'ev', 'UTF8')
FROM (SELECT nextval('rawbench.queue_seq') AS s
      FROM generate_series(1, GREATEST(0, :target - (SELECT count(*) FROM rawbench.queue)))) AS x;
