package org.cernvm.copilot.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.cernvm.copilot.protocol.config.Settings;

/**
 * The {@code copilot} commands a run starts as child JVMs: each on this JVM's {@code java} and class path,
 * working in, and logging to, a log directory, with its secrets in its environment rather than on a
 * command line that any user of the machine can read. What the children start in a directory of their
 * own (an agent's payloads, each in its job's directory) is killed with them. Every child is killed when
 * this closes, or when this JVM exits (a shutdown hook); should this JVM be killed with no chance of
 * either, each child ends by itself once it sees this JVM gone ({@link Copilot#PARENT_PID_ENV}).
 */
final class ChildProcesses implements AutoCloseable {
  /** Keys that go to a child through its environment, never on its command line. */
  private static final Set<String> SECRETS = Set.of("xmpp.password", "security.token", "panda.token",
      "panda.admin-token", "key-manager.passphrase", "storage.tls-keystore-password");
  private static final Duration POLL = Duration.ofMillis(100);
  /** How long a killed process, and whatever it left behind, may take to be gone. */
  static final Duration KILL_TIMEOUT = Duration.ofSeconds(30);

  private final Path logDir;
  private final Path spawnDir;
  private final Clock clock;
  private final List<String> jvmOptions;
  private final List<Child> children = new CopyOnWriteArrayList<>();
  private final Map<String, Integer> starts = new HashMap<>();
  private final Thread hook;

