package org.cernvm.copilot.testbed.alien;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cernvm.copilot.alien.JobStatus;
import org.cernvm.copilot.alien.jdl.Jdl;
import org.cernvm.copilot.alien.jdl.JdlSyntaxException;
import org.cernvm.copilot.alien.jdl.Requirements;

/**
 * The fake AliEn task queue: jobs with their JDL, owner, state and job token. Submission applies the
 * arguments and splits {@code production:1-N} jobs into subjobs; the optimizer step moves them from
 * INSERTING to WAITING at once. Matching moves one fitting WAITING job to ASSIGNED atomically. A state
 * change must go to a higher level (ZOMBIE → RUNNING excepted) and present the job's token; a killed job
 * answers its next change with a kill. Jobs silent for the zombie time become ZOMBIE, and EXPIRED after
 * the expiry time. Every change is traced as "Job state transition from X to Y". Thread-safe.
 */
public final class TaskQueue {
  private static final Pattern PRODUCTION = Pattern.compile("production:(\\d+)-(\\d+)");

  /** What a JobAgent offers when it asks for a job. */
  public record Offer(String site, String ce, long ttlSeconds, int cores, long diskKb, List<String> packages) {
    public Offer {
      packages = List.copyOf(packages);
    }
  }

  /** A matched job: what {@code getMatchJob} answers with code 1. */
  public record Match(long queueId, String jdl, String user, String token) {}

  /** The outcome of a state change or log. */
  public enum Answer {
    /** Accepted. */
    OK,
    /** The job has been killed: the agent must kill its payload. */
    KILLED,
    /** The change goes down in level, or the job is final. */
    REFUSED,
    /** The token is not the job's. */
    BAD_TOKEN,
    /** There is no such job. */
    UNKNOWN
  }

  /** One job's record. Guarded by the queue's lock. */
  public static final class Job {
    final long queueId;
    final String jdlText;
    final Jdl jdl;
    final String user;
    JobStatus status = JobStatus.INSERTING;
    String token;
    String node;
    Instant heartbeat;
    final List<String> trace = new ArrayList<>();
    final List<String> procLog = new ArrayList<>();

    Job(long queueId, String jdlText, Jdl jdl, String user) {
      this.queueId = queueId;
      this.jdlText = jdlText;
      this.jdl = jdl;
      this.user = user;
    }

    /** A copy of what can be shown. */
    public JobView view() {
      return new JobView(queueId, status, user, node, jdl.executable(), List.copyOf(trace), procLog.size());
    }
  }

  /** What the admin endpoint and tests see of a job. */
  public record JobView(long queueId, JobStatus status, String user, String node, String executable, List<String> trace,
      int procLines) {}

  private final Clock clock;
  private final Duration zombieAfter;
  private final Duration expireAfter;
  private final Map<Long, Job> jobs = new TreeMap<>();
  private final SecureRandom random = new SecureRandom();
  private long nextId = 3_100_000_001L;

  public TaskQueue(Clock clock, Duration zombieAfter, Duration expireAfter) {
    this.clock = clock;
    this.zombieAfter = zombieAfter;
    this.expireAfter = expireAfter;
  }

  /**
   * Submits a JDL with its arguments; a {@code production:A-B} split gives one subjob per counter value.
   *
   * @return the queue ids
   * @throws JdlSyntaxException if the JDL (after substitution) cannot be read
   * @throws IllegalArgumentException if it uses arguments that were not given, or has an unknown split
   */
  public synchronized List<Long> submit(String jdlText, List<String> args, String user) throws JdlSyntaxException {
    String text = Jdl.applyArguments(jdlText, args);
    Jdl master = Jdl.parse(text);
    List<String> texts = new ArrayList<>();
    if (master.split() == null) {
      texts.add(text);
    } else {
      Matcher m = PRODUCTION.matcher(master.split());
      if (!m.matches()) {
        throw new IllegalArgumentException("only Split = \"production:A-B\" is supported, not " + master.split());
      }
      for (int i = Integer.parseInt(m.group(1)); i <= Integer.parseInt(m.group(2)); i++) {
        texts.add(Jdl.forSubjob(text, i));
      }
    }
    List<Long> ids = new ArrayList<>();
    for (String t : texts) {
      Jdl jdl = Jdl.parse(t);
      Job job = new Job(nextId++, t, jdl, user);
      job.trace.add(clock.instant() + " Job submitted by " + user);
      jobs.put(job.queueId, job);
      move(job, JobStatus.WAITING);
      ids.add(job.queueId);
    }
    return ids;
  }

  private void move(Job job, JobStatus to) {
    job.trace.add(clock.instant() + " Job state transition from " + job.status + " to " + to);
    job.status = to;
    if (to.isFinal()) {
      job.token = null;
    }
  }

