package dev.schemagate.embedded;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ServerFiles}.
 */
class ServerFilesTests {

	@Test
	@EnabledOnOs(OS.LINUX)
	void freePortIsOneAServerCanBindAndNoOutgoingConnectionIsGiven() throws IOException {
		String range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim();
		int firstEphemeral = Integer.parseInt(range.split("\\s+")[0]);
		for (int i = 0; i < 20; i++) {
			int port = ServerFiles.freePort();
			assertThat(port).isBetween(10000, firstEphemeral - 1);
			try (ServerSocket server = new ServerSocket(port)) {
				assertThat(server.getLocalPort()).isEqualTo(port);
			}
		}
	}

}
