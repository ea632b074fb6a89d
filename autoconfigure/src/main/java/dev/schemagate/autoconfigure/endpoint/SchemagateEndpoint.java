package dev.schemagate.autoconfigure.endpoint;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.schemagate.autoconfigure.SchemaGates;
import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import dev.schemagate.check.Finding;
import dev.schemagate.fleet.FleetRegistry;
import dev.schemagate.gate.MigrationHistory;
import dev.schemagate.status.ChangesetRun;
import dev.schemagate.status.ForeignLock;
import dev.schemagate.status.GateStatus;
import dev.schemagate.status.LeaderProgress;
import dev.schemagate.status.LockHolder;
import dev.schemagate.status.SchemaPosition.ChangesetRef;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * {@link Endpoint @Endpoint} that shows, for each gated Liquibase bean, what this
 * instance's gate did, who holds the lock now and the fleet's recent migrations.
 */
@Endpoint(id = "schemagate")
public class SchemagateEndpoint {

	private static final int HISTORY_SIZE = 50;

	private final SchemaGates gates;

	public SchemagateEndpoint(SchemaGates gates) {
		this.gates = gates;
	}

	@ReadOperation
	public GatesDescriptor gates() throws SQLException {
		Map<String, GateDescriptor> gates = new LinkedHashMap<>();
		for (SchemaGate gate : this.gates.all()) {
			gates.put(gate.name(), describe(gate));
		}
		return new GatesDescriptor(gates);
	}

	private GateDescriptor describe(SchemaGate gate) throws SQLException {
		GateStatus status = gate.status();
		List<AppliedDescriptor> applied = status.getApplied()
			.stream()
			.map((changeset) -> new AppliedDescriptor(changeset.changeset().id(), changeset.changeset().author(),
					changeset.changeset().changelog(), changeset.startedAt(), changeset.took().toMillis()))
			.toList();
		return new GateDescriptor(status.getState().name(), status.getWaitingSince().orElse(null),
				status.getWaited().toMillis(), status.getAcquiredAt().orElse(null),
				status.getHeld().map(Duration::toMillis).orElse(null),
				status.getPosition()
					.map((position) -> new PositionDescriptor(position.changelogLastId(), status.getPending(),
							position.unknown()))
					.orElse(null),
				status.getRunning().orElse(null), applied, status.getPending(), status.getRetries(),
				status.getLockAcquisitions(), status.getFenceAcquisitions(),
				status.getLastError().orElse(null), gate.gate().currentHolder().orElse(null),
				status.getForeignLock().orElse(null), status.getTakeover().orElse(null),
				gate.gate().leaderProgress().orElse(null),
				gate.gate().history().recent(gate.gate().dataSource(), HISTORY_SIZE),
				gate.findings().stream().map(FindingDescriptor::of).toList(), gate.fleet().live(),
				new ContractsDescriptor(gate.contracts().pending(), gate.contracts().holders(),
						gate.contracts().lastError()),
				new DowngradeDescriptor(gate.downgrade().pending(), gate.downgrade().holders(),
						gate.downgrade().lastError()));
	}

	/**
	 * The gates of this instance, by Liquibase bean name.
	 *
	 * @param gates the gates
	 */
	public record GatesDescriptor(Map<String, GateDescriptor> gates) implements OperationResponseBody {
	}

