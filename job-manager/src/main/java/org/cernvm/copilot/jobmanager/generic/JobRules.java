package org.cernvm.copilot.jobmanager.generic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.cernvm.copilot.jobmanager.JobSourceException;
import org.cernvm.copilot.jobmanager.LeaseFencedException;
import org.cernvm.copilot.jobmanager.NotLeaseHolderException;
import org.cernvm.copilot.jobmanager.RegisteredOutputs;
import org.cernvm.copilot.jobmanager.UnknownJobException;
import org.cernvm.copilot.protocol.FailureKind;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.JobSpec;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.Resources;
import org.cernvm.copilot.protocol.Untrusted;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules of CoPilot's own queue, whatever keeps it (a directory, PostgreSQL): which job fits a slot,
 * who may act on a leased job, and each job's next state when it ends, is killed, handed back, has its
 * outputs registered or its lease lapses. Each rule takes a job as read and gives its new state; the
 * store writes it.
 */
final class JobRules {
  private static final Logger log = LoggerFactory.getLogger(JobRules.class);

  private JobRules() {}

  /** How a queued job is written: JSON, with instants and durations as ISO-8601 text. */
  static ObjectMapper json() {
    return JsonMapper.builder()
        .addModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
        .build();
  }

  static boolean fits(JobSpec spec, Resources r) {
    return spec.cores() <= r.cores() && spec.ttl().compareTo(r.lifetime()) <= 0 && r.accepts(spec.experiment());
  }

  /** The job, if {@code lease} is its current lease. */
  static QueuedJob current(Optional<QueuedJob> found, String jobId, LeaseRef lease) throws JobSourceException {
    QueuedJob job = found.orElseThrow(() -> new UnknownJobException(jobId));
    if (!job.holds(lease)) {
      throw fenced(job, lease);
    }
    return job;
  }

  static void checkHolder(QueuedJob job, LeaseRef lease, String agentId) throws NotLeaseHolderException {
    if (!agentId.equals(job.agentId())) {
      throw new NotLeaseHolderException(job.jobId(), lease.toString(), job.agentId(), agentId);
    }
  }

  static LeaseFencedException fenced(QueuedJob job, LeaseRef lease) {
    return new LeaseFencedException("lease " + lease + " of " + job.jobId() + " is not current: the job is "
        + job.status() + " at epoch " + job.epoch());
  }

  /** The job's state once {@code done} is recorded, or null when it was recorded already. */
  static QueuedJob ended(QueuedJob job, JobDone done, Instant now) throws JobSourceException {
    if (job.endedUnder(done.lease())) {
      log.debug("repeated jobDone for {} under {}: already recorded", done.jobId(), done.lease());
      return null;
    }
    if (!job.holds(done.lease())) {
      throw fenced(job, done.lease());
    }
    checkHolder(job, done.lease(), done.agentId());
    RegisteredOutputs.check(done, job.spec().outputs(), job.stored());
    QueuedJob ended = job.ended(done, now);
    log.info("{} ended {} on {} (epoch {}, exit {})", job.jobId(), ended.status(), done.agentId(), job.epoch(),
        done.exitCode());
    return ended;
  }

  /** The job with {@code request}'s outputs recorded, or null when they were recorded already. */
  static QueuedJob registered(QueuedJob job, RegisterOutputs request, Instant now) throws JobSourceException {
    if (job.stored().equals(request.files()) && (job.holds(request.lease()) || job.endedUnder(request.lease()))) {
      return null;
    }
    if (!job.holds(request.lease())) {
      throw fenced(job, request.lease());
    }
    checkHolder(job, request.lease(), request.agentId());
    log.info("{}: {} output(s) registered (epoch {})", job.jobId(), request.files().size(), job.epoch());
    return job.withStored(request.files(), now);
  }

  /** The job handed back by its agent: killed if a kill was asked for meanwhile, queued again otherwise. */
  static QueuedJob released(QueuedJob job, String reason, Instant now) {
    return job.killReason() != null
        ? job.ended(JobStatus.KILLED, Outcome.KILLED, FailureKind.KILLED, -1, job.killReason(), job.usage(), List.of(),
            now)
        : job.requeued("released by " + job.agentId() + ": " + reason, now);
  }

  /** The job once a kill is asked for: ended if queued, flagged if leased, empty if it has ended. */
  static Optional<QueuedJob> killed(QueuedJob job, String reason, Instant now) {
    return switch (job.status()) {
      case QUEUED -> Optional.of(
          job.ended(JobStatus.KILLED, Outcome.KILLED, FailureKind.KILLED, -1, reason, job.usage(), List.of(), now));
      case LEASED -> Optional.of(job.killRequested(reason, now));
      case DONE, FAILED, KILLED -> {
        log.info("kill of {} ignored: it has already ended {}", job.jobId(), job.status());
        yield Optional.empty();
      }
    };
  }

  /**
   * The job once its lease lapsed: killed if a kill was asked for, failed after {@code maxAttempts}
   * hand-overs, queued again under a new epoch otherwise.
   */
  static QueuedJob expired(QueuedJob job, Instant now, int maxAttempts) {
    String why = "lease of " + job.agentId() + " (epoch " + job.epoch() + ") expired";
    QueuedJob next;
    if (job.killReason() != null) {
      next = job.ended(JobStatus.KILLED, Outcome.KILLED, FailureKind.KILLED, -1, job.killReason() + "; " + why,
          job.usage(), List.of(), now);
    } else if (job.handOvers() >= maxAttempts) {
      next = job.ended(JobStatus.FAILED, Outcome.FAILED, FailureKind.LOST, -1,
          why + " after " + job.handOvers() + " attempts", job.usage(), List.of(), now);
    } else {
      next = job.requeued(why, now);
    }
    log.warn("{}: {}; now {}", job.jobId(), Untrusted.text(why), next.status());
    return next;
  }
}
