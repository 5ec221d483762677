package org.cernvm.copilot.agent;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.Consumer;
import org.cernvm.copilot.protocol.PayloadReport;
import org.cernvm.copilot.protocol.Untrusted;

/**
 * Reads what a payload says of its own work from the report it leaves in its directory, as pilot3 reads an
 * ATLAS transform's {@code jobReport.json}: the events from {@code resource.transform.processedEvents} (or,
 * lacking it, the {@code nentries} of its output files), the CPU seconds from
 * {@code resource.transform.cpuTimeTotal}; and measures the directory. The report is the payload's, so
 * untrusted: one that is too big, malformed or holds figures of the wrong kind yields unknown figures and a
 * line in the job's log, never a failed job.
 */
final class PayloadReports {
  /** The report's file name in the job's directory. */
  static final String FILE = "jobReport.json";

  /** The largest report read; a real one is tens of KiB. */
  static final long MAX_BYTES = 4L << 20;

  /**
   * The most entries (files and directories) counted towards the directory's size, so that a huge tree costs
   * bounded time.
   */
  static final int MAX_ENTRIES = 100_000;

  private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
          .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
          .build())
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .build();

  private PayloadReports() {}

  /** The report of the payload that ran in {@code dir}; {@code note} gets a line for each problem found. */
  static PayloadReport read(Path dir, Consumer<String> note) {
    try {
      return parse(dir, note);
    } catch (RuntimeException e) {
      // Whatever the payload left, the job's end is reported: a report that cannot be read is unknown.
      note.accept("the payload's report and directory could not be read: " + Untrusted.text(e.toString(), 200));
      return PayloadReport.UNKNOWN;
    }
  }

  private static PayloadReport parse(Path dir, Consumer<String> note) {
    long workDirBytes = size(dir, note);
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      return new PayloadReport(-1, -1, workDirBytes);
    }
    JsonNode report;
    try {
      long bytes = Files.size(file);
      if (bytes > MAX_BYTES) {
        note.accept(FILE + " not read: " + bytes + " bytes, over " + MAX_BYTES);
        return new PayloadReport(-1, -1, workDirBytes);
      }
      try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
        report = JSON.readTree(in.readNBytes((int) MAX_BYTES));
      }
    } catch (IOException e) {
      note.accept(FILE + " not read: " + e.getMessage());
      return new PayloadReport(-1, -1, workDirBytes);
    }
    if (report == null || !report.isObject()) {
      note.accept(FILE + " is not a JSON object");
      return new PayloadReport(-1, -1, workDirBytes);
    }
    JsonNode transform = report.path("resource").path("transform");
    long events = count(transform.path("processedEvents"), "resource.transform.processedEvents", note);
    if (events < 0) {
      events = outputEntries(report.path("files").path("output"), note);
    }
    long cpu = seconds(transform.path("cpuTimeTotal"), "resource.transform.cpuTimeTotal", note);
    return new PayloadReport(events, cpu, workDirBytes);
  }

  /** The sum of {@code files.output[].subFiles[].nentries}, or -1 if any is missing or not a count. */
  private static long outputEntries(JsonNode outputs, Consumer<String> note) {
    if (!outputs.isArray() || outputs.isEmpty()) {
      return -1;
    }
    long sum = 0;
    for (JsonNode output : outputs) {
      JsonNode subFiles = output.path("subFiles");
      if (!subFiles.isArray()) {
        return -1;
      }
      for (JsonNode sub : subFiles) {
        long n = count(sub.path("nentries"), "files.output[].subFiles[].nentries", note);
        if (n < 0) {
          return -1;
        }
        sum = sum > Long.MAX_VALUE - n ? Long.MAX_VALUE : sum + n;
      }
    }
    return sum;
  }

  private static long count(JsonNode n, String what, Consumer<String> note) {
    if (n.isMissingNode() || n.isNull()) {
      return -1;
    }
    if (n.canConvertToExactIntegral() && n.canConvertToLong() && n.asLong() >= 0) {
      return n.asLong();
    }
    note.accept(FILE + ": " + what + " is not a count: " + Untrusted.text(n.toString(), 80));
    return -1;
  }

  private static long seconds(JsonNode n, String what, Consumer<String> note) {
    if (n.isMissingNode() || n.isNull()) {
      return -1;
    }
    if (n.isNumber() && Double.isFinite(n.asDouble()) && n.asDouble() >= 0 && n.asDouble() < 1e15) {
      return Math.round(n.asDouble());
    }
    note.accept(FILE + ": " + what + " is not a number of seconds: "
        + Untrusted.text(n.toString(), 80));
    return -1;
  }

  /** The bytes of the regular files under {@code dir}, links not followed; -1 if it cannot be walked. */
  private static long size(Path dir, Consumer<String> note) {
    long[] total = {0};
    int[] entries = {0};
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
          return ++entries[0] >= MAX_ENTRIES ? FileVisitResult.TERMINATE : FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          if (attrs.isRegularFile()) {
            // Sparse files can claim exabytes each: the sum saturates rather than wrapping around.
            long size = Math.max(0, attrs.size());
            total[0] = total[0] > Long.MAX_VALUE - size ? Long.MAX_VALUE : total[0] + size;
          }
          return ++entries[0] >= MAX_ENTRIES ? FileVisitResult.TERMINATE : FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) {
          // A file the payload removed while it was counted is simply not counted.
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (NoSuchFileException e) {
      return -1;
    } catch (IOException e) {
      note.accept("cannot measure the job directory: " + e.getMessage());
      return -1;
    }
    if (entries[0] >= MAX_ENTRIES) {
      note.accept("the job directory holds over " + MAX_ENTRIES + " entries; its size counts the first " + MAX_ENTRIES);
    }
    return total[0];
  }
}
