package org.cernvm.copilot.jobmanager.generic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.cernvm.copilot.jobmanager.Claim;
import org.cernvm.copilot.jobmanager.HandOver;
import org.cernvm.copilot.jobmanager.JobSource;
import org.cernvm.copilot.jobmanager.JobSourceException;
import org.cernvm.copilot.jobmanager.UnknownJobException;
import org.cernvm.copilot.jobmanager.UpstreamUnavailableException;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.JobSpec;
import org.cernvm.copilot.protocol.Lease;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.MessageIds;
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
public final class GenericQueue implements JobQueue {
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
  /** How many state changes of a bulk claim or report are made under one hold of the lock. */
  private static final int GROUP = 16;

  private final Path root;
  private final Clock clock;
  private final int maxAttempts;
  private final ObjectMapper json;
  // Fair, so that an agent's request on a bus thread is not kept waiting behind a bulk claim or report.
  private final ReentrantLock jvmLock = new ReentrantLock(true);
  private volatile Listing queuedListing;
  /** Jobs claimed under the lock held now whose new state is not written yet; guarded by the lock. */
  private final java.util.Set<String> pending = new java.util.HashSet<>();

  private GenericQueue(Path root, Clock clock, int maxAttempts) {
    this.root = root;
    this.clock = clock;
    this.maxAttempts = maxAttempts;
    this.json = JobRules.json().enable(SerializationFeature.INDENT_OUTPUT);
  }

  /**
   * Opens (creating if needed) the queue in {@code root}.
   *
   * @param maxAttempts how often a job may be handed to an agent before an expired lease fails it
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

  @Override
  public String where() {
    return root.toString();
  }

  @Override
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
    return locked(() -> {
      List<QueuedJob> leased = claimUnlocked(agentId, resources, leaseTime, 1);
      storeAll(leased, true);
      return leased.stream().map(GenericQueue::claimOf).findFirst();
    });
  }

  /**
   * Claims up to {@code max} jobs in groups of {@value #GROUP}: each group's new states are written and
   * forced to disk before the lock is taken, and under it each is moved into place if its job is still
   * queued as it was read (see {@link #installIfUnchanged}); jobs another claimer took meanwhile are looked
   * for again, and after the third such meeting claimed under the lock. Each group is looked for from a
   * random place among the oldest jobs, so that job managers claiming at once rarely meet.
   */
  @Override
  public List<Claim> claim(String holder, Resources resources, Duration leaseTime, int max)
      throws UpstreamUnavailableException {
    List<Claim> claims = new ArrayList<>();
    int conflicts = 0;
    try {
      while (claims.size() < max) {
        int wanted = Math.min(GROUP, max - claims.size());
        // From a random place among the oldest: other job managers claim from the same listing at once.
        List<QueuedJob> before = fitting(currentListing(), resources, wanted, java.util.Set.of(),
            java.util.concurrent.ThreadLocalRandom.current().nextInt(4 * wanted));
        Instant now = clock.instant();
        List<QueuedJob> after = before.stream()
            .map(j -> j.leasedAhead(MessageIds.next(), holder, now.plus(leaseTime), now)).toList();
        List<Integer> changed = installIfUnchanged(before, after, prepareAll(after, true));
        for (int i = 0; i < after.size(); i++) {
          if (!changed.contains(i)) {
            claims.add(claimOf(after.get(i)));
            log.info("leased {} to {} (epoch {})", after.get(i).jobId(), holder, after.get(i).epoch());
          }
        }
        // Another claimer took some: look again, a few times, before claiming the rest under the lock.
        if (!changed.isEmpty() && ++conflicts >= 3) {
          claims.addAll(locked(() -> {
            List<QueuedJob> leased = claimUnlocked(holder, resources, leaseTime, changed.size());
            storeAll(leased, true);
            return leased.stream().map(GenericQueue::claimOf).toList();
          }));
        }
        if (before.size() < wanted && changed.isEmpty()) {
          break;
        }
      }
    } catch (IOException e) {
      throw new UpstreamUnavailableException("generic queue " + root + " unavailable: " + e.getMessage(), e);
    } catch (JobSourceException e) {
      // Only the files can fail here; the jobs claimed before stay claimed.
      if (claims.isEmpty()) {
        throw new UpstreamUnavailableException(e.getMessage(), e);
      }
      log.warn("claimed {} job(s) of {}: {}", claims.size(), max, Untrusted.text(e.getMessage()));
    }
    return claims;
  }

