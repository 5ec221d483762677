package org.cernvm.copilot.jobmanager.generic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.cernvm.copilot.jobmanager.Claim;
import org.cernvm.copilot.jobmanager.JobSource;
import org.cernvm.copilot.jobmanager.JobSourceException;
import org.cernvm.copilot.jobmanager.LeaseFencedException;
import org.cernvm.copilot.jobmanager.NotLeaseHolderException;
import org.cernvm.copilot.jobmanager.RegisteredOutputs;
import org.cernvm.copilot.jobmanager.UnknownJobException;
import org.cernvm.copilot.jobmanager.UpstreamUnavailableException;
import org.cernvm.copilot.protocol.FailureKind;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.JobSpec;
import org.cernvm.copilot.protocol.Lease;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.Resources;
import org.cernvm.copilot.protocol.Untrusted;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CoPilot's own job queue, kept in a directory so that every job manager on the host shares it and no
 * job is lost when one of them stops.
 *
 * <p>Layout: one JSON file per job in {@code queued/}, {@code leased/} or {@code ended/}; a job moves by
 * writing its new state to {@code tmp/}, syncing it, renaming it into the target directory and deleting
 * the old file. Every operation holds an exclusive lock on {@code queue.lock}, so job managers in
 * different processes never claim the same job. A crash between rename and delete leaves two copies; the
 * one with the higher {@code version} wins when the queue is next opened. Open one instance per directory
 * in a JVM: file locks are per process.
 */
public final class GenericQueue implements JobSource {
  private static final Logger log = LoggerFactory.getLogger(GenericQueue.class);
  private static final Map<JobStatus, String> DIRS =
      Map.of(
          JobStatus.QUEUED, "queued",
          JobStatus.LEASED, "leased",
          JobStatus.DONE, "ended",
          JobStatus.FAILED, "ended",
          JobStatus.KILLED, "ended");
  private static final List<String> STATE_DIRS = List.of("queued", "leased", "ended");
  /** How long a listing of {@code queued/} is reused; see {@link #firstFitting(Resources)}. */
  private static final Duration LISTING_TTL = Duration.ofMillis(500);

  private final Path root;
  private final Clock clock;
  private final int maxAttempts;
  private final ObjectMapper json;
  private final ReentrantLock jvmLock = new ReentrantLock();
  private volatile Listing queuedListing;

  private GenericQueue(Path root, Clock clock, int maxAttempts) {
    this.root = root;
    this.clock = clock;
    this.maxAttempts = maxAttempts;
    this.json =
        JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();
  }

  /**
   * Opens (creating if needed) the queue in {@code root}.
   *
   * @param maxAttempts how often a job may be leased before an expired lease fails it
   */
  public static GenericQueue open(Path root, Clock clock, int maxAttempts) throws UpstreamUnavailableException {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
    GenericQueue queue = new GenericQueue(root.toAbsolutePath(), clock, maxAttempts);
    try {
      Files.createDirectories(queue.root);
    } catch (IOException e) {
      throw new UpstreamUnavailableException("cannot create generic queue " + root + ": " + e.getMessage(), e);
    }
    queue.locked(
        () -> {
          Files.createDirectories(queue.root.resolve("tmp"));
          for (String d : STATE_DIRS) {
            Files.createDirectories(queue.root.resolve(d));
          }
          queue.repair();
          return null;
        });
    return queue;
  }

  /** The queue's directory. */
  public Path directory() {
    return root;
  }

  @Override
  public String name() {
    return "generic";
  }

  /** Adds a job; returns its id. */
  public String submit(NewJob job) throws UpstreamUnavailableException {
    return locked(
        () -> {
          Path counter = root.resolve("next-id");
          long next = Files.exists(counter) ? Long.parseLong(Files.readString(counter).trim()) : 1;
          String id = String.format("g%06d", next);
          JobSpec spec = job.toSpec(id);
          writeAtomically(counter, Long.toString(next + 1));
          store(QueuedJob.queued(spec, clock.instant()));
          return id;
        });
  }

