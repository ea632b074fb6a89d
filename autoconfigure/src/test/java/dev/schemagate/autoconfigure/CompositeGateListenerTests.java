package dev.schemagate.autoconfigure;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.schemagate.status.GateListener;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link CompositeGateListener}.
 */
class CompositeGateListenerTests {

	@Test
	void forwardsEveryEventToEveryListener() throws Exception {
		List<String> heardByFirst = new ArrayList<>();
		List<String> heardBySecond = new ArrayList<>();
		GateListener composite = CompositeGateListener.of(recording(heardByFirst), List.of(recording(heardBySecond)));
		List<String> events = new ArrayList<>();
		for (Method event : GateListener.class.getMethods()) {
			events.add(event.getName());
			event.invoke(composite, Arrays.stream(event.getParameterTypes()).map((type) -> null).toArray());
		}
		assertThat(events).isNotEmpty();
		assertThat(heardByFirst).containsExactlyInAnyOrderElementsOf(events);
		assertThat(heardBySecond).containsExactlyInAnyOrderElementsOf(events);
	}

	private static GateListener recording(List<String> heard) {
		return (GateListener) Proxy.newProxyInstance(GateListener.class.getClassLoader(),
				new Class<?>[] { GateListener.class }, (proxy, method, args) -> {
					if (method.getDeclaringClass() == GateListener.class) {
						heard.add(method.getName());
					}
					return null;
				});
	}

}
