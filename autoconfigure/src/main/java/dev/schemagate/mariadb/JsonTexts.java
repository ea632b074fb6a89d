package dev.schemagate.mariadb;

import java.util.ArrayList;
import java.util.List;

/**
 * Lists of texts as JSON arrays, which is how MariaDB, having no array type, holds them in
 * the gate's tables.
 */
final class JsonTexts {

	private JsonTexts() {
	}

	static String write(List<String> values) {
		StringBuilder json = new StringBuilder("[");
		for (String value : values) {
			if (json.length() > 1) {
				json.append(',');
			}
			json.append('"');
			for (int i = 0; i < value.length(); i++) {
				char c = value.charAt(i);
				switch (c) {
					case '"' -> json.append("\\\"");
					case '\\' -> json.append("\\\\");
					case '\n' -> json.append("\\n");
					case '\r' -> json.append("\\r");
					case '\t' -> json.append("\\t");
					default -> {
						if (c < 0x20) {
							json.append(String.format("\\u%04x", (int) c));
						}
						else {
							json.append(c);
						}
					}
				}
			}
			json.append('"');
		}
		return json.append(']').toString();
	}

	static List<String> read(String json) {
		List<String> values = new ArrayList<>();
		int i = skipSpace(json, 0);
		expect(json, i++, '[');
		i = skipSpace(json, i);
		if (i < json.length() && json.charAt(i) == ']') {
			return values;
		}
		while (true) {
			i = skipSpace(json, i);
			expect(json, i++, '"');
			StringBuilder value = new StringBuilder();
			while (json.charAt(i) != '"') {
				char c = json.charAt(i++);
				if (c != '\\') {
					value.append(c);
					continue;
				}
				char escaped = json.charAt(i++);
				switch (escaped) {
					case 'n' -> value.append('\n');
					case 'r' -> value.append('\r');
					case 't' -> value.append('\t');
					case 'b' -> value.append('\b');
					case 'f' -> value.append('\f');
					case 'u' -> {
						value.append((char) Integer.parseInt(json.substring(i, i + 4), 16));
						i += 4;
					}
					default -> value.append(escaped);
				}
			}
			values.add(value.toString());
			i = skipSpace(json, i + 1);
			if (json.charAt(i) == ']') {
				return values;
			}
			expect(json, i++, ',');
		}
	}

	private static int skipSpace(String json, int from) {
		int i = from;
		while (i < json.length() && Character.isWhitespace(json.charAt(i))) {
			i++;
		}
		return i;
	}

	private static void expect(String json, int at, char expected) {
		if (at >= json.length() || json.charAt(at) != expected) {
			throw new IllegalArgumentException("Not a JSON array of texts at " + at + ": " + json);
		}
	}

}
