package org.cernvm.copilot.protocol.bus;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.Request;
import org.cernvm.copilot.protocol.security.MessageSecurity;
import org.cernvm.copilot.protocol.time.Scheduler;

/**
 * The transport between CoPilot components: send, request with a timeout, subscribe.
 *
 * <p>Implementations: {@link #xmpp} (Smack over a real XMPP server) and {@link InMemoryNetwork} for unit
 * tests. Both sign every message and verify every arrival with their {@link MessageSecurity}, and decode
 * every body with {@link org.cernvm.copilot.protocol.MessageCodec}; a body that is rejected or cannot be
 * decoded is answered with a typed {@code error} when it carried a request's id, and otherwise dropped with
 * one log line. Handlers run on the executor given at construction, never on the transport's own thread.
 */
public interface Bus extends AutoCloseable {
  /** This endpoint's own full address. */
  Address self();

  /** How this bus signs, verifies, seals and opens. */
  MessageSecurity security();

  /** Whether messages can be sent now. */
  boolean isConnected();

  /**
   * Sends a message without waiting for an answer.
   *
   * @throws BusException if the bus is not connected or the message cannot be handed to the transport
   */
  void send(Address to, Message message) throws BusException;

  /**
   * Sends a request; the future completes with the first reply that quotes its id, or exceptionally
   * with {@link RequestTimeoutException} after {@code timeout}, or with {@link BusException} if it
   * cannot be sent or the transport reports the recipient unavailable.
   */
  CompletableFuture<Response> request(Address to, Request request, Duration timeout);

  /** Sends a request and waits for its reply; see {@link #request}. */
  default Response call(Address to, Request request, Duration timeout) throws BusException, InterruptedException {
    try {
      return request(to, request, timeout).get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof BusException be) {
        throw be;
      }
      throw new IllegalStateException("request " + request.id() + " failed", e.getCause());
    }
  }

  /** Registers a handler for every request and unsolicited message that arrives. */
  void subscribe(MessageHandler handler);

  /** What this bus refused or dropped before any handler saw it, counted since it started. */
  default BusCounts counts() {
    return BusCounts.NONE;
  }

  /** Disconnects; pending requests fail. */
  @Override
  void close();

  /**
   * Opens a bus over XMPP. It connects in the background, and reconnects with backoff whenever the
   * connection drops; use {@link XmppBus#awaitConnected} to wait for the first login.
   */
  static XmppBus xmpp(XmppSettings settings, MessageSecurity security, Scheduler scheduler, Executor executor) {
    return XmppBus.open(settings, security, scheduler, executor);
  }
}
