package dev.schemagate.sample.fleet;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import dev.schemagate.sample.fleet.Fleet.Member;

/**
 * Sends requests to a pool of instances as a load balancer does: round robin over the
 * instances whose readiness, probed every 250 ms, says UP; an instance is taken out of the
 * pool (drained) before it is stopped. Every request counts, per version of the app that
 * served it, and every failure is kept: a status other than 200, a body without the
 * expected text, or no response.
 */
final class LoadBalancer implements AutoCloseable {

	private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

	private final String path;

	private final String expected;

	private final Map<Member, String> pool = new ConcurrentHashMap<>();

	private final List<Member> routable = new CopyOnWriteArrayList<>();

	private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();

	private final List<String> failures = new CopyOnWriteArrayList<>();

	private final Thread prober;

	private final Thread sender;

	private volatile boolean running = true;

	/**
	 * Starts sending requests.
	 * @param path the path every request reads
	 * @param expected text every successful response holds
	 */
	LoadBalancer(String path, String expected) {
		this.path = path;
		this.expected = expected;
		this.prober = start("lb-probe", this::probe);
		this.sender = start("lb-send", this::send);
	}

	/**
	 * Adds an instance to the pool: it receives requests once its readiness says UP.
	 * @param member the instance
	 * @param version the version of the app it runs
	 */
	void register(Member member, String version) {
		this.pool.put(member, version);
	}

	/**
	 * Takes an instance out of the pool before it stops, as a load balancer drains it, and
	 * waits for a request under way to it to end, as its deregistration delay does.
	 * @param member the instance
	 */
	void drain(Member member) {
		this.pool.remove(member);
		this.routable.remove(member);
		sleep(1000);
	}

	long requests(String version) {
		AtomicLong count = this.requests.get(version);
		return (count != null) ? count.get() : 0;
	}

	long requests() {
		return this.requests.values().stream().mapToLong(AtomicLong::get).sum();
	}

	List<String> failures() {
		return List.copyOf(this.failures);
	}

	private void probe() {
		while (this.running) {
			for (Member member : new ArrayList<>(this.pool.keySet())) {
				boolean ready = member.isReady();
				if (ready && this.pool.containsKey(member) && !this.routable.contains(member)) {
					this.routable.add(member);
				}
				else if (!ready) {
					this.routable.remove(member);
				}
			}
			sleep(250);
		}
	}

	private void send() {
		int next = 0;
		while (this.running) {
			List<Member> targets = List.copyOf(this.routable);
			if (targets.isEmpty()) {
				sleep(10);
				continue;
			}
			Member target = targets.get(next++ % targets.size());
			String version = this.pool.getOrDefault(target, "?");
			this.requests.computeIfAbsent(version, (key) -> new AtomicLong()).incrementAndGet();
			try {
				HttpResponse<String> response = http.send(
						HttpRequest.newBuilder(URI.create("http://" + target.host() + ":" + target.port() + this.path))
							.timeout(Duration.ofSeconds(5))
							.build(),
						HttpResponse.BodyHandlers.ofString());
				if (response.statusCode() != 200 || !response.body().contains(this.expected)) {
					this.failures.add("version " + version + " instance " + target.index() + ": " + response.statusCode()
							+ " " + response.body());
				}
			}
			catch (IOException ex) {
				this.failures.add("version " + version + " instance " + target.index() + ": " + ex);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
			sleep(5);
		}
	}

	private static Thread start(String name, Runnable task) {
		Thread thread = new Thread(task, name);
		thread.setDaemon(true);
		thread.start();
		return thread;
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public void close() throws InterruptedException {
		this.running = false;
		this.prober.join();
		this.sender.join();
	}

}
