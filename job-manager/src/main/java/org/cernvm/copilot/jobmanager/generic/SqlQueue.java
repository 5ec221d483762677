package org.cernvm.copilot.jobmanager.generic;

import java.util.function.Function;
import java.util.function.UnaryOperator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cernvm.copilot.jobmanager.Claim;
import org.cernvm.copilot.jobmanager.HandOver;
import org.cernvm.copilot.jobmanager.JobSourceException;
import org.cernvm.copilot.jobmanager.UnknownJobException;
import org.cernvm.copilot.jobmanager.UpstreamUnavailableException;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.Lease;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.Resources;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CoPilot's own job queue in PostgreSQL, which job managers on several hosts share: one row per job. A
 * claim locks the oldest queued rows that fit with {@code FOR UPDATE SKIP LOCKED}, so that claimers never
 * wait for one another nor take the same job; every other change locks the job's row, applies
 * {@link JobRules} to the state read and writes the new one in the same transaction. The lease's epoch is in
 * the state, so a report under an older lease is fenced as in the directory queue. The schema is created
 * and upgraded at open by Flyway (its history in {@code copilot_schema_history}).
 */
public final class SqlQueue implements JobQueue {
  private static final Logger log = LoggerFactory.getLogger(SqlQueue.class);
  /** How many leases one sweep transaction takes back; the sweep goes on while there are more. */
  private static final int SWEEP_BATCH = 500;
  /** How long a call waits for a connection from the pool before it fails as unavailable. */
  private static final Duration CONNECTION_WAIT = Duration.ofSeconds(5);

  private final HikariDataSource db;
  private final String where;
  private final Clock clock;
  private final int maxAttempts;
  private final ObjectMapper json = JobRules.json();

  private SqlQueue(HikariDataSource db, String where, Clock clock, int maxAttempts) {
    this.db = db;
    this.where = where;
    this.clock = clock;
    this.maxAttempts = maxAttempts;
  }

  /**
   * Connects to the database at {@code location} and brings its schema up to date.
   *
   * @throws UpstreamUnavailableException if the database cannot be reached or its schema not made
   */
  static SqlQueue open(Location location, Clock clock, int maxAttempts) throws UpstreamUnavailableException {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(location.url());
    config.setUsername(location.user());
    config.setPassword(location.password());
    config.setMaximumPoolSize(location.connections());
    config.setMinimumIdle(1);
    config.setConnectionTimeout(CONNECTION_WAIT.toMillis());
    config.setInitializationFailTimeout(CONNECTION_WAIT.toMillis());
    config.setPoolName("copilot-queue");
    config.setAutoCommit(false);
    // A job manager that dies or is cut off inside a transaction holds its rows' locks until the server
    // notices; the server ends such a session after 10 s idle in it, and a wait for a lock ends after 5 s
    // as an unavailable upstream, which the caller retries, instead of holding a connection for minutes.
    config.setConnectionInitSql("SET idle_in_transaction_session_timeout = '10s'; SET lock_timeout = '5s'");
    HikariDataSource db;
    try {
      db = new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw new UpstreamUnavailableException("cannot connect to the job queue at " + location + " within "
          + CONNECTION_WAIT.toSeconds() + " s: " + rootMessage(e), e);
    }
    try {
      Flyway.configure().dataSource(db).table("copilot_schema_history")
          .locations("classpath:org/cernvm/copilot/jobmanager/generic/sql").load().migrate();
    } catch (FlywayException e) {
      db.close();
      throw new UpstreamUnavailableException("cannot bring the job queue's schema at " + location + " up to date: "
          + rootMessage(e), e);
    }
    log.info("generic queue in PostgreSQL at {}", location);
    return new SqlQueue(db, location.toString(), clock, maxAttempts);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  @Override
  public String name() {
    return "generic";
  }

  @Override
  public String where() {
    return where;
  }

  @Override
  public String submit(NewJob job) throws UpstreamUnavailableException {
    return submitAll(List.of(job)).get(0);
  }

  @Override
  public List<String> submitAll(List<NewJob> jobs) throws UpstreamUnavailableException {
    return unavailableOnly(() -> inTransaction(c -> {
      List<Long> seqs = new ArrayList<>();
      try (PreparedStatement next = c.prepareStatement(
          "SELECT nextval('copilot_job_ids') FROM generate_series(1, ?)")) {
        next.setInt(1, jobs.size());
        try (ResultSet r = next.executeQuery()) {
          while (r.next()) {
            seqs.add(r.getLong(1));
          }
        }
      }
      List<String> ids = new ArrayList<>();
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO copilot_jobs (seq, job_id, status, cores, "
          + "ttl_seconds, experiment, lease_deadline, state) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)")) {
        for (int i = 0; i < jobs.size(); i++) {
          long seq = seqs.get(i);
          String id = String.format("g%06d", seq);
          QueuedJob queued = QueuedJob.queued(jobs.get(i).toSpec(id), clock.instant());
          insert.setLong(1, seq);
          insert.setString(2, id);
          insert.setString(3, queued.status().name());
          insert.setInt(4, queued.spec().cores());
          insert.setLong(5, queued.spec().ttl().toSeconds());
          insert.setString(6, queued.spec().experiment());
          insert.setString(7, write(queued));
          insert.addBatch();
          ids.add(id);
        }
        insert.executeBatch();
      }
      return ids;
    }));
  }

