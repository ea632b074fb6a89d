package dev.schemagate.autoconfigure;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * Configuration properties for schemagate.
 */
@ConfigurationProperties("schemagate")
public class SchemagateProperties {

	/**
	 * Whether to run Liquibase migrations under the fleet-wide lock.
	 */
	private boolean enabled = true;

	/**
	 * What an instance does with its migrations at start: migrate them under the lock
	 * ('migrate'), migrate them and exit without serving ('job'), print what it would
	 * migrate and exit, changing nothing ('plan'), or never migrate and wait until the
	 * schema holds them ('wait').
	 */
	private Mode mode = Mode.MIGRATE;

	/**
	 * What an instance does when the database holds changesets its changelog does not know,
	 * applied by a newer version: serve anyway, warning once ('serve'), refuse traffic while
	 * it does ('refuse-traffic'), or fail to start ('fail').
	 */
	private SchemaAhead schemaAhead = SchemaAhead.SERVE;

	/**
	 * What a leader told to stop while it migrates at start (SIGTERM) does with the changeset
	 * it runs: finish it and apply no further one ('finish'), or cancel it when it runs in a
	 * transaction, rolling it back for another instance to run again ('abort'); a changeset
	 * outside a transaction is always finished.
	 */
	private Shutdown shutdown = Shutdown.FINISH;

	/**
	 * Prefix of schemagate's own tables, the leader's progress and the migration history,
	 * created when missing.
	 */
	private String tablePrefix = "SCHEMAGATE_";

	/**
	 * Version of the application, as the fleet registry shows it. Defaults to
	 * 'spring.application.version', then to the build info's version.
	 */
	private @Nullable String appVersion;

	private final Lock lock = new Lock();

	private final Retry retry = new Retry();

	private final Readiness readiness = new Readiness();

	private final Wait wait = new Wait();

	private final Downgrade downgrade = new Downgrade();

	private final Migration migration = new Migration();

	private final Check check = new Check();

	private final Fleet fleet = new Fleet();

	private final Contract contract = new Contract();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public Mode getMode() {
		return this.mode;
	}

	public void setMode(Mode mode) {
		this.mode = mode;
	}

	public SchemaAhead getSchemaAhead() {
		return this.schemaAhead;
	}

	public void setSchemaAhead(SchemaAhead schemaAhead) {
		this.schemaAhead = schemaAhead;
	}

	public Shutdown getShutdown() {
		return this.shutdown;
	}

	public void setShutdown(Shutdown shutdown) {
		this.shutdown = shutdown;
	}

	public String getTablePrefix() {
		return this.tablePrefix;
	}

	public void setTablePrefix(String tablePrefix) {
		this.tablePrefix = tablePrefix;
	}

	public Lock getLock() {
		return this.lock;
	}

	public Retry getRetry() {
		return this.retry;
	}

	public Readiness getReadiness() {
		return this.readiness;
	}

	public Wait getWait() {
		return this.wait;
	}

	public Downgrade getDowngrade() {
		return this.downgrade;
	}

	public Migration getMigration() {
		return this.migration;
	}

	public Check getCheck() {
		return this.check;
	}

	public Fleet getFleet() {
		return this.fleet;
	}

	public Contract getContract() {
		return this.contract;
	}

	public @Nullable String getAppVersion() {
		return this.appVersion;
	}

	public void setAppVersion(@Nullable String appVersion) {
		this.appVersion = appVersion;
	}

	/**
	 * What a leader told to stop during its start does with the changeset it runs.
	 */
	public enum Shutdown {

		/**
		 * Finish the changeset, apply no further one, and stop.
		 */
		FINISH,

		/**
		 * Cancel a changeset that runs in a transaction, rolling it back, and stop; finish
		 * one that runs outside a transaction.
		 */
		ABORT

	}

	/**
	 * What an instance does with its migrations at start.
	 */
	public enum Mode {

		/**
		 * Migrate under the fleet-wide lock, then start.
		 */
		MIGRATE,

		/**
		 * Migrate under the fleet-wide lock, print a summary and exit, without starting the
		 * web server: a Kubernetes Job, an init container, an ECS task or a CI step.
		 */
		JOB,

		/**
		 * Change nothing: print the pending changesets and the SQL Liquibase would run for
		 * them, then exit.
		 */
		PLAN,

		/**
		 * Never migrate: wait until the database holds every changeset of this instance's
		 * changelog, then start. Needs no DDL rights.
		 */
		WAIT;

