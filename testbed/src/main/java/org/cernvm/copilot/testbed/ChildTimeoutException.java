package org.cernvm.copilot.testbed;

import java.time.Duration;

/**
 * The failure of a wait on child processes that ran out of time: they did not start serving, or did not
 * end, in time.
 */
final class ChildTimeoutException extends Exception {
  private static final long serialVersionUID = 1L;

  /**
   * @param awaited what was awaited, e.g. {@code job manager jm-1 to print 'serving'}
   * @param timeout how long it was awaited
   * @param detail what was seen meanwhile, e.g. the end of the child's log; may be empty
   */
  ChildTimeoutException(String awaited, Duration timeout, String detail) {
    super("waited " + timeout.toMillis() + " ms for " + awaited + (detail.isEmpty() ? "" : "; " + detail));
  }
}