	/**
	 * One gate.
	 *
	 * @param state where the gate stands
	 * @param waitingSince when this instance started waiting for another one's migration
	 * @param waitedMillis how long it waited for the gate
	 * @param acquiredAt when it took the gate
	 * @param heldMillis how long it held the gate
	 * @param position where the schema stands against the changelog
	 * @param running the changeset this instance runs now
	 * @param applied the changesets this instance applied, with how long each took
	 * @param pending how many changesets remain pending
	 * @param retries how often the gate retried after losing its database connection
	 * @param lockAcquisitions how often this instance migrated under the lock: zero when it
	 * found the schema up to date, before or while waiting
	 * @param fenceAcquisitions how often this instance took the fence, whether it then
	 * migrated or found the schema up to date: zero when the lock-free check let it start
	 * @param lastError the last error
	 * @param lockHolder who holds the lock now, read from the database
	 * @param foreignLock the migration tool's own lock, held outside the fleet, that this
	 * instance waits or waited for as leader
	 * @param takeover whether this instance ended a frozen leader's session, or why it could
	 * not
	 * @param leader what the current leader publishes about its migration
	 * @param fleetHistory the fleet's recent migrations, newest first
	 * @param changesetCheck what the changeset check found in the changesets this instance
	 * was about to apply, allowed findings included
	 * @param fleet the instances of the fleet alive now, from the registry: version,
	 * changelog head and contract changesets of each
	 * @param contracts the contract changesets pending at the last check, and who holds them
	 * back
	 * @param downgradePending the changesets of a newer version waiting, at the last check,
	 * to be rolled back, and who holds that back
	 */
	public record GateDescriptor(String state, @Nullable Instant waitingSince, long waitedMillis,
			@Nullable Instant acquiredAt, @Nullable Long heldMillis, @Nullable PositionDescriptor position,
			@Nullable ChangesetRun running, List<AppliedDescriptor> applied, int pending, int retries,
			int lockAcquisitions, int fenceAcquisitions,
			@Nullable String lastError, @Nullable LockHolder lockHolder, @Nullable ForeignLock foreignLock,
			@Nullable String takeover, @Nullable LeaderProgress leader,
			List<MigrationHistory.Entry> fleetHistory, List<FindingDescriptor> changesetCheck,
			List<FleetRegistry.Member> fleet, ContractsDescriptor contracts, DowngradeDescriptor downgradePending) {
	}

	/**
	 * Changesets a newer version applied that this instance's changelog does not know,
	 * rolled back with {@code schemagate.downgrade.enabled} once no live instance's
	 * changelog has them.
	 *
	 * @param changesets those waiting at the last check
	 * @param heldBackBy the live instances whose changelog has one of them
	 * @param lastError why the last check or rollback failed, if it did
	 */
	public record DowngradeDescriptor(List<ChangesetRef> changesets, List<FleetRegistry.Member> heldBackBy,
			@Nullable String lastError) {
	}

	/**
	 * Contract changesets, applied once no live instance's changelog lacks them.
	 *
	 * @param pending those the database lacked at the last check
	 * @param heldBackBy the live instances whose changelog lacks one of them
	 * @param lastError why the last attempt to apply them failed, if it did
	 */
	public record ContractsDescriptor(List<ChangesetRef> pending, List<FleetRegistry.Member> heldBackBy,
			@Nullable String lastError) {
	}

	/**
	 * A change that trips a rule of the changeset check.
	 *
	 * @param rule the rule's id
	 * @param impact what the change endangers
	 * @param changeset the changeset's id
	 * @param author the changeset's author
	 * @param changelog the changelog file it comes from
	 * @param change what the change does
	 * @param reason why it is unsafe
	 * @param alternative the safe way to make it
	 * @param allowedBecause why the changeset allows it, {@code null} when it does not
	 */
	public record FindingDescriptor(String rule, String impact, String changeset, String author, String changelog,
			String change, String reason, String alternative, @Nullable String allowedBecause) {

		static FindingDescriptor of(Finding finding) {
			return new FindingDescriptor(finding.rule().id(), finding.rule().impact().name(), finding.changesetId(),
					finding.author(), finding.changelog(), finding.change(), finding.rule().reason(),
					finding.rule().alternative(), finding.allowedBecause());
		}

	}

	/**
	 * Where the schema stands against this instance's changelog: as this instance found it,
	 * less what it applied since.
	 *
	 * @param changelogLastId the last changeset of the changelog this instance requires
	 * @param pending how many of its changesets the schema lacks
	 * @param unknown how many changesets the schema holds that the changelog does not know
	 */
	public record PositionDescriptor(@Nullable String changelogLastId, int pending, int unknown) {
	}

	/**
	 * A changeset this instance applied.
	 *
	 * @param id its id
	 * @param author its author
	 * @param changelog its changelog file
	 * @param startedAt when it started
	 * @param durationMillis how long it took
	 */
	public record AppliedDescriptor(String id, String author, String changelog, Instant startedAt,
			long durationMillis) {
	}

}
