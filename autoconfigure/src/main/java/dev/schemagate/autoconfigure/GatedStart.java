package dev.schemagate.autoconfigure;

import java.time.Duration;
import java.util.List;

import javax.sql.DataSource;

import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import dev.schemagate.check.ChangesetReview;
import dev.schemagate.fleet.FleetMembership;
import dev.schemagate.gate.GateSettings;
import dev.schemagate.gate.Instance;
import dev.schemagate.gate.MigrationGate;
import dev.schemagate.gate.ShutdownSignal;
import dev.schemagate.gate.WaitingSettings;
import dev.schemagate.liquibase.ForeignLockWait;
import dev.schemagate.liquibase.ChangelogTable;
import dev.schemagate.liquibase.ContractGuard;
import dev.schemagate.liquibase.DowngradeHold;
import dev.schemagate.liquibase.LiquibaseChangelog;
import dev.schemagate.liquibase.LiquibaseMigration;
import dev.schemagate.liquibase.LiquibaseSelection;
import dev.schemagate.status.GateListener;
import dev.schemagate.status.GateStatus;
import dev.schemagate.status.SchemaPosition.ChangesetRef;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.info.BuildProperties;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.datasource.AbstractDriverBasedDataSource;

/**
 * The start of one Liquibase bean through the gate, as the modes that use the gate share it:
 * the bean's gate, fleet membership, contract and downgrade phases are built and registered,
 * the instance joins the fleet, and the mode's own step (migrating, or waiting for another
 * instance to) runs on a start thread of its own, so that a shutdown stops it.
 */
final class GatedStart {

	private static final Log logger = LogFactory.getLog(GatedStart.class);

	private final SchemagateProperties properties;

	private final SchemaGates gates;

	private final ObjectProvider<GateListener> listeners;

	private final ObjectProvider<BuildProperties> buildProperties;

	private final ObjectProvider<DataSource> dataSources;

	private final boolean shutdownHookRegistered;

	private Instance instance;

	GatedStart(SchemagateProperties properties, SchemaGates gates, ObjectProvider<GateListener> listeners,
			ObjectProvider<BuildProperties> buildProperties, ObjectProvider<DataSource> dataSources,
			Environment environment) {
		this.dataSources = dataSources;
		this.properties = properties;
		this.gates = gates;
		this.listeners = listeners;
		this.buildProperties = buildProperties;
		this.shutdownHookRegistered = environment.getProperty("spring.main.register-shutdown-hook", Boolean.class,
				true);
		String version = environment.getProperty("schemagate.app-version",
				environment.getProperty("spring.application.version", ""));
		this.instance = Instance.current(version.isEmpty() ? null : version);
	}

	/**
	 * What a mode does under the gate once the instance has joined the fleet.
	 */
	@FunctionalInterface
	interface Step {

		/**
		 * Migrates, or waits for another instance to.
		 * @param start what the step runs with
		 * @throws Exception if the step fails
		 */
		void run(Start start) throws Exception;

	}

	/**
	 * What a step runs with.
	 *
	 * @param gate the gate of the bean's database
	 * @param migration the bean's migration
	 * @param listener what hears of the gate's progress
	 * @param shutdown the signal of a shutdown during the start
	 */
	record Start(MigrationGate gate, LiquibaseMigration migration, GateListener listener, ShutdownSignal shutdown) {
	}

	/**
	 * Starts a Liquibase bean through the gate.
	 * @param selection what the bean migrates
	 * @param step what the mode does under the gate
	 * @return the bean's gate, registered
	 */
	SchemaGate start(LiquibaseSelection selection, Step step) {
		SchemagateProperties properties = this.properties;
		String beanName = selection.beanName();
		String rollbackTable = properties.getDowngrade().isEnabled() ? properties.getTablePrefix() + "ROLLBACK" : null;
		SchemagateProperties.Check.Mode checkMode = properties.getCheck().getMode();
		ChangesetReview review = (checkMode != SchemagateProperties.Check.Mode.OFF)
				? new ChangesetReview(beanName, checkMode == SchemagateProperties.Check.Mode.FAIL) : null;
		ForeignLockWait foreignLockWait = new ForeignLockWait(properties.getLock().getWaitTimeout(),
				properties.getTablePrefix());
		GateSettings settings = settings(selection.defaultLockKey());
		DataSource dataSource = selection.dataSource();
		// read once, for the registry, the up-to-date check and the contract phase
		LiquibaseChangelog changelog = new LiquibaseChangelog(selection);
		FleetMembership membership = new FleetMembership(beanName, dataSource, changelog::registration, settings,
				instance(), properties.getFleet().getHeartbeatInterval(), properties.getFleet().getExpiry(),
				UnpooledSessions.of(dataSource));
		DowngradePhase downgrade = new DowngradePhase(beanName, selection, foreignLockWait, rollbackTable,
				() -> new MigrationGate(dataSource, settings, instance(), new GateStatus(beanName + " downgrade")),
				membership);
		DowngradeHold hold = downgrade.enabled() ? downgrade : null;
		// contract changesets wait, applied once no instance of the previous version runs
		LiquibaseMigration migration = new LiquibaseMigration(changelog, selection.withoutContracts(),
				foreignLockWait, rollbackTable, review, null, hold);
		GateStatus status = new GateStatus(beanName);
		GateListener listener = CompositeGateListener.of(status, this.listeners.orderedStream().toList());
		ShutdownSignal shutdown = new ShutdownSignal(properties.getShutdown() == SchemagateProperties.Shutdown.ABORT);
		MigrationGate gate = new MigrationGate(dataSource, askingDataSource(dataSource), settings,
				new WaitingSettings(properties.getLock().getListeners(), properties.getLock().getAsksPerSecond(),
						properties.getFleet().getExpiry()),
				instance(), listener, shutdown);
		ContractPhase contracts = contractPhase(changelog, rollbackTable, hold, membership, settings);
		SchemaGate schemaGate = new SchemaGate(beanName, gate, status, new ChangelogTable(selection), review,
				membership, contracts, downgrade);
		this.gates.add(schemaGate);
		try {
			StartThread.run(beanName, shutdown, this.shutdownHookRegistered, () -> {
				// before the schema is looked at, so that a contract changeset applied from now
				// on waits for this instance
				membership.join();
				step.run(new Start(gate, migration, listener, shutdown));
			});
		}
		catch (Exception ex) {
			// an instance that does not start holds nothing back
			membership.leave();
			throw new BeanCreationException(beanName, "Migration under schemagate failed: " + ex.getMessage(), ex);
		}
		membership.joinIfNotYet();
		applySchemaAheadPolicy(schemaGate);
		return schemaGate;
	}