  private List<QueuedJob> claimUnlocked(String agentId, Resources resources, Duration leaseTime, int max)
      throws IOException {
    List<QueuedJob> leased = new ArrayList<>();
    Instant now = clock.instant();
    while (leased.size() < max) {
      Optional<QueuedJob> found = firstFitting(resources);
      if (found.isEmpty()) {
        break;
      }
      QueuedJob job = found.get().leased(MessageIds.next(), agentId, now.plus(leaseTime), now);
      leased.add(job);
      pending.add(job.jobId());
      log.info("leased {} to {} (epoch {})", job.jobId(), agentId, job.epoch());
    }
    return leased;
  }

  private static Claim claimOf(QueuedJob leased) {
    return new Claim(leased.spec(), new Lease(leased.leaseId(), leased.epoch(), leased.leaseDeadline()), "");
  }

  /** No: a claim from local disk costs no more than a take from memory. */
  @Override
  public boolean prefetches() {
    return false;
  }

  /**
   * Hands the jobs on, their new states written and forced to disk together before the lock is taken (see
   * {@link #installIfUnchanged}), so that the agents' requests, which wait for this, never wait behind the
   * lock's bulk work; a job that changed meanwhile is handed on again under the lock.
   */
  @Override
  public Map<HandOver, JobSourceException> assignAll(List<HandOver> handOvers) {
    Map<HandOver, JobSourceException> failed = new LinkedHashMap<>();
    List<HandOver> made = new ArrayList<>();
    List<QueuedJob> before = new ArrayList<>();
    List<QueuedJob> after = new ArrayList<>();
    try {
      for (HandOver h : handOvers) {
        try {
          QueuedJob job = heldBy(h);
          before.add(job);
          after.add(job.assigned(h.agentId(), h.deadline(), clock.instant()));
          made.add(h);
        } catch (JobSourceException e) {
          failed.put(h, e);
        }
      }
      for (int i : installIfUnchanged(before, after, prepareAll(after, true))) {
        HandOver h = made.get(i);
        try {
          lockedChecked(() -> {
            store(heldBy(h).assigned(h.agentId(), h.deadline(), clock.instant()));
            return null;
          });
        } catch (JobSourceException e) {
          failed.put(h, e);
        }
      }
    } catch (IOException | JobSourceException e) {
      JobSourceException why = e instanceof JobSourceException j ? j : unavailable((IOException) e);
      made.forEach(h -> failed.putIfAbsent(h, why));
    }
    return failed;
  }

  /** The job of a hand-over, while the hand-over's holder holds it under its lease. */
  private QueuedJob heldBy(HandOver h) throws IOException, JobSourceException {
    QueuedJob job = current(h.claim().job().jobId(), h.claim().lease().ref());
    JobRules.checkHolder(job, h.claim().lease().ref(), h.holder());
    return job;
  }

  private UpstreamUnavailableException unavailable(IOException e) {
    return new UpstreamUnavailableException("generic queue " + root + " unavailable: " + e.getMessage(), e);
  }

  @Override
  public Optional<String> heartbeat(Heartbeat hb, Duration leaseTime) throws JobSourceException {
    return lockedChecked(
        () -> {
          QueuedJob job = current(hb.jobId(), hb.lease());
          JobRules.checkHolder(job, hb.lease(), hb.agentId());
          Instant now = clock.instant();
          store(job.extended(now.plus(leaseTime), hb.usage(), now));
          return Optional.ofNullable(job.killReason());
        });
  }

  @Override
  public void finish(JobDone done) throws JobSourceException {
    lockedChecked(() -> {
      QueuedJob ended = ended(done);
      if (ended != null) {
        store(ended);
      }
      return null;
    });
  }

  /** As many as come: the ends are recorded locally, under one hold of the lock. */
  @Override
  public int maxReportBatch() {
    return 1000;
  }

  /** Records the ends, {@value #GROUP} under each hold of the lock, their state changes made durable together. */
  @Override
  public Map<JobDone, JobSourceException> finishAll(List<JobDone> dones) {
    Map<JobDone, JobSourceException> failed = new LinkedHashMap<>();
    for (int from = 0; from < dones.size(); from += GROUP) {
      finishGroup(dones.subList(from, Math.min(dones.size(), from + GROUP)), failed);
    }
    return failed;
  }

