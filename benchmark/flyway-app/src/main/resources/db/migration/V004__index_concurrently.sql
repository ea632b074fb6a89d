CREATE INDEX CONCURRENTLY greeting_message_idx ON greeting (message);
