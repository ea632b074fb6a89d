package dev.schemagate.autoconfigure;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.schemagate.gate.DaemonThreads;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * A task run on a daemon thread of its own, first at once, then each interval after the
 * last run ended, a failing run included; an interval of zero or less never runs it.
 */
final class Periodic {

	private static final Log logger = LogFactory.getLog(Periodic.class);

	private final String threadName;

	private final Duration interval;

	private final Runnable task;

	private @Nullable ScheduledExecutorService scheduler;

	Periodic(String threadName, Duration interval, Runnable task) {
		this.threadName = threadName;
		this.interval = interval;
		this.task = task;
	}

	// once: the application may publish its ready event more than once
	synchronized void start() {
		if (this.scheduler != null || this.interval.isZero() || this.interval.isNegative()) {
			return;
		}
		this.scheduler = DaemonThreads.scheduler(this.threadName);
		this.scheduler.scheduleWithFixedDelay(this::run, 0, this.interval.toMillis(), TimeUnit.MILLISECONDS);
	}

	// an exception would cancel every later run
	private void run() {
		try {
			this.task.run();
		}
		catch (RuntimeException ex) {
			logger.warn("The periodic task of " + this.threadName + " failed; it runs again in " + this.interval, ex);
		}
	}

	synchronized void stop() {
		if (this.scheduler != null) {
			this.scheduler.shutdownNow();
		}
	}

}
