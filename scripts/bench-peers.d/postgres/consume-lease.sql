-- pgbench -M prepared: two commits per batch: lease the 100 oldest rows not leased (or whose lease expired)
-- for 30 s and read them (events included), then delete them by lease token.
\set token random(1, 9000000000000000000)
UPDATE rawbench.queue SET lease_token = :token, lease_until = extract(epoch FROM clock_timestamp()) - 978307200 + 30 WHERE sequence IN (SELECT sequence FROM rawbench.queue WHERE lease_token IS NULL OR lease_until < extract(epoch FROM clock_timestamp()) - 978307200 ORDER BY sequence LIMIT 100 FOR UPDATE SKIP LOCKED) RETURNING sequence, event;
DELETE FROM rawbench.queue WHERE lease_token = :token;
