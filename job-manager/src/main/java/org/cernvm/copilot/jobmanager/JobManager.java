package org.cernvm.copilot.jobmanager;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.cernvm.copilot.protocol.Ack;
import org.cernvm.copilot.protocol.AgentRequest;
import org.cernvm.copilot.protocol.Command;
import org.cernvm.copilot.protocol.Drain;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.GetJob;
import org.cernvm.copilot.protocol.HaveGetJob;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.JobTicket;
import org.cernvm.copilot.protocol.Kill;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.Reply;
import org.cernvm.copilot.protocol.Request;
import org.cernvm.copilot.protocol.RunJob;
import org.cernvm.copilot.protocol.WantGetJob;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.BusException;
import org.cernvm.copilot.protocol.bus.Incoming;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.cernvm.copilot.protocol.Untrusted;

/**
 * The generic dispatcher between agents and a {@link JobSource}: it answers job requests, grants leases,
 * takes heartbeats and job ends, relays {@code kill} and {@code drain} to agents in heartbeat replies, and
 * takes back expired leases.
 *
 * <p>Design: the job manager keeps no job state of its own; the source does. Several job managers log in
 * under the same service address; an agent's {@code want_getJob} reaches all of them, and each that has
 * work for the agent answers {@code have_getJob}. The agent claims from the first with {@code getJob}.
 * Drain requests are the one thing held here, in memory, since they concern agents, not jobs; every
 * replica receives them because they are sent to the service address.
 *
 * <p>Authorization: the bus admits only agents' job requests, storage adapters' {@code registerOutputs}
 * and operators' or job managers' commands; here an agent may act only under its own name, and the
 * source refuses a lease quoted by any agent but the one it was issued to. Each {@code runJob} carries a
 * lease ticket signed with this job manager's certificate, which the agent shows the storage adapter.
 *
 * <p>Failover: the lease ticket holds a sealed job ticket (see {@link JobTickets}) that the agent quotes in
 * every heartbeat and job end, and the storage adapter in {@code registerOutputs}. A replica that gets such
 * a message for a job it does not know, because the replica that leased it has gone, opens the ticket and
 * hands the job to its source to continue ({@link JobSource#adopt}).
 */
