package org.cernvm.copilot.agent;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.cernvm.copilot.protocol.Resources;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.config.Settings;

/**
 * An agent's configuration.
 *
 * @param agentId the agent's identity; equal to its XMPP account
 * @param service the job-manager service's bare address
 * @param cores cores of the VM
 * @param memoryMb memory of the VM in MiB
 * @param diskMb scratch disk of the VM in MiB
 * @param slots how many jobs run at once; cores, memory and disk are shared evenly between slots
 * @param lifetime how long the VM lives from the agent's start; no job with a longer TTL is taken
 * @param platform the platform advertised
 * @param experiments the experiments whose jobs are accepted, empty for all
 * @param workDir where each job gets its own working directory
 * @param requestTimeout how long to wait for a job manager's answer
 * @param idleBackoffMin the first pause after a request found no work
 * @param idleBackoffMax the longest pause between requests when there is no work
 * @param idleShutdown how long the agent asks for work with none offered and no job running before it stops
 *     with {@link Shutdown.Reason#NO_WORK}; zero ({@code agent.idle-shutdown=never}) for never
 * @param killGrace how long a payload has between SIGTERM and SIGKILL
 * @param sampleInterval how often the payload's CPU and memory are measured
 * @param reportGiveUp how long to keep retrying a {@code jobDone} no job manager acknowledges
 * @param storage the storage service's bare address, asked for upload grants
 * @param uploadTimeout how long an upload connection may stay silent, and how long to wait for its answer
 * @param uploadBackoffMin the first pause before retrying a failed stage-out step
 * @param uploadBackoffMax the longest pause between stage-out retries
 * @param stageOutGiveUp how long to keep retrying the stage-out before the job is reported failed
 * @param storageTrust a PEM file with the certificate or CA that HTTPS upload endpoints must present, or
 *     {@code null} for the JDK's trust store
 * @param metadata the instance metadata service's base URL ({@code context.metadata-url}), or {@code null}
 *     where there is none: then no spot notice is polled
 * @param spotNoticePath where under it a spot or preemption notice appears (EC2's
 *     {@code meta-data/spot/instance-action}: {@code {"action": …, "time": …}})
 * @param spotPoll how often the notice is looked for
 * @param stopGrace on SIGTERM, how long running jobs may go on: those whose TTL does not fit are handed back
 */
