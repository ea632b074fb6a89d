package dev.schemagate.sample.fleet;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A network namespace of the test's own, joined to this host by a veth pair on a
 * link-local /30, through which an instance reaches PostgreSQL. Blackhole routes on both
 * ends cut it off without a FIN or an RST, as a power loss or a partition does. Needs root.
 */
final class NetworkNamespace implements AutoCloseable {

	/** The link between this host and the namespace. */
	static final String NETWORK = "169.254.77.0/30";

	/** This host's end of the pair, where PostgreSQL is reached from the namespace. */
	static final String HOST_ADDRESS = "169.254.77.1";

	/** The namespace's end of the pair. */
	static final String GUEST_ADDRESS = "169.254.77.2";

	private final String name;

	private final String hostLink;

	private boolean cut;

	private NetworkNamespace(String name, String hostLink) {
		this.name = name;
		this.hostLink = hostLink;
	}

	/**
	 * Whether namespaces can be made here: as root, with iproute2.
	 * @return whether {@link #create()} can work
	 */
	static boolean available() {
		try {
			return "0".equals(output("id", "-u").strip()) && run(List.of("ip", "netns", "list")) == 0;
		}
		catch (IOException ex) {
			return false;
		}
	}

	/**
	 * Creates the namespace and its link to this host.
	 * @return the namespace
	 * @throws IOException if a command fails
	 */
	static NetworkNamespace create() throws IOException {
		String id = Long.toString(ProcessHandle.current().pid() % 100000);
		NetworkNamespace namespace = new NetworkNamespace("sg" + id, "sgh" + id);
		String guestLink = "sgg" + id;
		namespace.close();
		namespace.ip("netns", "add", namespace.name);
		namespace.ip("link", "add", namespace.hostLink, "type", "veth", "peer", "name", guestLink);
		namespace.ip("link", "set", guestLink, "netns", namespace.name);
		namespace.ip("addr", "add", HOST_ADDRESS + "/30", "dev", namespace.hostLink);
		namespace.ip("link", "set", namespace.hostLink, "up");
		namespace.ip("-n", namespace.name, "addr", "add", GUEST_ADDRESS + "/30", "dev", guestLink);
		namespace.ip("-n", namespace.name, "link", "set", guestLink, "up");
		namespace.ip("-n", namespace.name, "link", "set", "lo", "up");
		return namespace;
	}

	/**
	 * Returns the command prefix that runs a command inside the namespace.
	 * @return the launcher
	 */
	List<String> launcher() {
		return List.of("ip", "netns", "exec", this.name);
	}

	/**
	 * Drops every packet between the namespace and this host, both ways, silently.
	 * @throws IOException if a command fails
	 */
	void cut() throws IOException {
		ip("-n", this.name, "route", "add", "blackhole", HOST_ADDRESS + "/32");
		ip("route", "add", "blackhole", GUEST_ADDRESS + "/32");
		this.cut = true;
	}

	/**
	 * Lets packets through again.
	 * @throws IOException if a command fails
	 */
	void heal() throws IOException {
		ip("-n", this.name, "route", "del", "blackhole", HOST_ADDRESS + "/32");
		ip("route", "del", "blackhole", GUEST_ADDRESS + "/32");
		this.cut = false;
	}

	@Override
	public void close() throws IOException {
		if (this.cut) {
			heal();
		}
		run(List.of("ip", "route", "del", "blackhole", GUEST_ADDRESS + "/32"));
		run(List.of("ip", "netns", "del", this.name));
		run(List.of("ip", "link", "del", this.hostLink));
	}

	private void ip(String... arguments) throws IOException {
		List<String> command = new ArrayList<>(List.of("ip"));
		command.addAll(List.of(arguments));
		if (run(command) != 0) {
			throw new IOException("Failed: " + String.join(" ", command));
		}
	}

	private static int run(List<String> command) throws IOException {
		try {
			return new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(ProcessBuilder.Redirect.DISCARD)
				.start()
				.waitFor();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException(ex);
		}
	}

	private static String output(String... command) throws IOException {
		try {
			Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
			String output = new String(process.getInputStream().readAllBytes());
			process.waitFor();
			return output;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException(ex);
		}
	}

}
