import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Checks a staged release (what 'mvn -Prelease deploy' wrote to a directory) the way Maven
 * Central's validation does, and for what schemagate promises of its jars: the published
 * artifacts and nothing else, each pom with the project's own metadata and no parent, every
 * file with its checksums and, with --signed, a signature gpg verifies.
 *
 * java .ci/CheckRelease.java STAGING_DIR VERSION [--signed]
 */
public class CheckRelease {

	static final String GROUP = "dev.schemagate";

	static final Set<String> PUBLISHED = Set.of("schemagate-spring-boot-autoconfigure", "schemagate-spring-boot-starter");

	private final List<String> problems = new ArrayList<>();

	private final List<String> checked = new ArrayList<>();

	public static void main(String[] args) throws Exception {
		if (args.length < 2) {
			System.err.println("usage: java .ci/CheckRelease.java STAGING_DIR VERSION [--signed]");
			System.exit(2);
		}
		CheckRelease check = new CheckRelease();
		check.run(Path.of(args[0]), args[1], List.of(args).contains("--signed"));
		check.checked.forEach((line) -> System.out.println("ok   " + line));
		check.problems.forEach((line) -> System.out.println("FAIL " + line));
		if (!check.problems.isEmpty()) {
			System.out.println(check.problems.size() + " problem(s): the release would not pass Maven Central's validation"
					+ " or lacks what schemagate's jars promise");
			System.exit(1);
		}
		System.out.println("Release " + args[1] + " is complete: " + PUBLISHED.size() + " artifacts checked");
	}

	void run(Path staging, String version, boolean signed) throws Exception {
		Path group = staging.resolve(GROUP.replace('.', '/'));
		Set<String> staged = new TreeSet<>();
		if (Files.isDirectory(group)) {
			try (Stream<Path> children = Files.list(group)) {
				children.filter(Files::isDirectory).forEach((child) -> staged.add(child.getFileName().toString()));
			}
		}
		if (!staged.equals(new TreeSet<>(PUBLISHED))) {
			fail("staged artifacts are " + staged + ", expected exactly " + new TreeSet<>(PUBLISHED)
					+ " (the parent, the sample, the benchmark, the embedded PostgreSQL and the compatibility builds"
					+ " are not published)");
		}
		for (String artifact : PUBLISHED) {
			Path directory = group.resolve(artifact).resolve(version);
			if (!Files.isDirectory(directory)) {
				fail(artifact + ": nothing staged for version " + version + " in " + directory);
				continue;
			}
			checkArtifact(directory, artifact, version, signed);
		}
	}

	void checkArtifact(Path directory, String artifact, String version, boolean signed) throws Exception {
		String base = artifact + "-" + version;
		Path pom = directory.resolve(base + ".pom");
		List<Path> files = List.of(pom, directory.resolve(base + ".jar"), directory.resolve(base + "-sources.jar"),
				directory.resolve(base + "-javadoc.jar"));
		for (Path file : files) {
			if (!Files.isRegularFile(file)) {
				fail(artifact + ": " + file.getFileName() + " is missing");
				continue;
			}
			checkChecksum(file, "md5", "MD5");
			checkChecksum(file, "sha1", "SHA-1");
			if (signed) {
				checkSignature(file);
			}
		}
		try (Stream<Path> all = Files.list(directory)) {
			all.map((file) -> file.getFileName().toString())
				.filter((name) -> name.startsWith(base + "-tests"))
				.forEach((name) -> fail(artifact + ": " + name + " is staged; test classes are not published"));
		}
		if (Files.isRegularFile(pom)) {
			checkPom(pom, artifact, version);
		}
		checkJars(directory, base, artifact, version);
	}

