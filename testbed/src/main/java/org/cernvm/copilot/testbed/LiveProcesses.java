package org.cernvm.copilot.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The processes of this machine that still run, read from {@code /proc}: those working in a directory
 * tree, which finds the payloads an agent left behind (each runs in its job's directory, in a session of
 * its own, so neither parent links nor process groups lead to it once the agent is gone).
 */
final class LiveProcesses {
  private LiveProcesses() {}

  /**
   * The processes, other than zombies, whose working directory is {@code dir} or below it; never this
   * process or one of its ancestors (the shell that started a run in its own work directory).
   */
  static List<ProcessHandle> under(Path dir) {
    Path root = real(dir);
    Set<Long> self = new HashSet<>();
    for (Optional<ProcessHandle> p = Optional.of(ProcessHandle.current()); p.isPresent(); p = p.get().parent()) {
      self.add(p.get().pid());
    }
    List<ProcessHandle> found = new ArrayList<>();
    try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
      for (Path p : entries.toList()) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit) || self.contains(Long.parseLong(name))) {
          continue;
        }
        Optional<Path> cwd = cwd(p);
        if (cwd.isPresent() && cwd.get().startsWith(root)) {
          ProcessHandle.of(Long.parseLong(name)).filter(LiveProcesses::running).ifPresent(found::add);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc: " + e.getMessage(), e);
    }
    return found;
  }

  /**
   * Whether {@code p} still runs: alive and not a zombie. A payload whose agent was killed is reparented to
   * the machine's init, which reaps it when it pleases; until then it is dead but still listed.
   */
  static boolean running(ProcessHandle p) {
    if (!p.isAlive()) {
      return false;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
      // The state is the first field after the command, which is in parentheses and may hold spaces.
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (IOException e) {
      return false;
    }
  }

  private static Optional<Path> cwd(Path proc) {
    try {
      return Optional.of(Files.readSymbolicLink(proc.resolve("cwd")));
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      // Gone meanwhile, or another user's: neither is ours.
      return Optional.empty();
    }
  }

  private static Path real(Path dir) {
    try {
      return dir.toRealPath();
    } catch (IOException e) {
      return dir.toAbsolutePath().normalize();
    }
  }
}
