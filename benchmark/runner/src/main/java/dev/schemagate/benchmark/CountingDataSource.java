package dev.schemagate.benchmark;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

/**
 * Counts, at the client, the statements sent through a data source: the waiting load seen
 * from the waiters' side, independent of when the server flushes its statistics.
 */
final class CountingDataSource {

	private final AtomicLong statements;

	CountingDataSource(AtomicLong statements) {
		this.statements = statements;
	}

	DataSource wrap(DataSource target) {
		return proxy(DataSource.class, target, (method, result) -> (result instanceof Connection connection)
				? proxy(Connection.class, connection, this::connectionCall) : result);
	}

	private Object connectionCall(String method, Object result) {
		Wrapper counting = (called, value) -> {
			if (called.startsWith("execute")) {
				this.statements.incrementAndGet();
			}
			return value;
		};
		if (result instanceof java.sql.PreparedStatement prepared) {
			return proxy(java.sql.PreparedStatement.class, prepared, counting);
		}
		if (result instanceof Statement statement) {
			return proxy(Statement.class, statement, counting);
		}
		return result;
	}

	@SuppressWarnings("unchecked")
	private static <T> T proxy(Class<T> type, T target, Wrapper wrapper) {
		InvocationHandler handler = (proxy, method, args) -> {
			try {
				return wrapper.wrap(method.getName(), method.invoke(target, args));
			}
			catch (InvocationTargetException ex) {
				throw ex.getCause();
			}
		};
		return (T) Proxy.newProxyInstance(CountingDataSource.class.getClassLoader(), new Class<?>[] { type }, handler);
	}

	@FunctionalInterface
	private interface Wrapper {

		Object wrap(String method, Object result);

	}

}
