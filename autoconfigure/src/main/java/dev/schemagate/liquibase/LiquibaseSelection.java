package dev.schemagate.liquibase;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.sql.Connection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import javax.sql.DataSource;

import dev.schemagate.contract.ContractChangesets;
import liquibase.Contexts;
import liquibase.GlobalConfiguration;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.Scope;
import liquibase.UpdateSummaryEnum;
import liquibase.UpdateSummaryOutputEnum;
import liquibase.analytics.configuration.AnalyticsArgs;
import liquibase.changelog.visitor.ChangeExecListener;
import liquibase.changelog.visitor.DefaultChangeExecListener;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.exception.LiquibaseException;
import liquibase.integration.IntegrationDetails;
import liquibase.integration.commandline.LiquibaseCommandLineConfiguration;
import liquibase.integration.spring.Customizer;
import liquibase.integration.spring.SpringLiquibase;
import liquibase.integration.spring.SpringResourceAccessor;
import liquibase.resource.ResourceAccessor;
import liquibase.structure.core.Catalog;
import liquibase.structure.core.Schema;
import liquibase.ui.UIServiceEnum;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.DirectFieldAccessor;
import org.springframework.core.io.ResourceLoader;
import org.springframework.util.StringUtils;

/**
 * What one Liquibase bean migrates, and how: its changelog, contexts, label filter,
 * parameters, schemas, tables and update settings, read once from the application's
 * {@link SpringLiquibase} bean, which is never written. Every run (the start, the contract
 * phase, a downgrade, a plan, the up-to-date check) builds its own {@link Liquibase} from
 * it, on the session it is given, as the bean would build it.
 */
public final class LiquibaseSelection {

	private static final Log logger = LogFactory.getLog(LiquibaseSelection.class);

	private static final String DEFAULT_CHANGELOG_TABLE = "DATABASECHANGELOG";

	private static final String DEFAULT_CHANGELOG_LOCK_TABLE = "DATABASECHANGELOGLOCK";

	private final String beanName;

	private final DataSource dataSource;

	private final String changeLog;

	private final @Nullable String contexts;

	private final @Nullable String labelFilter;

	private final Map<String, String> parameters;

	private final @Nullable String defaultSchema;

	private final @Nullable String liquibaseSchema;

	private final @Nullable String liquibaseTablespace;

	private final @Nullable String changelogTable;

	private final @Nullable String changelogLockTable;

	private final @Nullable String tag;

	private final boolean dropFirst;

	private final boolean clearCheckSums;

	private final boolean testRollbackOnUpdate;

	private final @Nullable File rollbackFile;

	private final boolean shouldRun;

	private final boolean contractsLeftOut;

	private final Settings settings;

	private LiquibaseSelection(String beanName, DataSource dataSource, String changeLog, @Nullable String contexts,
			@Nullable String labelFilter, Map<String, String> parameters, @Nullable String defaultSchema,
			@Nullable String liquibaseSchema, @Nullable String liquibaseTablespace, @Nullable String changelogTable,
			@Nullable String changelogLockTable, @Nullable String tag, boolean dropFirst, boolean clearCheckSums,
			boolean testRollbackOnUpdate, @Nullable File rollbackFile, boolean shouldRun, boolean contractsLeftOut,
			Settings settings) {
		this.beanName = beanName;
		this.dataSource = dataSource;
		this.changeLog = changeLog;
		this.contexts = contexts;
		this.labelFilter = labelFilter;
		this.parameters = parameters;
		this.defaultSchema = defaultSchema;
		this.liquibaseSchema = liquibaseSchema;
		this.liquibaseTablespace = liquibaseTablespace;
		this.changelogTable = changelogTable;
		this.changelogLockTable = changelogLockTable;
		this.tag = tag;
		this.dropFirst = dropFirst;
		this.clearCheckSums = clearCheckSums;
		this.testRollbackOnUpdate = testRollbackOnUpdate;
		this.rollbackFile = rollbackFile;
		this.shouldRun = shouldRun;
		this.contractsLeftOut = contractsLeftOut;
		this.settings = settings;
	}

