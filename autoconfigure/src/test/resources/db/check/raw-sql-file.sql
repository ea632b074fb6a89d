-- a file of statements, split as Liquibase splits them
ALTER TABLE audit ADD COLUMN note2 text;
ALTER TABLE audit ALTER COLUMN note2 TYPE varchar(20);
