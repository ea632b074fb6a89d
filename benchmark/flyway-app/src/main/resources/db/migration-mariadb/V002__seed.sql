INSERT INTO migration_audit (note) VALUES ('seed');
INSERT INTO greeting (message) VALUES ('hello');
