package org.cernvm.copilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cernvm.copilot.protocol.Checksums;
import org.cernvm.copilot.protocol.OutputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stand-in Generate_tf.py run as a real process: arguments, HepMC3 output, jobReport.json, determinism. */
class GenerateTransformTest {
  @TempDir Path dir;

  private int run(Path work, String... args) throws Exception {
    Path script = Transforms.install(dir.resolve("release")).resolve("Generate_tf.py");
    Files.createDirectories(work);
    List<String> cmd = new ArrayList<>(List.of(script.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(work.resolve("log.txt").toFile()).start();
    return p.waitFor();
  }

  private static String[] args(int seed, int firstEvent) {
    return new String[] {"--ecmEnergy", "13600", "--runNumber", "950000", "--firstEvent", Integer.toString(firstEvent),
        "--maxEvents", "500", "--randomSeed", Integer.toString(seed), "--jobConfig", "MC23.PhPy8EG_ttbar",
        "--outputEVNTFile", "EVNT.12345678._000001.pool.root.1"};
  }

  @Test
  void issue4_writesHepMC3EventsAndAJobReportThatDescribesThem() throws Exception {
    Path work = dir.resolve("a");
    assertThat(run(work, args(7, 1001))).isZero();
    Path evnt = work.resolve("EVNT.12345678._000001.pool.root.1");
    List<String> lines = Files.readAllLines(evnt);
    assertThat(lines.get(0)).isEqualTo("HepMC::Version 3.02.05");
    assertThat(lines.get(1)).isEqualTo("HepMC::Asciiv3-START_EVENT_LISTING");
    assertThat(lines.get(lines.size() - 1)).isEqualTo("HepMC::Asciiv3-END_EVENT_LISTING");
    List<String> events = lines.stream().filter(l -> l.startsWith("E ")).toList();
    assertThat(events).hasSize(500);
    assertThat(events.get(0)).startsWith("E 1001 ");

    // Physics: each Z's four-momentum is the sum of its leptons', and the masses peak at the Z mass.
    double massSum = 0;
    int inWindow = 0;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith("P 3 ")) {
        double[] z = momentum(lines.get(i));
        double[] l1 = momentum(lines.get(i + 2));
        double[] l2 = momentum(lines.get(i + 3));
        for (int k = 0; k < 4; k++) {
          assertThat(l1[k] + l2[k]).isCloseTo(z[k], within(1e-3 * Math.max(1, Math.abs(z[k]))));
        }
        double m = Math.sqrt(z[3] * z[3] - z[0] * z[0] - z[1] * z[1] - z[2] * z[2]);
        massSum += m;
        inWindow += Math.abs(m - 91.19) < 10 ? 1 : 0;
      }
    }
    assertThat(inWindow).isGreaterThan(400);
    assertThat(massSum / 500).isCloseTo(91.2, within(5.0));

    JsonNode report = new ObjectMapper().readTree(work.resolve("jobReport.json").toFile());
    assertThat(report.get("exitCode").asInt()).isZero();
    JsonNode file = report.at("/files/output/0/subFiles/0");
    OutputFile actual = Checksums.of(evnt);
    assertThat(file.get("name").asText()).isEqualTo(evnt.getFileName().toString());
    assertThat(file.get("nentries").asInt()).isEqualTo(500);
    assertThat(file.get("file_size").asLong()).isEqualTo(actual.sizeBytes());
    assertThat(file.get("adler32").asText()).isEqualTo(actual.adler32());
    assertThat(file.get("md5").asText()).isEqualTo(actual.md5());
  }

  private static double[] momentum(String particleLine) {
    String[] f = particleLine.trim().split("\\s+");
    return new double[] {Double.parseDouble(f[4]), Double.parseDouble(f[5]), Double.parseDouble(f[6]),
        Double.parseDouble(f[7])};
  }

  @Test
  void issue4_theSameSeedGivesByteIdenticalOutputAndAnotherSeedDoesNot() throws Exception {
    assertThat(run(dir.resolve("a"), args(7, 1))).isZero();
    assertThat(run(dir.resolve("b"), args(7, 1))).isZero();
    assertThat(run(dir.resolve("c"), args(8, 1))).isZero();
    String name = "EVNT.12345678._000001.pool.root.1";
    assertThat(Files.readAllBytes(dir.resolve("b").resolve(name))).isEqualTo(Files.readAllBytes(dir.resolve("a").resolve(name)));
    assertThat(Files.readAllBytes(dir.resolve("b").resolve("jobReport.json")))
        .isEqualTo(Files.readAllBytes(dir.resolve("a").resolve("jobReport.json")));
    assertThat(Files.readAllBytes(dir.resolve("c").resolve(name))).isNotEqualTo(Files.readAllBytes(dir.resolve("a").resolve(name)));
  }

  @Test
  void issue4_badArgumentsExitNonZeroWithAUsageMessage() throws Exception {
    Path work = dir.resolve("bad");
    assertThat(run(work, "--ecmEnergy", "13600")).isEqualTo(2);
    assertThat(Files.readString(work.resolve("log.txt"))).contains("required");
  }
}
