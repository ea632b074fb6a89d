package dev.schemagate.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;

import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import dev.schemagate.liquibase.LiquibasePlan;
import dev.schemagate.liquibase.LiquibasePlan.Plan;
import dev.schemagate.liquibase.LiquibaseSelection;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.BeanCreationException;

/**
 * 'plan': changes nothing. Prints each Liquibase bean's pending changesets and the SQL
 * Liquibase would run for them, on standard output so that it reads as the SQL it is, and
 * ends as a job does (see {@link JobMode}): with exit code 0, or 2 when the changeset check
 * would refuse the migration.
 */
final class PlanStrategy implements StartStrategy {

	/** The exit code of a plan whose migration the changeset check would refuse. */
	static final int REFUSED = 2;

	private static final Log logger = LogFactory.getLog(PlanStrategy.class);

	private final SchemagateProperties.Check.Mode checkMode;

	private int planned;

	private int refusedChanges;

	PlanStrategy(SchemagateProperties.Check.Mode checkMode) {
		this.checkMode = checkMode;
	}

	@Override
	public void start(LiquibaseSelection selection) {
		try {
			Plan plan = new LiquibasePlan(selection, this.checkMode != SchemagateProperties.Check.Mode.OFF).read();
			if (this.checkMode == SchemagateProperties.Check.Mode.FAIL) {
				this.refusedChanges += (int) plan.findings().stream().filter((finding) -> !finding.allowed()).count();
			}
			this.planned++;
			System.out.print(PlanReport.of(selection.beanName(), selection.changeLog(), plan));
			System.out.flush();
		}
		catch (Exception ex) {
			throw new BeanCreationException(selection.beanName(), "Planning the migration failed: " + ex.getMessage(),
					ex);
		}
	}

	// a plan applies nothing, on a schedule or otherwise
	@Override
	public void check(SchemaGate gate) {
	}

	@Override
	public OptionalInt finish(List<SchemaGate> gates, Duration took) {
		String seconds = JobMode.seconds(took);
		if (this.planned == 0) {
			logger.info("schemagate plan: no Liquibase migration to plan (" + seconds + ")");
			return OptionalInt.of(0);
		}
		if (this.refusedChanges > 0) {
			logger.error("schemagate plan: nothing was changed (" + seconds + "); the migration would stop before "
					+ "applying anything, on " + this.refusedChanges + " unsafe change"
					+ ((this.refusedChanges != 1) ? "s" : "") + ", as schemagate.check.mode=fail");
			return OptionalInt.of(REFUSED);
		}
		logger.info("schemagate plan: nothing was changed (" + seconds + ")");
		return OptionalInt.of(0);
	}

	/**
	 * Returns how many changes the changeset check would refuse.
	 * @return the unsafe changes not allowed, 0 unless the check fails the migration
	 */
	int refusedChanges() {
		return this.refusedChanges;
	}

}