  private void finishGroup(List<JobDone> dones, Map<JobDone, JobSourceException> failed) {
    List<JobDone> owners = new ArrayList<>();
    List<QueuedJob> before = new ArrayList<>();
    List<QueuedJob> after = new ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    try {
      for (JobDone done : dones) {
        if (!seen.add(done.jobId())) {
          continue;
        }
        try {
          QueuedJob job = find(done.jobId()).orElseThrow(() -> new UnknownJobException(done.jobId()));
          QueuedJob ended = ended(job, done);
          if (ended != null) {
            owners.add(done);
            before.add(job);
            after.add(ended);
          }
        } catch (JobSourceException e) {
          failed.put(done, e);
        }
      }
      List<Integer> changed = installIfUnchanged(before, after, prepareAll(after, true));
      for (int i : changed) {
        try {
          finish(owners.get(i));
        } catch (JobSourceException e) {
          failed.put(owners.get(i), e);
        }
      }
    } catch (IOException | JobSourceException e) {
      JobSourceException why = e instanceof JobSourceException j ? j : unavailable((IOException) e);
      owners.forEach(d -> failed.putIfAbsent(d, why));
    }
  }

  /** The job's state once {@code done} is recorded, or null when it was recorded already. */
  private QueuedJob ended(JobDone done) throws IOException, JobSourceException {
    return ended(find(done.jobId()).orElseThrow(() -> new UnknownJobException(done.jobId())), done);
  }

  private QueuedJob ended(QueuedJob job, JobDone done) throws JobSourceException {
    return JobRules.ended(job, done, clock.instant());
  }

  @Override
  public void registerOutputs(RegisterOutputs request) throws JobSourceException {
    lockedChecked(
        () -> {
          QueuedJob job = find(request.jobId()).orElseThrow(() -> new UnknownJobException(request.jobId()));
          QueuedJob registered = JobRules.registered(job, request, clock.instant());
          if (registered != null) {
            store(registered);
          }
          return null;
        });
  }

  @Override
  public void release(String jobId, LeaseRef lease, String reason) throws JobSourceException {
    lockedChecked(
        () -> {
          store(JobRules.released(current(jobId, lease), reason, clock.instant()));
          return null;
        });
  }

  @Override
  public void kill(String jobId, String reason) throws JobSourceException {
    lockedChecked(
        () -> {
          QueuedJob job = find(jobId).orElseThrow(() -> new UnknownJobException(jobId));
          Optional<QueuedJob> killed = JobRules.killed(job, reason, clock.instant());
          if (killed.isPresent()) {
            store(killed.get());
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
            store(JobRules.expired(job, now, maxAttempts));
          }
          return expired;
        });
  }

  @Override
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

  @Override
  public Optional<QueuedJob> get(String jobId) throws UpstreamUnavailableException {
    return locked(() -> find(jobId));
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
    List<QueuedJob> found = fitting(listing, r, 1, pending);
    return (found.isEmpty() && !fresh ? fitting(relist(), r, 1, pending) : found).stream().findFirst();
  }

  /** The listing of {@code queued/}, made again when it is older than {@link #LISTING_TTL}. */
  private Listing currentListing() throws IOException {
    Listing listing = queuedListing;
    return listing == null || listing.at().plus(LISTING_TTL).isBefore(clock.instant()) ? relist() : listing;
  }

  /** Up to {@code max} queued jobs of {@code listing} that fit {@code r}, oldest first, but those in {@code skip}. */
  private List<QueuedJob> fitting(Listing listing, Resources r, int max, java.util.Set<String> skip) throws IOException {
    return fitting(listing, r, max, skip, 0);
  }

