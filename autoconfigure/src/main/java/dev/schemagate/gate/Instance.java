package dev.schemagate.gate;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

/**
 * This JVM as the other instances of the fleet see it: in the lock table and in the
 * database session that holds the fence.
 *
 * @param id random id of this JVM, the {@code CLIENT_ID} of its lock rows
 * @param host host name
 * @param pid process id
 * @param version the application's version, if known
 */
public record Instance(String id, String host, long pid, @Nullable String version) {

	private static final int MAX_APPLICATION_NAME = 63;

	/**
	 * Describes the running JVM.
	 * @param version the application's version, if known
	 * @return this instance
	 */
	public static Instance current(@Nullable String version) {
		return new Instance(UUID.randomUUID().toString(), hostName(), ProcessHandle.current().pid(), version);
	}

	/**
	 * Returns the {@code application_name} for the database session that holds the
	 * fence, so that waiting instances and DBAs can tell who migrates.
	 * @return the application name, cut to PostgreSQL's 63 characters
	 */
	public String applicationName() {
		String name = "schemagate " + this.host + " pid " + this.pid;
		return (name.length() <= MAX_APPLICATION_NAME) ? name : name.substring(0, MAX_APPLICATION_NAME);
	}

	private static String hostName() {
		try {
			return InetAddress.getLocalHost().getHostName();
		}
		catch (UnknownHostException ex) {
			return "unknown-host";
		}
	}

}
