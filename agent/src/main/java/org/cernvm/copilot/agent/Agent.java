package org.cernvm.copilot.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.cernvm.copilot.protocol.Ack;
import org.cernvm.copilot.protocol.Checksums;
import org.cernvm.copilot.protocol.Command;
import org.cernvm.copilot.protocol.Drain;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.FailureKind;
import org.cernvm.copilot.protocol.GetJob;
import org.cernvm.copilot.protocol.HaveGetJob;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.JobSpec;
import org.cernvm.copilot.protocol.JobState;
import org.cernvm.copilot.protocol.Kill;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.PayloadReport;
import org.cernvm.copilot.protocol.Reply;
import org.cernvm.copilot.protocol.Request;
import org.cernvm.copilot.protocol.RunJob;
import org.cernvm.copilot.protocol.Untrusted;
import org.cernvm.copilot.protocol.Usage;
import org.cernvm.copilot.protocol.WantGetJob;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.BusException;
import org.cernvm.copilot.protocol.bus.Incoming;
import org.cernvm.copilot.protocol.bus.Response;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CoPilot agent: it offers each free slot to the job-manager service, runs the jobs it is given as
 * real processes, heartbeats at a third of the lease, obeys {@code kill} and {@code drain}, and reports
 * each job's end until a job manager acknowledges it. A successful job's outputs are first uploaded to the
 * storage adapter ({@link StageOut}); its end is reported once they are registered upstream.
 *
 * <p>Disconnects: payloads keep running while the XMPP connection is down; heartbeats and reports fail
 * and are retried, going to the service address rather than the job manager that granted the lease, so
 * that any replica can answer. A heartbeat answered {@code FENCED} means the lease was taken back while
 * the agent was away: the payload is killed and its end is not reported.
 */
