package org.cernvm.copilot.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The HepMC3 library as a test reads EVNT files with it: a small reader ({@code read_evnt.cc}) compiled into
 * {@code target/hepmc3/} (again whenever its source changes) against the system's {@code libHepMC3} ({@code libhepmc3-dev}, which {@code .ci/run} installs)
 * and run as a process.
 */
public final class HepMC3Library {
  private static final Path BINARY = Path.of("target", "hepmc3", "read_evnt");

  private HepMC3Library() {}

  /** One event as the library read it. */
  public record Event(int number, int vertices, int particles, double crossSectionPb, double dileptonMass) {}

  /**
   * What the library read from a file.
   *
   * @param stderr what the library printed on standard error: its errors and warnings
   */
  public record Reading(String tool, String weights, Map<String, String> runAttributes, List<Event> events,
      double worstImbalance, double worstMassError, boolean failed, String stderr) {}

  /** Reads {@code file} with the HepMC3 library. */
  public static Reading read(Path file) throws IOException, InterruptedException {
    Path binary = compile();
    Path out = Files.createTempFile("hepmc3-", ".out");
    Path err = Files.createTempFile("hepmc3-", ".err");
    try {
      Process p = new ProcessBuilder(binary.toString(), file.toString()).redirectOutput(out.toFile())
          .redirectError(err.toFile()).start();
      if (!p.waitFor(2, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException("the HepMC3 reader did not finish reading " + file + " in 2 minutes");
      }
      return parse(Files.readAllLines(out, StandardCharsets.UTF_8), Files.readString(err));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static Reading parse(List<String> lines, String stderr) {
    String tool = "";
    String weights = "";
    Map<String, String> attributes = new LinkedHashMap<>();
    List<Event> events = new ArrayList<>();
    double imbalance = Double.NaN;
    double massError = Double.NaN;
    boolean failed = false;
    for (String line : lines) {
      String[] f = line.split(" ", 2);
      String rest = f.length > 1 ? f[1] : "";
      switch (f[0]) {
        case "tool" -> tool = rest;
        case "weights" -> weights = rest;
        case "attribute" -> {
          String[] kv = rest.split(" ", 2);
          attributes.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        case "event" -> {
          String[] e = rest.split(" ");
          events.add(new Event(Integer.parseInt(e[0]), Integer.parseInt(e[1]), Integer.parseInt(e[2]),
              Double.parseDouble(e[3]), Double.parseDouble(e[4])));
        }
        case "worst-imbalance" -> imbalance = Double.parseDouble(rest);
        case "worst-mass-error" -> massError = Double.parseDouble(rest);
        case "failed" -> failed = true;
        default -> { }
      }
    }
    return new Reading(tool, weights, attributes, events, imbalance, massError, failed, stderr);
  }

  /** The reader, compiled when it is missing or its source differs from the one it was compiled from. */
  private static synchronized Path compile() throws IOException, InterruptedException {
    byte[] wanted;
    try (InputStream in = HepMC3Library.class.getResourceAsStream("hepmc3/read_evnt.cc")) {
      if (in == null) {
        throw new IOException("the test resources lack hepmc3/read_evnt.cc");
      }
      wanted = in.readAllBytes();
    }
    Path source = BINARY.resolveSibling("read_evnt.cc");
    if (Files.isExecutable(BINARY) && Files.exists(source) && Arrays.equals(Files.readAllBytes(source), wanted)) {
      return BINARY;
    }
    Files.createDirectories(BINARY.getParent());
    Files.write(source, wanted);
    Path log = BINARY.resolveSibling("compile.log");
    Path partial = BINARY.resolveSibling("read_evnt.partial");
    Process p = new ProcessBuilder("g++", "-std=c++14", "-O1", "-o", partial.toString(), source.toString(), "-lHepMC3")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("compiling the HepMC3 reader failed (g++ and libhepmc3-dev are needed; .ci/run installs "
          + "them): " + Files.readString(log));
    }
    Files.move(partial, BINARY, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return BINARY;
  }
}
