package dev.schemagate.sample;

import java.util.List;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * The senders of greetings, whose column version 2 renames from {@code name} to
 * {@code display_name}: both versions of the code live in this one build, chosen by
 * {@code sample.version}, so that a rolling deploy from one to the other can be run from it.
 */
@RestController
class SenderController {

	private final JdbcClient jdbc;

	private final String nameColumn;

	SenderController(JdbcClient jdbc, @Value("${sample.version:1}") int version) {
		this.jdbc = jdbc;
		// version 2 reads and writes only the new column: its contract changeset drops the old one
		this.nameColumn = (version >= 2) ? "display_name" : "name";
	}

	@GetMapping("/senders")
	List<String> all() {
		return this.jdbc.sql("SELECT " + this.nameColumn + " FROM sender ORDER BY id").query(String.class).list();
	}

	@PostMapping("/senders")
	String add(@RequestBody String name) {
		this.jdbc.sql("INSERT INTO sender (" + this.nameColumn + ") VALUES (?)").param(name).update();
		return name;
	}

}
