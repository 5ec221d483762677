package org.cernvm.copilot.protocol.bus;

import java.time.Duration;

/** No reply to a request arrived within its timeout; the request may be sent again. */
public final class RequestTimeoutException extends BusException {
  /**
   * Creates the exception.
   *
   * @param verb the request's verb
   * @param id the request's id
   * @param to where it was sent
   * @param timeout how long the reply was awaited
   */
  public RequestTimeoutException(String verb, String id, Address to, Duration timeout) {
    super("no reply to " + verb + " " + id + " from " + to + " within " + timeout.toMillis() + " ms");
  }
}
