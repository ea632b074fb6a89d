package dev.schemagate.gate;

import java.time.Duration;

import org.springframework.util.Assert;

/**
 * How a {@link MigrationGate} locks, waits and retries.
 *
 * @param tablePrefix prefix of Spring Integration's lock table ({@code INT_} gives {@code INT_LOCK})
 * @param gateTablePrefix prefix of schemagate's own tables, the leader's progress and the
 * migration history
 * @param region lock region, the {@code REGION} column of the lock table
 * @param key lock key within the region; one lock per key and database
 * @param timeToLive time after which a lock that is no longer renewed counts as expired, and its
 * leader as frozen or cut off; at least one second
 * @param waitTimeout how long an instance waits for another one's migration before it gives up
 * @param retryTimeout how long an instance retries after losing its database connection
 * @param retryInitialInterval first pause before such a retry, doubled on each further one
 * @param retryMaxInterval longest pause between such retries
 * @param lockTimeout how long a statement of the migration waits for a lock before the
 * changeset is rolled back and tried again, zero to leave the session's own setting
 * @param lockRetries how often a changeset that timed out waiting for a lock is tried
 * again before the migration fails
 * @param statementTimeout how long a statement of the migration may run, zero to leave the
 * session's own setting
 */
public record GateSettings(String tablePrefix, String gateTablePrefix, String region, String key, Duration timeToLive,
		Duration waitTimeout, Duration retryTimeout, Duration retryInitialInterval, Duration retryMaxInterval,
		Duration lockTimeout, int lockRetries, Duration statementTimeout) {

	/**
	 * Creates settings that leave the session's own lock and statement timeouts.
	 * @param tablePrefix prefix of Spring Integration's lock table
	 * @param gateTablePrefix prefix of schemagate's own tables
	 * @param region lock region
	 * @param key lock key within the region
	 * @param timeToLive time after which a lock that is no longer renewed counts as expired
	 * @param waitTimeout how long an instance waits for another one's migration
	 * @param retryTimeout how long an instance retries after losing its database connection
	 * @param retryInitialInterval first pause before such a retry
	 * @param retryMaxInterval longest pause between such retries
	 */
	public GateSettings(String tablePrefix, String gateTablePrefix, String region, String key, Duration timeToLive,
			Duration waitTimeout, Duration retryTimeout, Duration retryInitialInterval, Duration retryMaxInterval) {
		this(tablePrefix, gateTablePrefix, region, key, timeToLive, waitTimeout, retryTimeout, retryInitialInterval,
				retryMaxInterval, Duration.ZERO, 0, Duration.ZERO);
	}

	public GateSettings {
		Assert.hasText(tablePrefix, "tablePrefix must not be empty");
		Assert.hasText(gateTablePrefix, "gateTablePrefix must not be empty");
		Assert.hasText(region, "region must not be empty");
		Assert.isTrue(region.length() <= 100, "region must be at most 100 characters (the REGION column)");
		Assert.hasText(key, "key must not be empty");
		// renewals come every third of it: less leaves too little room for a busy machine
		Assert.isTrue(timeToLive.toMillis() >= 1000, "timeToLive must be at least 1s");
		Assert.isTrue(!waitTimeout.isNegative(), "waitTimeout must not be negative");
		Assert.isTrue(!retryTimeout.isNegative(), "retryTimeout must not be negative");
		Assert.isTrue(retryInitialInterval.toMillis() > 0, "retryInitialInterval must be positive");
		Assert.isTrue(retryMaxInterval.compareTo(retryInitialInterval) >= 0,
				"retryMaxInterval must not be shorter than retryInitialInterval");
		Assert.isTrue(!lockTimeout.isNegative(), "lockTimeout must not be negative");
		Assert.isTrue(lockRetries >= 0, "lockRetries must not be negative");
		Assert.isTrue(!statementTimeout.isNegative(), "statementTimeout must not be negative");
	}

}
