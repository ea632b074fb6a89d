package dev.schemagate.autoconfigure.metrics;

import java.time.Duration;

import dev.schemagate.status.GateListener;
import dev.schemagate.status.SchemaPosition;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;

/**
 * Observes the two steps of a gate, so that traces show them: {@code schemagate.lock.acquire}
 * while an instance waits for the gate, and {@code schemagate.migrate} while it migrates.
 */
public class ObservingGateListener implements GateListener {

	private final ObservationRegistry registry;

	private @Nullable Observation acquire;

	private @Nullable Observation migrate;

	public ObservingGateListener(ObservationRegistry registry) {
		this.registry = registry;
	}

	@Override
	public synchronized void starting() {
		this.acquire = Observation.start("schemagate.lock.acquire", this.registry);
	}

	@Override
	public synchronized void upToDate(SchemaPosition position, Duration took) {
		stop(this.acquire, null);
		stop(this.migrate, null);
		this.acquire = null;
		this.migrate = null;
	}

	@Override
	public synchronized void acquired(Duration waited) {
		stop(this.acquire, null);
		this.acquire = null;
		this.migrate = Observation.start("schemagate.migrate", this.registry);
	}

	@Override
	public synchronized void retrying(Throwable failure, Duration backoff) {
		stop(this.migrate, failure);
		this.migrate = null;
	}

	@Override
	public synchronized void completed(Duration took) {
		stop(this.migrate, null);
		this.migrate = null;
	}

	@Override
	public synchronized void failed(Throwable failure) {
		stop(this.acquire, failure);
		stop(this.migrate, failure);
		this.acquire = null;
		this.migrate = null;
	}

	private static void stop(@Nullable Observation observation, @Nullable Throwable failure) {
		if (observation != null) {
			if (failure != null) {
				observation.error(failure);
			}
			observation.stop();
		}
	}

}
