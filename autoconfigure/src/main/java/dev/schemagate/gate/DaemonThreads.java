package dev.schemagate.gate;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The threads schemagate starts of its own: daemons, so that none of them keeps a JVM up that
 * the application lets end, and named {@code schemagate-…}, so that a thread dump tells them.
 */
public final class DaemonThreads {

	private DaemonThreads() {
	}

	/**
	 * Creates a daemon thread, not started.
	 * @param name the thread's name
	 * @param task what it runs
	 * @return the thread
	 */
	public static Thread thread(String name, Runnable task) {
		Thread thread = new Thread(task, name);
		thread.setDaemon(true);
		return thread;
	}

	/**
	 * Creates a scheduler that runs its tasks on one daemon thread.
	 * @param name the thread's name
	 * @return the scheduler
	 */
	public static ScheduledExecutorService scheduler(String name) {
		return Executors.newSingleThreadScheduledExecutor((task) -> thread(name, task));
	}

}
