package dev.schemagate.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * What an embedded server of the tests does with its files, whichever database it runs:
 * binaries unpacked once per machine, a data directory per server that names the JVM owning
 * it, and the directories of servers whose JVM was killed removed by the next server.
 */
public final class ServerFiles {

	private static final String OWNER = "owner.pid";

	// ports below are often fixed by other software (databases, brokers, development servers)
	private static final int FIRST_PICKED_PORT = 10000;

	private ServerFiles() {
	}

	/**
	 * Unpacks binaries into a directory of their own, once per machine, readable by every
	 * user: a JVM that finds it unpacked uses it, two that unpack at once keep one copy.
	 * @param target the directory, named so that other binaries get another one
	 * @param unpacker writes the binaries into the directory it is given
	 * @return the directory
	 */
	public static synchronized Path unpackOnce(Path target, Unpacker unpacker) {
		if (Files.isDirectory(target)) {
			return target;
		}
		Path root = target.getParent();
		try {
			Files.createDirectories(root);
			root.toFile().setReadable(true, false);
			root.toFile().setExecutable(true, false);
			Path unpacking = Files.createTempDirectory(root, "unpacking-");
			unpacking.toFile().setReadable(true, false);
			unpacking.toFile().setExecutable(true, false);
			unpacker.unpack(unpacking);
			try {
				Files.move(unpacking, target, StandardCopyOption.ATOMIC_MOVE);
			}
			catch (FileAlreadyExistsException | AtomicMoveNotSupportedException ex) {
				// another JVM unpacked the same binaries first
				deleteTree(unpacking);
			}
			catch (IOException ex) {
				if (!Files.isDirectory(target)) {
					throw ex;
				}
				deleteTree(unpacking);
			}
			return target;
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not unpack the binaries into " + root, ex);
		}
	}

	/**
	 * Creates a server's directory in the temporary directory, naming this JVM as its owner.
	 * @param prefix how the directories of this kind of server begin
	 * @return the directory
	 */
	public static Path createServerDirectory(String prefix) {
		try {
			Path base = Files.createTempDirectory(prefix);
			Files.writeString(base.resolve(OWNER), Long.toString(ProcessHandle.current().pid()));
			return base;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Stops and removes the servers whose JVM is gone (killed, so its shutdown hook never
	 * ran).
	 * @param prefix how the directories of this kind of server begin
	 * @param serverPid where, in a server's directory, the server keeps its process id on
	 * the first line
	 */
	public static void removeAbandoned(String prefix, Function<Path, Path> serverPid) {
		Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
		try (Stream<Path> bases = Files.list(tmp)) {
			bases.filter((path) -> path.getFileName().toString().startsWith(prefix))
				.filter(ServerFiles::isAbandoned)
				.forEach((base) -> {
					Path pid = serverPid.apply(base);
					if (Files.exists(pid)) {
						try {
							long server = Long.parseLong(Files.readAllLines(pid).get(0).strip());
							ProcessHandle.of(server).ifPresent(ProcessHandle::destroyForcibly);
						}
						catch (IOException | RuntimeException ex) {
							// not a server of ours any more
						}
					}
					deleteTree(base);
				});
		}
		catch (IOException ex) {
			// nothing to clean
		}
	}

	private static boolean isAbandoned(Path base) {
		try {
			long owner = Long.parseLong(Files.readString(base.resolve(OWNER)).strip());
			return ProcessHandle.of(owner).map((process) -> !process.isAlive()).orElse(true);
		}
		catch (IOException | NumberFormatException ex) {
			return false;
		}
	}

	/**
	 * Removes a directory and what it holds, leaving what cannot be removed for the next
	 * server's clean-up.
	 * @param root the directory
	 */
	public static void deleteTree(Path root) {
		if (!Files.exists(root)) {
			return;
		}
		try (Stream<Path> paths = Files.walk(root)) {
			paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
		}
		catch (IOException ex) {
			// left for the next server's clean-up
		}
	}

	/**
	 * Returns the last lines of a server's log, for a failure to start.
	 * @param log the log file
	 * @return its last 20 lines, empty when it cannot be read
	 */
	public static String tail(Path log) {
		try {
			List<String> lines = Files.readAllLines(log);
			return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
		}
		catch (IOException ex) {
			return "";
		}
	}

	/**
	 * Returns a port nothing listens on now, below the kernel's range of ephemeral ports: a
	 * port from that range can be given to some process's outgoing connection between this
	 * call and the server's bind (or while a server restarts), and the server then fails to
	 * start with "address already in use".
	 * @return the port
	 */
	public static int freePort() {
		int ephemeralFrom = firstEphemeralPort();
		for (int attempt = 0; attempt < 200 && ephemeralFrom > FIRST_PICKED_PORT + 1; attempt++) {
			int port = ThreadLocalRandom.current().nextInt(FIRST_PICKED_PORT, ephemeralFrom);
			try (ServerSocket socket = new ServerSocket(port)) {
				return port;
			}
			catch (IOException ex) {
				// taken: try another
			}
		}
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	// the first port of /proc/sys/net/ipv4/ip_local_port_range, or Linux's default
	private static int firstEphemeralPort() {
		try {
			// read line by line: Files.readString trusts the size /proc reports and reads a byte
			String range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim();
			return Integer.parseInt(range.split("\\s+")[0]);
		}
		catch (IOException | RuntimeException ex) {
			return 32768;
		}
	}

	/**
	 * Writes binaries into a directory.
	 */
	@FunctionalInterface
	public interface Unpacker {

		/**
		 * Writes the binaries.
		 * @param directory the empty directory to write them into
		 * @throws IOException if they cannot be written
		 */
		void unpack(Path directory) throws IOException;

	}

}
