package dev.schemagate.gate;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

import javax.sql.DataSource;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

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
 */
final class Lease implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(Lease.class);

	private final JdbcLockRegistry registry;

	private final String key;

	private final Duration timeToLive;

	private final ScheduledExecutorService thread;

	private final Lock lock;

	private volatile boolean lost;

	private ScheduledFuture<?> renewal;

	private Lease(JdbcLockRegistry registry, String key, Duration timeToLive) {
		this.registry = registry;
		this.key = key;
		this.timeToLive = timeToLive;
		this.thread = Executors.newSingleThreadScheduledExecutor((runnable) -> {
			Thread thread = new Thread(runnable, "schemagate-lease");
			thread.setDaemon(true);
			return thread;
		});
		this.lock = registry.obtain(key);
	}

	/**
	 * Takes the lock; the caller holds the fence, so the row is free.
	 * @param dataSource the migration data source
	 * @param settings the lock settings
	 * @param clientId this instance's id, stored as the row's {@code CLIENT_ID}
	 * @return the lease, renewed until closed
	 */
	static Lease acquire(DataSource dataSource, GateSettings settings, String clientId) {
		DefaultLockRepository repository = new DefaultLockRepository(dataSource, clientId);
		repository.setPrefix(settings.tablePrefix());
		repository.setRegion(settings.region());
		repository.setTransactionManager(new DataSourceTransactionManager(dataSource));
		// DefaultLockRepository finishes initialising only after all singletons of a context
		// exist, later than the migration runs: initialise it here
		repository.afterPropertiesSet();
		repository.afterSingletonsInstantiated();
		Lease lease = new Lease(new JdbcLockRegistry(repository, settings.timeToLive()), settings.key(),
				settings.timeToLive());
		try {
			if (!lease.onLeaseThread(lease.lock::tryLock)) {
				throw new IllegalStateException("Could not take the lock row of '" + settings.key()
						+ "' although this instance holds the fence: another application uses region '"
						+ settings.region() + "' of " + settings.tablePrefix() + "LOCK for that key");
			}
		}
		catch (RuntimeException ex) {
			lease.thread.shutdownNow();
			throw ex;
		}
		long period = Math.max(100, settings.timeToLive().toMillis() / 3);
		lease.renewal = lease.thread.scheduleWithFixedDelay(lease::renew, period, period, TimeUnit.MILLISECONDS);
		return lease;
	}

	private void renew() {
		try {
			this.registry.renewLock(this.key, this.timeToLive);
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
		this.renewal.cancel(false);
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

	private <T> T onLeaseThread(Callable<T> action) {
		try {
			return this.thread.submit(action).get();
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
