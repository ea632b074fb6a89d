package dev.schemagate.autoconfigure;

import javax.sql.DataSource;

import dev.schemagate.liquibase.LiquibaseSelection;
import liquibase.exception.LiquibaseException;
import liquibase.integration.spring.SpringLiquibase;
import liquibase.util.LiquibaseUtil;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.support.MergedBeanDefinitionPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.SpringBootVersion;
import org.springframework.boot.jdbc.DatabaseDriver;
import org.springframework.boot.jdbc.EmbeddedDatabaseConnection;
import org.springframework.core.Ordered;
import org.springframework.util.ClassUtils;

/**
 * Hands every {@link SpringLiquibase} bean, in place of its own initialisation, to the start
 * strategy of the configured mode (migrate through the gate, wait, plan, job). Beans that
 * wait for database initialisation (an {@code EntityManagerFactory}, a
 * {@code JdbcTemplate}) therefore still wait for it. An in-memory database, which no other
 * instance shares, is migrated by Liquibase alone.
 */
class LiquibaseGatePostProcessor implements MergedBeanDefinitionPostProcessor, Ordered {

	private static final Log logger = LogFactory.getLog(LiquibaseGatePostProcessor.class);

	private final ObjectProvider<StartStrategy> strategy;

	private boolean announced;

	LiquibaseGatePostProcessor(ObjectProvider<StartStrategy> strategy) {
		this.strategy = strategy;
	}

	@Override
	public void postProcessMergedBeanDefinition(RootBeanDefinition beanDefinition, Class<?> beanType,
			String beanName) {
		if (SpringLiquibase.class.isAssignableFrom(beanType)) {
			// the container must not run the migration a second time, outside the gate
			beanDefinition.registerExternallyManagedInitMethod("afterPropertiesSet");
		}
	}

	@Override
	public Object postProcessBeforeInitialization(Object bean, String beanName) throws BeansException {
		if (!(bean instanceof SpringLiquibase liquibase)) {
			return bean;
		}
		if (!this.announced) {
			this.announced = true;
			announce(SchemagateVersion.current());
		}
		if (InMemoryDatabase.holds(liquibase.getDataSource())) {
			// an in-memory database lives in this JVM alone, as in an application's own tests
			logger.info("'" + beanName + "' migrates an in-memory database of this JVM, which no other instance "
					+ "shares: running Liquibase without schemagate");
			try {
				liquibase.afterPropertiesSet();
			}
			catch (LiquibaseException ex) {
				throw new BeanCreationException(beanName, "Migration failed: " + ex.getMessage(), ex);
			}
			return bean;
		}
		this.strategy.getObject().start(LiquibaseSelection.of(beanName, liquibase));
		return bean;
	}

	// once, before the first migration: which schemagate runs, on what
	private static void announce(SchemagateVersion schemagate) {
		String springBoot = SpringBootVersion.getVersion();
		String liquibase = LiquibaseUtil.getBuildVersion();
		// what Liquibase reports when its jar does not say
		liquibase = ("UNKNOWN".equals(liquibase) || "DEV".equals(liquibase)) ? null : liquibase;
		logger.info(schemagate.describe(springBoot, liquibase));
		String untested = schemagate.untested(springBoot, liquibase);
		if (untested != null) {
			logger.warn("schemagate " + schemagate.version() + " was not tested with " + untested
					+ ": see the versions it was tested with in its CHANGELOG.md");
		}
	}

	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

	/**
	 * Tells an in-memory H2, HSQLDB or Derby database; a class of its own, so that nothing
	 * loads Spring Boot's JDBC support where it is absent.
	 */
	private static final class InMemoryDatabase {

		private static final boolean JDBC_SUPPORT_PRESENT = ClassUtils.isPresent(
				"org.springframework.boot.jdbc.EmbeddedDatabaseConnection", InMemoryDatabase.class.getClassLoader());

		// asks the database only where an embedded database's driver is on the class path, so
		// that a PostgreSQL application pays nothing, not even while its database is down
		static boolean holds(@Nullable DataSource dataSource) {
			return JDBC_SUPPORT_PRESENT && dataSource != null && EmbeddedCheck.holds(dataSource);
		}

		private static final class EmbeddedCheck {

			// by the configured URL where it can be read, so that the pool opens no session
			// before the fleet registry has marked where this instance's sessions begin
			static boolean holds(DataSource dataSource) {
				ClassLoader classLoader = InMemoryDatabase.class.getClassLoader();
				if (EmbeddedDatabaseConnection.get(classLoader) == EmbeddedDatabaseConnection.NONE) {
					return false;
				}
				String url = DataSourceUrl.of(dataSource);
				if (url == null) {
					return EmbeddedDatabaseConnection.isEmbedded(dataSource);
				}
				String driverClass = DatabaseDriver.fromJdbcUrl(url).getDriverClassName();
				return driverClass != null && EmbeddedDatabaseConnection.isEmbedded(driverClass, url);
			}

		}

	}

}
