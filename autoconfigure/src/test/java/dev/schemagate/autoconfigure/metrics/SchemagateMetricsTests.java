package dev.schemagate.autoconfigure.metrics;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.schemagate.status.GateStatus;
import dev.schemagate.status.SchemaPosition;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for what the meters of one gate report as its status changes.
 */
class SchemagateMetricsTests {

	private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

	@Test
	void failureTimerRecordsHowLongTheGateWasHeldBeforeTheFailure() throws Exception {
		GateStatus status = bound("liquibase");
		status.starting();
		status.acquired(Duration.ofMillis(5));
		Thread.sleep(120);
		status.failed(new IllegalStateException("changeset 2-seed failed"));
		FunctionTimer failure = migration("liquibase", "failure");
		assertThat(failure.count()).isEqualTo(1);
		assertThat(failure.totalTime(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(120);
		assertThat(migration("liquibase", "success").count()).isZero();
	}

	@Test
	void failureBeforeTheGateWasTakenRecordsNoTimeHeld() {
		GateStatus status = bound("liquibase");
		status.starting();
		status.failed(new IllegalStateException("waited too long"));
		FunctionTimer failure = migration("liquibase", "failure");
		assertThat(failure.count()).isEqualTo(1);
		assertThat(failure.totalTime(TimeUnit.MILLISECONDS)).isZero();
	}

	@Test
	void leaderIsAnInstanceThatTookTheLockToMigrateWhetherOrNotItAppliedAChangeset() {
		GateStatus led = bound("led");
		led.starting();
		led.acquired(Duration.ZERO);
		led.completed(Duration.ofMillis(30));
		GateStatus followed = bound("followed");
		followed.starting();
		followed.upToDate(new SchemaPosition("3-index", 0, 0, List.of()), Duration.ofMillis(900));
		assertThat(this.registry.get("schemagate.leader").tag("gate", "led").gauge().value()).isEqualTo(1);
		assertThat(this.registry.get("schemagate.leader").tag("gate", "followed").gauge().value()).isZero();
		assertThat(migration("led", "success").count()).isEqualTo(1);
		assertThat(migration("followed", "success").totalTime(TimeUnit.MILLISECONDS)).isZero();
	}

	private GateStatus bound(String name) {
		GateStatus status = new GateStatus(name);
		SchemagateMetrics.bind(this.registry, name, status);
		return status;
	}

	private FunctionTimer migration(String gate, String outcome) {
		return this.registry.get("schemagate.migration").tags("gate", gate, "outcome", outcome).functionTimer();
	}

}
