package dev.schemagate.sample;

import java.util.List;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

@RestController
class GreetingController {

	private final GreetingRepository greetings;

	GreetingController(GreetingRepository greetings) {
		this.greetings = greetings;
	}

	@GetMapping("/greetings")
	List<Greeting> all() {
		return this.greetings.findAll();
	}

	@PostMapping("/greetings")
	Greeting add(@RequestBody String message) {
		return this.greetings.save(new Greeting(message));
	}

}
