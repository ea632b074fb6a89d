package dev.schemagate.autoconfigure;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.schemagate.status.GateStatus;
import dev.schemagate.test.TestPostgres;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.changelog.visitor.AbstractChangeExecListener;
import liquibase.database.Database;
import liquibase.integration.spring.SpringLiquibase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests that a transactional changeset commits together with its
 * {@code DATABASECHANGELOG} row, which Liquibase alone writes in a transaction of its own.
 */
class ChangesetTransactionTests {

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
	void changesetWhoseRowCannotBeWrittenIsNotCommitted() {
		this.contextRunner.withPropertyValues("spring.liquibase.change-log=classpath:db/test/row-refused.xml")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("changelog row refused");
				// Liquibase alone commits the insert before it fails to record it
				assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit")).isZero();
				assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangelog")).isOne();
				assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangeloglock WHERE locked"))
					.isZero();
			});
	}

	@Test
	void listenerOfTheApplicationsCustomizerHearsEveryChangesetBesideTheGate() {
		this.contextRunner.withUserConfiguration(CustomizerListenerConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(CustomizerListenerConfiguration.class).ran).containsExactly("1-audit", "2-seed",
					"3-index");
			GateStatus status = context.getBean(SchemaGates.class).all().get(0).status();
			assertThat(status.getApplied()).hasSize(3);
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE note = 'seed'")).isOne();
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class CustomizerListenerConfiguration {

		final List<String> ran = new CopyOnWriteArrayList<>();

		@Bean
		ListeningCustomizer listeningCustomizer() {
			return new ListeningCustomizer(this.ran);
		}

	}

	/**
	 * Sets a customizer that sets a listener, as an application may, before the gate runs
	 * the bean.
	 */
	record ListeningCustomizer(List<String> ran) implements BeanPostProcessor, Ordered {

		@Override
		public Object postProcessBeforeInitialization(Object bean, String beanName) {
			if (bean instanceof SpringLiquibase liquibase) {
				liquibase.setCustomizer((customized) -> customized.setChangeExecListener(new AbstractChangeExecListener() {

					@Override
					public void ran(ChangeSet changeSet, DatabaseChangeLog databaseChangeLog, Database database,
							ChangeSet.ExecType execType) {
						ListeningCustomizer.this.ran.add(changeSet.getId());
					}

				}));
			}
			return bean;
		}

		@Override
		public int getOrder() {
			return Ordered.HIGHEST_PRECEDENCE;
		}

	}

}
