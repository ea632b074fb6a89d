-- the sample's MariaDB changelog, one migration each changeset
CREATE TABLE greeting (
	id BIGINT AUTO_INCREMENT PRIMARY KEY,
	message VARCHAR(200)
);
-- no unique key on purpose: a migration that runs twice leaves two rows
CREATE TABLE migration_audit (
	id BIGINT AUTO_INCREMENT PRIMARY KEY,
	note VARCHAR(100),
	applied_at TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP(6)
);
