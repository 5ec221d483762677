package org.cernvm.copilot.testbed;

import org.cernvm.copilot.testkit.HepMC3Library;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.cernvm.copilot.protocol.Checksums;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.testkit.panda.HepMC3Events;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The stand-in Generate_tf.py run as a real process: arguments, EVNT files read with the HepMC3 library,
 * jobReport.json, determinism.
 */
class GenerateTransformTest {
  private static final String EVNT = "EVNT.12345678._000001.pool.root.1";

  @TempDir Path dir;

  private int run(Path work, String... args) throws Exception {
    Path script = Transforms.install(dir.resolve("release")).resolve("Generate_tf.py");
    Files.createDirectories(work);
    List<String> cmd = new ArrayList<>(List.of(script.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(dir.resolve(work.getFileName() + ".log").toFile()).start();
    return p.waitFor();
  }

  private static String[] args(int seed, int firstEvent) {
    return args(seed, Integer.toString(firstEvent), "13600", "MC23.CoPilotDY_Zll");
  }

  private static String[] args(int seed, String firstEvent, String ecm, String jobConfig) {
    return new String[] {"--ecmEnergy", ecm, "--runNumber", "950000", "--firstEvent", firstEvent,
        "--maxEvents", "500", "--randomSeed", Integer.toString(seed), "--jobConfig", jobConfig,
        "--outputEVNTFile", EVNT};
  }

  @Test
  void theHepMC3LibraryReadsEveryEventWithoutAWarningAndFindsMomentumConserved() throws Exception {
    Path work = dir.resolve("a");
    assertThat(run(work, args(7, 1001))).isZero();
    HepMC3Library.Reading r = HepMC3Library.read(work.resolve(EVNT));

    assertThat(r.stderr()).as("the library's errors and warnings").isEmpty();
    assertThat(r.failed()).isFalse();
    assertThat(r.events()).hasSize(500);
    assertThat(r.events().get(0).number()).isEqualTo(1001);
    assertThat(r.events().get(499).number()).isEqualTo(1500);
    assertThat(r.events()).allSatisfy(e -> {
      assertThat(e.vertices()).isEqualTo(4);
      assertThat(e.particles()).isEqualTo(9);
      assertThat(e.crossSectionPb()).isPositive();
    });
    assertThat(HepMC3Events.check(work.resolve(EVNT))).as("the demo's own check agrees")
        .isEqualTo(new HepMC3Events.Summary(500, null));
    assertThat(r.tool()).startsWith("CoPilot Generate_tf.py stand-in|");
    assertThat(r.weights()).isEqualTo("nominal");
    assertThat(r.runAttributes()).containsEntry("mcChannelNumber", "950000")
        .containsEntry("jobConfig", "MC23.CoPilotDY_Zll");
    // Four-momentum at every vertex and between beams and final state, to rounding of TeV-scale doubles.
    assertThat(r.worstImbalance()).isLessThan(1e-9);
    // Full precision: a lepton's mass from its TeV-scale four-momentum is its stated mass to 0.1 MeV (with
    // nine significant digits it was off by 0.3 GeV).
    assertThat(r.worstMassError()).isLessThan(1e-4);

    double[] masses = r.events().stream().mapToDouble(HepMC3Library.Event::dileptonMass).toArray();
    long inWindow = Arrays.stream(masses).filter(m -> Math.abs(m - 91.19) < 10).count();
    assertThat(inWindow).isGreaterThan(400);
    assertThat(median(masses)).isCloseTo(91.19, within(1.0));

    JsonNode report = new ObjectMapper().readTree(work.resolve("jobReport.json").toFile());
    assertThat(report.get("exitCode").asInt()).isZero();
    JsonNode file = report.at("/files/output/0/subFiles/0");
    OutputFile actual = Checksums.of(work.resolve(EVNT));
    assertThat(file.get("name").asText()).isEqualTo(EVNT);
    assertThat(file.get("nentries").asInt()).isEqualTo(500);
    assertThat(file.get("file_size").asLong()).isEqualTo(actual.sizeBytes());
    assertThat(file.get("adler32").asText()).isEqualTo(actual.adler32());
    assertThat(file.get("md5").asText()).isEqualTo(actual.md5());
    // Where pilot3 reads the events and CPU time from (its parse_jobreport_data).
    assertThat(report.at("/resource/transform/processedEvents").asLong()).isEqualTo(500);
    assertThat(report.at("/resource/transform/cpuTimeTotal").isIntegralNumber()).isTrue();
    assertThat(report.at("/resource/transform/cpuTimeTotal").asLong()).isNotNegative();
  }

  /** A job report without its {@code resource} section, the CPU and wall times that differ run to run. */
  private static JsonNode reportWithoutTimes(Path work) throws Exception {
    ObjectNode report = (ObjectNode) new ObjectMapper().readTree(work.resolve("jobReport.json").toFile());
    assertThat(report.remove("resource")).isNotNull();
    return report;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  @Test
  void theJobConfigChoosesTheLeptonFlavour() throws Exception {
    assertThat(run(dir.resolve("ee"), args(3, "1", "13600", "MC23.CoPilotDY_Zee"))).isZero();
    List<String> lines = Files.readAllLines(dir.resolve("ee").resolve(EVNT));
    assertThat(lines.stream().filter(l -> l.matches("P [89] 7 -?13 .*"))).isEmpty();
    assertThat(lines.stream().filter(l -> l.matches("P [89] 7 -?11 .*"))).hasSize(1000);
  }

  @Test
  void theSameSeedGivesByteIdenticalEventsAndReportAndAnotherSeedDoesNot() throws Exception {
    assertThat(run(dir.resolve("a"), args(7, 1))).isZero();
    assertThat(run(dir.resolve("b"), args(7, 1))).isZero();
    assertThat(run(dir.resolve("c"), args(8, 1))).isZero();
    assertThat(Files.readAllBytes(dir.resolve("b").resolve(EVNT))).isEqualTo(Files.readAllBytes(dir.resolve("a").resolve(EVNT)));
    assertThat(reportWithoutTimes(dir.resolve("b"))).isEqualTo(reportWithoutTimes(dir.resolve("a")));
    assertThat(Files.readAllBytes(dir.resolve("c").resolve(EVNT))).isNotEqualTo(Files.readAllBytes(dir.resolve("a").resolve(EVNT)));
  }

  @Test
  void missingArgumentsExitNonZeroWithAUsageMessage() throws Exception {
    Path work = dir.resolve("bad");
    assertThat(run(work, "--ecmEnergy", "13600")).isEqualTo(2);
    assertThat(Files.readString(dir.resolve("bad.log"))).contains("required");
  }

  @Test
  void aRunKilledWhileWritingLeavesNoFileUnderTheOutputsName() throws Exception {
    Path script = Transforms.install(dir.resolve("release")).resolve("Generate_tf.py");
    Path work = Files.createDirectories(dir.resolve("killed"));
    List<String> cmd = new ArrayList<>(List.of(script.toString()));
    cmd.addAll(List.of(args(1, 1)));
    cmd.set(cmd.indexOf("500"), "5000000");
    Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("killed.log").toFile()).start();
    try {
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> {
        try (Stream<Path> files = Files.list(work)) {
          return files.anyMatch(f -> f.getFileName().toString().startsWith(EVNT + ".tmp.") && f.toFile().length() > 0);
        }
      });
    } finally {
      p.destroyForcibly().waitFor();
    }
    assertThat(work.resolve(EVNT)).doesNotExist();
    assertThat(work.resolve("jobReport.json")).doesNotExist();
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
      "--ecmEnergy, nan, --ecmEnergy must be a number",
      "--ecmEnergy, inf, --ecmEnergy must be a number",
      "--ecmEnergy, -inf, --ecmEnergy must be a number",
      "--ecmEnergy, 1e300, --ecmEnergy must be a number",
      "--firstEvent, 2147483647, as HepMC3 keeps it in an int",
      "--firstEvent, -1, --firstEvent must be at least 0",
      "--maxEvents, 0, --maxEvents must be between 1",
      "--jobConfig, MC23.PhPy8EG_ttbar, names a process this stand-in does not generate"})
  void badArgumentsAreRefusedClearlyAndLeaveNoFile(String option, String value, String error) throws Exception {
    Path work = dir.resolve("bad");
    List<String> args = new ArrayList<>(List.of(args(1, 1)));
    int at = args.indexOf(option);
    args.remove(at + 1);
    args.set(at, option + "=" + value);
    assertThat(run(work, args.toArray(String[]::new))).isEqualTo(2);
    assertThat(Files.readString(dir.resolve("bad.log"))).contains(error);
    try (Stream<Path> left = Files.list(work)) {
      assertThat(left).as("files left by a refused run").isEmpty();
    }
  }
}
