package org.cernvm.copilot.jobmanager;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.cernvm.copilot.jobmanager.generic.JobQueue;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.config.Settings;

/**
 * A kind of job source a job manager can serve, chosen by {@code job-manager.source} and found through
 * {@link ServiceLoader}: the generic queue here, PanDA and AliEn in their adapters' jars, and any a site adds
 * as a jar of its own that lists its provider in {@code META-INF/services}.
 */
public interface JobSourceProvider {
  /** The name {@code job-manager.source} selects this provider by, e.g. {@code panda}. */
  String name();

  /**
   * Reads and checks this source's settings (its own keys, such as {@code panda.*}); opens nothing yet, so
   * that a mistake in the configuration stops the job manager before it connects anywhere.
   */
  Opener configure(Settings settings, JobManagerConfig jobManager);

  /** A configured source, ready to open. */
  @FunctionalInterface
  interface Opener {
    /** Opens the source; the caller closes it, if it is {@link AutoCloseable}, when the job manager stops. */
    JobSource open(Clock clock) throws JobSourceException;
  }

  /** Every provider on the class path. */
  static List<JobSourceProvider> all() {
    List<JobSourceProvider> all = new ArrayList<>();
    ServiceLoader.load(JobSourceProvider.class, JobSourceProvider.class.getClassLoader()).forEach(all::add);
    return all;
  }

  /**
   * The provider called {@code name}.
   *
   * @throws ConfigException if none on the class path is, naming those that are
   */
  static JobSourceProvider named(String name) {
    List<JobSourceProvider> all = all();
    return all.stream().filter(p -> p.name().equals(name)).findFirst()
        .orElseThrow(() -> new ConfigException("job-manager.source '" + name + "' is not a job source on the class "
            + "path; these are: " + all.stream().map(JobSourceProvider::name).sorted().toList()));
  }

  /** The generic queue: in {@code job-manager.queue-dir}, or in PostgreSQL at {@code job-manager.queue-url}. */
  final class Generic implements JobSourceProvider {
    @Override
    public String name() {
      return "generic";
    }

    @Override
    public Opener configure(Settings settings, JobManagerConfig jobManager) {
      JobQueue.Location where = JobQueue.Location.from(settings, jobManager.queueDir());
      return clock -> JobQueue.open(where, clock, jobManager.maxAttempts());
    }
  }
}
