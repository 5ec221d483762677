package org.cernvm.copilot.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cernvm.copilot.protocol.PayloadReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a payload's {@code jobReport.json} as pilot3 does, and what an untrusted one may not do. */
class PayloadReportsTest {
  @TempDir Path dir;
  private final List<String> notes = new ArrayList<>();

  private PayloadReport read() {
    return PayloadReports.read(dir, notes::add);
  }

  @Test
  void eventsAndCpuTimeComeFromTheTransformsResourceSectionAndTheDirectoryIsMeasured() throws Exception {
    Files.writeString(dir.resolve("jobReport.json"), """
        {"exitCode": 0, "resource": {"transform": {"processedEvents": 1000, "cpuTimeTotal": 41.6, "wallTime": 50}},
         "files": {"output": [{"subFiles": [{"nentries": 7}]}]}}""");
    Files.write(dir.resolve("EVNT.pool.root.1"), new byte[10_000]);
    long size = Files.size(dir.resolve("jobReport.json")) + 10_000;
    assertThat(read()).isEqualTo(new PayloadReport(1000, 42, size));
    assertThat(notes).isEmpty();
  }

  @Test
  void withoutProcessedEventsTheOutputFilesEntriesAreSummed() throws Exception {
    Files.writeString(dir.resolve("jobReport.json"), """
        {"files": {"output": [{"subFiles": [{"nentries": 300}, {"nentries": 200}]}, {"subFiles": [{"nentries": 1}]}]}}""");
    PayloadReport r = read();
    assertThat(r.events()).isEqualTo(501);
    assertThat(r.cpuSeconds()).isEqualTo(-1);
  }

  @Test
  void noReportLeavesTheFiguresUnknownButTheDirectorySize() throws Exception {
    Files.write(dir.resolve("out.txt"), new byte[123]);
    assertThat(read()).isEqualTo(new PayloadReport(-1, -1, 123));
    assertThat(notes).isEmpty();
  }

  @Test
  void aMalformedOrHostileReportGivesUnknownFiguresAndANoteNeverAnError() throws Exception {
    for (String bad : List.of("not json", "[1, 2]", "{\"a\": 1, \"a\": 2}", "[".repeat(10_000),
        "{\"resource\": {\"transform\": {\"processedEvents\": -5, \"cpuTimeTotal\": \"lots\"}}}",
        "{\"resource\": {\"transform\": {\"processedEvents\": 1.5, \"cpuTimeTotal\": 1e300}}}",
        "{\"resource\": {\"transform\": {\"processedEvents\": 99999999999999999999999}}}")) {
      Files.writeString(dir.resolve("jobReport.json"), bad);
      notes.clear();
      PayloadReport r = read();
      assertThat(r.events()).as(bad).isEqualTo(-1);
      assertThat(r.cpuSeconds()).as(bad).isEqualTo(-1);
      assertThat(r.workDirBytes()).as(bad).isEqualTo(bad.length());
      assertThat(notes).as(bad).isNotEmpty().allSatisfy(n -> assertThat(n).startsWith("jobReport.json").hasSizeLessThan(400));
    }
  }

  @Test
  void aReportOverTheLimitIsNotRead() throws Exception {
    try (var out = Files.newBufferedWriter(dir.resolve("jobReport.json"))) {
      out.write("{\"resource\": {\"transform\": {\"processedEvents\": 5}}, \"pad\": \"");
      out.write("x".repeat((int) PayloadReports.MAX_BYTES));
      out.write("\"}");
    }
    assertThat(read().events()).isEqualTo(-1);
    assertThat(notes).singleElement().asString().contains("over " + PayloadReports.MAX_BYTES);
  }

  @Test
  void aLinkNamedLikeTheReportIsNotFollowed(@TempDir Path other) throws Exception {
    Path elsewhere = Files.writeString(other.resolve("secret.json"),
        "{\"resource\": {\"transform\": {\"processedEvents\": 5}}}");
    Files.createSymbolicLink(dir.resolve("jobReport.json"), elsewhere);
    assertThat(read().events()).isEqualTo(-1);
  }
}
