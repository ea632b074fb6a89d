package dev.schemagate.benchmark;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One packaged variant of the sample app: the same code and migrations, another migration
 * tool.
 *
 * @param name how the table names it
 * @param jar its executable jar
 */
record App(String name, Path jar) {

	static final String SCHEMAGATE = "schemagate";

	static final String PLAIN = "plain Liquibase";

	static final String FLYWAY = "Flyway";

	App {
		if (!Files.isRegularFile(jar)) {
			throw new IllegalStateException("The " + name + " app's jar is missing (" + jar
					+ "): build it with 'mvn -B package -DskipTests', or run benchmark/run.sh, which does");
		}
	}

	boolean isSchemagate() {
		return SCHEMAGATE.equals(this.name);
	}

}
