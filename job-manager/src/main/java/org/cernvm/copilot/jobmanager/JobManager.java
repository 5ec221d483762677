package org.cernvm.copilot.jobmanager;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
import org.cernvm.copilot.protocol.Resources;
import org.cernvm.copilot.protocol.RunJob;
import org.cernvm.copilot.protocol.WantGetJob;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.BusException;
import org.cernvm.copilot.protocol.bus.Incoming;
import org.cernvm.copilot.protocol.time.Scheduler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.cernvm.copilot.metrics.BusMetrics;
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
 *
 * <p>Upstream latency: no bus thread waits on an upstream call. A source that prefetches
 * ({@link JobSource#prefetches}) has its jobs claimed ahead in bulk by a {@link Prefetch}, and job requests
 * are answered from it, {@code NO_JOB} with a retry-after hint when it has none; heartbeats, job ends,
 * registrations, kills and the lease sweep run on the upstream threads ({@link UpstreamCalls}), job ends
 * gathered into bulk reports ({@link FinalReports}), and each answer goes out when its call completes.
 */
public final class JobManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JobManager.class);

  private final JobManagerConfig config;
  private final Bus bus;
  private final JobSource source;
  private final Scheduler scheduler;
  private final JobTickets tickets;
  private final Map<String, Drain> drains = new ConcurrentHashMap<>();
  private final UpstreamCalls calls;
  private final UpstreamCalls local;
  private final String holder;
  private final Prefetch prefetch;
  private final Batches<JobDone> reports;
  private final Batches<HandOver> handOvers;
  private final JobManagerMetrics metrics;
  private Scheduler.Cancellable sweeper;

  /**
   * Creates a job manager; {@link #start} subscribes it to the bus.
   *
   * @throws IOException if the ticket key file cannot be read or created
   */
  public JobManager(JobManagerConfig config, Bus bus, JobSource source, Scheduler scheduler) throws IOException {
    this(config, bus, source, scheduler, new PrometheusRegistry());
  }

  /**
   * Creates a job manager whose metrics go to {@code registry}; {@link #start} subscribes it to the bus.
   *
   * @throws IOException if the ticket key file cannot be read or created
   */
  public JobManager(JobManagerConfig config, Bus bus, JobSource source, Scheduler scheduler,
      PrometheusRegistry registry) throws IOException {
    this.config = config;
    this.bus = bus;
    this.metrics = new JobManagerMetrics(registry, source.name(), scheduler.clock(), config.leaseTime(),
        this::prefetchDepth);
    this.source = new MeteredJobSource(source, metrics);
    BusMetrics.register(registry, bus);
    this.scheduler = scheduler;
    this.tickets = JobTickets.load(config.ticketKeyFile());
    this.calls = new UpstreamCalls(bus.self().local() + "-upstream", config.upstreamCalls());
    // Hand-overs are the source's own bookkeeping; they must never wait behind calls to the upstream.
    this.local = new UpstreamCalls(bus.self().local() + "-handover", 2);
    this.holder = holder(bus.self());
    this.prefetch = source.prefetches()
        ? new Prefetch(this.source, holder, config.leaseTime(), config.prefetch(), scheduler, calls) : null;
    int waiting = config.upstreamCalls() * UpstreamCalls.QUEUE_PER_THREAD;
    this.reports = new Batches<>("report of job ends", this.source::finishAll, calls, source.maxReportBatch(),
        config.upstreamCalls(), waiting);
    this.handOvers = new Batches<>("hand-over of prefetched jobs", this.source::assignAll, local, 1000, 2, waiting);
  }

  /** The name under which this replica holds the leases of the jobs in its prefetch. */
  private static String holder(Address self) {
    String v = self.value();
    return ("prefetch." + self.local() + "." + v.substring(v.indexOf('/') + 1)).replaceAll("[^A-Za-z0-9._-]", "_");
  }

  private int prefetchDepth() {
    return prefetch == null ? 0 : prefetch.depth();
  }

  /** The jobs this job manager has claimed ahead, if its source prefetches. */
  public Optional<Prefetch> prefetch() {
    return Optional.ofNullable(prefetch);
  }


  /** Starts answering requests and sweeping expired leases. */
  public void start() {
    bus.subscribe(this::onMessage);
    if (prefetch != null) {
      prefetch.start();
    }
    sweeper = scheduler.every(config.sweepInterval(), () -> calls.submit("lease sweep", () -> {
      expireLeases();
      return null;
    }));
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
    metrics.received(m.verb());
    Optional<Reply> reply =
        switch (m.verb()) {
          case WANT_GET_JOB -> authorized(in, (WantGetJob) m, want -> onWantGetJob(in, want));
          case GET_JOB -> in.meantForAnother(bus.self())
              // An agent asked a job manager that has gone; the server handed the claim to every replica.
              // Only the one asked may lease a job, or one getJob would take several.
              ? Optional.of(error(m, ErrorCode.NO_JOB, "this getJob was for " + in.to() + ", which is gone; ask again"))
              : authorized(in, (GetJob) m, get -> onGetJob(in, get));
          case HEARTBEAT -> authorized(in, (Heartbeat) m, hb -> {
            metrics.heard(hb.agentId(), hb.jobId());
            answerLater(in, hb, calls.submit("heartbeat of " + hb.jobId(), () -> onHeartbeat(hb)));
            return Optional.empty();
          });
          case JOB_DONE -> authorized(in, (JobDone) m, done -> onJobDone(in, done));
          case KILL -> {
            Kill kill = (Kill) m;
            answerLater(in, kill, calls.submit("kill of " + kill.jobId(), () -> onKill(kill)));
            yield Optional.empty();
          }
          case DRAIN -> Optional.of(onDrain((Drain) m));
          case REGISTER_OUTPUTS -> onRegisterOutputs(in, (RegisterOutputs) m);
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
      return Optional.of(forbidden(in, request));
    }
    try {
      return handler.handle(request);
    } catch (JobSourceException e) {
      return Optional.of(failed(in, request, e));
    }
  }

  private void answerLater(Incoming in, Message request, CompletableFuture<Reply> work) {
    work.whenComplete((reply, err) -> {
      Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
      if (cause == null) {
        answer(in.from(), reply);
      } else if (cause instanceof JobSourceException e) {
        answer(in.from(), failed(in, request, e));
      } else {
        log.error("{} {} from {} failed unexpectedly", request.verb(), request.id(), Untrusted.text(in.from()), cause);
        answer(in.from(), error(request, ErrorCode.INTERNAL, request.verb() + " failed in the job manager; try again"));
      }
    });
  }

  private ErrorReply forbidden(Incoming in, AgentRequest request) {
    log.warn("refused {} from {} claiming to be agent {}", request.verb(), Untrusted.text(in.from()), request.agentId());
    return error(request, ErrorCode.FORBIDDEN, "sender " + in.from().bare() + " may not act for agent " + request.agentId());
  }

  private ErrorReply failed(Incoming in, Message request, JobSourceException e) {
    if (e.code().retryable()) {
      log.warn("{} {} from {} failed: {}", request.verb(), request.id(), Untrusted.text(in.from()),
          Untrusted.text(e.getMessage()));
    } else {
      log.info("{} {} from {} refused: {}", request.verb(), request.id(), Untrusted.text(in.from()),
          Untrusted.text(e.getMessage()));
    }
    return error(request, e.code(), e.getMessage());
  }

  private Optional<Reply> onWantGetJob(Incoming in, WantGetJob want) throws JobSourceException {
    metrics.asked(want.agentId());
    if (isDrained(want.agentId())) {
      return Optional.of(draining(want, want.agentId()));
    }
    if (config.dispatch() == JobManagerConfig.Dispatch.DIRECT) {
      return claim(in, want, want.agentId(), want.resources());
    }
    // Silence when there is no work: another job manager of the service may have some, and an explicit
    // "no" would reach the agent first and hide its "yes". With a prefetch that is empty, the answer waits
    // for the refill that the asking starts, at most claim-max-wait.
    if (prefetch != null) {
      prefetch.has(want.resources(), config.claimMaxWait()).thenAccept(any -> {
        if (any) {
          answer(in.from(), new HaveGetJob(MessageIds.next(), now(), want.id(), source.name()));
        }
      });
      return Optional.empty();
    }
    if (!source.hasWorkFor(want.resources())) {
      return Optional.empty();
    }
    return Optional.of(new HaveGetJob(MessageIds.next(), now(), want.id(), source.name()));
  }

  private Optional<Reply> onGetJob(Incoming in, GetJob get) throws JobSourceException {
    metrics.asked(get.agentId());
    if (isDrained(get.agentId())) {
      return Optional.of(draining(get, get.agentId()));
    }
    return claim(in, get, get.agentId(), get.resources());
  }

  /**
   * Leases a job to the agent, unless the request has waited here so long that the agent may have stopped
   * waiting for the answer: then nothing is leased, or the lease just made is handed back at once, and the
   * agent is told to ask again. Otherwise, under overload, jobs would be leased to agents that gave up, and
   * wait out the lease.
   */
  private Optional<Reply> claim(Incoming in, Request request, String agentId, Resources resources)
      throws JobSourceException {
    if (tooLate(in)) {
      return Optional.of(busy(in, request));
    }
    if (prefetch != null) {
      return handOver(in, request, agentId, resources);
    }
    Optional<Claim> claim = source.claim(agentId, resources, config.leaseTime());
    if (claim.isEmpty()) {
      return Optional.of(error(request, ErrorCode.NO_JOB, "no job fits the offered resources"));
    }
    Claim c = claim.get();
    if (tooLate(in)) {
      source.release(c.job().jobId(), c.lease().ref(), "the claim took longer than " + config.claimMaxWait());
      return Optional.of(busy(in, request));
    }
    return Optional.of(runJob(in, request, agentId, c));
  }

  /**
   * Hands a prefetched job to the agent, answering when the source has recorded it; with none waiting,
   * answers {@code NO_JOB} at once, with the prefetch's hint of when to ask again.
   */
  private Optional<Reply> handOver(Incoming in, Request request, String agentId, Resources resources) {
    Optional<Claim> taken = prefetch.take(resources);
    if (taken.isEmpty()) {
      return Optional.of(error(request, ErrorCode.NO_JOB, "no job fits the offered resources now")
          .retryAfter(prefetch.retryAfter(resources)));
    }
    HandOver h = new HandOver(taken.get(), holder, agentId, now().plus(config.leaseTime()));
    answerLater(in, request, handOvers.submit(h).handle((v, err) -> {
      Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
      if (cause == null) {
        return runJob(in, request, agentId, h.toAgent());
      }
      if (cause instanceof UpstreamUnavailableException) {
        prefetch.putBack(resources, h.claim());
        throw new CompletionException(cause);
      }
      if (cause instanceof JobSourceException) {
        // Killed, or its lease taken back, while it waited in the prefetch: not this job manager's any more.
        log.info("prefetched job {} is gone: {}", h.claim().job().jobId(), Untrusted.text(cause.getMessage()));
        return error(request, ErrorCode.NO_JOB, "the job meant for this request has gone; ask again")
            .retryAfter(Duration.ofMillis(50));
      }
      throw new CompletionException(cause);
    }));
    return Optional.empty();
  }

  private RunJob runJob(Incoming in, Request request, String agentId, Claim c) {
    metrics.leased(agentId, c.job().jobId(), Duration.between(in.receivedAt(), now()));
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

  private Reply onHeartbeat(Heartbeat hb) throws JobSourceException {
    source.adopt(tickets.open(hb.ticket(), hb.jobId(), hb.agentId(), hb.lease()), config.leaseTime());
    Optional<String> killReason = source.heartbeat(hb, config.leaseTime());
    List<Command> commands = new ArrayList<>();
    killReason.ifPresent(r -> commands.add(new Kill(MessageIds.next(), now(), hb.jobId(), r)));
    Drain drain = drains.get(hb.agentId());
    if (drain != null && isDrained(hb.agentId())) {
      commands.add(drain);
    }
    return new Ack(MessageIds.next(), now(), hb.id(), commands);
  }

  private Optional<Reply> onJobDone(Incoming in, JobDone done) throws JobSourceException {
    source.adopt(tickets.open(done.ticket(), done.jobId(), done.agentId(), done.lease()), config.leaseTime());
    Ack ack = new Ack(MessageIds.next(), now(), done.id(), List.of());
    CompletableFuture<Reply> recorded;
    if (done.outcome() == Outcome.RELEASED) {
      log.info("{} handed {} back: {}", done.agentId(), done.jobId(), Untrusted.text(done.diagnostic()));
      recorded = calls.submit("hand-back of " + done.jobId(), () -> {
        source.release(done.jobId(), done.lease(), done.diagnostic());
        return ack;
      });
    } else {
      recorded = reports.submit(done).thenApply(v -> ack);
    }
    answerLater(in, done, recorded.thenApply(reply -> {
      metrics.ended(done, in.to().equals(bus.self()));
      return reply;
    }));
    return Optional.empty();
  }

  private Optional<Reply> onRegisterOutputs(Incoming in, RegisterOutputs request) {
    if (!config.storage().contains(in.from().bare().value())) {
      log.warn("refused registerOutputs for {} from {}: not a configured storage adapter", request.jobId(),
          Untrusted.text(in.from()));
      return Optional.of(error(request, ErrorCode.FORBIDDEN, "sender " + in.from().bare()
          + " is not a storage adapter of " + config.service()));
    }
    // Registrations go to the service address and so reach every replica: each records the outputs, so
    // that whichever gets the job's end can report them.
    answerLater(in, request, calls.submit("registration of " + request.jobId(), () -> {
      source.adopt(tickets.open(request.ticket(), request.jobId(), request.agentId(), request.lease()),
          config.leaseTime());
      source.registerOutputs(request);
      return new Ack(MessageIds.next(), now(), request.id(), List.of());
    }));
    return Optional.empty();
  }

  private Reply onKill(Kill kill) throws JobSourceException {
    source.kill(kill.jobId(), kill.reason());
    log.info("kill of {} requested: {}", kill.jobId(), Untrusted.text(kill.reason()));
    return new Ack(MessageIds.next(), now(), kill.id(), List.of());
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
    if (reply instanceof ErrorReply e) {
      metrics.refused(e.code());
    }
    try {
      bus.send(to, reply);
    } catch (BusException e) {
      log.warn("could not answer {} with {}: {}", Untrusted.text(to), reply.verb(), Untrusted.text(e.getMessage()));
    }
  }

  private Instant now() {
    return scheduler.clock().instant();
  }

  /**
   * Stops sweeping, hands the prefetched jobs back and lets the upstream calls under way end (up to 30 s
   * each); the bus stays the caller's.
   */
  @Override
  public void close() {
    if (sweeper != null) {
      sweeper.cancel();
    }
    if (prefetch != null) {
      prefetch.close();
    }
    local.close();
    calls.close();
  }
}
