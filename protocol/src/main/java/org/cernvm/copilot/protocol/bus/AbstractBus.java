package org.cernvm.copilot.protocol.bus;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.MessageCodec;
import org.cernvm.copilot.protocol.ProtocolException;
import org.cernvm.copilot.protocol.Reply;
import org.cernvm.copilot.protocol.Request;
import org.cernvm.copilot.protocol.Untrusted;
import org.cernvm.copilot.protocol.security.MessageRejectedException;
import org.cernvm.copilot.protocol.security.MessageSecurity;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every bus does above its transport: encode and sign, verify and decode, match replies to pending
 * requests, time requests out, answer undecodable and rejected bodies, and hand messages to subscribers on
 * the executor.
 *
 * <p>Traffic that fails authentication, or travels unsigned, is charged to its sender's bucket of
 * {@link UnauthenticatedLimits}; once that is empty, the sender's messages are dropped before they are
 * opened, so that a flood costs this component a map lookup per message rather than a verification, a
 * signed answer and a log line. What a sender wrote reaches the log only through {@link Untrusted}.
 */
abstract class AbstractBus implements Bus {
  private static final Logger log = LoggerFactory.getLogger(AbstractBus.class);
  /** The longest explanation in an error answer to a refused body. */
  static final int ERROR_TEXT_CHARS = 300;

  /**
   * A request waiting for its answer.
   *
   * @param signed whether it was sent again signed after a {@code SIGN_AGAIN} answer; that is done once
   */
  private record Pending(CompletableFuture<Response> future, Scheduler.Cancellable timer, Address to,
      Request request, boolean signed) {}

  private final MessageCodec codec = new MessageCodec();
  private final ConcurrentMap<String, Pending> pending = new ConcurrentHashMap<>();
  private final List<MessageHandler> handlers = new CopyOnWriteArrayList<>();
  protected final Scheduler scheduler;
  private final Executor executor;
  private final MessageSecurity security;
  private final SenderBuckets strangers;
  private final Map<ErrorCode, LongAdder> refused = new ConcurrentHashMap<>();
  private final AtomicReference<Scheduler.Cancellable> summary = new AtomicReference<>(() -> { });
  private volatile boolean stopped;

  AbstractBus(MessageSecurity security, UnauthenticatedLimits limits, Scheduler scheduler, Executor executor) {
    this.security = security;
    this.scheduler = scheduler;
    this.executor = executor;
    this.strangers = new SenderBuckets(limits, scheduler.clock(), () -> scheduleSummary(limits.summaryEvery()));
  }

  private void scheduleSummary(Duration in) {
    if (stopped) {
      return;
    }
    try {
      Scheduler.Cancellable task = scheduler.schedule(in, () -> strangers.summarize(log));
      summary.set(task);
      if (stopped) {
        task.cancel();
      }
    } catch (RejectedExecutionException e) {
      // The scheduler is shut down, as the bus is about to be; there is nobody left to read the summary.
    }
  }

  /** Stops what the bus runs in the background; its transport calls this when it closes. */
  final void stopBackgroundWork() {
    stopped = true;
    summary.get().cancel();
  }

  @Override
  public final MessageSecurity security() {
    return security;
  }

  /** Hands an encoded body to the transport. */
  abstract void transmit(Address to, String id, String body) throws BusException;

  @Override
  public final void send(Address to, Message message) throws BusException {
    String body;
    try {
      body = codec.encode(message);
    } catch (IllegalArgumentException e) {
      throw new BusException("cannot send " + message.verb() + " " + message.id() + " to " + Untrusted.text(to)
          + ": " + e.getMessage(), e);
    }
    transmit(to, message.id(), security.wrap(to, message.verb(), body));
  }

  @Override
  public final CompletableFuture<Response> request(Address to, Request request, Duration timeout) {
    CompletableFuture<Response> future = new CompletableFuture<>();
    String id = request.id();
    Scheduler.Cancellable timer =
        scheduler.schedule(
            timeout,
            () -> {
              if (pending.remove(id) != null) {
                complete(
                    future,
                    new RequestTimeoutException(request.verb().wireName(), id, to, timeout));
              }
            });
    pending.put(id, new Pending(future, timer, to, request, false));
    try {
      send(to, request);
    } catch (BusException | RuntimeException e) {
      pending.remove(id);
      timer.cancel();
      future.completeExceptionally(e);
    }
    return future;
  }

  @Override
  public final void subscribe(MessageHandler handler) {
    handlers.add(handler);
  }

  /**
   * Charges one message from {@code from} that is unauthenticated or failed authentication.
   *
   * @param logLine run if the message is within its share and the log has room for one more line
   * @return whether to answer it
   */
  final boolean chargeStranger(Address from, Runnable logLine) {
    if (!strangers.charge(from)) {
      return false;
    }
    if (strangers.mayLog()) {
      logLine.run();
    }
    return true;
  }

  /** Whether one more log line about unauthenticated traffic fits its share; the summary counts the others. */
  final boolean mayLogStranger() {
    return strangers.mayLog();
  }

  @Override
  public BusCounts counts() {
    Map<ErrorCode, Long> now = new EnumMap<>(ErrorCode.class);
    refused.forEach((code, n) -> now.put(code, n.sum()));
    return new BusCounts(now, strangers.droppedEver());
  }

