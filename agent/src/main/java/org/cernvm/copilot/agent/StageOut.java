package org.cernvm.copilot.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.JobSpec;
import org.cernvm.copilot.protocol.LeaseTicket;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.StoreJobOutputDir;
import org.cernvm.copilot.protocol.UploadGrant;
import org.cernvm.copilot.protocol.WantStoreJobOutputDir;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.security.MessageRejectedException;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.cernvm.copilot.protocol.Untrusted;

/**
 * The stage-out of one job: upload grants from the storage service, one HTTP upload per output file, and
 * the registration of the outputs, which the storage adapter normally does on the last upload.
 *
 * <p>Failures that may pass are retried with exponential backoff until {@link AgentConfig#stageOutGiveUp()}: no
 * answer, a broken connection, a 5xx, a 408 (the upload arrived too slowly and was cut off) and a 429 (the agent
 * already has as many uploads in progress as the storage service takes); an upload restarts from the first byte.
 * A checksum mismatch is uploaded again, three attempts in all. A refused or expired grant is asked for again
 * once. Anything else ends the stage-out with the storage adapter's explanation.
 */
final class StageOut {
  private static final Logger log = LoggerFactory.getLogger(StageOut.class);
  private static final int MAX_MISMATCHES = 3;

  /** The stage-out ended without the outputs being registered. */
  static final class StageOutException extends Exception {
    StageOutException(String message) {
      super(message, null, false, false);
    }
  }

  private final AgentConfig config;
  private final Bus bus;
  private final Uploader uploader;
  private final Scheduler scheduler;
  private final Executor executor;
  private final JobSpec spec;
  private final LeaseTicket ticket;
  private final Path dir;
  private final List<OutputFile> files;
  private final BooleanSupplier cancelled;
  private final CompletableFuture<Void> result = new CompletableFuture<>();
  private final Instant giveUpAt;
  private List<UploadGrant> grants;
  private List<String> tokens;
  private int failures;
  private int mismatches;
  private boolean grantsRenewed;

  StageOut(AgentConfig config, Bus bus, Uploader uploader, Scheduler scheduler, Executor executor, JobSpec spec,
      LeaseTicket ticket, Path dir, List<OutputFile> files, BooleanSupplier cancelled) {
    this.config = config;
    this.bus = bus;
    this.uploader = uploader;
    this.scheduler = scheduler;
    this.executor = executor;
    this.spec = spec;
    this.ticket = ticket;
    this.dir = dir;
    this.files = List.copyOf(files);
    this.cancelled = cancelled;
    this.giveUpAt = scheduler.clock().instant().plus(config.stageOutGiveUp());
  }

  /** Starts; the future completes once the outputs are registered, or fails with {@link StageOutException}. */
  CompletableFuture<Void> start() {
    askGrants();
    return result;
  }

  private void askGrants() {
    if (stopped()) {
      return;
    }
    WantStoreJobOutputDir want = new WantStoreJobOutputDir(MessageIds.next(), scheduler.clock().instant(),
        config.agentId(), spec.jobId(), spec.source(), ticket.jobManager(), ticket.lease(), files, ticket);
    Address storage = Address.of(config.storage());
    bus.request(storage, want, config.requestTimeout()).whenComplete((resp, err) -> {
      if (err != null) {
        retry(this::askGrants, "no upload grants from " + storage + ": " + err.getMessage());
      } else if (resp.reply() instanceof StoreJobOutputDir granted) {
        try {
          tokens = open(granted.grants());
        } catch (MessageRejectedException e) {
          fail(resp.from() + " sent upload grants this agent cannot open: " + e.getMessage());
          return;
        }
        grants = granted.grants();
        log.info("{}: {} upload grant(s) from {}", spec.jobId(), grants.size(), resp.from());
        failures = 0;
        executor.execute(() -> upload(0, false));
      } else if (resp.reply() instanceof ErrorReply e && e.retryable()) {
        retry(this::askGrants, resp.from() + " answered " + e.code() + ": " + e.message());
      } else if (resp.reply() instanceof ErrorReply e) {
        fail(resp.from() + " refused upload grants: " + e.code() + ": " + e.message());
      } else {
        retry(this::askGrants, resp.from() + " answered " + resp.reply().verb());
      }
    });
  }

