package dev.schemagate.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import dev.schemagate.gate.FleetRegistry.Member;
import dev.schemagate.gate.GateStatus;
import dev.schemagate.gate.SchemaPosition.ChangesetRef;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringApplicationRunListener;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.env.MapPropertySource;

/**
 * The modes that run once and exit, without starting the web server or any bean the
 * migration does not need: 'job' ({@code schemagate.mode=job}) migrates under the lock,
 * applies the contract changesets if no live instance's changelog lacks them, prints a
 * one-line summary and exits, 0 on success, non-zero on failure; 'plan'
 * ({@code schemagate.mode=plan}) prints what would be migrated, changing nothing.
 */
final class JobMode {

	private static final Log logger = LogFactory.getLog(JobMode.class);

	private JobMode() {
	}

	static boolean isJob(Environment environment) {
		return isMode(environment, SchemagateProperties.Mode.JOB) || isPlan(environment);
	}

	static boolean isPlan(Environment environment) {
		return isMode(environment, SchemagateProperties.Mode.PLAN);
	}

	private static boolean isMode(Environment environment, SchemagateProperties.Mode mode) {
		String value = environment.getProperty("schemagate.mode");
		return value != null && value.trim().equalsIgnoreCase(mode.name());
	}

	/**
	 * The summary of a job's gates, as the job prints it.
	 * @param gates the gates the job ran
	 * @param took how long the job took
	 * @return one line
	 */
	static String summary(List<SchemaGate> gates, Duration took) {
		if (gates.isEmpty()) {
			return "schemagate job: no Liquibase migration ran under schemagate (" + seconds(took) + ")";
		}
		return "schemagate job: " + gates.stream().map(JobMode::summary).collect(Collectors.joining("; ")) + " ("
				+ seconds(took) + ")";
	}

	private static String summary(SchemaGate gate) {
		return migration(gate) + contracts(gate.contracts()) + downgrade(gate.downgrade());
	}

	// a downgrade waits, like a contract, for the instances that use what it would remove
	private static String downgrade(DowngradePhase downgrade) {
		List<ChangesetRef> rolledBack = downgrade.rolledBack();
		String rolledBackPart = rolledBack.isEmpty() ? "" : ", rolled back " + rolledBack.size() + " changeset"
				+ plural(rolledBack.size()) + " of a newer version " + ids(rolledBack);
		List<ChangesetRef> pending = downgrade.pending();
		if (pending.isEmpty()) {
			return rolledBackPart;
		}
		String waiting = pending.size() + " changeset" + plural(pending.size()) + " of a newer version " + ids(pending)
				+ " not rolled back";
		if (downgrade.lastError() != null) {
			return ", " + waiting + ": " + downgrade.lastError();
		}
		List<Member> holders = downgrade.holders();
		return ", " + waiting + ": held back by " + holders.size() + " live instance" + plural(holders.size())
				+ " whose changelog has them: " + holders + " (run the job again once they are gone)";
	}

	private static String migration(SchemaGate gate) {
		GateStatus status = gate.status();
		String name = (gate.name().equals("liquibase")) ? "" : "'" + gate.name() + "' ";
		int applied = status.getApplied().size();
		String upTo = status.getPosition().map((position) -> position.changelogLastId()).map((id) -> ", up to " + id)
			.orElse("");
		return switch (status.getState()) {
			case FAILED -> name + "failed after " + applied + " changeset" + plural(applied) + ": "
					+ status.getLastError().orElse("unknown error");
			case UP_TO_DATE, SCHEMA_AHEAD -> (applied > 0)
					? name + "applied " + applied + " changeset" + plural(applied) + upTo
					: name + "already up to date" + upTo;
			default -> name + status.getState().name().toLowerCase(Locale.ROOT);
		};
	}

	// what the job did with the contract changesets, which it applies only when no live
	// instance's changelog lacks them
	private static String contracts(ContractPhase contracts) {
		List<ChangesetRef> applied = contracts.applied();
		List<ChangesetRef> pending = contracts.pending();
		String appliedPart = applied.isEmpty() ? ""
				: ", applied " + applied.size() + " contract changeset" + plural(applied.size()) + " " + ids(applied);
		if (pending.isEmpty()) {
			return appliedPart;
		}
		String waiting = pending.size() + " contract changeset" + plural(pending.size()) + " " + ids(pending);
		if (contracts.lastError() != null) {
			return appliedPart + ", " + waiting + " not applied: " + contracts.lastError();
		}
		if (!contracts.holders().isEmpty()) {
			List<Member> holders = contracts.holders();
			return appliedPart + ", " + waiting + " held back by " + holders.size() + " live instance"
					+ plural(holders.size()) + " whose changelog lacks them: " + holders
					+ " (run the job again once they are gone)";
		}
		return appliedPart + ", " + waiting + " pending";
	}