  /** Called by the transport for every body that arrives. */
  final void receive(Address from, String wire) {
    if (strangers.exhausted(from)) {
      return;
    }
    java.time.Instant receivedAt = scheduler.clock().instant();
    MessageSecurity.Opened opened;
    try {
      opened = security.open(from, self(), wire);
    } catch (MessageRejectedException e) {
      if (strangers.charge(from)) {
        refuse(from, true, e.offendingId(), e.reason().code(), e.reason() + ": " + e.getMessage());
      }
      return;
    }
    boolean unsigned = opened.sender().isEmpty();
    if (unsigned && !strangers.charge(from)) {
      return;
    }
    if (!unsigned) {
      // Only a peer with a certificate gets here: whatever its address was charged is forgiven, so that a
      // peer whose MACs failed while its counterpart restarted is not dropped afterwards.
      strangers.forgive(from);
    }
    Message message;
    try {
      message = codec.decode(opened.body());
      security.admit(message, opened.sender());
    } catch (MessageRejectedException e) {
      refuse(from, unsigned, e.offendingId(), e.reason().code(), e.reason() + ": " + e.getMessage());
      return;
    } catch (ProtocolException e) {
      refuse(from, unsigned, e.offendingId(), e.code(), e.getMessage());
      return;
    }
    if (message instanceof Reply reply) {
      String id = reply.replyTo() == null ? "" : reply.replyTo();
      Pending p = pending.get(id);
      // A reply comes from the account the request was sent to (any of its resources), or from its server.
      if (p == null || !(from.bare().equals(p.to().bare()) || from.value().equals(p.to().domain()))) {
        log.debug("ignored {} from {} to {}: no request to it waits for it", reply.verb(), Untrusted.text(from), id);
        return;
      }
      if (!p.signed() && reply instanceof ErrorReply e && e.code() == ErrorCode.SIGN_AGAIN) {
        signAgain(from, id, p);
      } else {
        finish(id, p, new Response(from, reply));
      }
      return;
    }
    execute(() -> dispatch(new Incoming(from, message, opened.sender(), opened.to(), receivedAt)));
  }

  /**
   * Logs a refused body, and answers it with a typed error when it carried a request's id. A stranger's (a
   * body that failed authentication or is unsigned, already charged to its sender) is logged only within
   * the log's share of such traffic; an authenticated sender's mistakes are its own.
   */
  private void refuse(Address from, boolean stranger, String offendingId, ErrorCode code, String why) {
    refused.computeIfAbsent(code, c -> new LongAdder()).increment();
    if (!stranger || strangers.mayLog()) {
      log.warn("rejected message from {}: {}: {}", Untrusted.text(from), code, Untrusted.text(why));
    }
    if (offendingId != null) {
      answerError(from, offendingId, code, Untrusted.text(why, ERROR_TEXT_CHARS));
    }
  }

  /**
   * Sends a request again, signed, whose MAC its receiver could not check: the receiver restarted and lost
   * the pairwise key, or the request went to an absent resource and reached another endpoint of the
   * account.
   */
  private void signAgain(Address answeredBy, String id, Pending p) {
    Pending signed = new Pending(p.future(), p.timer(), p.to(), p.request(), true);
    // The entry stays in place while it is replaced, so that a timeout firing meanwhile still finds it.
    if (!pending.replace(id, p, signed)) {
      return;
    }
    security.forget(p.to());
    security.forget(answeredBy);
    log.debug("{} could not check the MAC of {} {}; sending it again signed", Untrusted.text(answeredBy),
        p.request().verb(), id);
    try {
      send(p.to(), p.request());
    } catch (BusException | RuntimeException e) {
      finish(id, signed, e);
    }
  }

  /** Completes the request {@code id} with {@code outcome}, if {@code p} is still what waits for it. */
  private void finish(String id, Pending p, Object outcome) {
    if (pending.remove(id, p)) {
      p.timer().cancel();
      complete(p.future(), outcome);
    }
  }

  /**
   * Called by the transport when {@code from} says that the request with {@code id} cannot be delivered;
   * {@code from} must be the request's recipient (or its account or server), so that nobody else can fail
   * it by guessing its id.
   */
  final void undeliverable(Address from, String id, String why) {
    Pending p = pending.get(id);
    if (p != null && (from.equals(p.to()) || from.equals(p.to().bare()) || from.value().equals(p.to().domain()))) {
      finish(id, p, new BusException(why));
    }
  }

  /** Fails every pending request, e.g. when the bus closes. */
  final void failAllPending(String why) {
    pending.forEach((id, p) -> finish(id, p, new BusException(why)));
  }

  private void dispatch(Incoming incoming) {
    for (MessageHandler handler : handlers) {
      try {
        handler.handle(incoming);
      } catch (RuntimeException e) {
        log.error("handler failed on {} {} from {}", incoming.message().verb(), incoming.message().id(),
            Untrusted.text(incoming.from()), e);
        if (incoming.message() instanceof Request) {
          answerError(incoming.from(), incoming.message().id(), ErrorCode.INTERNAL, "internal error");
        }
      }
    }
  }

  private void answerError(Address to, String replyTo, ErrorCode code, String text) {
    try {
      send(to, ErrorReply.to(replyTo, scheduler.clock().instant(), code, text));
    } catch (BusException | RuntimeException e) {
      log.debug("could not answer {} with {}: {}", Untrusted.text(to), code, Untrusted.text(e.getMessage()));
    }
  }

  private void complete(CompletableFuture<Response> future, Object outcome) {
    execute(
        () -> {
          if (outcome instanceof Response r) {
            future.complete(r);
          } else {
            future.completeExceptionally((Throwable) outcome);
          }
        });
  }

  private void execute(Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      log.debug("bus executor is shut down; dropped a delivery");
    }
  }
}
