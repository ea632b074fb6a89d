INSERT INTO migration_audit (note) VALUES ('after-index');
