package org.cernvm.copilot.protocol.bus;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.MessageCodec;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.ProtocolException;
import org.cernvm.copilot.protocol.Reply;
import org.cernvm.copilot.protocol.Request;
import org.cernvm.copilot.protocol.security.MessageRejectedException;
import org.cernvm.copilot.protocol.security.MessageSecurity;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every bus does above its transport: encode and sign, verify and decode, match replies to pending
 * requests, time requests out, answer undecodable and rejected bodies, and hand messages to subscribers on
 * the executor.
 */
abstract class AbstractBus implements Bus {
  private static final Logger log = LoggerFactory.getLogger(AbstractBus.class);

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

  AbstractBus(MessageSecurity security, Scheduler scheduler, Executor executor) {
    this.security = security;
    this.scheduler = scheduler;
    this.executor = executor;
  }

  @Override
  public final MessageSecurity security() {
    return security;
  }

  /** Hands an encoded body to the transport. */
  abstract void transmit(Address to, String id, String body) throws BusException;

  @Override
  public final void send(Address to, Message message) throws BusException {
    transmit(to, message.id(), security.wrap(to, message.verb(), codec.encode(message)));
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

  /** Called by the transport for every body that arrives. */
  final void receive(Address from, String wire) {
    java.time.Instant receivedAt = scheduler.clock().instant();
    MessageSecurity.Opened opened;
    Message message;
    try {
      opened = security.open(from, self(), wire);
      message = codec.decode(opened.body());
      security.admit(message, opened.sender());
    } catch (MessageRejectedException e) {
      log.warn("rejected message from {}: {}: {}", from, e.reason(), e.getMessage());
      if (e.offendingId() != null) {
        answerError(from, e.offendingId(), e.reason().code(), e.reason() + ": " + e.getMessage());
      }
      return;
    } catch (ProtocolException e) {
      log.warn("rejected message from {}: {}: {}", from, e.code(), e.getMessage());
      if (e.offendingId() != null) {
        answerError(from, e.offendingId(), e.code(), e.getMessage());
      }
      return;
    }
    if (message instanceof Reply reply) {
      Pending p = pending.remove(reply.replyTo() == null ? "" : reply.replyTo());
      if (p != null && !p.signed() && reply instanceof ErrorReply e && e.code() == ErrorCode.SIGN_AGAIN) {
        signAgain(from, p);
        return;
      }
      if (p != null) {
        p.timer().cancel();
        complete(p.future(), new Response(from, reply));
      } else {
        log.debug("ignored {} from {} to {}: no request waits for it", reply.verb(), from, reply.replyTo());
      }
      return;
    }
    execute(() -> dispatch(new Incoming(from, message, opened.sender(), opened.to(), receivedAt)));
  }

  /**
   * Sends a request again, signed, whose MAC its receiver could not check: the receiver restarted and lost
   * the pairwise key, or the request went to an absent resource and reached another endpoint of the
   * account.
   */
  private void signAgain(Address answeredBy, Pending p) {
    security.forget(p.to());
    security.forget(answeredBy);
    log.debug("{} could not check the MAC of {} {}; sending it again signed", answeredBy, p.request().verb(),
        p.request().id());
    pending.put(p.request().id(), new Pending(p.future(), p.timer(), p.to(), p.request(), true));
    try {
      send(p.to(), p.request());
    } catch (BusException | RuntimeException e) {
      pending.remove(p.request().id());
      p.timer().cancel();
      complete(p.future(), e);
    }
  }

  /** Called by the transport when it learns that the request with {@code id} cannot be delivered. */
  final void undeliverable(String id, String why) {
    Pending p = pending.remove(id);
    if (p != null) {
      p.timer().cancel();
      complete(p.future(), new BusException(why));
    }
  }

  /** Fails every pending request, e.g. when the bus closes. */
  final void failAllPending(String why) {
    for (String id : List.copyOf(pending.keySet())) {
      undeliverable(id, why);
    }
  }

  private void dispatch(Incoming incoming) {
    for (MessageHandler handler : handlers) {
      try {
        handler.handle(incoming);
      } catch (RuntimeException e) {
        log.error("handler failed on {} {} from {}", incoming.message().verb(), incoming.message().id(),
            incoming.from(), e);
        if (incoming.message() instanceof Request) {
          answerError(incoming.from(), incoming.message().id(), ErrorCode.INTERNAL, "internal error: " + e);
        }
      }
    }
  }

  private void answerError(Address to, String replyTo, ErrorCode code, String text) {
    try {
      send(to, new ErrorReply(MessageIds.next(), scheduler.clock().instant(), replyTo, code, code.retryable(), text));
    } catch (BusException | RuntimeException e) {
      log.debug("could not answer {} with {}: {}", to, code, e.getMessage());
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
