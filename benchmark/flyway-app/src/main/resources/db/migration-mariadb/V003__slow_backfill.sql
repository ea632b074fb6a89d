INSERT INTO migration_audit (note) VALUES ('slow');
SELECT SLEEP(${slowSeconds});
