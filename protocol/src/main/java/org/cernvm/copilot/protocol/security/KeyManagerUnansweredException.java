package org.cernvm.copilot.protocol.security;

import java.time.Duration;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.BusException;

/**
 * The key manager gave no usable answer to a request in any attempt that its retry allowed: it was not
 * reachable, did not answer in time, or answered that it failed. Retryable later, unlike an
 * {@link EnrollmentException}; a retried enrollment with the same token keeps the same key pair.
 */
public final class KeyManagerUnansweredException extends BusException {
  /**
   * Creates the exception.
   *
   * @param what the request, e.g. "enroll as agent-1"
   * @param attempts how many times it was sent
   * @param timeout how long each attempt awaited its answer
   * @param spent how long all attempts took
   * @param last what went wrong the last time
   */
  public KeyManagerUnansweredException(String what, Address keyManager, int attempts, Duration timeout,
      Duration spent, String last) {
    super("no usable answer from key manager " + keyManager + " to " + what + " in " + attempts + " attempt"
        + (attempts == 1 ? "" : "s") + " over " + spent.toMillis() + " ms, each awaited for " + timeout.toMillis()
        + " ms; last: " + last);
  }
}
