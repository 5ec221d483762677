package org.cernvm.copilot.jobmanager.generic;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.cernvm.copilot.protocol.FailureKind;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.JobSpec;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.StoredFile;
import org.cernvm.copilot.protocol.Usage;

/**
 * A job of the generic queue with its whole state, as stored in one JSON file.
 *
 * @param spec what to run
 * @param version incremented by every change; repairs a job left in two state directories by a crash
 * @param status where it stands
 * @param epoch how often it has been leased; the current lease's epoch
 * @param leaseId the current or last lease, {@code null} before the first
 * @param agentId the agent holding or last holding it
 * @param leaseDeadline when the current lease runs out
 * @param killReason why a kill was requested, {@code null} if none was
 * @param submittedAt when it was submitted
 * @param updatedAt when it last changed
 * @param outcome how it ended, {@code null} while it has not
 * @param failure why it did not succeed once ended, {@code null} while it has not
 * @param exitCode the payload's exit code once ended
 * @param diagnostic why it failed, empty otherwise
 * @param usage resources used, as last reported
 * @param outputs output files reported at the end
 * @param stored output files the storage adapter registered under the current lease
 * @param history one line per change, oldest first
 * @param handOvers how often it was handed to an agent; a lease held by a job manager's prefetch, which
 *     ends when the job is handed on, does not count
 */
public record QueuedJob(
    JobSpec spec,
    long version,
    JobStatus status,
    long epoch,
    String leaseId,
    String agentId,
    Instant leaseDeadline,
    String killReason,
    Instant submittedAt,
    Instant updatedAt,
    Outcome outcome,
    FailureKind failure,
    int exitCode,
    String diagnostic,
    Usage usage,
    List<OutputFile> outputs,
    List<StoredFile> stored,
    List<String> history,
    int handOvers) {
  private static final int MAX_HISTORY = 100;

  public QueuedJob {
    outputs = List.copyOf(outputs);
    stored = List.copyOf(stored);
    history = List.copyOf(history);
  }

  static QueuedJob queued(JobSpec spec, Instant now) {
    return new QueuedJob(spec, 1, JobStatus.QUEUED, 0, null, null, null, null, now, now, null, null, -1, "", Usage.none(),
        List.of(), List.of(), List.of(now + " submitted"), 0);
  }

  /** The job's id. */
  public String jobId() {
    return spec.jobId();
  }

  /** Whether {@code lease} is this job's current lease. */
  boolean holds(LeaseRef lease) {
    return status == JobStatus.LEASED && lease.leaseId().equals(leaseId) && lease.epoch() == epoch;
  }

  /** Whether {@code lease} is the lease under which this job ended. */
  boolean endedUnder(LeaseRef lease) {
    return status.isTerminal() && lease.leaseId().equals(leaseId) && lease.epoch() == epoch;
  }

  QueuedJob leased(String newLeaseId, String agent, Instant deadline, Instant now) {
    return new QueuedJob(spec, version + 1, JobStatus.LEASED, epoch + 1, newLeaseId, agent, deadline, killReason,
        submittedAt, now, null, null, -1, "", Usage.none(), List.of(), List.of(),
        note(now, "leased to " + agent + " (epoch " + (epoch + 1) + ")"), handOvers + 1);
  }

  /** Leased to a job manager's prefetch, to be handed to an agent later; not a hand-over. */
  QueuedJob leasedAhead(String newLeaseId, String agent, Instant deadline, Instant now) {
    return new QueuedJob(spec, version + 1, JobStatus.LEASED, epoch + 1, newLeaseId, agent, deadline, killReason,
        submittedAt, now, null, null, -1, "", Usage.none(), List.of(), List.of(),
        note(now, "leased ahead to " + agent + " (epoch " + (epoch + 1) + ")"), handOvers);
  }

  QueuedJob assigned(String agent, Instant deadline, Instant now) {
    return new QueuedJob(spec, version + 1, status, epoch, leaseId, agent, deadline, killReason, submittedAt, now,
        outcome, failure, exitCode, diagnostic, usage, outputs, stored,
        note(now, "handed on to " + agent + " (epoch " + epoch + ")"), handOvers + 1);
  }

  QueuedJob extended(Instant deadline, Usage latest, Instant now) {
    return new QueuedJob(spec, version + 1, status, epoch, leaseId, agentId, deadline, killReason, submittedAt, now,
        outcome, failure, exitCode, diagnostic, latest, outputs, stored, history, handOvers);
  }

  QueuedJob requeued(String why, Instant now) {
    return new QueuedJob(spec, version + 1, JobStatus.QUEUED, epoch, leaseId, agentId, null, killReason, submittedAt,
        now, null, null, -1, "", Usage.none(), List.of(), List.of(), note(now, "queued again: " + why), handOvers);
  }

  QueuedJob killRequested(String reason, Instant now) {
    return new QueuedJob(spec, version + 1, status, epoch, leaseId, agentId, leaseDeadline, reason, submittedAt, now,
        outcome, failure, exitCode, diagnostic, usage, outputs, stored, note(now, "kill requested: " + reason), handOvers);
  }

  QueuedJob withStored(List<StoredFile> files, Instant now) {
    return new QueuedJob(spec, version + 1, status, epoch, leaseId, agentId, leaseDeadline, killReason, submittedAt, now,
        outcome, failure, exitCode, diagnostic, usage, outputs, files,
        note(now, "outputs registered: " + files.stream().map(f -> f.file().name()).toList()), handOvers);
  }

  QueuedJob ended(JobStatus end, Outcome how, FailureKind kind, int code, String why, Usage used, List<OutputFile> files,
      Instant now) {
    String line = end + (why.isEmpty() ? "" : ": " + why) + (agentId == null ? "" : " (" + agentId + ", epoch " + epoch + ")");
    return new QueuedJob(spec, version + 1, end, epoch, leaseId, agentId, null, killReason, submittedAt, now, how, kind,
        code, why, used, files, stored, note(now, line), handOvers);
  }

  QueuedJob ended(JobDone done, Instant now) {
    JobStatus end =
        switch (done.outcome()) {
          case SUCCEEDED -> JobStatus.DONE;
          case FAILED, TTL_EXCEEDED -> JobStatus.FAILED;
          case KILLED -> JobStatus.KILLED;
          case RELEASED -> throw new IllegalArgumentException("a released job is queued again, not ended");
        };
    return ended(end, done.outcome(), done.failure(), done.exitCode(), done.diagnostic(), done.usage(), done.outputs(),
        now);
  }

  private List<String> note(Instant now, String line) {
    List<String> h = new ArrayList<>(history);
    h.add(now + " " + line);
    return h.size() > MAX_HISTORY ? h.subList(h.size() - MAX_HISTORY, h.size()) : h;
  }
}