public record AgentConfig(
    String agentId,
    String service,
    int cores,
    long memoryMb,
    long diskMb,
    int slots,
    Duration lifetime,
    String platform,
    List<String> experiments,
    Path workDir,
    Duration requestTimeout,
    Duration idleBackoffMin,
    Duration idleBackoffMax,
    Duration idleShutdown,
    Duration killGrace,
    Duration sampleInterval,
    Duration reportGiveUp,
    String storage,
    Duration uploadTimeout,
    Duration uploadBackoffMin,
    Duration uploadBackoffMax,
    Duration stageOutGiveUp,
    Path storageTrust,
    URI metadata,
    String spotNoticePath,
    Duration spotPoll,
    Duration stopGrace) {

  public AgentConfig {
    if (slots < 1 || slots > cores) {
      throw new ConfigException("agent.slots must be between 1 and agent.cores (" + cores + "): " + slots);
    }
    experiments = List.copyOf(experiments);
    if (idleBackoffMax.compareTo(idleBackoffMin) < 0) {
      throw new ConfigException("agent.idle-backoff-max must not be below agent.idle-backoff-min");
    }
    if (idleShutdown.isNegative()) {
      throw new ConfigException("agent.idle-shutdown must not be negative: " + idleShutdown);
    }
    if (uploadBackoffMax.compareTo(uploadBackoffMin) < 0) {
      throw new ConfigException("agent.upload-backoff-max must not be below agent.upload-backoff-min");
    }
    if (storage == null || !storage.contains("@") || storage.contains("/")) {
      throw new ConfigException("agent.storage must be a bare XMPP address like storage@copilot.local: " + storage);
    }
  }

  /** What one slot offers, given how much of the VM's lifetime is left. */
  public Resources slotResources(Duration remainingLifetime) {
    return new Resources(cores / slots, memoryMb / slots, diskMb / slots, remainingLifetime, platform, experiments);
  }

  /**
   * Reads the {@code agent.*} keys: {@code id} (default: the XMPP user), {@code job-manager}, {@code cores},
   * {@code memory-mb}, {@code disk-mb}, {@code slots} or {@code whole-node}, {@code lifetime}, {@code platform},
   * {@code experiments}, {@code work-dir}, {@code request-timeout}, {@code idle-backoff-min},
   * {@code idle-backoff-max}, {@code idle-shutdown}, {@code kill-grace}, {@code sample-interval}, {@code report-give-up},
   * {@code storage}, {@code upload-timeout}, {@code upload-backoff-min}, {@code upload-backoff-max},
   * {@code stage-out-give-up}, {@code storage-trust}, {@code spot-notice-path}, {@code spot-poll},
   * {@code stop-grace}; and {@code context.metadata-url}.
   */
  public static AgentConfig from(Settings s, String xmppUser, String domain) {
    Runtime rt = Runtime.getRuntime();
    int cores = s.integer("agent.cores", rt.availableProcessors(), 1);
    Path work = s.path("agent.work-dir", Path.of(System.getProperty("java.io.tmpdir"), "copilot-agent"));
    return new AgentConfig(
        s.string("agent.id", xmppUser),
        s.string("agent.job-manager", "jobmanager@" + domain),
        cores,
        s.longValue("agent.memory-mb", 2048L * cores, 0),
        s.longValue("agent.disk-mb", usableMb(work), 0),
        slots(s, cores),
        s.duration("agent.lifetime", Duration.ofHours(24)),
        s.string("agent.platform", defaultPlatform()),
        s.list("agent.experiments", List.of()),
        work,
        s.duration("agent.request-timeout", Duration.ofSeconds(3)),
        s.duration("agent.idle-backoff-min", Duration.ofMillis(500)),
        s.duration("agent.idle-backoff-max", Duration.ofSeconds(30)),
        "never".equals(s.string("agent.idle-shutdown", "")) ? Duration.ZERO
            : s.duration("agent.idle-shutdown", Duration.ofMinutes(30)),
        s.duration("agent.kill-grace", Duration.ofSeconds(10)),
        s.duration("agent.sample-interval", Duration.ofSeconds(1)),
        s.duration("agent.report-give-up", Duration.ofHours(1)),
        s.string("agent.storage", "storage@" + domain),
        s.duration("agent.upload-timeout", Duration.ofMinutes(2)),
        s.duration("agent.upload-backoff-min", Duration.ofSeconds(1)),
        s.duration("agent.upload-backoff-max", Duration.ofSeconds(30)),
        s.duration("agent.stage-out-give-up", Duration.ofMinutes(30)),
        s.path("agent.storage-trust", null),
        s.has("context.metadata-url") ? URI.create(s.string("context.metadata-url", null)) : null,
        s.string("agent.spot-notice-path", "meta-data/spot/instance-action"),
        s.duration("agent.spot-poll", Duration.ofSeconds(5)),
        s.duration("agent.stop-grace", Duration.ofSeconds(60)));
  }

  /**
   * One slot per core by default; {@code agent.whole-node=true} makes one slot of every core, memory and
   * disk, for one multi-core job at a time (as JAliEn's whole-node scheduling does).
   */
  private static int slots(Settings s, int cores) {
    if (!s.bool("agent.whole-node", false)) {
      return s.integer("agent.slots", cores, 1);
    }
    if (s.has("agent.slots")) {
      throw new ConfigException("agent.whole-node=true is one slot of all " + cores + " cores; leave agent.slots out");
    }
    return 1;
  }

  /** Free space where {@code dir} is or will be: measured on its nearest existing ancestor. */
  private static long usableMb(Path dir) {
    Path p = dir.toAbsolutePath();
    while (p != null && !p.toFile().exists()) {
      p = p.getParent();
    }
    return p == null ? 0 : p.toFile().getUsableSpace() / (1024 * 1024);
  }

  private static String defaultPlatform() {
    return System.getProperty("os.arch") + "-" + System.getProperty("os.name").toLowerCase(Locale.ROOT);
  }
}