  /**
   * Whether a queued job fits {@code resources}. It reads without the queue's lock, which every job manager
   * on the host would otherwise take for every {@code want_getJob}: files move by atomic rename, so it sees
   * each job in one state or another, and a job claimed meanwhile only means that the agent's
   * {@code getJob} is answered NO_JOB.
   */
  @Override
  public boolean hasWorkFor(Resources resources) throws UpstreamUnavailableException {
    try {
      return firstFitting(resources).isPresent();
    } catch (IOException e) {
      throw new UpstreamUnavailableException("cannot read generic queue " + root + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<Claim> claim(String agentId, Resources resources, Duration leaseTime)
      throws UpstreamUnavailableException {
    return locked(
        () -> {
          Optional<QueuedJob> found = firstFitting(resources);
          if (found.isEmpty()) {
            return Optional.empty();
          }
          Instant now = clock.instant();
          QueuedJob leased = found.get().leased(MessageIds.next(), agentId, now.plus(leaseTime), now);
          store(leased);
          log.info("leased {} to {} (epoch {})", leased.jobId(), agentId, leased.epoch());
          return Optional.of(new Claim(leased.spec(), new Lease(leased.leaseId(), leased.epoch(), leased.leaseDeadline()), ""));
        });
  }

  @Override
  public Optional<String> heartbeat(Heartbeat hb, Duration leaseTime) throws JobSourceException {
    return lockedChecked(
        () -> {
          QueuedJob job = current(hb.jobId(), hb.lease());
          checkHolder(job, hb.lease(), hb.agentId());
          Instant now = clock.instant();
          store(job.extended(now.plus(leaseTime), hb.usage(), now));
          return Optional.ofNullable(job.killReason());
        });
  }

  @Override
  public void finish(JobDone done) throws JobSourceException {
    lockedChecked(
        () -> {
          QueuedJob job = find(done.jobId()).orElseThrow(() -> new UnknownJobException(done.jobId()));
          if (job.endedUnder(done.lease())) {
            log.debug("repeated jobDone for {} under {}: already recorded", done.jobId(), done.lease());
            return null;
          }
          if (!job.holds(done.lease())) {
            throw fenced(job, done.lease());
          }
          checkHolder(job, done.lease(), done.agentId());
          RegisteredOutputs.check(done, job.spec().outputs(), job.stored());
          QueuedJob ended = job.ended(done, clock.instant());
          store(ended);
          log.info("{} ended {} on {} (epoch {}, exit {})", job.jobId(), ended.status(), done.agentId(),
              job.epoch(), done.exitCode());
          return null;
        });
  }

  @Override
  public void registerOutputs(RegisterOutputs request) throws JobSourceException {
    lockedChecked(
        () -> {
          QueuedJob job = find(request.jobId()).orElseThrow(() -> new UnknownJobException(request.jobId()));
          if (job.stored().equals(request.files()) && (job.holds(request.lease()) || job.endedUnder(request.lease()))) {
            return null;
          }
          if (!job.holds(request.lease())) {
            throw fenced(job, request.lease());
          }
          checkHolder(job, request.lease(), request.agentId());
          store(job.withStored(request.files(), clock.instant()));
          log.info("{}: {} output(s) registered (epoch {})", job.jobId(), request.files().size(), job.epoch());
          return null;
        });
  }

  @Override
  public void release(String jobId, LeaseRef lease, String reason) throws JobSourceException {
    lockedChecked(
        () -> {
          QueuedJob job = current(jobId, lease);
          store(job.killReason() != null
              ? job.ended(JobStatus.KILLED, Outcome.KILLED, FailureKind.KILLED, -1, job.killReason(), job.usage(), List.of(), clock.instant())
              : job.requeued("released by " + job.agentId() + ": " + reason, clock.instant()));
          return null;
        });
  }

  @Override
  public void kill(String jobId, String reason) throws JobSourceException {
    lockedChecked(
        () -> {
          QueuedJob job = find(jobId).orElseThrow(() -> new UnknownJobException(jobId));
          Instant now = clock.instant();
          switch (job.status()) {
            case QUEUED -> store(job.ended(JobStatus.KILLED, Outcome.KILLED, FailureKind.KILLED, -1, reason, job.usage(), List.of(), now));
            case LEASED -> store(job.killRequested(reason, now));
            case DONE, FAILED, KILLED -> log.info("kill of {} ignored: it has already ended {}", jobId, job.status());
          }
          return null;
        });
  }

  @Override
  public int expireLeases() throws UpstreamUnavailableException {
    return locked(
        () -> {
          Instant now = clock.instant();
          int expired = 0;
          for (QueuedJob job : readDir("leased")) {
            if (job.leaseDeadline() == null || job.leaseDeadline().isAfter(now)) {
              continue;
            }
            expired++;
            String why = "lease of " + job.agentId() + " (epoch " + job.epoch() + ") expired";
            QueuedJob next;
            if (job.killReason() != null) {
              next = job.ended(JobStatus.KILLED, Outcome.KILLED, FailureKind.KILLED, -1, job.killReason() + "; " + why, job.usage(), List.of(), now);
            } else if (job.epoch() >= maxAttempts) {
              next = job.ended(JobStatus.FAILED, Outcome.FAILED, FailureKind.LOST, -1, why + " after " + job.epoch() + " attempts",
                  job.usage(), List.of(), now);
            } else {
              next = job.requeued(why, now);
            }
            store(next);
            log.warn("{}: {}; now {}", job.jobId(), Untrusted.text(why), next.status());
          }
          return expired;
        });
  }

  /** Every job, ordered by id. */
  public List<QueuedJob> list() throws UpstreamUnavailableException {
    return locked(
        () -> {
          List<QueuedJob> all = new ArrayList<>();
          for (String d : STATE_DIRS) {
            all.addAll(readDir(d));
          }
          all.sort(Comparator.comparing(QueuedJob::jobId));
          return all;
        });
  }

  /** One job. */
  public Optional<QueuedJob> get(String jobId) throws UpstreamUnavailableException {
    return locked(() -> find(jobId));
  }

  /** How many jobs are in each status. */
  public Map<JobStatus, Integer> counts() throws UpstreamUnavailableException {
    Map<JobStatus, Integer> counts = new EnumMap<>(JobStatus.class);
    for (JobStatus s : JobStatus.values()) {
      counts.put(s, 0);
    }
    for (QueuedJob j : list()) {
      counts.merge(j.status(), 1, Integer::sum);
    }
    return counts;
  }

  /**
   * The oldest queued job that fits. The listing of {@code queued/} is reused for {@link #LISTING_TTL}:
   * listing and sorting a directory of many thousand jobs for every request cost a job manager all its CPU
   * (found with 1,000 agents and 18,000 queued jobs). Jobs claimed since the listing are skipped; jobs
   * queued since, by this process, clear the listing at once, and those queued by another process on the
   * host are seen once it has expired, or at once when nothing listed fits.
   */
  private Optional<QueuedJob> firstFitting(Resources r) throws IOException {
    Listing listing = queuedListing;
    boolean fresh = listing == null || listing.at().plus(LISTING_TTL).isBefore(clock.instant());
    if (fresh) {
      listing = relist();
    }
    Optional<QueuedJob> found = firstFitting(listing, r);
    return found.isEmpty() && !fresh ? firstFitting(relist(), r) : found;
  }

  private Optional<QueuedJob> firstFitting(Listing listing, Resources r) throws IOException {
    List<Path> files = listing.files();
    boolean leading = true;
    for (int i = listing.claimed().get(); i < files.size(); i++) {
      QueuedJob job = read(files.get(i));
      if (job == null) {
        if (leading) {
          listing.claimed().accumulateAndGet(i + 1, Math::max);
        }
        continue;
      }
      leading = false;
      if (fits(job.spec(), r)) {
        return Optional.of(job);
      }
    }
    return Optional.empty();
  }

  /**
   * A listing of {@code queued/}, and when it was made.
   *
   * @param claimed how many of its first files are known to be gone; claims take the oldest job that fits,
   *     so without this every claim would look again for every file claimed since the listing was made
   */
  private record Listing(List<Path> files, Instant at, java.util.concurrent.atomic.AtomicInteger claimed) {}

  private Listing relist() throws IOException {
    Listing l = new Listing(sortedFiles("queued"), clock.instant(), new java.util.concurrent.atomic.AtomicInteger());
    queuedListing = l;
    return l;
  }

  private static boolean fits(JobSpec spec, Resources r) {
    return spec.cores() <= r.cores() && spec.ttl().compareTo(r.lifetime()) <= 0 && r.accepts(spec.experiment());
  }

  private QueuedJob current(String jobId, LeaseRef lease) throws IOException, JobSourceException {
    QueuedJob job = find(jobId).orElseThrow(() -> new UnknownJobException(jobId));
    if (!job.holds(lease)) {
      throw fenced(job, lease);
    }
    return job;
  }

  private static void checkHolder(QueuedJob job, LeaseRef lease, String agentId) throws NotLeaseHolderException {
    if (!agentId.equals(job.agentId())) {
      throw new NotLeaseHolderException(job.jobId(), lease.toString(), job.agentId(), agentId);
    }
  }

  private static LeaseFencedException fenced(QueuedJob job, LeaseRef lease) {
    return new LeaseFencedException("lease " + lease + " of " + job.jobId() + " is not current: the job is "
        + job.status() + " at epoch " + job.epoch());
  }

  private Optional<QueuedJob> find(String jobId) throws IOException {
    if (!jobId.matches("[A-Za-z0-9._-]+")) {
      return Optional.empty();
    }
    for (String d : STATE_DIRS) {
      QueuedJob job = read(root.resolve(d).resolve(jobId + ".json"));
      if (job != null) {
        return Optional.of(job);
      }
    }
    return Optional.empty();
  }

  private void store(QueuedJob job) throws IOException {
    String target = DIRS.get(job.status());
    if (job.status() == JobStatus.QUEUED) {
      queuedListing = null;
    }
    Path tmp = root.resolve("tmp").resolve(job.jobId() + "." + MessageIds.next() + ".json");
    writeSynced(tmp, json.writeValueAsBytes(job));
    move(tmp, root.resolve(target).resolve(job.jobId() + ".json"));
    for (String d : STATE_DIRS) {
      if (!d.equals(target)) {
        Files.deleteIfExists(root.resolve(d).resolve(job.jobId() + ".json"));
      }
    }
  }

  private void writeAtomically(Path file, String content) throws IOException {
    Path tmp = root.resolve("tmp").resolve(file.getFileName() + "." + MessageIds.next());
    writeSynced(tmp, content.getBytes(StandardCharsets.UTF_8));
    move(tmp, file);
  }

  private static void writeSynced(Path file, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private QueuedJob read(Path file) throws IOException {
    try {
      return json.readValue(Files.readAllBytes(file), QueuedJob.class);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private List<Path> sortedFiles(String dir) throws IOException {
    Path d = root.resolve(dir);
    // Sorted by name as strings: comparing Paths costs several times more, and this runs for every claim.
    try (Stream<Path> files = Files.list(d)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted()
          .map(d::resolve).toList();
    }
  }

  private List<QueuedJob> readDir(String dir) throws IOException {
    List<QueuedJob> jobs = new ArrayList<>();
    for (Path f : sortedFiles(dir)) {
      QueuedJob j = read(f);
      if (j != null) {
        jobs.add(j);
      }
    }
    return jobs;
  }

  /** Keeps the newest copy of a job found in several state directories and clears {@code tmp/}. */
  private void repair() throws IOException {
    Map<String, List<Path>> copies = new HashMap<>();
    for (String d : STATE_DIRS) {
      for (Path f : sortedFiles(d)) {
        copies.computeIfAbsent(f.getFileName().toString(), k -> new ArrayList<>()).add(f);
      }
    }
    for (List<Path> paths : copies.values()) {
      if (paths.size() < 2) {
        continue;
      }
      Path newest = null;
      long best = -1;
      for (Path p : paths) {
        long v = read(p).version();
        if (v > best) {
          best = v;
          newest = p;
        }
      }
      for (Path p : paths) {
        if (!p.equals(newest)) {
          log.warn("removing stale copy {} (newest is {})", p, newest);
          Files.delete(p);
        }
      }
    }
    try (Stream<Path> tmp = Files.list(root.resolve("tmp"))) {
      for (Path p : tmp.toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  @FunctionalInterface
  private interface Body<T> {
    T run() throws IOException, JobSourceException;
  }

  private <T> T locked(Body<T> body) throws UpstreamUnavailableException {
    try {
      return lockedChecked(body);
    } catch (UpstreamUnavailableException e) {
      throw e;
    } catch (JobSourceException e) {
      throw new IllegalStateException("unexpected " + e, e);
    }
  }

  private <T> T lockedChecked(Body<T> body) throws JobSourceException {
    jvmLock.lock();
    try (FileChannel ch =
            FileChannel.open(root.resolve("queue.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock ignored = ch.lock()) {
      return body.run();
    } catch (IOException | UncheckedIOException e) {
      throw new UpstreamUnavailableException("generic queue " + root + " unavailable: " + e.getMessage(), e);
    } finally {
      jvmLock.unlock();
    }
  }
}
