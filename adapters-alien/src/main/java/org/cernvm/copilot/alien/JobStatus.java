package org.cernvm.copilot.alien;

/**
 * AliEn's job states with their levels (JAliEn {@code taskQueue/JobStatus}). A job moves only to a state of
 * a higher level, except that a ZOMBIE that reports again goes back to RUNNING. DONE and above are final.
 */
public enum JobStatus {
  INSERTING(10),
  SPLITTING(15),
  SPLIT(18),
  WAITING(20),
  OVER_WAITING(21),
  ASSIGNED(25),
  STARTED(40),
  RUNNING(50),
  SAVING(60),
  SAVED(70),
  SAVED_WARN(71),
  ZOMBIE(600),
  DONE(800),
  DONE_WARN(801),
  ERROR_A(900),
  ERROR_I(901),
  ERROR_E(902),
  ERROR_IB(903),
  ERROR_M(904),
  ERROR_RE(905),
  ERROR_S(906),
  ERROR_SV(907),
  ERROR_V(908),
  ERROR_VN(909),
  ERROR_VT(910),
  ERROR_EW(911),
  ERROR_W(912),
  ERROR_SPLT(913),
  ERROR_VER(914),
  EXPIRED(1000),
  FAILED(1001),
  KILLED(1002);

  private final int level;

  JobStatus(int level) {
    this.level = level;
  }

  /** The state's level: its place in the order jobs move through. */
  public int level() {
    return level;
  }

  /** Whether the job has ended: DONE, DONE_WARN, an ERROR_*, EXPIRED, FAILED or KILLED. */
  public boolean isFinal() {
    return level >= DONE.level;
  }

  /** Whether an error state. */
  public boolean isError() {
    return name().startsWith("ERROR_");
  }

  /** Whether a job in this state may be moved to {@code next}. */
  public boolean canMoveTo(JobStatus next) {
    return next.level > level || (this == ZOMBIE && next == RUNNING);
  }
}
