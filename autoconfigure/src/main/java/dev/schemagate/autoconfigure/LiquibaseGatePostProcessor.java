package dev.schemagate.autoconfigure;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import dev.schemagate.check.ChangesetReview;
import dev.schemagate.gate.GateListener;
import dev.schemagate.gate.GateSettings;
import dev.schemagate.gate.GateStatus;
import dev.schemagate.gate.Instance;
import dev.schemagate.gate.MigrationGate;
import dev.schemagate.gate.SchemaPosition.ChangesetRef;
import dev.schemagate.gate.SchemaWait;
import dev.schemagate.gate.ShutdownSignal;
import dev.schemagate.liquibase.ChangelogTable;
import dev.schemagate.liquibase.DowngradeHold;
import dev.schemagate.liquibase.LiquibaseMigration;
import dev.schemagate.liquibase.LiquibasePlan;
import dev.schemagate.liquibase.LiquibasePlan.Plan;
import liquibase.exception.LiquibaseException;
import liquibase.integration.spring.SpringLiquibase;
import liquibase.util.LiquibaseUtil;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.support.MergedBeanDefinitionPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.SpringBootVersion;
import org.springframework.boot.info.BuildProperties;
import org.springframework.boot.jdbc.EmbeddedDatabaseConnection;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * Runs every {@link SpringLiquibase} bean's migration under the gate, in place of the
 * bean's own initialisation, or in 'wait' mode waits for another to apply it, or in 'plan'
 * mode prints what it would apply. Beans that
 * wait for database initialisation (an {@code EntityManagerFactory}, a
 * {@code JdbcTemplate}) therefore still wait for it.
 */