  @Override
  public boolean hasWorkFor(Resources resources) throws UpstreamUnavailableException {
    return unavailableOnly(() -> inTransaction(c -> {
      try (PreparedStatement q = fitting(c, resources, 1, false); ResultSet r = q.executeQuery()) {
        return r.next();
      }
    }));
  }

  @Override
  public Optional<Claim> claim(String agentId, Resources resources, Duration leaseTime)
      throws UpstreamUnavailableException {
    return claimed(resources, 1, job -> job.leased(MessageIds.next(), agentId, clock.instant().plus(leaseTime),
        clock.instant())).stream().findFirst();
  }

  @Override
  public List<Claim> claim(String holder, Resources resources, Duration leaseTime, int max)
      throws UpstreamUnavailableException {
    return claimed(resources, max, job -> job.leasedAhead(MessageIds.next(), holder,
        clock.instant().plus(leaseTime), clock.instant()));
  }

  /** No: a claim is one round trip to the database, as cheap as a take from a prefetch would be to refill. */
  @Override
  public boolean prefetches() {
    return false;
  }

  @Override
  public int maxClaimBatch() {
    return 100;
  }

  private List<Claim> claimed(Resources resources, int max, UnaryOperator<QueuedJob> lease)
      throws UpstreamUnavailableException {
    return unavailableOnly(() -> inTransaction(c -> {
      List<QueuedJob> leased = new ArrayList<>();
      try (PreparedStatement q = fitting(c, resources, max, true); ResultSet r = q.executeQuery()) {
        while (r.next()) {
          leased.add(lease.apply(read(r.getString(1))));
        }
      }
      update(c, leased);
      List<Claim> claims = new ArrayList<>();
      for (QueuedJob job : leased) {
        log.info("leased {} to {} (epoch {})", job.jobId(), job.agentId(), job.epoch());
        claims.add(new Claim(job.spec(), new Lease(job.leaseId(), job.epoch(), job.leaseDeadline()), ""));
      }
      return claims;
    }));
  }

  /** The oldest queued jobs that fit {@code r}, their rows locked (and those others hold skipped) if {@code lock}. */
  private static PreparedStatement fitting(Connection c, Resources r, int max, boolean lock) throws SQLException {
    boolean anyExperiment = r.experiments().isEmpty();
    PreparedStatement q = c.prepareStatement("SELECT state FROM copilot_jobs WHERE status = 'QUEUED' AND cores <= ? "
        + "AND ttl_seconds <= ?" + (anyExperiment ? "" : " AND experiment = ANY (?)") + " ORDER BY seq LIMIT ?"
        + (lock ? " FOR UPDATE SKIP LOCKED" : ""));
    int i = 1;
    q.setInt(i++, r.cores());
    q.setLong(i++, r.lifetime().toSeconds());
    if (!anyExperiment) {
      q.setArray(i++, c.createArrayOf("text", r.experiments().toArray()));
    }
    q.setInt(i, max);
    return q;
  }

  @Override
  public Map<HandOver, JobSourceException> assignAll(List<HandOver> handOvers) {
    return eachJob(handOvers, h -> h.claim().job().jobId(), (h, job) -> {
      QueuedJob held = JobRules.current(job, h.claim().job().jobId(), h.claim().lease().ref());
      JobRules.checkHolder(held, h.claim().lease().ref(), h.holder());
      return held.assigned(h.agentId(), h.deadline(), clock.instant());
    });
  }

  @Override
  public Optional<String> heartbeat(Heartbeat hb, Duration leaseTime) throws JobSourceException {
    String[] kill = new String[1];
    oneJob(hb.jobId(), job -> {
      QueuedJob held = JobRules.current(job, hb.jobId(), hb.lease());
      JobRules.checkHolder(held, hb.lease(), hb.agentId());
      kill[0] = held.killReason();
      Instant now = clock.instant();
      return held.extended(now.plus(leaseTime), hb.usage(), now);
    });
    return Optional.ofNullable(kill[0]);
  }

