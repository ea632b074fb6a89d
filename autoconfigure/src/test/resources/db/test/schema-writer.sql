-- a schema writer of the application's own, which a plan must not run
CREATE TABLE written_at_start (id integer);