public final class Agent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Agent.class);

  private final AgentConfig config;
  private final Bus bus;
  private final Scheduler scheduler;
  private final Executor executor;
  // Made at the first stage-in: an idle agent does not need it, and it reads the JDK's trust store.
  private HttpClient http;
  private final Uploader uploader;
  private final Address service;
  private final Instant startedAt;
  private final Map<String, JobRun> running = new ConcurrentHashMap<>();
  private final AtomicInteger activeSlots = new AtomicInteger();
  private final AtomicInteger jobsRun = new AtomicInteger();
  private final CompletableFuture<Shutdown> drained = new CompletableFuture<>();
  private volatile Shutdown shutdown;
  // When the agent last ran a job, or started: idle shutdown counts from here while no job runs.
  private volatile Instant lastBusy;
  private volatile Scheduler.Cancellable spotPolls;
  private final MetadataService metadata;
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The pause before an input is fetched again; doubled each time ({@link StageIn#ATTEMPTS} in all). */
  private static final Duration STAGE_IN_FIRST_PAUSE = Duration.ofMillis(500);
  /** The most lines the agent keeps about one job for its log. */
  private static final int MAX_JOURNAL_LINES = 2000;
  private volatile boolean closed;

  /** Creates an agent; {@link #start} sets it to work. */
  public Agent(AgentConfig config, Bus bus, Scheduler scheduler, Executor executor) {
    this.config = config;
    this.bus = bus;
    this.scheduler = scheduler;
    this.executor = executor;
    this.uploader = new Uploader(config.requestTimeout(), config.uploadTimeout(), config.storageTrust());
    this.service = Address.of(config.service());
    this.startedAt = scheduler.clock().instant();
    this.lastBusy = startedAt;
    this.metadata = config.metadata() == null ? null : new MetadataService(config.metadata());
  }

  /** Starts one request loop per slot. */
  public void start() {
    bus.subscribe(this::onUnsolicited);
    log.info("agent {} offering {} slot(s) of {} to {}", config.agentId(), config.slots(),
        config.slotResources(config.lifetime()), service);
    for (int i = 0; i < config.slots(); i++) {
      activeSlots.incrementAndGet();
      Slot slot = new Slot(i + 1);
      executor.execute(slot::ask);
    }
    if (metadata != null) {
      log.info("agent {} looks for a spot notice at {} every {}", config.agentId(),
          metadata.url(config.spotNoticePath()), config.spotPoll());
      spotPolls = scheduler.every(config.spotPoll(), () -> executor.execute(this::pollSpotNotice));
    }
  }

  /**
   * Stops taking work because the VM goes away at {@code deadline}: running jobs whose TTL ends before it
   * go on; the others are killed and handed back to their job manager ({@link Outcome#RELEASED}), which
   * has them run again elsewhere. {@link #drained} completes once every job has ended or been handed back.
   */
  public void preempt(Shutdown why, Instant deadline) {
    stopTakingWork(why);
    for (JobRun job : running.values()) {
      if (job.startedAt.plus(job.spec.ttl()).plus(config.killGrace()).isAfter(deadline)) {
        job.kill(Outcome.RELEASED, why.detail());
      }
    }
  }

  private void pollSpotNotice() {
    if (closed) {
      return;
    }
    try {
      Optional<String> notice = metadata.read(config.spotNoticePath(), config.requestTimeout());
      if (notice.isPresent()) {
        JsonNode n = JSON.readTree(notice.get());
        String action = n.path("action").asText("terminate");
        Instant at = n.hasNonNull("time") ? Instant.parse(n.get("time").asText()) : now();
        if (spotPolls != null) {
          spotPolls.cancel();
        }
        log.warn("agent {}: spot notice: {} at {}", config.agentId(), Untrusted.text(action), Untrusted.text(at));
        preempt(new Shutdown(Shutdown.Reason.PREEMPTED, "spot instance-action " + action + " at " + at), at);
      }
    } catch (IOException | RuntimeException e) {
      log.debug("no spot notice read from {}: {}", metadata.url(config.spotNoticePath()), e.toString());
    }
  }

  /** Completes with why the agent stopped taking work, once its last job has ended. */
  public CompletableFuture<Shutdown> drained() {
    return drained;
  }

  /** How many jobs this agent has started. */
  public int jobsRun() {
    return jobsRun.get();
  }

  /** The ids of the jobs running now. */
  public List<String> runningJobs() {
    return List.copyOf(running.keySet());
  }

  /** Stops taking work and lets running jobs finish; {@link #drained} completes when they have. */
  public void drain(String reason) {
    stopTakingWork(new Shutdown(Shutdown.Reason.DRAINED, reason));
  }

  private synchronized void stopTakingWork(Shutdown why) {
    if (shutdown == null) {
      shutdown = why;
      log.info("agent {} stops taking work: {}", config.agentId(), why);
    }
    checkDrained();
  }

  private void checkDrained() {
    if (shutdown != null && activeSlots.get() == 0 && running.isEmpty()) {
      drained.complete(shutdown);
    }
  }

  private synchronized HttpClient http() {
    if (http == null) {
      http = HttpClient.newBuilder().connectTimeout(config.requestTimeout()).build();
    }
    return http;
  }

  private void onUnsolicited(Incoming in) {
    if (in.message() instanceof Request r) {
      try {
        bus.send(in.from(), ErrorReply.to(r.id(), now(), ErrorCode.UNSUPPORTED,
            "agents take commands only in heartbeat replies"));
      } catch (BusException e) {
        log.debug("cannot answer {}: {}", Untrusted.text(in.from()), Untrusted.text(e.getMessage()));
      }
    }
  }

  private Instant now() {
    return scheduler.clock().instant();
  }

  /** How many jobs in a row a slot claims straight from the job manager of its last job. */
  public static final int MAX_DIRECT_CLAIMS = 4;

  /** One job slot: a loop of asking for work, running a job, and asking again. */
  private final class Slot {
    private final int number;
    private int idleRounds;
    private volatile Address lastJobManager;
    private int directInARow;

    Slot(int number) {
      this.number = number;
    }

    void ask() {
      if (closed || shutdown != null) {
        activeSlots.decrementAndGet();
        checkDrained();
        return;
      }
      Duration left = config.lifetime().minus(Duration.between(startedAt, now()));
      if (left.isNegative() || left.isZero()) {
        stopTakingWork(new Shutdown(Shutdown.Reason.LIFETIME_OVER, "the VM lifetime of " + config.lifetime()
            + " is over"));
        ask();
        return;
      }
      Duration idle = Duration.between(lastBusy, now());
      if (!config.idleShutdown().isZero() && running.isEmpty() && idle.compareTo(config.idleShutdown()) >= 0) {
        stopTakingWork(new Shutdown(Shutdown.Reason.NO_WORK, "no work offered for " + config.idleShutdown()));
        ask();
        return;
      }
      WantGetJob want = new WantGetJob(MessageIds.next(), now(), config.agentId(), config.slotResources(left));
      Address last = lastJobManager;
      if (last != null && directInARow < MAX_DIRECT_CLAIMS) {
        // The job manager that handed out the last job is asked directly first: while it has work, that
        // saves the broadcast to every job manager and their answers, which grow with their number. Every
        // few jobs the slot broadcasts anyway, so that slots spread again over the least busy job managers.
        lastJobManager = null;
        directInARow++;
        GetJob get = new GetJob(MessageIds.next(), now(), config.agentId(), want.resources());
        bus.request(last, get, config.requestTimeout()).whenComplete((resp, err) -> {
          if (err == null && (resp.reply() instanceof RunJob
              || resp.reply() instanceof ErrorReply e && e.code() == ErrorCode.DRAINING)) {
            accept(resp);
          } else if (err == null && resp.reply() instanceof ErrorReply e && e.code() == ErrorCode.NO_JOB
              && !e.retryAfter().isZero()) {
            // The job manager is refilling its prefetch and said when to come back: ask it again then.
            lastJobManager = last;
            idle(last + " answered NO_JOB: " + e.message(), e.retryAfter());
          } else {
            broadcast(want);
          }
        });
        return;
      }
      directInARow = 0;
      broadcast(want);
    }

    private void broadcast(WantGetJob want) {
      bus.request(service, want, config.requestTimeout()).whenComplete((resp, err) -> {
        if (err != null) {
          idle("no job manager offered work: " + err.getMessage());
        } else if (resp.reply() instanceof HaveGetJob) {
          claimFrom(resp.from(), want);
        } else {
          accept(resp);
        }
      });
    }

    private void claimFrom(Address jobManager, WantGetJob want) {
      GetJob get = new GetJob(MessageIds.next(), now(), config.agentId(), want.resources());
      bus.request(jobManager, get, config.requestTimeout()).whenComplete((resp, err) -> {
        if (err != null) {
          idle("getJob from " + jobManager + " failed: " + err.getMessage());
        } else {
          accept(resp);
        }
      });
    }

    private void accept(Response resp) {
      Reply reply = resp.reply();
      if (reply instanceof RunJob run) {
        idleRounds = 0;
        lastBusy = now();
        lastJobManager = resp.from();
        JobRun job = new JobRun(this, resp.from(), run);
        running.put(run.job().jobId(), job);
        jobsRun.incrementAndGet();
        executor.execute(job::start);
      } else if (reply instanceof ErrorReply e && e.code() == ErrorCode.DRAINING) {
        drain(e.message());
        ask();
      } else if (reply instanceof ErrorReply e && e.code() == ErrorCode.NO_JOB && !e.retryAfter().isZero()) {
        idle(resp.from() + " answered NO_JOB: " + e.message(), e.retryAfter());
      } else if (reply instanceof ErrorReply e) {
        idle(resp.from() + " answered " + e.code() + ": " + e.message());
      } else {
        idle("unexpected " + reply.verb() + " from " + resp.from());
      }
    }

    private void idle(String why) {
      long min = config.idleBackoffMin().toMillis();
      idleRounds++;
      wait(why, Math.min(config.idleBackoffMax().toMillis(), min << Math.min(idleRounds - 1, 16)));
    }

    /** Waits as long as the job manager hinted, at most the longest idle pause. */
    private void idle(String why, Duration retryAfter) {
      wait(why, Math.min(config.idleBackoffMax().toMillis(), Math.max(1, retryAfter.toMillis())));
    }

    private void wait(String why, long base) {
      // Up to a quarter more, at random: VMs booted together would otherwise ask in step for ever.
      long delay = Math.min(config.idleBackoffMax().toMillis(), base + ThreadLocalRandom.current().nextLong(base / 4 + 1));
      log.debug("slot {}: {}; asking again in {} ms", number, Untrusted.text(why), delay);
      scheduler.schedule(Duration.ofMillis(delay), () -> executor.execute(this::ask));
    }

    /** The slot's job has ended and is being reported: the slot asks for the next one meanwhile. */
    void free() {
      lastBusy = now();
      executor.execute(this::ask);
    }

    /** The slot's job has been reported, or given up. */
    void jobEnded(JobRun job) {
      running.remove(job.spec.jobId(), job);
      lastBusy = now();
      checkDrained();
    }
  }

  /** One job on one slot, from staging its inputs to the acknowledgement of its end. */
  private final class JobRun {
    private final Slot slot;
    private final RunJob run;
    private final Address jobManager;
    private final JobSpec spec;
    private final Payload payload;
    private final Duration heartbeatPeriod;
    private volatile Address target;
    private volatile JobState state = JobState.STAGING_IN;
    private volatile boolean leaseLost;
    private volatile boolean ended;
    /** Whether the slot was told it may take the next job; guarded by this. */
    private boolean slotFreed;
    private Outcome killedAs;
    private String killReason;
    private Scheduler.Cancellable heartbeats;
    private Scheduler.Cancellable ttlTimer;
    private Instant giveUpAt;
    private volatile StageOut stageOut;
    /** What the payload's own report said, read once when it ended. */
    private volatile PayloadReport payloadReport = PayloadReport.UNKNOWN;
    private final Instant startedAt = now();
    /** The agent's own lines about this job, which its log tarball holds; guarded by itself. */
    private final List<String> journal = new ArrayList<>();

    JobRun(Slot slot, Address jobManager, RunJob run) {
      this.slot = slot;
      this.run = run;
      this.spec = run.job();
      this.target = jobManager;
      this.jobManager = jobManager;
      this.payload = new Payload(spec,
          config.workDir().resolve(config.agentId()).resolve(spec.jobId() + "." + run.lease().epoch()), scheduler);
      Duration lease = Duration.between(now(), run.lease().deadline());
      Duration third = lease.dividedBy(3);
      this.heartbeatPeriod = third.compareTo(Duration.ofMillis(200)) < 0 ? Duration.ofMillis(200) : third;
    }

    void start() {
      log.info("slot {} runs {} (epoch {}) from {}: {} {}", slot.number, spec.jobId(), run.lease().epoch(), target,
          spec.command(), spec.args());
      heartbeats = scheduler.every(heartbeatPeriod, this::heartbeat);
      try {
        payload.stageInputs(new StageIn(http(), scheduler, config.requestTimeout().multipliedBy(10),
            STAGE_IN_FIRST_PAUSE));
      } catch (StageIn.StageInException e) {
        note("stage-in failed: " + e.kind + ": " + e.getMessage());
        finish(Outcome.FAILED, e.kind, -1, "cannot stage inputs: " + e.getMessage());
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        finish(Outcome.FAILED, FailureKind.STAGE_IN, -1, "interrupted while staging inputs");
        return;
      } catch (RuntimeException e) {
        note("stage-in failed: " + e);
        finish(Outcome.FAILED, FailureKind.STAGE_IN, -1, "cannot stage inputs: " + e);
        return;
      }
      note(spec.inputs().size() + " input(s) staged in");
      // The end of a job that never ran is made outside the lock: its log tarball and stage-out take time,
      // and kills and heartbeat answers wait for the lock.
      Runnable ended = null;
      synchronized (this) {
        if (killedAs != null || leaseLost) {
          Outcome as = killedAs == null ? Outcome.KILLED : killedAs;
          String why = killReason;
          ended = () -> finish(as, FailureKind.of(as), -1, why);
        } else {
          state = JobState.RUNNING;
          try {
            payload
                .start(Map.of(
                        "COPILOT_JOB_ID", spec.jobId(),
                        "COPILOT_AGENT_ID", config.agentId(),
                        "COPILOT_CORES", Integer.toString(spec.cores()),
                        "COPILOT_WORKDIR", payload.directory().toString()),
                    config.sampleInterval())
                .whenCompleteAsync((code, err) -> onExit(code == null ? -1 : code), executor);
            ttlTimer = scheduler.schedule(spec.ttl(),
                () -> kill(Outcome.TTL_EXCEEDED, "TTL of " + spec.ttl() + " exceeded"));
          } catch (IOException | RuntimeException e) {
            String why = "cannot start " + spec.command() + ": " + e.getMessage();
            ended = () -> finish(Outcome.FAILED, FailureKind.MISSING_INSTALLATION, -1, why);
          }
        }
      }
      if (ended != null) {
        ended.run();
      }
    }

    synchronized void kill(Outcome as, String reason) {
      if (killedAs != null) {
        return;
      }
      killedAs = as;
      killReason = reason;
      note("killing the payload: " + reason);
      log.info("killing {}: {}", spec.jobId(), Untrusted.text(reason));
      if (state == JobState.RUNNING) {
        payload.signal(false);
        scheduler.schedule(config.killGrace(), () -> payload.signal(true));
      }
    }

    private void onExit(int exitCode) {
      if (ttlTimer != null) {
        ttlTimer.cancel();
      }
      state = JobState.STAGING_OUT;
      if (leaseLost) {
        abandon("its lease was taken back");
        return;
      }
      Outcome outcome;
      FailureKind failure = FailureKind.NONE;
      String diagnostic;
      List<OutputFile> outputs = List.of();
      synchronized (this) {
        outcome = killedAs;
        diagnostic = killReason;
      }
      try {
        outputs = payload.outputs();
        if (outcome != null) {
          failure = FailureKind.of(outcome);
        } else if (exitCode != 0) {
          outcome = Outcome.FAILED;
          failure = FailureKind.PAYLOAD;
          diagnostic = "payload exited with code " + exitCode;
        } else if (!payload.missingOutputs().isEmpty()) {
          outcome = Outcome.FAILED;
          failure = FailureKind.MISSING_OUTPUT;
          diagnostic = "missing outputs: " + payload.missingOutputs();
        } else {
          outcome = Outcome.SUCCEEDED;
          diagnostic = "";
        }
      } catch (IOException e) {
        outcome = Outcome.FAILED;
        failure = FailureKind.PAYLOAD;
        diagnostic = "cannot read outputs: " + e.getMessage();
      }
      note("payload exited with code " + exitCode);
      end(outcome, failure, exitCode, diagnostic, outcome == Outcome.RELEASED ? List.of() : outputs);
    }

    private void note(String line) {
      synchronized (journal) {
        if (journal.size() < MAX_JOURNAL_LINES) {
          journal.add(now() + " " + Untrusted.text(line, 2000));
        }
      }
    }

    private List<String> journal() {
      synchronized (journal) {
        return List.copyOf(journal);
      }
    }

    /**
     * Ends the job: makes its log tarball, stores it with the outputs of a successful job (the log alone
     * for any other), then reports. A job handed back makes no log: it runs again elsewhere.
     */
    private void end(Outcome outcome, FailureKind failure, int exitCode, String diagnostic, List<OutputFile> outputs) {
      state = JobState.STAGING_OUT;
      if (outcome == Outcome.RELEASED) {
        report(outcome, failure, exitCode, diagnostic, List.of());
        return;
      }
      note("ended " + outcome + (failure == FailureKind.NONE ? "" : " (" + failure + ": " + diagnostic + ")"));
      payloadReport = PayloadReports.read(payload.directory(), this::note);
      OutputFile logFile;
      try {
        Set<String> exclude = new HashSet<>(spec.outputs());
        spec.inputs().forEach(i -> exclude.add(i.name()));
        logFile = Checksums.of(LogTarball.make(payload.directory(), spec.log(), exclude, journal()));
      } catch (IOException | RuntimeException e) {
        log.warn("{}: cannot make the log tarball {}: {}", spec.jobId(), spec.log().file(), e.toString());
        if (outcome == Outcome.SUCCEEDED) {
          report(Outcome.FAILED, FailureKind.LOG, exitCode, "cannot make the log tarball: " + e.getMessage(), outputs);
        } else {
          report(outcome, failure, exitCode, diagnostic + "; no log tarball: " + e.getMessage(), outputs);
        }
        return;
      }
      List<OutputFile> withLog = new ArrayList<>(outputs);
      withLog.add(logFile);
      stageOut(outcome, failure, exitCode, diagnostic, outputs,
          outcome == Outcome.SUCCEEDED ? List.copyOf(withLog) : List.of(logFile), List.copyOf(withLog));
    }

    private void stageOut(Outcome outcome, FailureKind failure, int exitCode, String diagnostic,
        List<OutputFile> outputs, List<OutputFile> toStore, List<OutputFile> withLog) {
      stageOut = new StageOut(config, bus, uploader, scheduler, executor, spec, run.ticket(), payload.directory(),
          toStore, () -> leaseLost || closed);
      stageOut
          .start()
          .whenComplete((ok, err) -> {
            if (leaseLost) {
              abandon("its lease was taken back during stage-out");
            } else if (closed) {
              abandon("the agent stopped during stage-out");
            } else if (err != null) {
              String why = err instanceof StageOut.StageOutException ? err.getMessage() : err.toString();
              if (outcome == Outcome.SUCCEEDED) {
                report(Outcome.FAILED, FailureKind.STAGE_OUT, exitCode, "stage-out failed: " + why, outputs);
              } else {
                report(outcome, failure, exitCode, diagnostic + "; log not stored: " + why, outputs);
              }
            } else {
              report(outcome, failure, exitCode, diagnostic, withLog);
            }
          });
    }

    private void finish(Outcome outcome, FailureKind failure, int exitCode, String diagnostic) {
      end(outcome, failure, exitCode, diagnostic, List.of());
    }

    private void report(Outcome outcome, FailureKind failure, int exitCode, String diagnostic,
        List<OutputFile> outputs) {
      if (giveUpAt == null) {
        giveUpAt = now().plus(config.reportGiveUp());
        log.info("{} ended {} (exit {}){}", spec.jobId(), outcome, exitCode,
            diagnostic.isEmpty() ? "" : " " + failure + ": " + Untrusted.text(diagnostic));
        // The payload is gone and its outputs stored: the slot's resources are free while the end is
        // reported, which may take an upstream's round trip or several tries.
        freeSlot();
      }
      Usage usage = payload.usage();
      JobDone done = new JobDone(MessageIds.next(), now(), config.agentId(), spec.jobId(), run.lease().ref(), outcome,
          failure, exitCode, diagnostic, usage, payloadReport, outputs, run.ticket().job());
      bus.request(target, done, config.requestTimeout()).whenComplete((resp, err) -> {
        if (err == null && resp.reply() instanceof Ack) {
          abandon(null);
        } else if (err == null && resp.reply() instanceof ErrorReply e && !e.retryable()) {
          log.error("{}: jobDone refused by {}: {}: {}", spec.jobId(), resp.from(), e.code(), Untrusted.text(e.message()));
          abandon(null);
        } else if (now().isAfter(giveUpAt)) {
          log.error("{}: no job manager acknowledged its end within {}; giving up", spec.jobId(), config.reportGiveUp());
          abandon(null);
        } else {
          String why = err != null ? err.getMessage() : resp.from() + " answered " + resp.reply().verb();
          if (err == null && resp.reply() instanceof ErrorReply e && e.code() == ErrorCode.OUTPUTS_NOT_REGISTERED
              && stageOut != null) {
            // The job manager that had the registration is gone; have the storage adapter register again.
            why = e.message();
            executor.execute(stageOut::registerAgain);
          }
          log.warn("{}: jobDone not acknowledged ({}); retrying via {}", spec.jobId(), Untrusted.text(why), service);
          target = service;
          Duration retry = heartbeatPeriod.compareTo(Duration.ofSeconds(5)) < 0 ? heartbeatPeriod : Duration.ofSeconds(5);
          scheduler.schedule(retry,
              () -> executor.execute(() -> report(outcome, failure, exitCode, diagnostic, outputs)));
        }
      });
    }

    private void heartbeat() {
      if (ended) {
        return;
      }
      Heartbeat hb = new Heartbeat(MessageIds.next(), now(), config.agentId(), spec.jobId(), run.lease().ref(), state,
          payload.usage(), run.ticket().job());
      bus.request(target, hb, config.requestTimeout()).whenComplete((resp, err) -> {
        if (err != null) {
          log.warn("{}: heartbeat to {} failed: {}", spec.jobId(), target, Untrusted.text(err.getMessage()));
          target = service;
        } else if (resp.reply() instanceof Ack ack) {
          for (Command c : ack.commands()) {
            obey(c);
          }
        } else if (resp.reply() instanceof ErrorReply e
            && (e.code() == ErrorCode.FENCED || e.code() == ErrorCode.UNKNOWN_JOB)) {
          if (!leaseLost && !ended) {
            leaseLost = true;
            log.warn("{}: lease {} lost ({}); stopping the payload", spec.jobId(), run.lease().ref(),
              Untrusted.text(e.message()));
            kill(Outcome.KILLED, "lease lost");
            if (state == JobState.STAGING_OUT) {
              abandon("its lease was taken back");
            }
          }
        } else {
          log.warn("{}: heartbeat answered by {} with {}", spec.jobId(), resp.from(), Untrusted.text(resp.reply()));
        }
      });
    }

    private void obey(Command command) {
      if (command instanceof Kill k && k.jobId().equals(spec.jobId())) {
        kill(Outcome.KILLED, "killed: " + k.reason());
      } else if (command instanceof Drain d) {
        drain(d.reason());
      }
    }

    private synchronized void freeSlot() {
      if (!slotFreed) {
        slotFreed = true;
        slot.free();
      }
    }

    private synchronized void abandon(String why) {
      if (ended) {
        return;
      }
      ended = true;
      if (why != null) {
        log.warn("{}: abandoned: {}", spec.jobId(), Untrusted.text(why));
      }
      heartbeats.cancel();
      freeSlot();
      slot.jobEnded(this);
    }
  }

  /** Stops asking for work and kills running payloads without reporting them; their leases expire. */
  @Override
  public void close() {
    closed = true;
    if (spotPolls != null) {
      spotPolls.cancel();
    }
    uploader.close();
    for (JobRun job : running.values()) {
      job.heartbeats.cancel();
      job.payload.signal(true);
    }
  }
}