  private void upload(int index, boolean registered) {
    if (stopped()) {
      return;
    }
    if (index == grants.size()) {
      if (registered) {
        result.complete(null);
      } else {
        register();
      }
      return;
    }
    UploadGrant grant = grants.get(index);
    Uploader.Answer answer;
    try {
      answer = uploader.put(grant, tokens.get(index), ticket.job(), dir.resolve(grant.file()));
    } catch (IOException e) {
      retry(() -> upload(index, registered), "upload of " + grant.file() + " broke off: " + e);
      return;
    }
    int status = answer.status();
    String why = grant.file() + ": " + status + " " + answer.receipt().message();
    if (status == 201 || (status == 503 && answer.receipt().stored())) {
      log.info("{}: uploaded {} ({})", spec.jobId(), grant.file(), Untrusted.text(answer.receipt().message()));
      failures = 0;
      upload(index + 1, answer.receipt().registered());
    } else if (status == 422 && ++mismatches < MAX_MISMATCHES) {
      log.warn("{}: {}; uploading again", spec.jobId(), Untrusted.text(why));
      upload(index, registered);
    } else if ((status == 401 || status == 403) && !grantsRenewed) {
      grantsRenewed = true;
      log.warn("{}: {}; asking for new grants", spec.jobId(), Untrusted.text(why));
      askGrants();
    } else if (status >= 500 || status == 408 || status == 429) {
      retry(() -> upload(index, registered), why);
    } else {
      fail("upload refused: " + why);
    }
  }

  private void register() {
    if (stopped()) {
      return;
    }
    UploadGrant grant = grants.get(0);
    try {
      Uploader.Answer answer = uploader.register(grant, tokens.get(0), ticket.job());
      if (answer.status() == 200) {
        log.info("{}: {}", spec.jobId(), Untrusted.text(answer.receipt().message()));
        result.complete(null);
      } else if (answer.status() >= 500) {
        retry(this::register, "registration: " + answer.status() + " " + answer.receipt().message());
      } else {
        fail("registration refused: " + answer.status() + " " + answer.receipt().message());
      }
    } catch (IOException e) {
      retry(this::register, "registration request broke off: " + e);
    }
  }

  /**
   * Asks the storage adapter once more to register the stored outputs, as when a job manager that lost
   * the registration (it restarted) refuses the job's end; the job's end is reported again after it.
   */
  void registerAgain() {
    if (grants == null || !result.isDone() || result.isCompletedExceptionally()) {
      return;
    }
    try {
      Uploader.Answer answer = uploader.register(grants.get(0), tokens.get(0), ticket.job());
      log.info("{}: registered again: {} {}", spec.jobId(), answer.status(), Untrusted.text(answer.receipt().message()));
    } catch (IOException e) {
      log.warn("{}: registering again broke off: {}", spec.jobId(), Untrusted.text(e));
    }
  }

  private List<String> open(List<UploadGrant> sealed) throws MessageRejectedException {
    List<String> out = new java.util.ArrayList<>();
    for (UploadGrant g : sealed) {
      out.add(bus.security().unseal(g.token(), UploadGrant.PURPOSE));
    }
    return out;
  }

  private boolean stopped() {
    if (cancelled.getAsBoolean()) {
      fail("cancelled");
      return true;
    }
    return result.isDone();
  }

  private void retry(Runnable step, String why) {
    if (scheduler.clock().instant().isAfter(giveUpAt)) {
      fail(why + "; gave up after " + config.stageOutGiveUp());
      return;
    }
    long min = config.uploadBackoffMin().toMillis();
    Duration delay = Duration.ofMillis(Math.min(config.uploadBackoffMax().toMillis(), min << Math.min(failures, 16)));
    failures++;
    log.warn("{}: {}; retrying in {} ms", spec.jobId(), Untrusted.text(why), delay.toMillis());
    scheduler.schedule(delay, () -> executor.execute(step));
  }

  private void fail(String why) {
    result.completeExceptionally(new StageOutException(why));
  }
}