	/**
	 * Reads what a Liquibase bean migrates. The settings {@code SpringLiquibase} keeps
	 * without a getter (parameters, rollback file, summary) are read from its fields.
	 * @param beanName the bean's name
	 * @param liquibase the bean, left as it is
	 * @return the selection
	 * @throws IllegalStateException if the bean has no data source or changelog, or its
	 * fields cannot be read
	 */
	public static LiquibaseSelection of(String beanName, SpringLiquibase liquibase) {
		if (liquibase.getDataSource() == null || liquibase.getChangeLog() == null) {
			throw new IllegalStateException("The Liquibase bean '" + beanName + "' has no "
					+ ((liquibase.getDataSource() == null) ? "data source" : "changelog"));
		}
		DirectFieldAccessor fields = new DirectFieldAccessor(liquibase);
		for (String field : new String[] { "parameters", "rollbackFile", "showSummary", "showSummaryOutput",
				"shouldRun" }) {
			if (!fields.isReadableProperty(field)) {
				throw new IllegalStateException("This version of Liquibase's SpringLiquibase cannot be read: it keeps "
						+ "no field '" + field + "'");
			}
		}
		@SuppressWarnings("unchecked")
		Map<String, String> parameters = (Map<String, String>) fields.getPropertyValue("parameters");
		Settings settings = new Settings(liquibase.getResourceLoader(), liquibase.getCustomizer(),
				(UpdateSummaryEnum) fields.getPropertyValue("showSummary"),
				(UpdateSummaryOutputEnum) fields.getPropertyValue("showSummaryOutput"), liquibase.getUiService(),
				liquibase.getAnalyticsEnabled(), liquibase.getLicenseKey());
		return new LiquibaseSelection(beanName, liquibase.getDataSource(), liquibase.getChangeLog(),
				liquibase.getContexts(), liquibase.getLabelFilter(),
				(parameters != null) ? Map.copyOf(new LinkedHashMap<>(parameters)) : Map.of(),
				liquibase.getDefaultSchema(), liquibase.getLiquibaseSchema(), liquibase.getLiquibaseTablespace(),
				liquibase.getDatabaseChangeLogTable(), liquibase.getDatabaseChangeLogLockTable(), liquibase.getTag(),
				liquibase.isDropFirst(), liquibase.isClearCheckSums(), liquibase.isTestRollbackOnUpdate(),
				(File) fields.getPropertyValue("rollbackFile"), Boolean.TRUE.equals(fields.getPropertyValue("shouldRun")),
				false, settings);
	}

	/**
	 * Returns the same selection with contract changesets left out: they wait until no live
	 * instance of the previous version runs.
	 * @return the selection without contract changesets
	 */
	public LiquibaseSelection withoutContracts() {
		return new LiquibaseSelection(this.beanName, this.dataSource, this.changeLog, this.contexts,
				ContractChangesets.excluding(this.labelFilter), this.parameters, this.defaultSchema,
				this.liquibaseSchema, this.liquibaseTablespace, this.changelogTable, this.changelogLockTable, this.tag,
				this.dropFirst, this.clearCheckSums, this.testRollbackOnUpdate, this.rollbackFile, this.shouldRun,
				true, this.settings);
	}

	/**
	 * Returns the name of the bean this selection was read from.
	 * @return the bean's name
	 */
	public String beanName() {
		return this.beanName;
	}

	/**
	 * Returns the data source the changelog is applied to.
	 * @return the data source
	 */
	public DataSource dataSource() {
		return this.dataSource;
	}

	/**
	 * Returns the changelog's location.
	 * @return the changelog
	 */
	public String changeLog() {
		return this.changeLog;
	}

	/**
	 * Returns the label filter the changesets are selected with.
	 * @return the filter, {@code null} for none
	 */
	public @Nullable String labelFilter() {
		return this.labelFilter;
	}

	/**
	 * Tells whether this selection leaves contract changesets out of the application's.
	 * @return whether it does
	 */
	boolean leavesContractsOut() {
		return this.contractsLeftOut;
	}

	Contexts contexts() {
		return new Contexts(this.contexts);
	}

	LabelExpression labels() {
		return new LabelExpression(this.labelFilter);
	}

	boolean dropsFirst() {
		return this.dropFirst;
	}

	/**
	 * Tells whether the bean, or Liquibase's {@code liquibase.shouldRun} setting, turned its
	 * updates off.
	 * @return whether updates run
	 */
	boolean updates() {
		return this.shouldRun && LiquibaseCommandLineConfiguration.SHOULD_RUN.getCurrentValue();
	}