  /** Matches one WAITING job to the offer, moving it to ASSIGNED, or empty (code −2). */
  public synchronized Optional<Match> match(Offer offer, String node) {
    sweep();
    for (Job job : jobs.values()) {
      if (job.status != JobStatus.WAITING || !fits(job.jdl, offer)) {
        continue;
      }
      job.token = HexFormat.of().formatHex(random.generateSeed(16));
      job.node = node;
      job.heartbeat = clock.instant();
      move(job, JobStatus.ASSIGNED);
      return Optional.of(new Match(job.queueId, job.jdlText, job.user, job.token));
    }
    return Optional.empty();
  }

  private static boolean fits(Jdl jdl, Offer offer) {
    long ttl = jdl.ttl() == null ? 21600 : jdl.ttl();
    int cores = jdl.cpuCores() == null ? 1 : jdl.cpuCores();
    if (ttl > offer.ttlSeconds() || cores > offer.cores() || !offer.packages().containsAll(jdl.packages())) {
      return false;
    }
    Map<String, Object> other = new LinkedHashMap<>();
    other.put("ttl", offer.ttlSeconds());
    other.put("price", 1);
    other.put("ce", offer.ce());
    other.put("site", offer.site());
    other.put("cpucores", offer.cores());
    other.put("disk", offer.diskKb());
    other.put("packages", offer.packages());
    other.put("type", "machine");
    return Requirements.hold(jdl.requirements(), other);
  }

  /** Why a call for job {@code queueId} with {@code token} is refused, or {@code null} when it is not. */
  private Answer refusal(long queueId, String token) {
    sweep();
    Job job = jobs.get(queueId);
    if (job == null) {
      return Answer.UNKNOWN;
    }
    if (job.status == JobStatus.KILLED) {
      return Answer.KILLED;
    }
    return job.token == null || !job.token.equals(token) ? Answer.BAD_TOKEN : null;
  }

  /** Changes a job's state on behalf of the holder of its token. */
  public synchronized Answer setStatus(long queueId, String token, JobStatus next) {
    Answer refusal = refusal(queueId, token);
    if (refusal != null) {
      return refusal;
    }
    Job job = jobs.get(queueId);
    if (!job.status.canMoveTo(next)) {
      job.trace.add(clock.instant() + " Refused state transition from " + job.status + " to " + next);
      return Answer.REFUSED;
    }
    job.heartbeat = clock.instant();
    move(job, next);
    return Answer.OK;
  }

  /** Records a log line; a {@code proc} line is a heartbeat, and revives a ZOMBIE to RUNNING. */
  public synchronized Answer putJobLog(long queueId, String token, String tag, String message) {
    Answer refusal = refusal(queueId, token);
    if (refusal != null) {
      return refusal;
    }
    Job job = jobs.get(queueId);
    job.trace.add(clock.instant() + " [" + tag + "] " + message);
    if (tag.equals("proc")) {
      job.procLog.add(message);
      job.heartbeat = clock.instant();
      if (job.status == JobStatus.ZOMBIE) {
        move(job, JobStatus.RUNNING);
      }
    }
    return Answer.OK;
  }

  /** Kills a job that has not ended; its agent learns it at its next change. */
  public synchronized Optional<JobStatus> kill(long queueId) {
    Job job = jobs.get(queueId);
    if (job == null) {
      return Optional.empty();
    }
    if (!job.status.isFinal()) {
      move(job, JobStatus.KILLED);
    }
    return Optional.of(job.status);
  }

  /** Whether {@code token} is the current token of job {@code queueId}. */
  public synchronized boolean holds(long queueId, String token) {
    sweep();
    Job job = jobs.get(queueId);
    return job != null && job.token != null && job.token.equals(token);
  }

  /** Moves silent jobs to ZOMBIE, and zombies that stay silent to EXPIRED. */
  public synchronized void sweep() {
    Instant now = clock.instant();
    for (Job job : jobs.values()) {
      boolean active = job.status == JobStatus.ASSIGNED || job.status == JobStatus.STARTED
          || job.status == JobStatus.RUNNING || job.status == JobStatus.SAVING;
      if (active && job.heartbeat.plus(zombieAfter).isBefore(now)) {
        move(job, JobStatus.ZOMBIE);
      }
      if (job.status == JobStatus.ZOMBIE && job.heartbeat.plus(zombieAfter).plus(expireAfter).isBefore(now)) {
        move(job, JobStatus.EXPIRED);
      }
    }
  }

  /** The job tokens handed out and still valid: what must never reach an agent. */
  synchronized List<String> liveTokens() {
    return jobs.values().stream().map(j -> j.token).filter(java.util.Objects::nonNull).toList();
  }

  /** Every job. */
  public synchronized List<JobView> list() {
    sweep();
    return jobs.values().stream().map(Job::view).toList();
  }
}
