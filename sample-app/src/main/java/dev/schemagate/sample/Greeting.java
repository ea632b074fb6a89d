package dev.schemagate.sample;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;

/**
 * A greeting stored in the migrated schema; Hibernate validates its table at start.
 */
@Entity
public class Greeting {

	@Id
	@GeneratedValue(strategy = GenerationType.IDENTITY)
	private Long id;

	private String message;

	protected Greeting() {
	}

	public Greeting(String message) {
		this.message = message;
	}

	public Long getId() {
		return this.id;
	}

	public String getMessage() {
		return this.message;
	}

}
