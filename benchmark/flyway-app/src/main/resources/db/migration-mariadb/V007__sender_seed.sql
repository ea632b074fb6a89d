INSERT INTO sender (name) VALUES ('Ada');
INSERT INTO sender (name) VALUES ('Grace');
