package org.cernvm.copilot.storage;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/**
 * An admitted upload's request, whose body must keep arriving at a minimum rate: once a grace period after
 * admission is over, the body must have brought at least {@code rate × (time since admission − grace)} bytes.
 * The check is made each time the reader is about to wait for more of the body, as Jetty's own rate checks
 * do, so a reader that is slower than its client is never blamed for it; a body that has fallen behind reads
 * as failed with {@link TooSlowException} instead of being waited for. A client that goes silent is left to
 * the connector's idle timeout.
 *
 * <p>Jetty's core server enforces no minimum rate of its own for one request: {@code HttpConfiguration}'s
 * minimum request data rate is read only by its servlet layers, and {@code MinimumDataRateHandler} measures
 * the bytes of all requests together against the time of one.
 */
final class MinimumRateRequest extends Request.Wrapper {
  /** A body arrived slower than the minimum rate. */
  static final class TooSlowException extends TimeoutException {
    TooSlowException(String message) {
      super(message);
    }
  }

  private final long bytesPerSecond;
  private final Duration grace;
  private final LongSupplier nanoTime;
  private final long admittedAt;
  private volatile long received;
  private volatile boolean complete;
  private volatile Content.Chunk failure;

  /**
   * @param bytesPerSecond the minimum rate, {@code 0} for none
   * @param nanoTime a monotonic clock in nanoseconds, such as {@code System::nanoTime}; the upload counts as
   *     admitted at its present reading
   */
  MinimumRateRequest(Request request, long bytesPerSecond, Duration grace, LongSupplier nanoTime) {
    super(request);
    this.bytesPerSecond = bytesPerSecond;
    this.grace = grace;
    this.nanoTime = nanoTime;
    this.admittedAt = nanoTime.getAsLong();
  }

  /**
   * Whether {@code received} bytes are behind a minimum of {@code bytesPerSecond} once {@code elapsed} is past
   * {@code grace}.
   */
  static boolean behind(long received, long bytesPerSecond, Duration grace, Duration elapsed) {
    if (bytesPerSecond == 0 || elapsed.compareTo(grace) <= 0) {
      return false;
    }
    double due = bytesPerSecond * (elapsed.minus(grace).toNanos() / 1e9);
    return received < due;
  }

  @Override
  public Content.Chunk read() {
    Content.Chunk failed = failure;
    if (failed != null) {
      return failed;
    }
    Content.Chunk chunk = super.read();
    if (chunk != null && !Content.Chunk.isFailure(chunk)) {
      received += chunk.remaining();
      complete = chunk.isLast();
    }
    return chunk;
  }

  @Override
  public void demand(Runnable onContent) {
    Duration elapsed = Duration.ofNanos(nanoTime.getAsLong() - admittedAt);
    if (failure == null && behind(received, bytesPerSecond, grace, elapsed)) {
      failure = Content.Chunk.from(new TooSlowException("the body arrived too slowly: " + received + " bytes in "
          + elapsed.toMillis() / 1000.0 + " s, below the minimum of " + bytesPerSecond + " bytes/s"), true);
    }
    if (failure != null) {
      onContent.run();
      return;
    }
    super.demand(onContent);
  }

  /** Whether the body has been read to its end. */
  boolean complete() {
    return complete;
  }
}
