package org.cernvm.copilot.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The processes of this machine that still run, read from {@code /proc}: those this JVM's children started
 * that work in a directory tree, which finds the payloads an agent left behind (each runs in its job's
 * directory, in a session of its own, so neither parent links nor process groups lead to it once the agent
 * is gone). A child and everything it starts inherit {@link Copilot#PARENT_PID_ENV} naming this JVM, so
 * that a shell or a {@code tail -f} somebody runs in the work directory is never taken for one.
 */
final class LiveProcesses {
  private LiveProcesses() {}

  /**
   * The processes, other than zombies, started by this JVM's children, whose working directory is
   * {@code dir} or below it.
   */
  static List<ProcessHandle> under(Path dir) {
    byte[] mark = (Copilot.PARENT_PID_ENV + "=" + ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8);
    Path root = real(dir);
    List<ProcessHandle> found = new ArrayList<>();
    try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
      for (Path p : entries.toList()) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        Optional<Path> cwd = cwd(p);
        if (cwd.isPresent() && cwd.get().startsWith(root) && marked(p, mark)) {
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

  /** Whether the environment of the process at {@code proc} holds {@code mark} as one of its entries. */
  private static boolean marked(Path proc, byte[] mark) {
    byte[] env;
    try {
      env = Files.readAllBytes(proc.resolve("environ"));
    } catch (IOException | SecurityException e) {
      return false;
    }
    for (int start = 0; start < env.length; ) {
      int end = start;
      while (end < env.length && env[end] != 0) {
        end++;
      }
      if (Arrays.equals(env, start, end, mark, 0, mark.length)) {
        return true;
      }
      start = end + 1;
    }
    return false;
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
