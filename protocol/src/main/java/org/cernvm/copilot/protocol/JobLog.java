package org.cernvm.copilot.protocol;

/**
 * The log tarball the agent makes of every job it ran, finished or failed, and stores like an output: the
 * job's directory (payload stdout and stderr, reports such as {@code jobReport.json}, the agent's own lines
 * for the job) without its inputs and outputs, as {@code DIRECTORY/...} in a gzip-compressed tar named
 * {@code FILE}, as pilot3 makes {@code tarball_PandaJob_<PandaID>_<queue>/} in a job's {@code logFile}.
 *
 * @param file the tarball's file name, e.g. {@code log.47000001._000001.job.log.tgz.1}
 * @param directory the one directory the tarball holds
 */
public record JobLog(String file, String directory) {
  public JobLog {
    FileNames.check(file, "file");
    FileNames.check(directory, "directory");
  }

  /** The log of a job that names none of its own: {@code log.JOBID.tgz} holding {@code log.JOBID/}. */
  public static JobLog of(String jobId) {
    return new JobLog("log." + jobId + ".tgz", "log." + jobId);
  }
}