  /**
   * As {@link #fitting(Listing, Resources, int, java.util.Set)}, but looking from {@code offset} places past the
   * oldest job on (and then at those before it), so that job managers claiming at once from one queue do not
   * all reach for the same oldest jobs.
   */
  private List<QueuedJob> fitting(Listing listing, Resources r, int max, java.util.Set<String> skip, int offset)
      throws IOException {
    List<Path> files = listing.files();
    List<QueuedJob> found = new ArrayList<>();
    int first = listing.claimed().get();
    int n = files.size() - first;
    if (n <= 0) {
      return found;
    }
    int start = offset % n;
    boolean leading = start == 0;
    for (int k = 0; k < n && found.size() < max; k++) {
      int i = first + (start + k) % n;
      if (i == first) {
        leading = true;
      }
      if (skip.contains(jobIdOf(files.get(i)))) {
        continue;
      }
      QueuedJob job = read(files.get(i));
      if (job == null) {
        if (leading) {
          listing.claimed().accumulateAndGet(i + 1, Math::max);
        }
        continue;
      }
      leading = false;
      if (JobRules.fits(job.spec(), r)) {
        found.add(job);
      }
    }
    return found;
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

  private QueuedJob current(String jobId, LeaseRef lease) throws IOException, JobSourceException {
    return JobRules.current(find(jobId), jobId, lease);
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
    storeAll(List.of(job), true);
  }

  /**
   * Writes the new states of {@code jobs}, each into the directory of its status. With {@code sync}, all
   * are written first and then forced to disk, so that one journal commit covers them (group commit),
   * before any is moved into place.
   */
  private void storeAll(List<QueuedJob> jobs, boolean sync) throws IOException {
    List<Path> files = prepareAll(jobs, sync);
    for (int i = 0; i < jobs.size(); i++) {
      install(files.get(i), jobs.get(i));
    }
  }

  /** Writes each state to a file of its own under {@code tmp/}, all forced to disk with {@code sync}. */
  private List<Path> prepareAll(List<QueuedJob> jobs, boolean sync) throws IOException {
    List<Path> written = new ArrayList<>();
    // In groups, to bound the files open at once.
    for (int from = 0; from < jobs.size(); from += 64) {
      List<FileChannel> open = new ArrayList<>();
      try {
        for (QueuedJob job : jobs.subList(from, Math.min(jobs.size(), from + 64))) {
          Path tmp = root.resolve("tmp").resolve(job.jobId() + "." + MessageIds.next() + ".json");
          FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          open.add(ch);
          ByteBuffer buf = ByteBuffer.wrap(json.writeValueAsBytes(job));
          while (buf.hasRemaining()) {
            ch.write(buf);
          }
          written.add(tmp);
        }
        if (sync) {
          for (FileChannel ch : open) {
            ch.force(true);
          }
        }
      } finally {
        for (FileChannel ch : open) {
          ch.close();
        }
      }
    }
    return written;
  }

  /** Moves a prepared state into the directory of its status, the job's other copies removed; under the lock. */
  private void install(Path prepared, QueuedJob job) throws IOException {
    String target = DIRS.get(job.status());
    if (job.status() == JobStatus.QUEUED) {
      queuedListing = null;
    }
    move(prepared, root.resolve(target).resolve(job.jobId() + ".json"));
    for (String d : STATE_DIRS) {
      if (!d.equals(target)) {
        Files.deleteIfExists(root.resolve(d).resolve(job.jobId() + ".json"));
      }
    }
  }

  /**
   * Under the lock, moves each prepared state into place whose job is still as read ({@code before}: the
   * same status and version): optimistic concurrency, so that the lock is held for renames and not for
   * forcing files to disk. A job that changed meanwhile keeps its state and its prepared file is removed.
   *
   * @return the indexes of the jobs that had changed
   */
  private List<Integer> installIfUnchanged(List<QueuedJob> before, List<QueuedJob> after, List<Path> prepared)
      throws JobSourceException {
    if (before.isEmpty()) {
      return List.of();
    }
    return lockedChecked(() -> {
      List<Integer> changed = new ArrayList<>();
      for (int i = 0; i < before.size(); i++) {
        QueuedJob was = before.get(i);
        QueuedJob now = read(root.resolve(DIRS.get(was.status())).resolve(was.jobId() + ".json"));
        if (now != null && now.version() == was.version()) {
          install(prepared.get(i), after.get(i));
        } else {
          Files.deleteIfExists(prepared.get(i));
          changed.add(i);
        }
      }
      return changed;
    });
  }

  private static String jobIdOf(Path file) {
    String name = file.getFileName().toString();
    return name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
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
      pending.clear();
      jvmLock.unlock();
    }
  }
}