	/**
	 * Names a setting with which only Liquibase, under its lock, can tell what an update
	 * would do.
	 * @return the setting, {@code null} when there is none
	 */
	@Nullable String settingThatActsOnEveryUpdate() {
		if (this.dropFirst) {
			return "drop-first";
		}
		if (this.clearCheckSums) {
			return "clear-checksums";
		}
		if (this.rollbackFile != null) {
			return "a rollback file";
		}
		if (this.tag != null) {
			return "a tag";
		}
		if (this.testRollbackOnUpdate) {
			return "test-rollback-on-update";
		}
		return null;
	}

	/**
	 * Returns the changelog table's name, qualified by the schema Liquibase keeps its tables
	 * in when one is set.
	 * @return the changelog table
	 */
	public String changelogTable() {
		return qualified((this.changelogTable != null) ? this.changelogTable : DEFAULT_CHANGELOG_TABLE);
	}

	/**
	 * Returns the changelog lock table's name, qualified as {@link #changelogTable()} is.
	 * @return the changelog lock table
	 */
	public String changelogLockTable() {
		return qualified((this.changelogLockTable != null) ? this.changelogLockTable : DEFAULT_CHANGELOG_LOCK_TABLE);
	}

	/**
	 * Returns the lock key when none is configured: the changelog table, so that two
	 * applications sharing a database in different schemas do not wait for each other.
	 * @return the default lock key
	 */
	public String defaultLockKey() {
		return changelogTable().toLowerCase(Locale.ROOT);
	}

	private String qualified(String table) {
		String schema = (this.liquibaseSchema != null) ? this.liquibaseSchema : this.defaultSchema;
		return (schema != null) ? schema + "." + table : table;
	}

	/**
	 * Runs a task in the Liquibase scope the bean would run in: the changelog's files read
	 * through the application's resource loader, its UI service, analytics setting and
	 * licence key.
	 * @param <T> the task's result
	 * @param task the task
	 * @return what the task returns
	 * @throws Exception if the task fails
	 */
	<T> T inScope(Scope.ScopedRunnerWithReturn<T> task) throws Exception {
		Map<String, Object> scope = new HashMap<>();
		scope.put(Scope.Attr.resourceAccessor.name(), new SpringResourceAccessor(this.settings.resourceLoader()));
		scope.put(Scope.Attr.integrationDetails.name(), new IntegrationDetails("spring"));
		scope.put(Scope.Attr.maxAnalyticsCacheSize.name(), 10);
		if (this.settings.uiService() != null) {
			scope.put(Scope.Attr.ui.name(), this.settings.uiService().getUiServiceClass().getDeclaredConstructor()
				.newInstance());
		}
		if (this.settings.analyticsEnabled() != null) {
			scope.put(AnalyticsArgs.ENABLED.getKey(), this.settings.analyticsEnabled());
		}
		if (this.settings.licenseKey() != null) {
			scope.put("liquibase.licenseKey", this.settings.licenseKey());
		}
		return Scope.child(scope, task);
	}