	// the contract changesets' own migration, of the application's selection, under a gate
	// of its own on the same lock, so that applying them never turns this instance's readiness
	private ContractPhase contractPhase(LiquibaseChangelog changelog, @Nullable String rollbackTable,
			@Nullable DowngradeHold hold, FleetMembership membership, GateSettings settings) {
		LiquibaseSelection selection = changelog.selection();
		LiquibaseMigration contracts = new LiquibaseMigration(changelog, selection,
				new ForeignLockWait(this.properties.getLock().getWaitTimeout(), this.properties.getTablePrefix()),
				rollbackTable, null,
				new ContractGuard(membership, selection.dataSource()), hold);
		return new ContractPhase(selection.beanName(), contracts, () -> new MigrationGate(selection.dataSource(),
				settings, instance(), new GateStatus(selection.beanName() + " contracts")), membership);
	}

	// Waiting instances past the listeners ask through a pool: the migration data source if it
	// is one, else the application's own (spring.liquibase.url gives an unpooled one), when it
	// names the same database, such as through a pooler in transaction mode. The gate turns
	// to the migration data source if the pool may not read the gate's tables or turns out to
	// reach another server.
	private DataSource askingDataSource(DataSource migration) {
		if (!(migration instanceof AbstractDriverBasedDataSource)) {
			return migration;
		}
		DataSource application = this.dataSources.getIfUnique();
		if (application == null || application == migration) {
			return migration;
		}
		String migrationUrl = DataSourceUrl.of(migration);
		String applicationUrl = DataSourceUrl.of(application);
		if (migrationUrl == null || applicationUrl == null
				|| !databaseName(migrationUrl).equals(databaseName(applicationUrl))) {
			return migration;
		}
		return application;
	}

	// the path of a JDBC URL, without its parameters: the database on most drivers
	private static String databaseName(String url) {
		int query = url.indexOf('?');
		String path = (query >= 0) ? url.substring(0, query) : url;
		return path.substring(path.lastIndexOf('/') + 1);
	}

	// the version the environment names, else the build info's
	private Instance instance() {
		if (this.instance.version() != null) {
			return this.instance;
		}
		BuildProperties build = this.buildProperties.getIfAvailable();
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
		String message = String.valueOf(ahead.getMessage());
		switch (this.properties.getSchemaAhead()) {
			case FAIL -> throw new BeanCreationException(gate.name(), message, ahead);
			case REFUSE_TRAFFIC -> logger.warn(message + " Refusing traffic while it is, as "
					+ "schemagate.schema-ahead=refuse-traffic.");
			case SERVE -> logger.warn(message + " Serving, as schemagate.schema-ahead=serve.");
		}
	}

	private GateSettings settings(String defaultLockKey) {
		SchemagateProperties.Lock lock = this.properties.getLock();
		SchemagateProperties.Retry retry = this.properties.getRetry();
		String key = (lock.getKey() != null) ? lock.getKey() : defaultLockKey;
		SchemagateProperties.Migration statements = this.properties.getMigration();
		Duration statementTimeout = (statements.getStatementTimeout() != null) ? statements.getStatementTimeout()
				: Duration.ZERO;
		return new GateSettings(lock.getTablePrefix(), this.properties.getTablePrefix(), lock.getRegion(), key,
				lock.getTimeToLive(), lock.getWaitTimeout(), retry.getTimeout(), retry.getInitialInterval(),
				retry.getMaxInterval(), statements.getLockTimeout(), statements.getLockRetries(), statementTimeout);
	}

}