		/**
		 * Tells whether the mode runs once and ends the application rather than serving.
		 * @return whether it is 'job' or 'plan'
		 */
		public boolean runsOnce() {
			return this == JOB || this == PLAN;
		}

		/**
		 * Reads the mode from an environment, as the properties bind it, before they are
		 * bound.
		 * @param environment the environment
		 * @return the mode, {@link #MIGRATE} when none is set
		 */
		public static Mode of(Environment environment) {
			return Binder.get(environment).bind("schemagate.mode", Mode.class).orElse(MIGRATE);
		}

	}

	/**
	 * What an instance does on a schema a newer version has migrated.
	 */
	public enum SchemaAhead {

		/**
		 * Start and serve, warning once: the usual state of an old instance during a rolling
		 * deploy.
		 */
		SERVE,

		/**
		 * Start, but refuse traffic while the schema is ahead.
		 */
		REFUSE_TRAFFIC,

		/**
		 * Fail to start.
		 */
		FAIL

	}

	/**
	 * Settings of the 'wait' mode.
	 */
	public static class Wait {

		/**
		 * How long an instance in 'wait' mode waits for the schema to hold every changeset of
		 * its changelog before it fails to start.
		 */
		private Duration timeout = Duration.ofMinutes(10);

		public Duration getTimeout() {
			return this.timeout;
		}

		public void setTimeout(Duration timeout) {
			this.timeout = timeout;
		}

	}

	/**
	 * Settings of the migration's own statements.
	 */
	public static class Migration {

		/**
		 * How long a statement of a transactional changeset waits for a lock before the
		 * changeset is rolled back and tried again, so that it never queues the application's
		 * queries behind its wait for longer. Zero to wait as long as it takes.
		 */
		private Duration lockTimeout = Duration.ofSeconds(5);

		/**
		 * How often a changeset that timed out waiting for a lock is tried again, with the
		 * pauses of 'schemagate.retry', before the migration fails naming the blocking
		 * session.
		 */
		private int lockRetries = 10;

		/**
		 * How long a statement of the migration may run before it is cancelled and the
		 * migration fails. Unbounded when not set.
		 */
		private @Nullable Duration statementTimeout;

		public Duration getLockTimeout() {
			return this.lockTimeout;
		}

		public void setLockTimeout(Duration lockTimeout) {
			this.lockTimeout = lockTimeout;
		}

		public int getLockRetries() {
			return this.lockRetries;
		}

		public void setLockRetries(int lockRetries) {
			this.lockRetries = lockRetries;
		}

		public @Nullable Duration getStatementTimeout() {
			return this.statementTimeout;
		}

		public void setStatementTimeout(@Nullable Duration statementTimeout) {
			this.statementTimeout = statementTimeout;
		}

	}

	/**
	 * Fleet registry settings.
	 */
	public static class Fleet {

		/**
		 * How often an instance renews its heartbeat in the fleet registry.
		 */
		private Duration heartbeatInterval = Duration.ofSeconds(5);

		/**
		 * How old an instance's heartbeat may be before the fleet counts it as gone
		 * (stopped, killed, or frozen or cut off for that long).
		 */
		private Duration expiry = Duration.ofSeconds(30);

		public Duration getHeartbeatInterval() {
			return this.heartbeatInterval;
		}

		public void setHeartbeatInterval(Duration heartbeatInterval) {
			this.heartbeatInterval = heartbeatInterval;
		}

		public Duration getExpiry() {
			return this.expiry;
		}

		public void setExpiry(Duration expiry) {
			this.expiry = expiry;
		}

	}

	/**
	 * Contract changeset settings.
	 */
	public static class Contract {

		/**
		 * How often a running instance checks whether its contract changesets (labelled
		 * 'contract') may be applied: once no live instance's changelog lacks them. Zero
		 * turns the check off.
		 */
		private Duration checkInterval = Duration.ofSeconds(10);

		public Duration getCheckInterval() {
			return this.checkInterval;
		}

		public void setCheckInterval(Duration checkInterval) {
			this.checkInterval = checkInterval;
		}

	}

	/**
	 * Changeset check settings.
	 */
	public static class Check {

		/**
		 * What an instance does with pending changesets that break the previous version or
		 * lock a busy table, checked before the first is applied: log a warning ('warn'),
		 * fail before applying any ('fail'), or not check them ('off').
		 */
		private Mode mode = Mode.WARN;

		public Mode getMode() {
			return this.mode;
		}

		public void setMode(Mode mode) {
			this.mode = mode;
		}

