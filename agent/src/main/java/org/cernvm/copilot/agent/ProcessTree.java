package org.cernvm.copilot.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The processes of one payload: every process in the session the payload was started in (payloads run
 * under {@code setsid}), found through {@code /proc}. Following the session rather than parent links
 * also finds children that daemonized themselves.
 */
final class ProcessTree {
  /** Linux reports CPU times in USER_HZ ticks, 100 per second on every supported architecture. */
  private static final double TICKS_PER_SECOND = 100.0;

  /**
   * What the session's processes use now.
   *
   * @param cpuSeconds user plus system time of live processes and of the children they have reaped
   * @param rssKb resident memory summed over live processes
   * @param processes how many processes are alive
   */
  record Sample(double cpuSeconds, long rssKb, int processes) {}

  private ProcessTree() {}

  static Sample sample(long session) {
    double ticks = 0;
    long rss = 0;
    int n = 0;
    for (long pid : members(session)) {
      String[] stat = stat(pid);
      if (stat == null) {
        continue;
      }
      n++;
      // Fields after the command: [0]=state ... [11]=utime [12]=stime [13]=cutime [14]=cstime
      ticks += Long.parseLong(stat[11]) + Long.parseLong(stat[12]) + Long.parseLong(stat[13])
          + Long.parseLong(stat[14]);
      rss += rssKb(pid);
    }
    return new Sample(ticks / TICKS_PER_SECOND, rss, n);
  }

  /** The pids in {@code session}. */
  static List<Long> members(long session) {
    List<Long> pids = new ArrayList<>();
    try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
      entries.forEach(
          p -> {
            String name = p.getFileName().toString();
            if (!name.chars().allMatch(Character::isDigit)) {
              return;
            }
            long pid = Long.parseLong(name);
            String[] stat = stat(pid);
            // [3] = session id
            if (stat != null && Long.parseLong(stat[3]) == session) {
              pids.add(pid);
            }
          });
    } catch (IOException e) {
      return pids;
    }
    return pids;
  }

  /** Sends SIGTERM ({@code force == false}) or SIGKILL to every process of the session; returns how many. */
  static int signal(long session, boolean force) {
    int n = 0;
    for (long pid : members(session)) {
      var handle = ProcessHandle.of(pid);
      if (handle.isPresent()) {
        n++;
        if (force) {
          handle.get().destroyForcibly();
        } else {
          handle.get().destroy();
        }
      }
    }
    return n;
  }

  private static String[] stat(long pid) {
    try {
      String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      int close = s.lastIndexOf(')');
      return close < 0 ? null : s.substring(close + 2).split(" ");
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static long rssKb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      return 0;
    }
    return 0;
  }
}