	private static String ids(List<ChangesetRef> changesets) {
		return changesets.stream().map(ChangesetRef::id).collect(Collectors.joining(", ", "[", "]"));
	}

	private static String plural(int count) {
		return (count != 1) ? "s" : "";
	}

	private static String seconds(Duration took) {
		return String.format(Locale.ROOT, "%.1f s", took.toMillis() / 1000.0);
	}

	/**
	 * Starts no web server and creates only the beans the migration needs: the application
	 * context is lazy, but for the Liquibase beans.
	 */
	static final class Settings implements EnvironmentPostProcessor, Ordered {

		@Override
		public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
			if (isPlan(environment) && !environment.getProperty("schemagate.enabled", Boolean.class, true)) {
				// Liquibase would migrate as without schemagate: a plan must change nothing
				throw new IllegalStateException("schemagate.mode=plan needs schemagate.enabled=true: with schemagate "
						+ "disabled, Liquibase would migrate the database instead of planning");
			}
			if (isJob(environment)) {
				environment.getPropertySources()
					.addFirst(new MapPropertySource("schemagateJobMode",
							Map.of("spring.main.web-application-type", "none", "spring.main.lazy-initialization",
									"true")));
			}
		}

		@Override
		public int getOrder() {
			// after the application's configuration, which may set the mode
			return ConfigDataEnvironmentPostProcessor.ORDER + 1;
		}

	}

	/**
	 * Prints the summary once the migration is done and exits before the application's
	 * runners run.
	 */
	static final class Exit implements SpringApplicationRunListener {

		private final long startNanos = System.nanoTime();

		private volatile SchemaGates gates;

		Exit(SpringApplication application, String[] args) {
		}

		// the gates, kept from their creation on: a failed context is closed before it is reported
		@Override
		public void contextPrepared(ConfigurableApplicationContext context) {
			if (isJob(context.getEnvironment())) {
				context.getBeanFactory().addBeanPostProcessor(new BeanPostProcessor() {

					@Override
					public Object postProcessAfterInitialization(Object bean, String beanName) {
						if (bean instanceof SchemaGates created) {
							Exit.this.gates = created;
						}
						return bean;
					}

				});
			}
		}

		@Override
		public void started(ConfigurableApplicationContext context, Duration timeTaken) {
			if (!isJob(context.getEnvironment())) {
				return;
			}
			if (isPlan(context.getEnvironment())) {
				logger.info("schemagate plan: no Liquibase migration to plan (" + seconds(took()) + ")");
				System.exit(SpringApplication.exit(context, () -> 0));
			}
			List<SchemaGate> ran = ran();
			for (SchemaGate gate : ran) {
				if (gate.status().getState() != GateStatus.State.FAILED) {
					gate.contracts().applyIfAllowed();
					gate.downgrade().applyIfAllowed(gate::aheadChangesets);
				}
			}
			logger.info(summary(ran, took()));
			// contract changesets held back are left for a later job: they wait by design
			boolean failed = ran.stream()
				.anyMatch((gate) -> gate.status().getState() == GateStatus.State.FAILED
						|| gate.contracts().lastError() != null || gate.downgrade().lastError() != null);
			System.exit(SpringApplication.exit(context, () -> failed ? 1 : 0));
		}

		@Override
		public void failed(ConfigurableApplicationContext context, Throwable exception) {
			if (context == null || !isJob(context.getEnvironment())) {
				return;
			}
			PlanPrintedException printed = isPlan(context.getEnvironment()) ? printed(exception) : null;
			if (printed != null && printed.getRefusedChanges() > 0) {
				logger.error("schemagate plan: nothing was changed (" + seconds(took()) + "); the migration would stop "
						+ "before applying anything, on " + printed.getRefusedChanges() + " unsafe change"
						+ ((printed.getRefusedChanges() != 1) ? "s" : "") + ", as schemagate.check.mode=fail");
				System.exit(2);
			}
			if (printed != null) {
				logger.info("schemagate plan: nothing was changed (" + seconds(took()) + ")");
				System.exit(0);
			}
			// the failure analysis follows, and the JVM exits with a non-zero code
			logger.error(isPlan(context.getEnvironment()) ? "schemagate plan: failed (" + seconds(took()) + ")"
					: summary(ran(), took()));
		}

		private static PlanPrintedException printed(Throwable exception) {
			for (Throwable cause = exception; cause != null; cause = cause.getCause()) {
				if (cause instanceof PlanPrintedException printed) {
					return printed;
				}
			}
			return null;
		}

		private List<SchemaGate> ran() {
			SchemaGates gates = this.gates;
			return (gates != null) ? gates.all() : List.of();
		}

		private Duration took() {
			return Duration.ofNanos(System.nanoTime() - this.startNanos);
		}

	}

}
