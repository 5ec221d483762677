package org.cernvm.copilot.agent;

/**
 * Why an agent stopped taking work, as its command reports it when it exits.
 *
 * @param reason the kind, which sets the exit code
 * @param detail what happened, for people
 */
public record Shutdown(Reason reason, String detail) {
  /**
   * The kinds of shutdown. Each has its own exit code, so that a VM's contextualization can tell an empty
   * queue (power off, and do not boot another soon) from a drain an operator asked for.
   */
  public enum Reason {
    /** Told to drain: a {@code drain} command, or a job manager answering {@code DRAINING}. */
    DRAINED(0),
    /** No work was offered for {@code agent.idle-shutdown} while no job ran. */
    NO_WORK(3),
    /** The VM's lifetime ({@code agent.lifetime}) is over. */
    LIFETIME_OVER(4),
    /** The cloud announced that it will take the VM away (a spot or preemption notice). */
    PREEMPTED(5),
    /** The agent was told to stop (SIGTERM); the JVM then exits with 143 whatever this says. */
    STOPPED(143);

    private final int exitCode;

    Reason(int exitCode) {
      this.exitCode = exitCode;
    }

    /** The exit code of {@code copilot agent} after this shutdown. */
    public int exitCode() {
      return exitCode;
    }
  }

  @Override
  public String toString() {
    return reason + " (" + detail + ")";
  }
}
