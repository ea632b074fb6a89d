-- InnoDB builds a secondary index online
CREATE INDEX greeting_message_idx ON greeting (message);
