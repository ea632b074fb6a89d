package dev.schemagate.liquibase;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ChangelogLock}'s rule of which sessions may hold Liquibase's lock.
 */
class ChangelogLockTests {

	private static final Instant LOCKED_AT = Instant.parse("2026-03-01T10:07:31.123456Z");

	@ParameterizedTest
	@ValueSource(strings = { "UTC", "America/New_York", "Asia/Kathmandu", "Pacific/Kiritimati", "Etc/GMT+12",
			"Australia/Eucla" })
	void sessionThatTookTheLockInAnyTimeZoneMayHoldIt(String zone) {
		LocalDateTime granted = LocalDateTime.ofInstant(LOCKED_AT, ZoneId.of(zone));
		// began a moment before taking the lock, active since
		assertThat(ChangelogLock.mayHaveTaken(granted, LOCKED_AT.minusMillis(40), LOCKED_AT.plusSeconds(30), 1))
			.isTrue();
		// idle ever since taking it
		assertThat(ChangelogLock.mayHaveTaken(granted, LOCKED_AT.minusSeconds(3), LOCKED_AT.plusMillis(2), 1))
			.isTrue();
	}

	@Test
	void sessionThatBeganAfterTheLockCannotHoldIt() {
		LocalDateTime granted = LocalDateTime.ofInstant(LOCKED_AT, ZoneId.of("UTC"));
		assertThat(ChangelogLock.mayHaveTaken(granted, LOCKED_AT.plusMillis(140), LOCKED_AT.plusSeconds(600), 1))
			.isFalse();
	}

	@Test
	void sessionIdleSinceBeforeTheLockCannotHoldIt() {
		LocalDateTime granted = LocalDateTime.ofInstant(LOCKED_AT, ZoneId.of("UTC"));
		assertThat(ChangelogLock.mayHaveTaken(granted, LOCKED_AT.minus(Duration.ofMinutes(20)),
				LOCKED_AT.minusSeconds(2), 1))
			.isFalse();
	}

	@Test
	void sessionActiveAcrossAnHourMayHoldALockOfAnyZone() {
		// its times leave a time zone in which it could have taken the lock: in doubt, wait
		LocalDateTime granted = LocalDateTime.ofInstant(LOCKED_AT, ZoneId.of("UTC")).minusHours(3);
		assertThat(ChangelogLock.mayHaveTaken(granted, LOCKED_AT.minusSeconds(60), LOCKED_AT.plusSeconds(1000), 1))
			.isTrue();
	}

	@Test
	void roundedGrantedTimeIsAllowedForByItsPrecision() {
		// a TIMESTAMP(0) column rounds up to the next second
		LocalDateTime granted = LocalDateTime.ofInstant(LOCKED_AT, ZoneId.of("UTC")).withNano(0).plusSeconds(1);
		assertThat(ChangelogLock.mayHaveTaken(granted, LOCKED_AT.minusSeconds(5), LOCKED_AT.plusMillis(5), 1))
			.isFalse();
		assertThat(ChangelogLock.mayHaveTaken(granted, LOCKED_AT.minusSeconds(5), LOCKED_AT.plusMillis(5), 1000))
			.isTrue();
	}

	@Test
	void lockWithoutGrantedTimeMayBeHeldByAnySession() {
		assertThat(ChangelogLock.mayHaveTaken(null, LOCKED_AT, LOCKED_AT, 1)).isTrue();
	}

}
