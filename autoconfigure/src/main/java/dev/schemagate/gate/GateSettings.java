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
 */
public record GateSettings(String tablePrefix, String gateTablePrefix, String region, String key, Duration timeToLive, Duration waitTimeout,
		Duration retryTimeout, Duration retryInitialInterval, Duration retryMaxInterval) {

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
	}

}