	/**
	 * Creates the Liquibase database on a session, with the bean's schemas, tablespace and
	 * table names. Called in {@link #inScope scope}.
	 * @param session the session
	 * @return the database
	 * @throws LiquibaseException if the database cannot be told
	 */
	Database database(Connection session) throws LiquibaseException {
		Database database = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(session));
		if (StringUtils.hasText(this.defaultSchema)) {
			if (database.supports(Schema.class)) {
				database.setDefaultSchemaName(this.defaultSchema);
			}
			else if (database.supports(Catalog.class)) {
				database.setDefaultCatalogName(this.defaultSchema);
			}
		}
		if (StringUtils.hasText(this.liquibaseSchema)) {
			if (database.supports(Schema.class)) {
				database.setLiquibaseSchemaName(this.liquibaseSchema);
			}
			else if (database.supports(Catalog.class)) {
				database.setLiquibaseCatalogName(this.liquibaseSchema);
			}
		}
		if (StringUtils.hasText(this.liquibaseTablespace) && database.supportsTablespaces()) {
			database.setLiquibaseTablespaceName(this.liquibaseTablespace);
		}
		if (StringUtils.hasText(this.changelogTable)) {
			database.setDatabaseChangeLogTableName(this.changelogTable);
		}
		if (StringUtils.hasText(this.changelogLockTable)) {
			database.setDatabaseChangeLogLockTableName(this.changelogLockTable);
		}
		return database;
	}

	/**
	 * Creates a Liquibase of the changelog on a session, with the changelog's parameters;
	 * neither customised nor dropping anything. Called in {@link #inScope scope}.
	 * @param session the session
	 * @return the Liquibase
	 * @throws LiquibaseException if the database cannot be told
	 */
	Liquibase liquibase(Connection session) throws LiquibaseException {
		return liquibase(database(session));
	}

	/**
	 * Creates a Liquibase of the changelog on a database, with the changelog's parameters;
	 * neither customised nor dropping anything. Called in {@link #inScope scope}.
	 * @param database the database
	 * @return the Liquibase
	 */
	Liquibase liquibase(Database database) {
		ResourceAccessor resourceAccessor = Scope.getCurrentScope().getResourceAccessor();
		Liquibase liquibase = new Liquibase(this.changeLog, resourceAccessor, database);
		this.parameters.forEach(liquibase::setChangeLogParameter);
		return liquibase;
	}

	/**
	 * Updates the database as the bean's own initialisation would: drops every object first
	 * when asked to, applies the application's customizer after the given preparation,
	 * writes the rollback file, clears checksums, and updates, testing the rollback and
	 * tagging when asked to. Called in {@link #inScope scope}.
	 * @param session the session to update on
	 * @param preparation what the run does to the Liquibase before the application's
	 * customizer
	 * @param listener the run's listener, which hears of each changeset before any the
	 * application's customizer sets
	 * @throws LiquibaseException if the update fails
	 */
	void update(Connection session, Customizer<Liquibase> preparation, ChangeExecListener listener)
			throws LiquibaseException {
		if (!updates()) {
			logger.info("Liquibase did not run '" + this.beanName + "': its shouldRun setting is false");
			return;
		}
		Liquibase liquibase = liquibase(session);
		try {
			if (this.dropFirst) {
				liquibase.dropAll();
			}
			if (this.settings.showSummaryOutput() != null) {
				liquibase.setShowSummaryOutput(this.settings.showSummaryOutput());
			}
			if (this.settings.showSummary() != null) {
				liquibase.setShowSummary(this.settings.showSummary());
			}
			preparation.customize(liquibase);
			liquibase.setChangeExecListener(listener);
			if (this.settings.customizer() != null) {
				this.settings.customizer().customize(liquibase);
				ChangeExecListener own = changeExecListener(liquibase);
				if (own != null && own != listener) {
					liquibase.setChangeExecListener(new DefaultChangeExecListener(listener, own));
				}
			}
			writeRollbackFile(liquibase);
			if (this.clearCheckSums) {
				liquibase.clearCheckSums();
			}
			if (this.testRollbackOnUpdate) {
				if (this.tag != null) {
					liquibase.updateTestingRollback(this.tag, contexts(), labels());
				}
				else {
					liquibase.updateTestingRollback(contexts(), labels());
				}
			}
			else if (this.tag != null) {
				liquibase.update(this.tag, contexts(), labels());
			}
			else {
				liquibase.update(contexts(), labels());
			}
		}
		finally {
			liquibase.close();
		}
	}

	// Liquibase has a setter for its listener but no getter
	private static @Nullable ChangeExecListener changeExecListener(Liquibase liquibase) {
		DirectFieldAccessor fields = new DirectFieldAccessor(liquibase);
		return fields.isReadableProperty("changeExecListener")
				&& fields.getPropertyValue("changeExecListener") instanceof ChangeExecListener listener ? listener
						: null;
	}

	private void writeRollbackFile(Liquibase liquibase) throws LiquibaseException {
		if (this.rollbackFile == null) {
			return;
		}
		try (OutputStream stream = Files.newOutputStream(this.rollbackFile.toPath());
				Writer output = new OutputStreamWriter(stream, GlobalConfiguration.OUTPUT_FILE_ENCODING.getCurrentValue())) {
			if (this.tag != null) {
				liquibase.futureRollbackSQL(this.tag, contexts(), labels(), output);
			}
			else {
				liquibase.futureRollbackSQL(contexts(), labels(), output);
			}
		}
		catch (IOException ex) {
			throw new LiquibaseException("Unable to generate rollback file.", ex);
		}
	}

	@Override
	public String toString() {
		return "'" + this.beanName + "' (" + this.changeLog + ")";
	}

	// how Liquibase runs and reports, rather than what it selects
	private record Settings(@Nullable ResourceLoader resourceLoader, @Nullable Customizer<Liquibase> customizer,
			@Nullable UpdateSummaryEnum showSummary, @Nullable UpdateSummaryOutputEnum showSummaryOutput,
			@Nullable UIServiceEnum uiService, @Nullable Boolean analyticsEnabled, @Nullable String licenseKey) {
	}

}
