package dev.schemagate.autoconfigure;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Collectors;

import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import dev.schemagate.fleet.FleetRegistry.Member;
import dev.schemagate.status.GateStatus;
import dev.schemagate.status.SchemaPosition.ChangesetRef;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.ExitCodeGenerator;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringApplicationRunListener;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * The modes that run once and end the application, 'job' and 'plan': they start without the
 * web server and with a lazy context (only the Liquibase beans and what they need are
 * created) and run none of the application's runners. A job ends through Spring Boot's own
 * exit machinery: the exit code is the job's, unless an {@code ExitCodeGenerator} of the
 * application says otherwise; a non-zero one fails the run with a
 * {@link RunOnceExitException}, which Spring Boot turns into the JVM's exit code, and a zero
 * one closes the context with {@code SpringApplication.exit}. A plan ends the same way, with 0,
 * or 2 when the changeset check would refuse the migration; what else writes a schema while a
 * context starts (a JPA {@code EntityManagerFactory}'s schema tool, SQL scripts, Flyway, the
 * schema initializers of Spring Batch, Session, Quartz and Integration) is turned off for it,
 * as a lazy context does not keep all of them out.
 */
final class JobMode {

	private static final Log logger = LogFactory.getLog(JobMode.class);

	private JobMode() {
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

	static String seconds(Duration took) {
		return String.format(Locale.ROOT, "%.1f s", took.toMillis() / 1000.0);
	}

	/**
	 * Starts no web server and creates only the beans the migration needs: the application
	 * context is lazy, but for the Liquibase beans.
	 */
	static final class Settings implements EnvironmentPostProcessor, Ordered {

		// a JPA EntityManagerFactory is created in any context, lazy or not, and its schema
		// tool would validate or update the schema the plan leaves as it is
		private static final Map<String, Object> SCHEMA_WRITERS_OFF = Map.of("spring.jpa.hibernate.ddl-auto", "none",
				"spring.jpa.generate-ddl", "false", "spring.jpa.properties.hibernate.hbm2ddl.auto", "none",
				"spring.jpa.properties.jakarta.persistence.schema-generation.database.action", "none",
				"spring.sql.init.mode", "never", "spring.flyway.enabled", "false",
				"spring.batch.jdbc.initialize-schema", "never", "spring.session.jdbc.initialize-schema", "never",
				"spring.quartz.jdbc.initialize-schema", "never", "spring.integration.jdbc.initialize-schema", "never");

		@Override
		public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
			SchemagateProperties.Mode mode = SchemagateProperties.Mode.of(environment);
			if (mode == SchemagateProperties.Mode.PLAN && !environment.getProperty("schemagate.enabled", Boolean.class,
					true)) {
				// Liquibase would migrate as without schemagate: a plan must change nothing
				throw new IllegalStateException("schemagate.mode=plan needs schemagate.enabled=true: with schemagate "
						+ "disabled, Liquibase would migrate the database instead of planning");
			}
			if (mode.runsOnce()) {
				Map<String, Object> settings = new LinkedHashMap<>();
				settings.put("spring.main.web-application-type", "none");
				settings.put("spring.main.lazy-initialization", "true");
				if (mode == SchemagateProperties.Mode.PLAN) {
					settings.putAll(SCHEMA_WRITERS_OFF);
				}
				environment.getPropertySources().addFirst(new MapPropertySource("schemagateJobMode", settings));
			}
		}

		@Override
		public int getOrder() {
			// after the application's configuration, which may set the mode
			return ConfigDataEnvironmentPostProcessor.ORDER + 1;
		}

	}

	/**
	 * Ends a run-once mode's application: keeps the application's runners from running,
	 * has the mode finish once the context started, and ends the run with its exit code.
	 */
	static final class Exit implements SpringApplicationRunListener {

		private final long startNanos = System.nanoTime();

		private volatile @Nullable SchemaGates gates;

		private volatile SchemagateProperties.@Nullable Mode mode;

		private volatile int exitCode;

		Exit(SpringApplication application, String[] args) {
		}