  /** As many as come: one transaction records them all. */
  @Override
  public int maxReportBatch() {
    return 1000;
  }

  @Override
  public Map<JobDone, JobSourceException> finishAll(List<JobDone> dones) {
    return eachJob(dones, JobDone::jobId, (done, job) -> JobRules.ended(
        job.orElseThrow(() -> new UnknownJobException(done.jobId())), done, clock.instant()));
  }

  @Override
  public void registerOutputs(RegisterOutputs request) throws JobSourceException {
    oneJob(request.jobId(), job -> JobRules.registered(
        job.orElseThrow(() -> new UnknownJobException(request.jobId())), request, clock.instant()));
  }

  @Override
  public void release(String jobId, LeaseRef lease, String reason) throws JobSourceException {
    oneJob(jobId, job -> JobRules.released(JobRules.current(job, jobId, lease), reason, clock.instant()));
  }

  @Override
  public void kill(String jobId, String reason) throws JobSourceException {
    oneJob(jobId, job -> JobRules.killed(job.orElseThrow(() -> new UnknownJobException(jobId)), reason,
        clock.instant()).orElse(null));
  }

  @Override
  public int expireLeases() throws UpstreamUnavailableException {
    int expired = 0;
    while (true) {
      int swept = unavailableOnly(() -> inTransaction(c -> {
        Instant now = clock.instant();
        List<QueuedJob> next = new ArrayList<>();
        try (PreparedStatement q = c.prepareStatement("SELECT state FROM copilot_jobs WHERE status = 'LEASED' AND "
            + "lease_deadline <= ? ORDER BY lease_deadline LIMIT ? FOR UPDATE SKIP LOCKED")) {
          q.setTimestamp(1, Timestamp.from(now));
          q.setInt(2, SWEEP_BATCH);
          try (ResultSet r = q.executeQuery()) {
            while (r.next()) {
              next.add(JobRules.expired(read(r.getString(1)), now, maxAttempts));
            }
          }
        }
        update(c, next);
        return next.size();
      }));
      expired += swept;
      if (swept < SWEEP_BATCH) {
        return expired;
      }
    }
  }

  @Override
  public List<QueuedJob> list() throws UpstreamUnavailableException {
    return unavailableOnly(() -> inTransaction(c -> {
      List<QueuedJob> all = new ArrayList<>();
      try (PreparedStatement q = c.prepareStatement("SELECT state FROM copilot_jobs ORDER BY seq");
          ResultSet r = q.executeQuery()) {
        while (r.next()) {
          all.add(read(r.getString(1)));
        }
      }
      return all;
    }));
  }

  @Override
  public Optional<QueuedJob> get(String jobId) throws UpstreamUnavailableException {
    return unavailableOnly(() -> inTransaction(c -> select(c, jobId, false)));
  }

  @Override
  public Map<JobStatus, Integer> counts() throws UpstreamUnavailableException {
    return unavailableOnly(() -> inTransaction(c -> {
      Map<JobStatus, Integer> counts = new EnumMap<>(JobStatus.class);
      for (JobStatus s : JobStatus.values()) {
        counts.put(s, 0);
      }
      try (PreparedStatement q = c.prepareStatement("SELECT status, count(*) FROM copilot_jobs GROUP BY status");
          ResultSet r = q.executeQuery()) {
        while (r.next()) {
          counts.put(JobStatus.valueOf(r.getString(1)), r.getInt(2));
        }
      }
      return counts;
    }));
  }

  /** Closes the connections. */
  @Override
  public void close() {
    db.close();
  }

  /** A job's next state from its state as read (empty if there is no such job); null for no change. */
  @FunctionalInterface
  private interface Change {
    QueuedJob apply(Optional<QueuedJob> job) throws JobSourceException;
  }

  /** Changes one job under the lock on its row. */
  private void oneJob(String jobId, Change change) throws JobSourceException {
    inTransaction(c -> {
      QueuedJob next = change.apply(select(c, jobId, true));
      if (next != null) {
        update(c, List.of(next));
      }
      return null;
    });
  }

  /** A change of one job among several, for the request {@code R} about it. */
  @FunctionalInterface
  private interface Each<R> {
    QueuedJob apply(R request, Optional<QueuedJob> job) throws JobSourceException;
  }

