package dev.schemagate.gate;

import java.time.Duration;

import org.springframework.util.Assert;

/**
 * How the instances of a fleet wait for the one that migrates, so that what waiting costs
 * the database stays bounded however many instances start together.
 *
 * @param listeners most instances that wait with a database session of their own and are
 * woken at once by the leader's release; the others hold no session while they wait
 * @param asksPerSecond queries per second the instances that wait without a session of
 * their own send together, spread over the live instances the fleet registry counts
 * @param fleetWindow how recent an instance's heartbeat in the registry must be for it to
 * count as live
 */
public record WaitingSettings(int listeners, double asksPerSecond, Duration fleetWindow) {

	/** Eight listeners, 80 asks per second, the registry's default expiry of 30 seconds. */
	public static final WaitingSettings DEFAULTS = new WaitingSettings(8, 80, Duration.ofSeconds(30));

	public WaitingSettings {
		Assert.isTrue(listeners >= 0, "listeners must not be negative");
		Assert.isTrue(asksPerSecond > 0, "asksPerSecond must be positive");
		Assert.isTrue(fleetWindow.toMillis() > 0, "fleetWindow must be positive");
	}

}
