package dev.schemagate.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A changelog of a few years of an application: the sample's own changesets, then
 * {@value #CHANGESETS} more of mixed kinds (tables, columns, indexes, inserts, updates and a
 * few {@code <sql>}), written twice: whole, and without its last {@value #PENDING}, for a
 * database that is that far behind. Both carry the same logical path, so that the shorter
 * one's changesets are the longer one's.
 * <p>
 * Some changesets insert a row into {@code big_audit} without a key: its row count tells
 * whether each ran exactly once.
 *
 * @param whole the changelog with every changeset
 * @param behind the changelog without the last {@value #PENDING}
 * @param auditRows the rows {@code big_audit} holds once every changeset ran once
 */
record BigChangelog(Path whole, Path behind, int auditRows) {

	static final int CHANGESETS = 2000;

	static final int PENDING = 10;

	private static final int PER_TABLE = 20;

	/**
	 * Writes both changelogs into a directory.
	 * @param directory where to write them
	 * @return the changelogs
	 */
	static BigChangelog write(Path directory) throws IOException {
		Files.createDirectories(directory);
		List<String> changesets = new ArrayList<>();
		int auditRows = 0;
		for (int n = 1; n <= CHANGESETS; n++) {
			String changes = changes(n);
			if (changes.contains("<insert tableName=\"big_audit\"")) {
				auditRows++;
			}
			changesets.add(String.format(Locale.ROOT, "\t<changeSet id=\"big-%04d\" author=\"benchmark\">%n%s\t</changeSet>%n",
					n, changes));
		}
		Path whole = directory.resolve("big-changelog.xml");
		Path behind = directory.resolve("big-changelog-behind.xml");
		Files.writeString(whole, changelog(changesets));
		Files.writeString(behind, changelog(changesets.subList(0, CHANGESETS - PENDING)));
		return new BigChangelog(whole, behind, auditRows);
	}

	/**
	 * The value of {@code spring.liquibase.change-log} for one of the files.
	 * @param changelog the file
	 * @return its URL
	 */
	static String location(Path changelog) {
		return "file:" + changelog.toAbsolutePath();
	}

	private static String changelog(List<String> changesets) {
		StringBuilder xml = new StringBuilder("""
				<?xml version="1.0" encoding="UTF-8"?>
				<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
						xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
						xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog
						https://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.33.xsd"
						logicalFilePath="db/big-changelog.xml">

					<include file="db/changelog/db.changelog-master.xml"/>

				""");
		changesets.forEach(xml::append);
		return xml.append("</databaseChangeLog>\n").toString();
	}

	// a table every twenty changesets, and what an application does to it over the years
	private static String changes(int n) {
		if (n == 1) {
			return """
					\t\t<createTable tableName="big_audit">
					\t\t\t<column name="n" type="int"/>
					\t\t\t<column name="note" type="varchar(40)"/>
					\t\t</createTable>
					""";
		}
		int table = (n - 2) / PER_TABLE;
		int step = (n - 2) % PER_TABLE;
		String name = "big_t_" + table;
		return switch (step) {
			case 0 -> String.format(Locale.ROOT, """
					\t\t<createTable tableName="%s">
					\t\t\t<column name="id" type="int">
					\t\t\t\t<constraints primaryKey="true"/>
					\t\t\t</column>
					\t\t\t<column name="name" type="varchar(100)"/>
					\t\t</createTable>
					""", name);
			case 7 -> createIndex(name, 1);
			case 13 -> createIndex(name, 2);
			case 8, 12, 18 -> String.format(Locale.ROOT, """
					\t\t<insert tableName="big_audit">
					\t\t\t<column name="n" valueNumeric="%d"/>
					\t\t\t<column name="note" value="%s"/>
					\t\t</insert>
					""", n, name);
			case 9 -> String.format(Locale.ROOT, "\t\t<sql>UPDATE %s SET c_1 = name WHERE id &gt; 0</sql>%n", name);
			case 19 -> String.format(Locale.ROOT, "\t\t<sql>DELETE FROM %s WHERE id &lt; 0</sql>%n", name);
			case 10 -> String.format(Locale.ROOT, """
					\t\t<insert tableName="%s">
					\t\t\t<column name="id" valueNumeric="1"/>
					\t\t\t<column name="name" value="first"/>
					\t\t</insert>
					""", name);
			case 11 -> String.format(Locale.ROOT, """
					\t\t<update tableName="%s">
					\t\t\t<column name="name" value="renamed"/>
					\t\t\t<where>id = 1</where>
					\t\t</update>
					""", name);
			default -> String.format(Locale.ROOT, """
					\t\t<addColumn tableName="%s">
					\t\t\t<column name="c_%d" type="%s"/>
					\t\t</addColumn>
					""", name, step, (step % 2 == 0) ? "int" : "varchar(100)");
		};
	}

	private static String createIndex(String table, int column) {
		return String.format(Locale.ROOT, """
				\t\t<createIndex tableName="%s" indexName="%s_c_%d">
				\t\t\t<column name="c_%d"/>
				\t\t</createIndex>
				""", table, table, column, column);
	}

}
