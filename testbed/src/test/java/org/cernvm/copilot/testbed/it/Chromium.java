package org.cernvm.copilot.testbed.it;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Debian's Chromium, headless (installed by {@code scripts/ops-tools-up}): a page's DOM once its scripts ran, or its picture. */
final class Chromium {
  private static final String BINARY = System.getenv().getOrDefault("COPILOT_TEST_CHROMIUM", "/usr/bin/chromium");

  private Chromium() {}

  private static String run(Path profile, String... args) throws Exception {
    if (!Files.isExecutable(Path.of(BINARY))) {
      throw new IllegalStateException("no Chromium at " + BINARY + ": install it with scripts/ops-tools-up "
          + "(./copilot test does)");
    }
    List<String> command = new ArrayList<>(List.of(BINARY, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + profile,
        // Virtual time runs the page's timers and fetches to completion, then the DOM or picture is taken.
        "--virtual-time-budget=8000"));
    command.addAll(List.of(args));
    // Its output goes to a file, so that the wait below bounds a Chromium that hangs.
    Path out = Files.createTempFile(profile.getParent(), "chromium", ".out");
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD)
        .redirectOutput(out.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new IllegalStateException("Chromium did not finish within 120 s: " + command);
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException("Chromium exited " + p.exitValue() + ": " + command);
    }
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  /** The page's DOM after its scripts ran. */
  static String dom(Path profile, String url) throws Exception {
    return run(profile, "--dump-dom", url);
  }

  /** A PNG of the page as a 1400 × 1000 window shows it. */
  static void screenshot(Path profile, String url, Path png) throws Exception {
    run(profile, "--hide-scrollbars", "--window-size=1400,1000", "--screenshot=" + png.toAbsolutePath(), url);
    if (!Files.isRegularFile(png) || Files.size(png) == 0) {
      throw new IllegalStateException("Chromium wrote no screenshot to " + png);
    }
  }
}