	void checkPom(Path pom, String artifact, String version) throws Exception {
		int before = this.problems.size();
		String text = Files.readString(pom);
		DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
		factory.setNamespaceAware(false);
		Document document = factory.newDocumentBuilder().parse(pom.toFile());
		Element project = document.getDocumentElement();
		String name = artifact + ".pom";
		expect(name, "modelVersion", text(project, "modelVersion"), "4.0.0");
		expect(name, "groupId", text(project, "groupId"), GROUP);
		expect(name, "artifactId", text(project, "artifactId"), artifact);
		expect(name, "version", text(project, "version"), version);
		for (String required : List.of("name", "description", "url")) {
			present(name, required, text(project, required));
		}
		Element license = first(first(project, "licenses"), "license");
		present(name, "licenses/license/name", text(license, "name"));
		expect(name, "licenses/license/url", text(license, "url"), "https://www.apache.org/licenses/LICENSE-2.0.txt");
		present(name, "developers/developer/name", text(first(first(project, "developers"), "developer"), "name"));
		Element scm = first(project, "scm");
		present(name, "scm/url", text(scm, "url"));
		present(name, "scm/connection", text(scm, "connection"));
		if (first(project, "parent") != null) {
			fail(name + ": names a parent, which is not published");
		}
		if (first(project, "repositories") != null) {
			fail(name + ": declares repositories, which Maven Central does not allow");
		}
		if (text.contains("${")) {
			fail(name + ": holds an unresolved property: " + text.substring(text.indexOf("${"), text.indexOf("${") + 20));
		}
		for (String foreign : List.of("spring-projects/spring-boot", "ask@spring.io", "spring-boot-starter-parent")) {
			if (text.contains(foreign)) {
				fail(name + ": names " + foreign + ", metadata of Spring Boot rather than of schemagate");
			}
		}
		Element dependencies = first(project, "dependencies");
		NodeList list = (dependencies != null) ? dependencies.getElementsByTagName("dependency") : null;
		for (int i = 0; list != null && i < list.getLength(); i++) {
			Element dependency = (Element) list.item(i);
			String coordinates = text(dependency, "groupId") + ":" + text(dependency, "artifactId");
			String dependencyVersion = text(dependency, "version");
			if (dependencyVersion == null || dependencyVersion.isBlank()) {
				fail(name + ": dependency " + coordinates + " has no version");
			}
			else if (dependencyVersion.endsWith("-SNAPSHOT") && !version.endsWith("-SNAPSHOT")) {
				fail(name + ": dependency " + coordinates + " is a snapshot, " + dependencyVersion);
			}
		}
		okIfNoNewProblems(before, name + ": coordinates, name, description, url, Apache licence, developers, scm, "
				+ ((list != null) ? list.getLength() : 0) + " dependencies with versions, no parent");
	}

