package org.cernvm.copilot.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.Prefetch;

/**
 * What a job manager of a load run reports of itself, in a small properties file that the load command
 * reads: the prefetch's depth, its claim calls and jobs claimed, and the calls that reached the simulated
 * upstream.
 *
 * @param depth jobs waiting in the prefetch
 * @param claimCalls the prefetch's claim calls
 * @param claimed jobs the prefetch claimed
 * @param upstreamCalls calls that reached the simulated upstream
 */
record LoadStats(long depth, long claimCalls, long claimed, long upstreamCalls) {
  /** Nothing known yet. */
  static final LoadStats NONE = new LoadStats(0, 0, 0, 0);

  /** Writes the figures of {@code jobManager} to {@code file}, replacing it atomically. */
  static void write(Path file, JobManager jobManager, SimulatedUpstream upstream) {
    Properties p = new Properties();
    Prefetch prefetch = jobManager.prefetch().orElse(null);
    p.setProperty("depth", Long.toString(prefetch == null ? 0 : prefetch.depth()));
    p.setProperty("claim-calls", Long.toString(prefetch == null ? 0 : prefetch.claimCalls()));
    p.setProperty("claimed", Long.toString(prefetch == null ? 0 : prefetch.claimed()));
    p.setProperty("upstream-calls", Long.toString(upstream == null ? 0 : upstream.calls()));
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      try (var out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        p.store(out, null);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** The figures in {@code file}, or {@link #NONE} before it was first written. */
  static LoadStats read(Path file) throws IOException {
    if (!Files.exists(file)) {
      return NONE;
    }
    Properties p = new Properties();
    try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(in);
    }
    return new LoadStats(number(p, "depth"), number(p, "claim-calls"), number(p, "claimed"), number(p, "upstream-calls"));
  }

  private static long number(Properties p, String key) {
    return Long.parseLong(p.getProperty(key, "0").trim());
  }

  /** The sum of the figures of several job managers. */
  LoadStats plus(LoadStats o) {
    return new LoadStats(depth + o.depth, claimCalls + o.claimCalls, claimed + o.claimed, upstreamCalls + o.upstreamCalls);
  }

  /** The change from {@code before} to this, the depth as it is now. */
  LoadStats since(LoadStats before) {
    return new LoadStats(depth, claimCalls - before.claimCalls, claimed - before.claimed,
        upstreamCalls - before.upstreamCalls);
  }
}
