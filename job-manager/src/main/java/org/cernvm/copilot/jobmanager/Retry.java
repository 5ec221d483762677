package org.cernvm.copilot.jobmanager;

import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.cernvm.copilot.protocol.Untrusted;

/**
 * Bounded retries of a call to an upstream service, as the PanDA and AliEn adapters make them: failures
 * that may pass are tried again after doubling pauses, each with one log line; a failure that will not
 * pass, or the last one, ends the call with {@link UpstreamUnavailableException}.
 */
public final class Retry {
  private Retry() {}

  /** What one attempt gave. */
  public sealed interface Attempt<T> permits Done, Failed {}

  /** The attempt succeeded. */
  public record Done<T>(T value) implements Attempt<T> {}

  /** The attempt failed; {@code retryable} says whether trying again may help. */
  public record Failed<T>(String message, boolean retryable) implements Attempt<T> {}

  /**
   * Makes up to {@code attempts} attempts.
   *
   * @param what the call, for log lines and the exception, e.g. {@code PanDA getJob}
   * @throws UpstreamUnavailableException when no attempt succeeded, or on interruption (the flag is restored)
   */
  public static <T> T call(String what, int attempts, Duration firstPause, Logger log, Supplier<Attempt<T>> attempt)
      throws UpstreamUnavailableException {
    Duration pause = firstPause;
    Failed<T> last = null;
    for (int n = 1; n <= attempts; n++) {
      Attempt<T> a = attempt.get();
      if (a instanceof Done<T> done) {
        return done.value();
      }
      last = (Failed<T>) a;
      if (!last.retryable()) {
        log.error("{} refused: {}", what, Untrusted.text(last.message()));
        break;
      }
      if (n < attempts) {
        log.warn("{} attempt {}/{} failed: {}; trying again in {} ms", what, n, attempts, Untrusted.text(last.message()),
            pause.toMillis());
        try {
          Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new UpstreamUnavailableException("interrupted while calling " + what, e);
        }
        pause = pause.multipliedBy(2);
      }
    }
    throw new UpstreamUnavailableException(what + " failed: " + last.message(), null);
  }
}