		// the gates, kept from their creation on: a failed context is closed before it is reported
		@Override
		public void contextPrepared(ConfigurableApplicationContext context) {
			SchemagateProperties.Mode mode = SchemagateProperties.Mode.of(context.getEnvironment());
			if (!mode.runsOnce()) {
				return;
			}
			this.mode = mode;
			context.addBeanFactoryPostProcessor(new WithoutRunners(mode));
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

		@Override
		public void started(ConfigurableApplicationContext context, @Nullable Duration timeTaken) {
			SchemagateProperties.Mode mode = this.mode;
			if (mode == null) {
				return;
			}
			StartStrategy strategy = context.getBeanProvider(StartStrategy.class).getIfAvailable();
			OptionalInt finished = (strategy != null) ? strategy.finish(ran(), took()) : OptionalInt.empty();
			if (finished.isPresent()) {
				this.exitCode = finished.getAsInt();
			}
			else if (mode == SchemagateProperties.Mode.PLAN) {
				// without a Liquibase bean schemagate's auto-configuration, and its strategy, back off
				logger.info("schemagate plan: no Liquibase migration to plan (" + seconds(took()) + ")");
			}
			else {
				logger.info(summary(List.of(), took()));
			}
		}

		// after the application's own ready listeners, as for any application
		@Override
		public void ready(ConfigurableApplicationContext context, @Nullable Duration timeTaken) {
			SchemagateProperties.Mode mode = this.mode;
			if (mode == null) {
				return;
			}
			int exitCode = this.exitCode;
			String reason = "schemagate " + mode.name().toLowerCase(Locale.ROOT) + " ended with exit code " + exitCode;
			if (exitCode == 0) {
				// an application's own exit code generators have their say, in their order, as
				// SpringApplication.exit gives it
				for (ExitCodeGenerator generator : context.getBeanProvider(ExitCodeGenerator.class)
					.orderedStream()
					.toList()) {
					int generated = generator.getExitCode();
					if (generated != 0) {
						exitCode = generated;
						reason = "the application's " + generator.getClass().getName() + " gave exit code " + generated;
						break;
					}
				}
			}
			if (exitCode != 0) {
				throw new RunOnceExitException(mode.name().toLowerCase(Locale.ROOT), exitCode, reason);
			}
			SpringApplication.exit(context);
		}

		@Override
		public void failed(@Nullable ConfigurableApplicationContext context, Throwable exception) {
			SchemagateProperties.Mode mode = this.mode;
			if (mode == null || exception instanceof RunOnceExitException) {
				return;
			}
			// the failure analysis follows, and the JVM exits with a non-zero code
			logger.error((mode == SchemagateProperties.Mode.PLAN) ? "schemagate plan: failed (" + seconds(took()) + ")"
					: summary(ran(), took()));
		}

		private List<SchemaGate> ran() {
			SchemaGates gates = this.gates;
			return (gates != null) ? gates.all() : List.of();
		}

		private Duration took() {
			return Duration.ofNanos(System.nanoTime() - this.startNanos);
		}

	}

	/**
	 * Leaves the application's {@code ApplicationRunner} and {@code CommandLineRunner} beans
	 * out of a run-once mode's context: a job or a plan ends before they would run.
	 */
	static final class WithoutRunners implements BeanFactoryPostProcessor {

		private final SchemagateProperties.Mode mode;

		WithoutRunners(SchemagateProperties.Mode mode) {
			this.mode = mode;
		}

		@Override
		public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
			if (!(beanFactory instanceof BeanDefinitionRegistry registry)) {
				return;
			}
			Set<String> runners = new LinkedHashSet<>();
			for (Class<?> type : List.of(ApplicationRunner.class, CommandLineRunner.class)) {
				runners.addAll(List.of(beanFactory.getBeanNamesForType(type, true, false)));
			}
			runners.removeIf((name) -> !registry.containsBeanDefinition(name));
			runners.forEach(registry::removeBeanDefinition);
			if (!runners.isEmpty()) {
				logger.info("schemagate " + this.mode.name().toLowerCase(Locale.ROOT) + ": the application's runners "
						+ runners + " do not run");
			}
		}

	}

}