	void checkJars(Path directory, String base, String artifact, String version) throws IOException {
		Path jar = directory.resolve(base + ".jar");
		if (!Files.isRegularFile(jar)) {
			return;
		}
		boolean starter = artifact.endsWith("-starter");
		int before = this.problems.size();
		try (JarFile file = new JarFile(jar.toFile())) {
			Manifest manifest = file.getManifest();
			String implementationVersion = (manifest != null)
					? manifest.getMainAttributes().getValue("Implementation-Version") : null;
			expect(jar.getFileName().toString(), "manifest Implementation-Version", implementationVersion, version);
			contains(file, "META-INF/LICENSE");
			if (!starter) {
				for (String attribute : List.of("Schemagate-Built-With", "Schemagate-Tested-With")) {
					present(jar.getFileName() + " manifest", attribute,
							(manifest != null) ? manifest.getMainAttributes().getValue(attribute) : null);
				}
				contains(file, "META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports");
				contains(file, "META-INF/spring-configuration-metadata.json");
				contains(file, "dev/schemagate/gate/MigrationGate.class");
				Properties build = new Properties();
				if (file.getEntry("META-INF/schemagate/build.properties") != null) {
					try (InputStream in = file.getInputStream(file.getEntry("META-INF/schemagate/build.properties"))) {
						build.load(in);
					}
				}
				expect(jar.getFileName().toString(), "META-INF/schemagate/build.properties version",
						build.getProperty("version"), version);
				if (file.stream().anyMatch((entry) -> entry.getName().startsWith("net/sf/jsqlparser/"))) {
					fail(jar.getFileName() + ": holds JSqlParser unrelocated");
				}
				if (file.stream().noneMatch((entry) -> entry.getName().startsWith("dev/schemagate/check/jsqlparser/"))) {
					fail(jar.getFileName() + ": lacks the relocated JSqlParser the changeset check needs");
				}
			}
		}
		okIfNoNewProblems(before, jar.getFileName() + ": manifest names version " + version + (starter ? "" : ", built-with and tested-with")
				+ ", licence inside");
		before = this.problems.size();
		Path sources = directory.resolve(base + "-sources.jar");
		Path javadoc = directory.resolve(base + "-javadoc.jar");
		if (Files.isRegularFile(sources)) {
			try (JarFile file = new JarFile(sources.toFile())) {
				contains(file, starter ? "META-INF/LICENSE" : "dev/schemagate/gate/MigrationGate.java");
			}
		}
		if (Files.isRegularFile(javadoc)) {
			try (JarFile file = new JarFile(javadoc.toFile())) {
				contains(file, starter ? "META-INF/LICENSE" : "index.html");
			}
		}
		okIfNoNewProblems(before, artifact + ": sources and javadoc jars with their content");
	}

	void checkChecksum(Path file, String extension, String algorithm) throws Exception {
		Path sum = file.resolveSibling(file.getFileName() + "." + extension);
		if (!Files.isRegularFile(sum)) {
			fail(file.getFileName() + ": " + sum.getFileName() + " is missing");
			return;
		}
		String expected = HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(Files.readAllBytes(file)));
		String actual = Files.readString(sum).trim().split("\\s+")[0];
		if (!expected.equalsIgnoreCase(actual)) {
			fail(sum.getFileName() + ": does not match " + file.getFileName());
		}
	}

	void checkSignature(Path file) throws Exception {
		Path signature = file.resolveSibling(file.getFileName() + ".asc");
		if (!Files.isRegularFile(signature)) {
			fail(file.getFileName() + ": " + signature.getFileName() + " is missing");
			return;
		}
		Process gpg = new ProcessBuilder("gpg", "--batch", "--verify", signature.toString(), file.toString())
			.redirectErrorStream(true)
			.start();
		String output = new String(gpg.getInputStream().readAllBytes());
		if (gpg.waitFor() != 0) {
			fail(signature.getFileName() + ": gpg does not verify it: " + output.strip());
		}
		else {
			this.checked.add(signature.getFileName() + ": verified");
		}
	}

	private void okIfNoNewProblems(int before, String line) {
		if (this.problems.size() == before) {
			this.checked.add(line);
		}
	}

	private void contains(JarFile file, String entry) {
		if (file.getEntry(entry) == null) {
			fail(Path.of(file.getName()).getFileName() + ": lacks " + entry);
		}
	}

	private void expect(String where, String what, String actual, String expected) {
		if (!expected.equals(actual)) {
			fail(where + ": " + what + " is " + actual + ", expected " + expected);
		}
	}

	private void present(String where, String what, String actual) {
		if (actual == null || actual.isBlank()) {
			fail(where + ": " + what + " is missing, which Maven Central requires");
		}
	}

	private void fail(String problem) {
		this.problems.add(problem);
	}

	private static Element first(Element parent, String name) {
		if (parent == null) {
			return null;
		}
		for (Node child = parent.getFirstChild(); child != null; child = child.getNextSibling()) {
			if (child instanceof Element element && element.getTagName().equals(name)) {
				return element;
			}
		}
		return null;
	}

	private static String text(Element parent, String name) {
		Element element = first(parent, name);
		return (element != null) ? element.getTextContent().trim() : null;
	}

}
