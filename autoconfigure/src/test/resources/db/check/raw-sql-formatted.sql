--liquibase formatted sql

--changeset check:formatted-drop-table
DROP TABLE legacy_archive;

--changeset check:formatted-allowed labels:schemagate:allow=unchecked-sql splitStatements:false
DO $$ BEGIN PERFORM 1; END $$;
