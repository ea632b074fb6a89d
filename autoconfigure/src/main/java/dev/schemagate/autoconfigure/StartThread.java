package dev.schemagate.autoconfigure;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.schemagate.gate.DaemonThreads;
import dev.schemagate.gate.ShutdownSignal;
import dev.schemagate.gate.StartCancelledException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.SpringApplication;

/**
 * Runs what an instance does with a Liquibase bean at start (wait, migrate, retry) on a
 * thread of its own while the thread that refreshes the application context waits for it,
 * so that a shutdown during the refresh reaches it.
 * <p>
 * On SIGTERM, Spring Boot's shutdown hook closes the context; Spring's close, finding the
 * refresh thread waiting without a time-out, interrupts it. The interrupt sends the
 * {@link ShutdownSignal}: a waiting or retrying instance stops at once, a leader after its
 * changeset. The refresh thread then waits for that in bounded steps, which the close
 * keeps waiting through, and fails the refresh, so that nothing else of the application
 * starts. A Spring Boot shutdown handler keeps the JVM up until a leader has let go of the
 * fence, for a close that stopped waiting first.
 */
final class StartThread {

	private static final Log logger = LogFactory.getLog(StartThread.class);

	// how long a stopping instance that does not lead waits for its start to wind down,
	// such as a connection attempt to a database out of reach
	private static final Duration NOT_LEADING_GRACE = Duration.ofSeconds(1);

	private static final Duration STEP = Duration.ofMillis(50);

	private StartThread() {
	}

	/**
	 * Runs the work and returns its outcome on the calling thread.
	 * @param name the Liquibase bean's name
	 * @param shutdown the signal the work stops on
	 * @param holdJvm whether to keep the JVM up while a stopping leader lets go, as Spring
	 * Boot's shutdown hook is registered
	 * @param work what to do
	 * @throws Exception the work's failure
	 * @throws StartCancelledException if the JVM is to stop
	 */
	static void run(String name, ShutdownSignal shutdown, boolean holdJvm, Work work) throws Exception {
		FutureTask<Void> task = new FutureTask<>(() -> {
			work.run();
			return null;
		});
		Thread thread = DaemonThreads.thread("schemagate-start-" + name, task);
		thread.setContextClassLoader(Thread.currentThread().getContextClassLoader());
		Runnable letGo = () -> {
			shutdown.request();
			awaitLetGo(shutdown, task);
		};
		boolean held = holdJvm && addShutdownHandler(letGo);
		thread.start();
		try {
			task.get();
			return;
		}
		catch (InterruptedException ex) {
			logger.info("The JVM is shutting down while '" + name + "' starts: stopping its start");
			shutdown.request();
			awaitStopped(shutdown, task);
		}
		catch (ExecutionException ex) {
			throw rethrown(ex);
		}
		finally {
			if (held) {
				removeShutdownHandler(letGo);
			}
		}
		if (task.isDone()) {
			try {
				task.get();
			}
			catch (ExecutionException ex) {
				throw rethrown(ex);
			}
		}
		// the work finished, or stopped short of anything it holds, as the JVM stops
		throw new StartCancelledException("starting '" + name + "'");
	}

	// in steps with a time-out: a close that finds this thread waiting without one takes it
	// for stuck and no longer waits for the refresh
	private static void awaitStopped(ShutdownSignal shutdown, FutureTask<Void> task) {
		long notLeadingSince = System.nanoTime();
		while (!task.isDone()) {
			try {
				task.get(STEP.toMillis(), TimeUnit.MILLISECONDS);
			}
			catch (TimeoutException ex) {
				if (shutdown.leading()) {
					notLeadingSince = System.nanoTime();
				}
				else if (System.nanoTime() - notLeadingSince > NOT_LEADING_GRACE.toNanos()) {
					return;
				}
			}
			catch (InterruptedException ex) {
				// the close interrupts once; what it waits for is this thread's end
			}
			catch (ExecutionException ex) {
				return;
			}
		}
	}

	private static void awaitLetGo(ShutdownSignal shutdown, FutureTask<Void> task) {
		try {
			while (shutdown.leading() && !task.isDone()) {
				Thread.sleep(STEP.toMillis());
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static boolean addShutdownHandler(Runnable handler) {
		try {
			SpringApplication.getShutdownHandlers().add(handler);
			return true;
		}
		catch (IllegalStateException ex) {
			// the JVM is already shutting down
			return false;
		}
	}

	private static void removeShutdownHandler(Runnable handler) {
		try {
			SpringApplication.getShutdownHandlers().remove(handler);
		}
		catch (IllegalStateException ex) {
			// the shutdown hook runs it, and it returns at once
		}
	}

	private static Exception rethrown(ExecutionException ex) {
		Throwable cause = ex.getCause();
		if (cause instanceof Exception exception) {
			return exception;
		}
		if (cause instanceof Error error) {
			throw error;
		}
		return ex;
	}

	/**
	 * What an instance does with a Liquibase bean at start.
	 */
	@FunctionalInterface
	interface Work {

		void run() throws Exception;

	}

}