  /**
   * Children working in, and logging to, {@code logDir}.
   *
   * @param spawnDir the directory below which the children start processes of their own, e.g. the agents'
   *     work directory
   * @param jvmOptions the children's JVM options, e.g. {@code -Xmx192m}
   */
  ChildProcesses(Path logDir, Path spawnDir, Clock clock, List<String> jvmOptions) throws IOException {
    this.logDir = Files.createDirectories(logDir);
    this.spawnDir = Files.createDirectories(spawnDir);
    this.clock = clock;
    this.jvmOptions = List.copyOf(jvmOptions);
    this.hook = new Thread(this::killAll, "child-processes-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** One started child: a {@code copilot} command in a JVM of its own. */
  final class Child {
    private final String name;
    private final Process process;
    private final Path log;
    private volatile boolean killed;

    private Child(String name, Process process, Path log) {
      this.name = name;
      this.process = process;
      this.log = log;
    }

    /** The name it was started under, e.g. {@code jm-1}. */
    String name() {
      return name;
    }

    long pid() {
      return process.pid();
    }

    Path log() {
      return log;
    }

    /**
     * Waits until the child's output holds {@code text}, e.g. the line a role prints once it serves.
     *
     * @throws ChildTimeoutException if it does not within {@code timeout}
     * @throws IllegalStateException if the child exits first
     */
    void awaitOutput(String text, Duration timeout) throws ChildTimeoutException, IOException, InterruptedException {
      Instant deadline = clock.instant().plus(timeout);
      while (!output().contains(text)) {
        if (!process.isAlive()) {
          throw new IllegalStateException(name + " (pid " + pid() + ") exited with code " + process.exitValue()
              + " before printing '" + text + "'; the end of " + log + ":\n" + tail());
        }
        if (clock.instant().isAfter(deadline)) {
          throw new ChildTimeoutException(name + " (pid " + pid() + ") to print '" + text + "'", timeout,
              "the end of " + log + ":\n" + tail());
        }
        Thread.sleep(POLL.toMillis());
      }
    }

    /**
     * Kills the child with SIGKILL, and its descendants with it (for an agent, the payloads it started),
     * and waits until it has exited.
     *
     * @return how many descendants were killed with it
     * @throws ChildTimeoutException if it has not exited within {@link #KILL_TIMEOUT}
     */
    int kill() throws ChildTimeoutException, InterruptedException {
      // Before the kill: once the child is gone its children are reparented and no longer lead back to it.
      List<ProcessHandle> below = process.descendants().toList();
      killed = true;
      process.destroyForcibly();
      if (!process.waitFor(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new ChildTimeoutException(name + " (pid " + pid() + ") to exit after SIGKILL", KILL_TIMEOUT, "");
      }
      below.forEach(ProcessHandle::destroyForcibly);
      return below.size();
    }

    boolean isAlive() {
      return process.isAlive();
    }

    /** Whether it has started processes that still run, e.g. an agent's payloads. */
    boolean hasChildren() {
      return process.children().anyMatch(LiveProcesses::running);
    }

    private String output() throws IOException {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    private String tail() throws IOException {
      String text = output();
      return text.substring(Math.max(0, text.length() - 3000));
    }
  }

  /**
   * Starts {@code copilot ARGS --set KEY=VALUE…} with {@code settings}, its secrets put in its environment
   * instead; its output goes to {@code logs/NAME.N.log}, N counting the starts under that name.
   */
  synchronized Child start(String name, List<String> args, Map<String, String> settings) throws IOException {
    int n = starts.merge(name, 1, Integer::sum);
    Path log = logDir.resolve(name + "." + n + ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Copilot.class.getName()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(logDir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    // The run says how each child is configured; a COPILOT_* variable of whoever started the run must not.
    env.keySet().removeIf(k -> k.startsWith("COPILOT_"));
    env.put("COPILOT_LOG_LEVEL", "INFO");
    env.put(Copilot.PARENT_PID_ENV, Long.toString(ProcessHandle.current().pid()));
    settings.forEach((k, v) -> {
      if (SECRETS.contains(k)) {
        env.put(Settings.envName(k), v);
      } else {
        cmd.addAll(List.of("--set", k + "=" + v));
      }
    });
    pb.command(cmd);
    Child child = new Child(name, pb.start(), log);
    children.add(child);
    return child;
  }

  /** How many children were started. */
  int started() {
    return children.size();
  }

  /** The children that exited without being killed, e.g. {@code jm-1 (pid 123, exit code 1)}. */
  List<String> exitedByThemselves() {
    return children.stream().filter(c -> !c.killed && !c.isAlive())
        .map(c -> c.name + " (pid " + c.pid() + ", exit code " + c.process.exitValue() + ", log " + c.log + ")")
        .toList();
  }

  /**
   * Kills every process working under {@code dir} (an agent's payloads), and waits until none is left.
   *
   * @return how many there were
   * @throws ChildTimeoutException if some are still there after {@link #KILL_TIMEOUT}
   */
  int killUnder(Path dir) throws ChildTimeoutException, InterruptedException {
    List<ProcessHandle> found = LiveProcesses.under(dir);
    found.forEach(ProcessHandle::destroyForcibly);
    Instant deadline = clock.instant().plus(KILL_TIMEOUT);
    List<ProcessHandle> left = LiveProcesses.under(dir);
    while (!left.isEmpty()) {
      if (clock.instant().isAfter(deadline)) {
        throw new ChildTimeoutException("the processes working under " + dir + " to end after SIGKILL", KILL_TIMEOUT,
            "still running: " + left.stream().map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList());
      }
      left.forEach(ProcessHandle::destroyForcibly);
      Thread.sleep(POLL.toMillis());
      left = LiveProcesses.under(dir);
    }
    return found.size();
  }

  /**
   * Kills every child still running and whatever works in the log directory or under the spawn directory,
   * and waits until nothing is left.
   *
   * @throws ChildTimeoutException if something is still running after {@link #KILL_TIMEOUT}
   */
  @Override
  public void close() throws ChildTimeoutException, InterruptedException {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // This JVM is exiting: the hook is running and does the same.
    }
    ChildTimeoutException failed = null;
    for (Child c : children) {
      try {
        if (c.isAlive()) {
          c.kill();
        }
      } catch (ChildTimeoutException e) {
        // The others are killed all the same.
        if (failed == null) {
          failed = e;
        } else {
          failed.addSuppressed(e);
        }
      }
    }
    killUnder(spawnDir);
    killUnder(logDir);
    if (failed != null) {
      throw failed;
    }
  }

  private void killAll() {
    for (Child c : children) {
      List<ProcessHandle> below = c.process.descendants().toList();
      c.process.destroyForcibly();
      below.forEach(ProcessHandle::destroyForcibly);
    }
    LiveProcesses.under(spawnDir).forEach(ProcessHandle::destroyForcibly);
    LiveProcesses.under(logDir).forEach(ProcessHandle::destroyForcibly);
  }
}