		/**
		 * What the changeset check does with its findings.
		 */
		public enum Mode {

			/**
			 * Log each finding as a warning and apply the changesets.
			 */
			WARN,

			/**
			 * Fail before applying any changeset when one trips a rule it does not allow.
			 */
			FAIL,

			/**
			 * Do not check.
			 */
			OFF

		}

	}

	/**
	 * Downgrade settings.
	 */
	public static class Downgrade {

		/**
		 * Whether to record the rollback of each changeset applied, and to roll back, newest
		 * first and from that record, the changesets the database holds that the changelog
		 * does not know, applied by a newer version.
		 */
		private boolean enabled;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

	}

	/**
	 * Readiness settings.
	 */
	public static class Readiness {

		/**
		 * How often a running instance checks that the schema still holds every changeset of
		 * its changelog, refusing traffic while it does not. Zero turns the check off.
		 */
		private Duration checkInterval = Duration.ofSeconds(10);

		public Duration getCheckInterval() {
			return this.checkInterval;
		}

		public void setCheckInterval(Duration checkInterval) {
			this.checkInterval = checkInterval;
		}

	}

	/**
	 * Lock settings.
	 */
	public static class Lock {

		/**
		 * Prefix of the Spring Integration lock table, created when missing.
		 */
		private String tablePrefix = "INT_";

		/**
		 * Region of the lock in the lock table.
		 */
		private String region = "schemagate";

		/**
		 * Key of the lock, one per database. Defaults to the changelog table Liquibase
		 * records into.
		 */
		private @Nullable String key;

		/**
		 * Time after which a leader that no longer renews its lock counts as frozen or cut
		 * off: a waiting instance then ends its database session and takes over.
		 */
		private Duration timeToLive = Duration.ofSeconds(10);

		/**
		 * How long an instance waits for another instance's migration, or for Liquibase's
		 * lock held outside the fleet, before it fails to start.
		 */
		private Duration waitTimeout = Duration.ofMinutes(10);

		/**
		 * Most instances that wait for the lock with a database session of their own, woken
		 * at once by the leader's release; the others hold no session while they wait and
		 * ask through the connection pool.
		 */
		private int listeners = 8;

		/**
		 * Queries per second that the instances waiting without a session of their own send
		 * together, spread over the live instances the fleet registry counts.
		 */
		private double asksPerSecond = 80;

		public String getTablePrefix() {
			return this.tablePrefix;
		}

		public void setTablePrefix(String tablePrefix) {
			this.tablePrefix = tablePrefix;
		}

		public String getRegion() {
			return this.region;
		}

		public void setRegion(String region) {
			this.region = region;
		}

		public @Nullable String getKey() {
			return this.key;
		}

		public void setKey(@Nullable String key) {
			this.key = key;
		}

		public Duration getTimeToLive() {
			return this.timeToLive;
		}

		public void setTimeToLive(Duration timeToLive) {
			this.timeToLive = timeToLive;
		}

		public Duration getWaitTimeout() {
			return this.waitTimeout;
		}

		public void setWaitTimeout(Duration waitTimeout) {
			this.waitTimeout = waitTimeout;
		}

		public int getListeners() {
			return this.listeners;
		}

		public void setListeners(int listeners) {
			this.listeners = listeners;
		}

		public double getAsksPerSecond() {
			return this.asksPerSecond;
		}

		public void setAsksPerSecond(double asksPerSecond) {
			this.asksPerSecond = asksPerSecond;
		}

	}

	/**
	 * Retry settings for a lost database connection.
	 */
	public static class Retry {

		/**
		 * How long an instance keeps retrying after losing its database connection while
		 * locking or migrating.
		 */
		private Duration timeout = Duration.ofMinutes(3);

		/**
		 * Pause before the first retry, doubled on each further one.
		 */
		private Duration initialInterval = Duration.ofMillis(500);

		/**
		 * Longest pause between two retries.
		 */
		private Duration maxInterval = Duration.ofSeconds(10);

		public Duration getTimeout() {
			return this.timeout;
		}

		public void setTimeout(Duration timeout) {
			this.timeout = timeout;
		}

		public Duration getInitialInterval() {
			return this.initialInterval;
		}

		public void setInitialInterval(Duration initialInterval) {
			this.initialInterval = initialInterval;
		}

		public Duration getMaxInterval() {
			return this.maxInterval;
		}

		public void setMaxInterval(Duration maxInterval) {
			this.maxInterval = maxInterval;
		}

	}

}
