INSERT INTO migration_audit (note) VALUES ('slow');
SELECT pg_sleep(${slowSeconds});
