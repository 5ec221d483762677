package org.cernvm.copilot.testbed;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The settings of the chaos run's job managers, storage adapter and agents, the same whether they run in
 * the chaos JVM or as processes of their own: the keys of their config records, with the run's accounts.
 *
 * @param workDir where the run keeps everything
 * @param domain the XMPP domain
 * @param prefix what every account name of the run starts with (empty on a server of the run's own; on a
 *     shared server, one unique to the run)
 */
record ChaosSettings(Path workDir, String domain, String prefix) {
  /** The job managers' lease: the agents heartbeat every third of it. */
  static final Duration LEASE = Duration.ofSeconds(20);

  /** The bare address of the run's account {@code name}, e.g. {@code jobmanager@copilot.local}. */
  String address(String name) {
    return account(name) + "@" + domain;
  }

  /** The run's account {@code name}. */
  String account(String name) {
    return prefix + name;
  }

  /** Where the agents keep a directory each, holding one directory per run of a job ({@code JOB.EPOCH}). */
  Path agentsDir() {
    return workDir.resolve("agents");
  }

  /** A job manager's keys. */
  Map<String, String> jobManager() {
    return Map.of(
        "job-manager.service", address("jobmanager"),
        "job-manager.storage", address("storage"),
        "job-manager.lease", LEASE.toSeconds() + "s",
        "job-manager.sweep-interval", "1s",
        "job-manager.ticket-key-file", workDir.resolve("job-manager-ticket.key").toString());
  }

  /** The storage adapter's keys, its upload endpoint on {@code port}. */
  Map<String, String> storage(int port) {
    return Map.of(
        "storage.service", address("storage"),
        "storage.job-managers", address("jobmanager"),
        "storage.port", Integer.toString(port),
        "storage.root", workDir.resolve("storage").toString(),
        "storage.grant-key-file", workDir.resolve("storage-grant.key").toString());
  }

  /** An agent's keys. */
  Map<String, String> agent() {
    return Map.of(
        "agent.job-manager", address("jobmanager"),
        "agent.storage", address("storage"),
        "agent.cores", "1",
        "agent.work-dir", agentsDir().toString(),
        "agent.idle-backoff-max", "1s");
  }
}