class LiquibaseGatePostProcessor
		implements MergedBeanDefinitionPostProcessor, BeanFactoryAware, EnvironmentAware, Ordered {

	private static final Log logger = LogFactory.getLog(LiquibaseGatePostProcessor.class);

	private final ObjectProvider<SchemagateProperties> properties;

	private final ObjectProvider<SchemaGates> gates;

	private final ObjectProvider<GateListener> listeners;

	private Instance instance = Instance.current(null);

	private @Nullable ListableBeanFactory beanFactory;

	private final Set<String> planned = new LinkedHashSet<>();

	private int refusedChanges;

	private boolean shutdownHookRegistered = true;

	private boolean announced;

	LiquibaseGatePostProcessor(ObjectProvider<SchemagateProperties> properties, ObjectProvider<SchemaGates> gates,
			ObjectProvider<GateListener> listeners) {
		this.properties = properties;
		this.gates = gates;
		this.listeners = listeners;
	}

	@Override
	public void setBeanFactory(BeanFactory beanFactory) {
		if (beanFactory instanceof ListableBeanFactory listable) {
			this.beanFactory = listable;
		}
	}

	@Override
	public void setEnvironment(Environment environment) {
		this.shutdownHookRegistered = environment.getProperty("spring.main.register-shutdown-hook", Boolean.class, true);
		String version = environment.getProperty("schemagate.app-version",
				environment.getProperty("spring.application.version", ""));
		this.instance = Instance.current(version.isEmpty() ? null : version);
	}

	@Override
	public void postProcessMergedBeanDefinition(RootBeanDefinition beanDefinition, Class<?> beanType,
			String beanName) {
		if (SpringLiquibase.class.isAssignableFrom(beanType)) {
			// the container must not run the migration a second time, outside the gate
			beanDefinition.registerExternallyManagedInitMethod("afterPropertiesSet");
		}
	}

	@Override
	public Object postProcessBeforeInitialization(Object bean, String beanName) throws BeansException {
		if (bean instanceof SpringLiquibase && !this.announced) {
			this.announced = true;
			announce(SchemagateVersion.current());
		}
		if (bean instanceof SpringLiquibase liquibase && InMemoryDatabase.holds(liquibase.getDataSource())) {
			// an in-memory database lives in this JVM alone, as in an application's own tests
			logger.info("'" + beanName + "' migrates an in-memory database of this JVM, which no other instance "
					+ "shares: running Liquibase without schemagate");
			try {
				liquibase.afterPropertiesSet();
			}
			catch (LiquibaseException ex) {
				throw new BeanCreationException(beanName, "Migration failed: " + ex.getMessage(), ex);
			}
			return bean;
		}
		if (bean instanceof SpringLiquibase liquibase
				&& this.properties.getObject().getMode() == SchemagateProperties.Mode.PLAN) {
			planAll(beanName, liquibase);
		}
		else if (bean instanceof SpringLiquibase liquibase) {
			SchemaGate gate = run(beanName, liquibase);
			applySchemaAheadPolicy(gate);
		}
		return bean;
	}

	// once, before the first migration: which schemagate runs, on what
	private static void announce(SchemagateVersion schemagate) {
		String springBoot = SpringBootVersion.getVersion();
		String liquibase = LiquibaseUtil.getBuildVersion();
		// what Liquibase reports when its jar does not say
		liquibase = ("UNKNOWN".equals(liquibase) || "DEV".equals(liquibase)) ? null : liquibase;
		logger.info(schemagate.describe(springBoot, liquibase));
		String untested = schemagate.untested(springBoot, liquibase);
		if (untested != null) {
			logger.warn("schemagate " + schemagate.version() + " was not tested with " + untested
					+ ": see the versions it was tested with in its CHANGELOG.md");
		}
	}

	// every Liquibase bean is planned, then the application stops: the beans that follow
	// would find a schema that was not migrated
	private void planAll(String beanName, SpringLiquibase liquibase) {
		boolean first = this.planned.isEmpty();
		plan(beanName, liquibase);
		if (first && this.beanFactory != null) {
			for (String other : this.beanFactory.getBeanNamesForType(SpringLiquibase.class, true, false)) {
				if (!this.planned.contains(other)) {
					this.beanFactory.getBean(other, SpringLiquibase.class);
				}
			}
		}
		if (first) {
			throw new PlanPrintedException(this.planned, this.refusedChanges);
		}
	}

	// on standard output rather than the log, so that it reads as the SQL it is
	private void plan(String beanName, SpringLiquibase liquibase) {
		this.planned.add(beanName);
		try {
			boolean checked = this.properties.getObject().getCheck().getMode() != SchemagateProperties.Check.Mode.OFF;
			Plan plan = new LiquibasePlan(liquibase, checked).read();
			if (this.properties.getObject().getCheck().getMode() == SchemagateProperties.Check.Mode.FAIL) {
				this.refusedChanges += (int) plan.findings().stream().filter((finding) -> !finding.allowed()).count();
			}
			System.out.print(PlanReport.of(beanName, liquibase.getChangeLog(), plan));
			System.out.flush();
		}
		catch (Exception ex) {
			throw new BeanCreationException(beanName, "Planning the migration failed: " + ex.getMessage(), ex);
		}
	}

	private SchemaGate run(String beanName, SpringLiquibase liquibase) {
		SchemagateProperties properties = this.properties.getObject();
		String rollbackTable = properties.getDowngrade().isEnabled() ? properties.getTablePrefix() + "ROLLBACK" : null;
		SchemagateProperties.Check.Mode checkMode = properties.getCheck().getMode();
		ChangesetReview review = (checkMode != SchemagateProperties.Check.Mode.OFF)
				? new ChangesetReview(beanName, checkMode == SchemagateProperties.Check.Mode.FAIL) : null;
		Duration foreignLockTimeout = properties.getLock().getWaitTimeout();
		GateSettings settings = settings(LiquibaseMigration.defaultLockKey(liquibase));
		// the membership records what the start migration reads of the changelog, and the
		// start migration asks the fleet before it rolls anything back
		AtomicReference<LiquibaseMigration> start = new AtomicReference<>();
		FleetMembership membership = new FleetMembership(beanName, liquibase.getDataSource(),
				() -> start.get().registration(), settings, instance(), properties.getFleet());
		DowngradePhase downgrade = new DowngradePhase(beanName, liquibase, foreignLockTimeout, rollbackTable,
				() -> new MigrationGate(liquibase.getDataSource(), settings, instance(),
						new GateStatus(beanName + " downgrade")),
				membership);
		DowngradeHold hold = downgrade.enabled() ? downgrade : null;
		LiquibaseMigration migration = new LiquibaseMigration(liquibase, foreignLockTimeout, rollbackTable, review,
				null, hold);
		start.set(migration);
		GateStatus status = new GateStatus(beanName);
		GateListener listener = CompositeGateListener.of(status, this.listeners.orderedStream().toList());
		ShutdownSignal shutdown = new ShutdownSignal(properties.getShutdown() == SchemagateProperties.Shutdown.ABORT);
		MigrationGate gate = new MigrationGate(migration.dataSource(), settings, instance(), listener, shutdown);
		ContractPhase contracts = contractPhase(beanName, liquibase, rollbackTable, hold, membership, settings);
		SchemaGate schemaGate = new SchemaGate(beanName, gate, status, new ChangelogTable(liquibase), review,
				membership, contracts, downgrade);
		this.gates.getObject().add(schemaGate);
		// contract changesets wait, applied once no instance of the previous version runs
		String labelFilter = liquibase.getLabelFilter();
		liquibase.setLabelFilter(LiquibaseMigration.withoutContracts(labelFilter));
		try {
			StartThread.run(beanName, shutdown, this.shutdownHookRegistered, () -> {
				// before the schema is looked at, so that a contract changeset applied from now
				// on waits for this instance
				membership.join();
				if (properties.getMode() == SchemagateProperties.Mode.WAIT) {
					new SchemaWait(migration.dataSource(), properties.getWait().getTimeout(), listener, shutdown)
						.await(migration);
				}
				else {
					gate.run(migration);
				}
			});
		}
		catch (Exception ex) {
			// an instance that does not start holds nothing back
			membership.leave();
			throw new BeanCreationException(beanName, "Migration under schemagate failed: " + ex.getMessage(), ex);
		}
		finally {
			liquibase.setLabelFilter(labelFilter);
		}
		membership.joinIfNotYet();
		return schemaGate;
	}

	// the contract changesets' own migration, under a gate of its own on the same lock, so
	// that applying them never turns this instance's readiness
	private ContractPhase contractPhase(String beanName, SpringLiquibase liquibase, @Nullable String rollbackTable,
			@Nullable DowngradeHold hold, FleetMembership membership, GateSettings settings) {
		SchemagateProperties properties = this.properties.getObject();
		LiquibaseMigration contracts = new LiquibaseMigration(liquibase, properties.getLock().getWaitTimeout(),
				rollbackTable, null, (session, changeSet) -> ContractPhase.guard(membership, liquibase.getDataSource(), session, changeSet),
				hold);
		return new ContractPhase(beanName, contracts, () -> new MigrationGate(contracts.dataSource(), settings,
				instance(), new GateStatus(beanName + " contracts")), membership);
	}

	// the version the environment names, else the build info's
	private Instance instance() {
		if (this.instance.version() != null) {
			return this.instance;
		}
		BuildProperties build = (this.beanFactory != null)
				? this.beanFactory.getBeanProvider(BuildProperties.class).getIfAvailable() : null;
		String version = (build != null) ? build.getVersion() : null;
		this.instance = new Instance(this.instance.id(), this.instance.host(), this.instance.pid(), version);
		return this.instance;
	}

	// the position the gate found at start; a running instance's readiness checks it again
	private void applySchemaAheadPolicy(SchemaGate gate) {
		if (gate.status().getPosition().map((position) -> position.unknown() == 0).orElse(true)) {
			return;
		}
		List<ChangesetRef> unknown = gate.aheadChangesets();
		if (unknown.isEmpty()) {
			return;
		}
		SchemaAheadException ahead = new SchemaAheadException(gate.name(), unknown);
		switch (this.properties.getObject().getSchemaAhead()) {
			case FAIL -> throw new BeanCreationException(gate.name(), ahead.getMessage(), ahead);
			case REFUSE_TRAFFIC -> logger.warn(ahead.getMessage() + " Refusing traffic while it is, as "
					+ "schemagate.schema-ahead=refuse-traffic.");
			case SERVE -> logger.warn(ahead.getMessage() + " Serving, as schemagate.schema-ahead=serve.");
		}
	}

	private GateSettings settings(String defaultLockKey) {
		SchemagateProperties properties = this.properties.getObject();
		SchemagateProperties.Lock lock = properties.getLock();
		SchemagateProperties.Retry retry = properties.getRetry();
		String key = (lock.getKey() != null) ? lock.getKey() : defaultLockKey;
		SchemagateProperties.Migration statements = properties.getMigration();
		Duration statementTimeout = (statements.getStatementTimeout() != null) ? statements.getStatementTimeout()
				: Duration.ZERO;
		return new GateSettings(lock.getTablePrefix(), properties.getTablePrefix(), lock.getRegion(), key,
				lock.getTimeToLive(), lock.getWaitTimeout(), retry.getTimeout(), retry.getInitialInterval(),
				retry.getMaxInterval(), statements.getLockTimeout(), statements.getLockRetries(), statementTimeout);
	}

	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

	/**
	 * Tells an in-memory H2, HSQLDB or Derby database; a class of its own, so that nothing
	 * loads Spring Boot's JDBC support where it is absent.
	 */
	private static final class InMemoryDatabase {

		private static final boolean JDBC_SUPPORT_PRESENT = ClassUtils.isPresent(
				"org.springframework.boot.jdbc.EmbeddedDatabaseConnection", InMemoryDatabase.class.getClassLoader());

		// asks the database only where an embedded database's driver is on the class path, so
		// that a PostgreSQL application pays nothing, not even while its database is down
		static boolean holds(@Nullable DataSource dataSource) {
			return JDBC_SUPPORT_PRESENT && dataSource != null && EmbeddedCheck.holds(dataSource);
		}

		private static final class EmbeddedCheck {

			static boolean holds(DataSource dataSource) {
				ClassLoader classLoader = InMemoryDatabase.class.getClassLoader();
				return EmbeddedDatabaseConnection.get(classLoader) != EmbeddedDatabaseConnection.NONE
						&& EmbeddedDatabaseConnection.isEmbedded(dataSource);
			}

		}

	}

}
