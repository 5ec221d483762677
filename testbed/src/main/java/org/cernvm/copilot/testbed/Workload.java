package org.cernvm.copilot.testbed;

import java.io.PrintStream;
import org.cernvm.copilot.jobmanager.JobSource;

/** What the demo runs: a set of jobs behind a job source, and how to tell that each one came out right. */
public interface Workload extends AutoCloseable {
  /** Where the demo's progress stands. */
  record Progress(String line, boolean allEnded, int unfinished) {}

  /** A short description for the demo's first line, e.g. {@code 20 generic jobs}. */
  String describe();

  /** How many jobs there are in all, those a later step submits among them. */
  int jobCount();

  /** The source the job manager serves these jobs from. */
  JobSource source();

  /** How far the jobs have come. */
  Progress progress() throws Exception;

  /** Checks every job and its stored outputs, prints each problem, and returns how many passed. */
  int verify(PrintStream out) throws Exception;

  /** The closing line, e.g. {@code demo: 20 passed, 0 failed}. */
  String closingLine(int passed, int failed);
}
