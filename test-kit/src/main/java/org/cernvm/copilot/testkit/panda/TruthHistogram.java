package org.cernvm.copilot.testkit.panda;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The dilepton-mass histogram the stand-in {@code Derivation_tf.py} writes into its {@code DAOD_TRUTH1}
 * file: equal bins from {@code low} to {@code high} GeV, the events read and how many had a lepton pair,
 * and the events of each input file.
 *
 * @param low the lower edge of the first bin, in GeV
 * @param high the upper edge of the last bin, in GeV
 * @param counts the entries of each bin
 * @param events the events read
 * @param selected the events with an opposite-charge same-flavour lepton pair
 * @param inputEvents the events read from each input file, by its name, in the order read
 */
public record TruthHistogram(double low, double high, List<Long> counts, long events, long selected,
    List<InputEvents> inputEvents) {
  /** The events read from one input file. */
  public record InputEvents(String name, long events) {}

  public TruthHistogram {
    counts = List.copyOf(counts);
    inputEvents = List.copyOf(inputEvents);
    if (counts.isEmpty() || !(high > low)) {
      throw new IllegalArgumentException("a histogram needs bins and high > low");
    }
  }

  /** Reads the file {@code Derivation_tf.py} wrote; throws naming what is missing from it. */
  public static TruthHistogram read(Path file) throws IOException {
    JsonNode h = PandaParams.JSON.readTree(file.toFile());
    if (h == null || !"CoPilot histogram 1".equals(h.path("format").asText())) {
      throw new IOException(file + " is not a CoPilot histogram");
    }
    List<Long> counts = new ArrayList<>();
    h.path("counts").forEach(c -> counts.add(c.asLong()));
    List<InputEvents> inputs = new ArrayList<>();
    h.path("inputs").forEach(i -> inputs.add(new InputEvents(i.path("name").asText(), i.path("nentries").asLong())));
    try {
      return new TruthHistogram(h.path("low").asDouble(), h.path("high").asDouble(), counts, h.path("events").asLong(),
          h.path("selected").asLong(), inputs);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /** The bins' width in GeV. */
  public double binWidth() {
    return (high - low) / counts.size();
  }

  /** The centre of the bin with the most entries, in GeV. */
  public double peak() {
    int top = 0;
    for (int i = 1; i < counts.size(); i++) {
      if (counts.get(i) > counts.get(top)) {
        top = i;
      }
    }
    return low + (top + 0.5) * binWidth();
  }

  /** This histogram and {@code other}, of the same binning, added. */
  public TruthHistogram plus(TruthHistogram other) {
    if (other.low != low || other.high != high || other.counts.size() != counts.size()) {
      throw new IllegalArgumentException("histograms of different binning cannot be added");
    }
    List<Long> sum = new ArrayList<>();
    for (int i = 0; i < counts.size(); i++) {
      sum.add(counts.get(i) + other.counts.get(i));
    }
    List<InputEvents> inputs = new ArrayList<>(inputEvents);
    inputs.addAll(other.inputEvents);
    return new TruthHistogram(low, high, sum, events + other.events, selected + other.selected, inputs);
  }
}
