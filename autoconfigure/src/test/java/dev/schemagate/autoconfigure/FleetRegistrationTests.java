package dev.schemagate.autoconfigure;

import java.util.List;

import dev.schemagate.autoconfigure.endpoint.SchemagateEndpoint;
import dev.schemagate.fleet.FleetRegistry.Member;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

/**
 * Tests for the fleet registry as the auto-configuration keeps it: an instance records
 * itself before it looks at the schema, with its version and its changelog, shows the live
 * fleet in the endpoint, and leaves when the application stops.
 */
class FleetRegistrationTests {

	private final TestPostgres postgres = TestPostgres.get();

	private String url;

	private ApplicationContextRunner contextRunner;

	@BeforeEach
	void createDatabase() {
		this.url = this.postgres.createDatabase();
		this.contextRunner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LiquibaseAutoConfiguration.class, SchemagateAutoConfiguration.class))
			.withPropertyValues(this.postgres.applicationProperties(this.url));
	}

	@Test
	void anInstanceRecordsItsVersionAndChangelogAndLeavesWhenItStops() throws Exception {
		this.contextRunner.withPropertyValues("schemagate.app-version=1.4.2").run((context) -> {
			assertThat(context).hasNotFailed();
			List<Member> fleet = fleet(context);
			assertThat(fleet).singleElement().satisfies((member) -> {
				assertThat(member.self()).isTrue();
				assertThat(member.appVersion()).isEqualTo("1.4.2");
				assertThat(member.changelogHead()).isEqualTo("3-index");
				assertThat(member.contracts()).isEmpty();
				assertThat(member.pid()).isEqualTo(ProcessHandle.current().pid());
			});
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM schemagate_instance")).isOne();
		});
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM schemagate_instance")).isZero();
	}

	@Test
	void instancesOfTwoVersionsSeeEachOtherWithTheContractChangesetsTheirChangelogsHold() {
		this.contextRunner.withPropertyValues("spring.application.version=1").run((first) -> {
			this.contextRunner
				.withPropertyValues("spring.application.version=2",
						"spring.liquibase.change-log=classpath:db/test/contract-v2.xml")
				.run((second) -> {
					assertThat(second).hasNotFailed();
					assertThat(fleet(second)).extracting(Member::appVersion, Member::changelogHead, Member::contracts,
							Member::self)
						.containsExactly(tuple("1", "3-index", List.of(), false),
								tuple("2", "6-drop-note", List.of("6-drop-note:test"),
										true));
				});
		});
	}

	private static List<Member> fleet(AssertableApplicationContext context) throws Exception {
		return new SchemagateEndpoint(context.getBean(SchemaGates.class)).gates().gates().get("liquibase").fleet();
	}

}
