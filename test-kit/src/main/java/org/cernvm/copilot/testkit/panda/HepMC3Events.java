package org.cernvm.copilot.testkit.panda;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A structural check of a HepMC3 ASCII file as the demo makes it: each event holds the vertices and particles
 * its {@code E} line declares, counting the vertices a particle line implies by naming its parent particle as
 * HepMC3's reader does, and four-momentum is conserved at every vertex. The test suite reads the same files
 * with the HepMC3 library itself; this check is for the demo, which runs where that library is not installed.
 */
public final class HepMC3Events {
  /** Largest four-momentum mismatch at a vertex, relative to the energy flowing in, that still passes. */
  private static final double TOLERANCE = 1e-9;

  private HepMC3Events() {}

  /**
   * What a file holds.
   *
   * @param events complete events read
   * @param problem the first problem found, or {@code null}
   */
  public record Summary(int events, String problem) {}

  /** Checks {@code file}. */
  public static Summary check(Path file) throws IOException {
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII)) {
      Event event = null;
      int events = 0;
      boolean ended = false;
      String line;
      int lineNumber = 0;
      while ((line = r.readLine()) != null) {
        lineNumber++;
        String[] f = line.split(" ");
        if (line.startsWith("E ")) {
          if (event != null) {
            String problem = event.problem();
            if (problem != null) {
              return new Summary(events, problem);
            }
            events++;
          }
          event = new Event(f, lineNumber);
        } else if (event != null && line.startsWith("P ")) {
          event.particle(f);
        } else if (event != null && line.startsWith("V ")) {
          event.vertex(f);
        } else if (line.equals("HepMC::Asciiv3-END_EVENT_LISTING")) {
          ended = true;
        }
      }
      if (event != null) {
        String problem = event.problem();
        if (problem != null) {
          return new Summary(events, problem);
        }
        events++;
      }
      return new Summary(events, ended ? null : "the file lacks its end-of-listing line");
    } catch (RuntimeException e) {
      return new Summary(0, "unreadable HepMC3: " + e);
    }
  }

  /** One event's lines, gathered. */
  private static final class Event {
    private final int number;
    private final int declaredVertices;
    private final int declaredParticles;
    private final int line;
    private final Map<Integer, double[]> momenta = new HashMap<>();
    /** Four-momentum in minus out per vertex: explicit vertices by id, implicit ones by parent particle. */
    private final Map<String, double[]> balance = new HashMap<>();
    private final Map<String, Double> scale = new HashMap<>();
    private final Set<String> withIncoming = new HashSet<>();
    private final Set<String> withOutgoing = new HashSet<>();
    private int particles;

    Event(String[] f, int line) {
      this.number = Integer.parseInt(f[1]);
      this.declaredVertices = Integer.parseInt(f[2]);
      this.declaredParticles = Integer.parseInt(f[3]);
      this.line = line;
    }

    void particle(String[] f) {
      particles++;
      int id = Integer.parseInt(f[1]);
      int parent = Integer.parseInt(f[2]);
      double[] p = {Double.parseDouble(f[4]), Double.parseDouble(f[5]), Double.parseDouble(f[6]),
          Double.parseDouble(f[7])};
      momenta.put(id, p);
      if (parent == 0) {
        return;
      }
      String vertex = parent < 0 ? "V" + parent : "P" + parent;
      if (parent > 0 && balance.putIfAbsent(vertex, new double[4]) == null) {
        flow(vertex, momenta.get(parent), 1);
      }
      flow(vertex, p, -1);
      withOutgoing.add(vertex);
    }

    void vertex(String[] f) {
      String vertex = "V" + f[1];
      balance.putIfAbsent(vertex, new double[4]);
      String list = f[3].replace("[", "").replace("]", "");
      for (String in : list.split(",")) {
        flow(vertex, momenta.get(Integer.parseInt(in)), 1);
      }
    }

    private void flow(String vertex, double[] p, int sign) {
      if (p == null) {
        throw new IllegalArgumentException("event " + number + " names a particle before its line");
      }
      double[] b = balance.computeIfAbsent(vertex, v -> new double[4]);
      for (int k = 0; k < 4; k++) {
        b[k] += sign * p[k];
      }
      if (sign > 0) {
        scale.merge(vertex, Math.abs(p[3]), Double::sum);
        withIncoming.add(vertex);
      }
    }

    String problem() {
      if (particles != declaredParticles || balance.size() != declaredVertices) {
        return "event " + number + " (line " + line + ") declares " + declaredVertices + " vertices and "
            + declaredParticles + " particles but holds " + balance.size() + " and " + particles;
      }
      for (Map.Entry<String, double[]> v : balance.entrySet()) {
        double limit = TOLERANCE * Math.max(1, scale.getOrDefault(v.getKey(), 0.0));
        for (double component : v.getValue()) {
          if (Math.abs(component) > limit || !withIncoming.contains(v.getKey())
              || !withOutgoing.contains(v.getKey())) {
            return "event " + number + " (line " + line + ") does not conserve four-momentum at a vertex";
          }
        }
      }
      return null;
    }
  }
}
