package org.cernvm.copilot.jobmanager;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.cernvm.copilot.protocol.JobSpec;
import org.cernvm.copilot.protocol.Lease;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.StoredFile;

/**
 * The leases an upstream adapter (PanDA, AliEn) knows, kept in its process: which agent holds which job
 * under which lease, its deadline, a pending kill, the registered outputs, and whether the agent's end was
 * reported. It knows the jobs it leased and those it took over from their job tickets ({@link #adopt}).
 * Only the leases handed out here expire here: a job taken over from its ticket is ended by its upstream's
 * own timeout (PanDA's lost heartbeat, AliEn's ZOMBIE and EXPIRED) if its agent falls silent, because
 * another replica may be the one its agent talks to now. Ended and taken-over entries are kept for an hour
 * so that repeated reports are recognised.
 *
 * @param <E> the adapter's entry, with what it needs to talk to its upstream about the job
 */
public final class Leases<E extends Leases.Entry> {
  private static final Duration FORGET_ENDED_AFTER = Duration.ofHours(1);

  /** One leased job. Mutable; callers hold its monitor while they change it. */
  public abstract static class Entry {
    public final JobSpec spec;
    public final Lease lease;
    /** The agent holding the lease, or the job manager itself while the job waits in its prefetch. */
    public String agentId;
    public Instant deadline;
    public String killReason;
    public List<StoredFile> stored = List.of();
    public Instant endedAt;
    public boolean reportedByAgent;
    /** Whether this replica took the job over from its ticket rather than leasing it. */
    boolean adopted;
    final Instant seenAt;

    protected Entry(JobSpec spec, Lease lease, String agentId, Instant seenAt) {
      this.spec = spec;
      this.lease = lease;
      this.agentId = agentId;
      this.deadline = lease.deadline();
      this.seenAt = seenAt;
    }
  }

  /** Reports upstream that an entry's lease expired, while the entry's monitor is held. */
  @FunctionalInterface
  public interface Expiry<E> {
    void report(E entry) throws JobSourceException;
  }

  private final String upstream;
  private final Clock clock;
  private final Map<String, E> entries = new ConcurrentHashMap<>();

  /** Creates an empty book; {@code upstream} names the system in messages, e.g. {@code PanDA}. */
  public Leases(String upstream, Clock clock) {
    this.upstream = upstream;
    this.clock = clock;
  }

  /** Records a newly leased job. */
  public void put(E entry) {
    entries.put(entry.spec.jobId(), entry);
  }

  /**
   * Records an entry made from a job's ticket, unless the job is known.
   *
   * @return whether the entry was new
   */
  public boolean adopt(String jobId, Supplier<E> fromTicket) {
    boolean[] made = {false};
    entries.computeIfAbsent(jobId, id -> {
      made[0] = true;
      E fresh = fromTicket.get();
      fresh.adopted = true;
      return fresh;
    });
    return made[0];
  }

  /**
   * The entry of a job, current or ended.
   *
   * @throws UnknownJobException if there is none
   */
  public E get(String jobId) throws UnknownJobException {
    E e = entries.get(jobId);
    if (e == null) {
      throw new UnknownJobException(jobId);
    }
    return e;
  }

  /**
   * The entry of a job whose current lease is {@code ref}.
   *
   * @throws UnknownJobException if there is no such job
   * @throws LeaseFencedException if {@code ref} is not its lease or the job has ended
   */
  public E current(String jobId, LeaseRef ref) throws JobSourceException {
    E e = get(jobId);
    if (!e.lease.ref().equals(ref) || e.endedAt != null) {
      throw new LeaseFencedException("lease " + ref + " of " + upstream + " job " + jobId + " is not current");
    }
    return e;
  }

  /**
   * The entry of a job whose current lease is {@code ref}, held by {@code agentId}.
   *
   * @throws UnknownJobException if there is no such job
   * @throws LeaseFencedException if {@code ref} is not its lease or the job has ended
   * @throws NotLeaseHolderException if the lease was issued to another agent
   */
  public E current(String jobId, LeaseRef ref, String agentId) throws JobSourceException {
    E e = current(jobId, ref);
    if (!e.agentId.equals(agentId)) {
      throw new NotLeaseHolderException(jobId, ref.toString(), e.agentId, agentId);
    }
    return e;
  }

  /**
   * Hands the job that {@code holder} holds under {@code ref} on to {@code agentId}, its lease running until
   * {@code deadline}.
   *
   * @throws LeaseFencedException if {@code ref} is no longer the job's lease, or the job has ended
   * @throws NotLeaseHolderException if {@code holder} does not hold it
   */
  public E assign(String jobId, LeaseRef ref, String holder, String agentId, Instant deadline)
      throws JobSourceException {
    E e = current(jobId, ref, holder);
    synchronized (e) {
      if (e.endedAt != null || !e.agentId.equals(holder)) {
        throw new LeaseFencedException("lease " + ref + " of " + upstream + " job " + jobId + " is not current");
      }
      e.agentId = agentId;
      e.deadline = deadline;
    }
    return e;
  }

  /** Whether {@code request} repeats the registration of a job that has ended under the same lease. */
  public boolean isRepeated(RegisterOutputs request) {
    E e = entries.get(request.jobId());
    return e != null && e.endedAt != null && e.lease.ref().equals(request.lease()) && e.stored.equals(request.files());
  }

  /**
   * Marks a running job to be killed at its next heartbeat.
   *
   * @throws UnknownJobException if there is no such job running
   */
  public void kill(String jobId, String reason) throws UnknownJobException {
    E e = entries.get(jobId);
    if (e == null || e.endedAt != null) {
      throw new UnknownJobException(jobId);
    }
    synchronized (e) {
      e.killReason = reason;
    }
  }

  /**
   * Ends every lease handed out here that is past its deadline, reporting each upstream, and forgets
   * long-ended and long-adopted entries.
   */
  public int expire(Expiry<E> report) throws JobSourceException {
    Instant now = clock.instant();
    int expired = 0;
    for (Map.Entry<String, E> m : entries.entrySet()) {
      E e = m.getValue();
      synchronized (e) {
        if (e.endedAt != null || e.adopted) {
          Instant since = e.endedAt != null ? e.endedAt : e.seenAt;
          if (since.plus(FORGET_ENDED_AFTER).isBefore(now)) {
            entries.remove(m.getKey(), e);
          }
        } else if (e.deadline.isBefore(now)) {
          report.report(e);
          e.endedAt = now;
          expired++;
        }
      }
    }
    return expired;
  }
}
