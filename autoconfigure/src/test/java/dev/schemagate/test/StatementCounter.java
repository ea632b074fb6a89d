package dev.schemagate.test;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

/**
 * Wraps a real data source and counts what its users send: the statements they execute and
 * how many connections they hold at once.
 */
public final class StatementCounter {

	private final DataSource dataSource;

	private final AtomicLong statements = new AtomicLong();

	private final AtomicInteger open = new AtomicInteger();

	private final AtomicInteger mostOpen = new AtomicInteger();

	public StatementCounter(DataSource target) {
		this.dataSource = proxy(DataSource.class, target, (method, result) -> {
			if (method.equals("getConnection")) {
				this.mostOpen.accumulateAndGet(this.open.incrementAndGet(), Math::max);
				return proxy(Connection.class, (Connection) result, this::connectionCall);
			}
			return result;
		});
	}

	private Object connectionCall(String method, Object result) {
		if (result instanceof PreparedStatement prepared) {
			return proxy(PreparedStatement.class, prepared, this::statementCall);
		}
		if (result instanceof Statement statement) {
			return proxy(Statement.class, statement, this::statementCall);
		}
		return result;
	}

	private Object statementCall(String method, Object result) {
		if (method.startsWith("execute")) {
			this.statements.incrementAndGet();
		}
		return result;
	}

	public DataSource dataSource() {
		return this.dataSource;
	}

	public long statements() {
		return this.statements.get();
	}

	public int mostOpenAtOnce() {
		return this.mostOpen.get();
	}

	@SuppressWarnings("unchecked")
	private <T> T proxy(Class<T> type, T target, Wrapper wrapper) {
		InvocationHandler handler = (proxy, method, args) -> {
			// a connection is no longer open once its close is called: a pool may hand it to
			// another thread before close returns
			if (type == Connection.class && method.getName().equals("close")) {
				this.open.decrementAndGet();
			}
			try {
				return wrapper.wrap(method.getName(), method.invoke(target, args));
			}
			catch (InvocationTargetException ex) {
				throw ex.getCause();
			}
		};
		return (T) Proxy.newProxyInstance(StatementCounter.class.getClassLoader(), new Class<?>[] { type }, handler);
	}

	@FunctionalInterface
	private interface Wrapper {

		Object wrap(String method, Object result);

	}

}
