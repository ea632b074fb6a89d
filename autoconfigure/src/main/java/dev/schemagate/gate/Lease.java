package dev.schemagate.gate;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Lock;

import javax.sql.DataSource;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.integration.jdbc.lock.DefaultLockRepository;
import org.springframework.integration.jdbc.lock.JdbcLockRegistry;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

/**
 * The lease: the Spring Integration {@link JdbcLockRegistry} lock, held with a time-to-live
 * and renewed every third of it while the migration runs.
 * <p>
 * A {@code JdbcLockRegistry} lock can only be renewed and released by the thread that
 * took it, while the migration runs on the caller's thread, so the lease lives on a
 * thread of its own.
 * <p>
 * A leader whose lease has not been renewed for the time-to-live (its renewals fail or
 * hang: it is cut off from the database, or was frozen) must count on the waiting instances
 * having ended its fenced session: a watchdog on a thread of its own, which no hanging
 * renewal can hold up, then gives up the fenced session itself.
 */
final class Lease implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(Lease.class);

	private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);

	private final JdbcLockRegistry registry;

	private final String key;

	private final Duration timeToLive;

	private final ScheduledExecutorService thread;

	private final ScheduledExecutorService watchdog;

	private final Lock lock;

	private final Runnable onExpired;

	private volatile boolean lost;

	private volatile long renewedNanos = System.nanoTime();

	private boolean expired;

	private @Nullable ScheduledFuture<?> renewal;

	private Lease(JdbcLockRegistry registry, String key, Duration timeToLive, Runnable onExpired) {
		this.registry = registry;
		this.key = key;
		this.timeToLive = timeToLive;
		this.onExpired = onExpired;
		this.thread = DaemonThreads.scheduler("schemagate-lease");
		this.watchdog = DaemonThreads.scheduler("schemagate-lease-watchdog");
		this.lock = registry.obtain(key);
	}

	/**
	 * Takes the lock; the caller holds the fence, so the row is free.
	 * @param dataSource the migration data source
	 * @param settings the lock settings
	 * @param clientId this instance's id, stored as the row's {@code CLIENT_ID}
	 * @param onExpired what to do, once, when the lease has not been renewed for its
	 * time-to-live
	 * @return the lease, renewed until closed
	 */
	static Lease acquire(DataSource dataSource, GateSettings settings, String clientId, Runnable onExpired) {
		DefaultLockRepository repository = new DefaultLockRepository(dataSource, clientId);
		repository.setPrefix(settings.tablePrefix());
		repository.setRegion(settings.region());
		repository.setTransactionManager(new DataSourceTransactionManager(dataSource));
		// DefaultLockRepository finishes initialising only after all singletons of a context
		// exist, later than the migration runs: initialise it here
		repository.afterPropertiesSet();
		repository.afterSingletonsInstantiated();
		Lease lease = new Lease(new JdbcLockRegistry(repository, settings.timeToLive()), settings.key(),
				settings.timeToLive(), onExpired);
		try {
			if (!lease.onLeaseThread(lease.lock::tryLock)) {
				throw new IllegalStateException("Could not take the lock row of '" + settings.key()
						+ "' although this instance holds the fence: another application uses region '"
						+ settings.region() + "' of " + settings.tablePrefix() + "LOCK for that key");
			}
		}
		catch (RuntimeException ex) {
			lease.thread.shutdownNow();
			lease.watchdog.shutdownNow();
			throw ex;
		}
		lease.renewedNanos = System.nanoTime();
		long period = Math.max(100, settings.timeToLive().toMillis() / 3);
		lease.renewal = lease.thread.scheduleWithFixedDelay(lease::renew, period, period, TimeUnit.MILLISECONDS);
		lease.watchdog.scheduleWithFixedDelay(lease::checkRenewed, period, period, TimeUnit.MILLISECONDS);
		return lease;
	}

	private void checkRenewed() {
		Duration since = Duration.ofNanos(System.nanoTime() - this.renewedNanos);
		if (!this.expired && since.compareTo(this.timeToLive) >= 0) {
			this.expired = true;
			logger.warn("The schema migration lock has not been renewed for " + since.toMillis()
					+ "ms (time-to-live " + this.timeToLive.toMillis() + "ms): another instance may have taken "
					+ "over, so this one gives up its fenced session and starts over");
			this.onExpired.run();
		}
	}

	private void renew() {
		try {
			this.registry.renewLock(this.key, this.timeToLive);
			this.renewedNanos = System.nanoTime();
			if (this.lost) {
				logger.info("Renewed the schema migration lock again");
				this.lost = false;
			}
		}
		catch (RuntimeException ex) {
			// the fence, not the lease, keeps other instances out: keep migrating
			if (!this.lost) {
				logger.warn("Could not renew the schema migration lock; the fence still holds it: " + ex.getMessage());
			}
			this.lost = true;
		}
	}

	@Override
	public void close() {
		this.watchdog.shutdownNow();
		ScheduledFuture<?> renewal = this.renewal;
		if (renewal != null) {
			renewal.cancel(false);
		}
		try {
			onLeaseThread(() -> {
				this.lock.unlock();
				return null;
			});
		}
		catch (RuntimeException ex) {
			logger.warn("Could not release the schema migration lock row; the next leader removes it: "
					+ ex.getMessage());
		}
		finally {
			this.thread.shutdownNow();
		}
	}

	// bounded, so that a renewal hanging on a lost connection cannot hold up the leader
	private <T extends @Nullable Object> T onLeaseThread(Callable<T> action) {
		try {
			return this.thread.submit(action).get(ANSWER_TIMEOUT.plus(this.timeToLive).toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (TimeoutException ex) {
			throw new IllegalStateException("The database did not answer for the schema migration lock within "
					+ ANSWER_TIMEOUT.plus(this.timeToLive).toSeconds() + "s", ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while using the schema migration lock", ex);
		}
		catch (ExecutionException ex) {
			if (ex.getCause() instanceof RuntimeException runtime) {
				throw runtime;
			}
			throw new IllegalStateException(ex.getCause());
		}
	}

}
