package dev.schemagate.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import org.jspecify.annotations.Nullable;

/**
 * What this jar is and what it was built and tested with, as its build wrote them to
 * {@value #RESOURCE}: the start-up log line names them beside the versions the application
 * runs, so that a version outside what a release was tested with shows at once.
 */
final class SchemagateVersion {

	static final String RESOURCE = "META-INF/schemagate/build.properties";

	private final Properties properties;

	SchemagateVersion(Properties properties) {
		this.properties = properties;
	}

	static SchemagateVersion current() {
		Properties properties = new Properties();
		try (InputStream in = SchemagateVersion.class.getClassLoader().getResourceAsStream(RESOURCE)) {
			if (in != null) {
				properties.load(in);
			}
		}
		catch (IOException ex) {
			// the version is only reported: a jar without it still gates
		}
		return new SchemagateVersion(properties);
	}

	String version() {
		return this.properties.getProperty("version", "(unknown version)");
	}

	String builtWith() {
		return "Spring Boot " + property("built-with.spring-boot") + " and Liquibase "
				+ property("built-with.liquibase");
	}

	List<String> testedSpringBoot() {
		return list("tested-with.spring-boot");
	}

	List<String> testedLiquibase() {
		return list("tested-with.liquibase");
	}

	List<String> testedPostgresql() {
		return list("tested-with.postgresql");
	}

	/**
	 * The start-up line: this version and the ones the application runs on.
	 */
	String describe(@Nullable String springBoot, @Nullable String liquibase) {
		return "schemagate " + version() + " on Spring Boot " + orUnknown(springBoot) + " and Liquibase "
				+ orUnknown(liquibase) + " (built with " + builtWith() + "; tested with Spring Boot "
				+ String.join(", ", testedSpringBoot()) + ", Liquibase " + String.join(", ", testedLiquibase())
				+ ", PostgreSQL " + String.join(", ", testedPostgresql()) + ")";
	}

	/**
	 * What the application runs that no tested version shares a minor line with, or
	 * {@code null} when both were tested.
	 */
	@Nullable String untested(@Nullable String springBoot, @Nullable String liquibase) {
		StringBuilder untested = new StringBuilder();
		if (springBoot != null && !sameLine(springBoot, testedSpringBoot())) {
			untested.append("Spring Boot ").append(springBoot);
		}
		if (liquibase != null && !sameLine(liquibase, testedLiquibase())) {
			untested.append((untested.length() > 0) ? " and " : "").append("Liquibase ").append(liquibase);
		}
		return (untested.length() > 0) ? untested.toString() : null;
	}

	private static boolean sameLine(String version, List<String> tested) {
		return tested.stream().anyMatch((candidate) -> minorLine(candidate).equals(minorLine(version)));
	}

	private static String minorLine(String version) {
		String[] parts = version.split("[.-]");
		return (parts.length >= 2) ? parts[0] + "." + parts[1] : version;
	}

	private List<String> list(String key) {
		return Arrays.stream(property(key).split(",")).map(String::trim).filter((value) -> !value.isEmpty()).toList();
	}

	private String property(String key) {
		return this.properties.getProperty(key, "?");
	}

	private static String orUnknown(@Nullable String version) {
		return (version != null) ? version : "(unknown version)";
	}

}