public final class JobManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JobManager.class);

  private final JobManagerConfig config;
  private final Bus bus;
  private final JobSource source;
  private final Scheduler scheduler;
  private final JobTickets tickets;
  private final Map<String, Drain> drains = new ConcurrentHashMap<>();
  private Scheduler.Cancellable sweeper;

  /**
   * Creates a job manager; {@link #start} subscribes it to the bus.
   *
   * @throws IOException if the ticket key file cannot be read or created
   */
  public JobManager(JobManagerConfig config, Bus bus, JobSource source, Scheduler scheduler) throws IOException {
    this.config = config;
    this.bus = bus;
    this.source = source;
    this.scheduler = scheduler;
    this.tickets = JobTickets.load(config.ticketKeyFile());
  }

  /** Starts answering requests and sweeping expired leases. */
  public void start() {
    bus.subscribe(this::onMessage);
    sweeper = scheduler.every(config.sweepInterval(), this::expireLeases);
    log.info("job manager {} serving {} from the {} source ({} dispatch, lease {})", bus.self(), config.service(),
        source.name(), config.dispatch(), config.leaseTime());
  }

  /** Takes back expired leases now; also runs every sweep interval. */
  public void expireLeases() {
    try {
      source.expireLeases();
    } catch (JobSourceException e) {
      log.warn("cannot expire leases: {}", Untrusted.text(e.getMessage()));
    }
  }

  private void onMessage(Incoming in) {
    Message m = in.message();
    Optional<Reply> reply =
        switch (m.verb()) {
          case WANT_GET_JOB -> authorized(in, (WantGetJob) m, want -> onWantGetJob(in, want));
          case GET_JOB -> in.meantForAnother(bus.self())
              // An agent asked a job manager that has gone; the server handed the claim to every replica.
              // Only the one asked may lease a job, or one getJob would take several.
              ? Optional.of(error(m, ErrorCode.NO_JOB, "this getJob was for " + in.to() + ", which is gone; ask again"))
              : authorized(in, (GetJob) m, get -> onGetJob(in, get));
          case HEARTBEAT -> authorized(in, (Heartbeat) m, this::onHeartbeat);
          case JOB_DONE -> authorized(in, (JobDone) m, this::onJobDone);
          case KILL -> Optional.of(onKill((Kill) m));
          case DRAIN -> Optional.of(onDrain((Drain) m));
          case REGISTER_OUTPUTS -> Optional.of(onRegisterOutputs(in, (RegisterOutputs) m));
          case WANT_STORE_JOB_OUTPUT_DIR ->
              Optional.of(error(m, ErrorCode.UNSUPPORTED, "storage requests go to the storage adapter"));
          case ENROLL, RENEW, FETCH_CRL ->
              Optional.of(error(m, ErrorCode.UNSUPPORTED, m.verb() + " goes to the key manager"));
          case HAVE_GET_JOB, RUN_JOB, STORE_JOB_OUTPUT_DIR, ENROLLED, CRL, ACK, ERROR -> Optional.empty();
        };
    reply.ifPresent(r -> answer(in.from(), r));
  }

  @FunctionalInterface
  private interface Handler<R extends AgentRequest> {
    Optional<Reply> handle(R request) throws JobSourceException;
  }

  private <R extends AgentRequest> Optional<Reply> authorized(Incoming in, R request, Handler<R> handler) {
    if (!in.from().local().equals(request.agentId())) {
      log.warn("refused {} from {} claiming to be agent {}", request.verb(), Untrusted.text(in.from()), request.agentId());
      return Optional.of(error(request, ErrorCode.FORBIDDEN,
          "sender " + in.from().bare() + " may not act for agent " + request.agentId()));
    }
    try {
      return handler.handle(request);
    } catch (JobSourceException e) {
      if (e.code().retryable()) {
        log.warn("{} {} from {} failed: {}", request.verb(), request.id(), Untrusted.text(in.from()),
            Untrusted.text(e.getMessage()));
      } else {
        log.info("{} {} from {} refused: {}", request.verb(), request.id(), Untrusted.text(in.from()),
            Untrusted.text(e.getMessage()));
      }
      return Optional.of(error(request, e.code(), e.getMessage()));
    }
  }

  private Optional<Reply> onWantGetJob(Incoming in, WantGetJob want) throws JobSourceException {
    if (isDrained(want.agentId())) {
      return Optional.of(draining(want, want.agentId()));
    }
    if (config.dispatch() == JobManagerConfig.Dispatch.DIRECT) {
      return Optional.of(claim(in, want, want.agentId(), want.resources()));
    }
    // Silence when there is no work: another job manager of the service may have some, and an explicit
    // "no" would reach the agent first and hide its "yes".
    if (!source.hasWorkFor(want.resources())) {
      return Optional.empty();
    }
    return Optional.of(new HaveGetJob(MessageIds.next(), now(), want.id(), source.name()));
  }

  private Optional<Reply> onGetJob(Incoming in, GetJob get) throws JobSourceException {
    if (isDrained(get.agentId())) {
      return Optional.of(draining(get, get.agentId()));
    }
    return Optional.of(claim(in, get, get.agentId(), get.resources()));
  }

  /**
   * Leases a job to the agent, unless the request has waited here so long that the agent may have stopped
   * waiting for the answer: then nothing is leased, or the lease just made is handed back at once, and the
   * agent is told to ask again. Otherwise, under overload, jobs would be leased to agents that gave up, and
   * wait out the lease.
   */
  private Reply claim(Incoming in, Request request, String agentId, org.cernvm.copilot.protocol.Resources resources)
      throws JobSourceException {
    if (tooLate(in)) {
      return busy(in, request);
    }
    Optional<Claim> claim = source.claim(agentId, resources, config.leaseTime());
    if (claim.isEmpty()) {
      return error(request, ErrorCode.NO_JOB, "no job fits the offered resources");
    }
    Claim c = claim.get();
    if (tooLate(in)) {
      source.release(c.job().jobId(), c.lease().ref(), "the claim took longer than " + config.claimMaxWait());
      return busy(in, request);
    }
    JobTicket sealed = tickets.seal(new TicketedJob(c.job(), agentId, c.lease().ref(), c.upstream()));
    return new RunJob(MessageIds.next(), now(), request.id(), c.job(), c.lease(),
        bus.security().ticket(config.service(), c.job().source(), c.job().jobId(), agentId, c.lease().ref(), sealed));
  }

  private boolean tooLate(Incoming in) {
    return Duration.between(in.receivedAt(), now()).compareTo(config.claimMaxWait()) > 0;
  }

  private ErrorReply busy(Incoming in, Request request) {
    long waited = Duration.between(in.receivedAt(), now()).toMillis();
    log.info("{} from {} waited {} ms here, more than {}: not leasing", request.verb(), in.from(), waited,
        config.claimMaxWait());
    return error(request, ErrorCode.NO_JOB, "this job manager is busy: the request waited " + waited
        + " ms; ask again");
  }

  private Optional<Reply> onHeartbeat(Heartbeat hb) throws JobSourceException {
    source.adopt(tickets.open(hb.ticket(), hb.jobId(), hb.agentId(), hb.lease()), config.leaseTime());
    Optional<String> killReason = source.heartbeat(hb, config.leaseTime());
    List<Command> commands = new java.util.ArrayList<>();
    killReason.ifPresent(r -> commands.add(new Kill(MessageIds.next(), now(), hb.jobId(), r)));
    Drain drain = drains.get(hb.agentId());
    if (drain != null && isDrained(hb.agentId())) {
      commands.add(drain);
    }
    return Optional.of(new Ack(MessageIds.next(), now(), hb.id(), commands));
  }

  private Optional<Reply> onJobDone(JobDone done) throws JobSourceException {
    source.adopt(tickets.open(done.ticket(), done.jobId(), done.agentId(), done.lease()), config.leaseTime());
    if (done.outcome() == Outcome.RELEASED) {
      log.info("{} handed {} back: {}", done.agentId(), done.jobId(), Untrusted.text(done.diagnostic()));
      source.release(done.jobId(), done.lease(), done.diagnostic());
    } else {
      source.finish(done);
    }
    return Optional.of(new Ack(MessageIds.next(), now(), done.id(), List.of()));
  }

  private Reply onRegisterOutputs(Incoming in, RegisterOutputs request) {
    if (!config.storage().contains(in.from().bare().value())) {
      log.warn("refused registerOutputs for {} from {}: not a configured storage adapter", request.jobId(),
          Untrusted.text(in.from()));
      return error(request, ErrorCode.FORBIDDEN, "sender " + in.from().bare() + " is not a storage adapter of "
          + config.service());
    }
    try {
      // Registrations go to the service address and so reach every replica: each records the outputs, so
      // that whichever gets the job's end can report them.
      source.adopt(tickets.open(request.ticket(), request.jobId(), request.agentId(), request.lease()),
          config.leaseTime());
      source.registerOutputs(request);
      return new Ack(MessageIds.next(), now(), request.id(), List.of());
    } catch (JobSourceException e) {
      log.info("registerOutputs for {} refused: {}", request.jobId(), Untrusted.text(e.getMessage()));
      return error(request, e.code(), e.getMessage());
    }
  }

  private Reply onKill(Kill kill) {
    try {
      source.kill(kill.jobId(), kill.reason());
      log.info("kill of {} requested: {}", kill.jobId(), Untrusted.text(kill.reason()));
      return new Ack(MessageIds.next(), now(), kill.id(), List.of());
    } catch (JobSourceException e) {
      return error(kill, e.code(), e.getMessage());
    }
  }

  private Reply onDrain(Drain drain) {
    drains.put(drain.agentId(), drain);
    log.info("drain of agent {} requested: {}", drain.agentId(), Untrusted.text(drain.reason()));
    return new Ack(MessageIds.next(), now(), drain.id(), List.of());
  }

  private boolean isDrained(String agentId) {
    Drain d = drains.get(agentId);
    if (d == null) {
      return false;
    }
    if (d.sentAt().plus(config.drainMemory()).isBefore(now())) {
      drains.remove(agentId, d);
      return false;
    }
    return true;
  }

  private ErrorReply draining(Request request, String agentId) {
    return error(request, ErrorCode.DRAINING, "agent " + agentId + " is draining: " + drains.get(agentId).reason());
  }

  private ErrorReply error(Message request, ErrorCode code, String text) {
    return ErrorReply.to(request.id(), now(), code, text);
  }

  private void answer(Address to, Reply reply) {
    try {
      bus.send(to, reply);
    } catch (BusException e) {
      log.warn("could not answer {} with {}: {}", Untrusted.text(to), reply.verb(), Untrusted.text(e.getMessage()));
    }
  }

  private Instant now() {
    return scheduler.clock().instant();
  }

  @Override
  public void close() {
    if (sweeper != null) {
      sweeper.cancel();
    }
  }
}
