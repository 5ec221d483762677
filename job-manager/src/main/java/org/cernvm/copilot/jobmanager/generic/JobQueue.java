package org.cernvm.copilot.jobmanager.generic;

import java.util.ArrayList;
import java.nio.file.Path;
import java.time.Clock;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cernvm.copilot.jobmanager.HandOver;
import org.cernvm.copilot.jobmanager.JobSource;
import org.cernvm.copilot.jobmanager.JobSourceException;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.jobmanager.UpstreamUnavailableException;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.config.Settings;

/**
 * CoPilot's own job queue, the {@code generic} job source: jobs submitted here, claimed by job managers,
 * listed by {@code copilot status}. It is kept in a directory ({@link GenericQueue}, the default: every job
 * manager on one host shares it) or in PostgreSQL ({@link SqlQueue}: job managers on several hosts share
 * it); both keep the same rules ({@link JobRules}).
 */
public interface JobQueue extends JobSource, AutoCloseable {
  /** Adds a job; returns its id. */
  String submit(NewJob job) throws UpstreamUnavailableException;

  /** Adds several jobs, in one transaction where the store has them; returns their ids in order. */
  default List<String> submitAll(List<NewJob> jobs) throws UpstreamUnavailableException {
    List<String> ids = new ArrayList<>();
    for (NewJob job : jobs) {
      ids.add(submit(job));
    }
    return ids;
  }

  /** Every job, oldest first. */
  List<QueuedJob> list() throws UpstreamUnavailableException;

  /** One job. */
  Optional<QueuedJob> get(String jobId) throws UpstreamUnavailableException;

  /** How many jobs are in each status. */
  default Map<JobStatus, Integer> counts() throws UpstreamUnavailableException {
    Map<JobStatus, Integer> counts = new EnumMap<>(JobStatus.class);
    for (JobStatus s : JobStatus.values()) {
      counts.put(s, 0);
    }
    for (QueuedJob j : list()) {
      counts.merge(j.status(), 1, Integer::sum);
    }
    return counts;
  }

  /** Hands jobs on, as many in one step as the store can; each queue makes its own (see {@link #assign}). */
  @Override
  Map<HandOver, JobSourceException> assignAll(List<HandOver> handOvers);

  /** Records job ends, as many in one step as the store can; each queue makes its own (see {@link #finish}). */
  @Override
  Map<JobDone, JobSourceException> finishAll(List<JobDone> dones);

  /** One hand-over, as {@link #assignAll} makes them. */
  @Override
  default void assign(HandOver handOver) throws JobSourceException {
    JobSourceException failed = assignAll(List.of(handOver)).get(handOver);
    if (failed != null) {
      throw failed;
    }
  }

  /** One end, as {@link #finishAll} records them. */
  @Override
  default void finish(JobDone done) throws JobSourceException {
    JobSourceException failed = finishAll(List.of(done)).get(done);
    if (failed != null) {
      throw failed;
    }
  }

  /** Where the queue is kept, for messages: its directory, or its database without credentials. */
  String where();

  @Override
  default void close() {}

  /**
   * Where a queue is kept: in PostgreSQL when {@code url} is set ({@code job-manager.queue-url}), else in
   * {@code directory} ({@code job-manager.queue-dir}).
   *
   * @param url a {@code jdbc:postgresql://HOST:PORT/DATABASE} URL, or null
   * @param user the database user ({@code job-manager.queue-user})
   * @param password the user's password ({@code job-manager.queue-password}, from the environment as
   *     {@code COPILOT_JOB_MANAGER_QUEUE_PASSWORD}); never printed
   * @param connections the most connections this process holds to the database
   */
  record Location(Path directory, String url, String user, String password, int connections) {
    public Location {
      if (url != null && !url.startsWith("jdbc:postgresql://")) {
        throw new ConfigException("job-manager.queue-url must be jdbc:postgresql://HOST:PORT/DATABASE, got '"
            + url.replaceAll("[?].*", "?…") + "'");
      }
      if (connections < 1 || connections > 1000) {
        throw new ConfigException("job-manager.queue-connections must be 1 to 1000, got " + connections);
      }
    }

    /** A queue in {@code directory}. */
    public static Location directory(Path directory) {
      return new Location(directory, null, null, null, 1);
    }

    /** Reads {@code job-manager.queue-url}, {@code -user}, {@code -password} and {@code -connections}. */
    public static Location from(Settings s, Path directory) {
      return new Location(directory, s.string("job-manager.queue-url", null), s.string("job-manager.queue-user",
          "copilot"), s.string("job-manager.queue-password", null), s.integer("job-manager.queue-connections", 8, 1));
    }

    @Override
    public String toString() {
      return url == null ? directory.toString() : url.replaceAll("[?].*", "") + " as " + user;
    }
  }

  /** Opens (creating if needed) the queue at {@code where}. */
  static JobQueue open(Location where, Clock clock, int maxAttempts) throws UpstreamUnavailableException {
    return where.url() == null ? GenericQueue.open(where.directory(), clock, maxAttempts)
        : SqlQueue.open(where, clock, maxAttempts);
  }
}