  /**
   * Changes the jobs of several requests in one transaction, their rows locked in the order of their ids so
   * that two such transactions cannot deadlock; a request refused by the rules is failed alone, one that the
   * database refuses fails with all the others.
   *
   * @return the failure of each request not carried out
   */
  private <R> Map<R, JobSourceException> eachJob(List<R> requests, Function<R, String> jobIdOf,
      Each<R> change) {
    Map<R, JobSourceException> failed = new LinkedHashMap<>();
    if (requests.isEmpty()) {
      return failed;
    }
    try {
      inTransaction(c -> {
        Map<String, QueuedJob> jobs = new LinkedHashMap<>();
        try (PreparedStatement q = c.prepareStatement(
            "SELECT state FROM copilot_jobs WHERE job_id = ANY (?) ORDER BY job_id FOR UPDATE")) {
          Array ids = c.createArrayOf("text", requests.stream().map(jobIdOf).distinct().toArray());
          q.setArray(1, ids);
          try (ResultSet r = q.executeQuery()) {
            while (r.next()) {
              QueuedJob job = read(r.getString(1));
              jobs.put(job.jobId(), job);
            }
          }
        }
        Map<String, QueuedJob> changed = new LinkedHashMap<>();
        for (R request : requests) {
          String id = jobIdOf.apply(request);
          try {
            QueuedJob next = change.apply(request, Optional.ofNullable(jobs.get(id)));
            if (next != null) {
              jobs.put(id, next);
              changed.put(id, next);
            }
          } catch (JobSourceException e) {
            failed.put(request, e);
          }
        }
        update(c, List.copyOf(changed.values()));
        return null;
      });
    } catch (JobSourceException e) {
      requests.forEach(r -> failed.putIfAbsent(r, e));
    }
    return failed;
  }

  private Optional<QueuedJob> select(Connection c, String jobId, boolean lock) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT state FROM copilot_jobs WHERE job_id = ?"
        + (lock ? " FOR UPDATE" : ""))) {
      q.setString(1, jobId);
      try (ResultSet r = q.executeQuery()) {
        return r.next() ? Optional.of(read(r.getString(1))) : Optional.empty();
      }
    }
  }

  private void update(Connection c, List<QueuedJob> jobs) throws SQLException {
    if (jobs.isEmpty()) {
      return;
    }
    try (PreparedStatement u = c.prepareStatement(
        "UPDATE copilot_jobs SET status = ?, lease_deadline = ?, state = ? WHERE job_id = ?")) {
      for (QueuedJob job : jobs) {
        u.setString(1, job.status().name());
        u.setTimestamp(2, job.status() == JobStatus.LEASED && job.leaseDeadline() != null
            ? Timestamp.from(job.leaseDeadline()) : null);
        u.setString(3, write(job));
        u.setString(4, job.jobId());
        u.addBatch();
      }
      u.executeBatch();
    }
  }

  private String write(QueuedJob job) throws SQLException {
    try {
      return json.writeValueAsString(job);
    } catch (JsonProcessingException e) {
      throw new SQLException("cannot write job " + job.jobId() + " as JSON: " + e.getOriginalMessage(), e);
    }
  }

  private QueuedJob read(String state) throws SQLException {
    try {
      return json.readValue(state, QueuedJob.class);
    } catch (JsonProcessingException e) {
      throw new SQLException("a job's state in the queue is not a job: " + e.getOriginalMessage(), e);
    }
  }

  /** Work in one transaction. */
  @FunctionalInterface
  private interface Work<T> {
    T run(Connection c) throws SQLException, JobSourceException;
  }

  /**
   * Runs {@code work} in a transaction, committed if it returns and rolled back if it throws; the
   * database's failures (unreachable, a connection not had within 5 s, a statement refused) are
   * {@link UpstreamUnavailableException}s, which a job manager retries.
   */
  private <T> T inTransaction(Work<T> work) throws JobSourceException {
    try (Connection c = db.getConnection()) {
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | JobSourceException | RuntimeException e) {
        rollback(c);
        throw e;
      }
    } catch (SQLException e) {
      throw new UpstreamUnavailableException("job queue at " + where + " unavailable: " + e.getMessage(), e);
    }
  }

  private static void rollback(Connection c) {
    try {
      c.rollback();
    } catch (SQLException e) {
      log.debug("rollback failed: {}", e.getMessage());
    }
  }

  /** Work that only the database can fail. */
  @FunctionalInterface
  private interface Read<T> {
    T run() throws JobSourceException;
  }

  private static <T> T unavailableOnly(Read<T> work) throws UpstreamUnavailableException {
    try {
      return work.run();
    } catch (UpstreamUnavailableException e) {
      throw e;
    } catch (JobSourceException e) {
      throw new IllegalStateException("unexpected " + e, e);
    }
  }
}
