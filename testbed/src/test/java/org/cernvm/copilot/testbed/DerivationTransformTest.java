package org.cernvm.copilot.testbed;

import org.cernvm.copilot.testkit.HepMC3Library;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.cernvm.copilot.protocol.Checksums;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.testkit.panda.TruthHistogram;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The stand-in {@code Derivation_tf.py}: the histogram it makes of the EVNT files the stand-in
 * {@code Generate_tf.py} writes, checked against the HepMC3 library's reading of the same files; its job
 * report; and what it does with inputs that are missing, cut short or not HepMC3.
 */
class DerivationTransformTest {
  private static final String DAOD = "DAOD_TRUTH1.47000002._000001.pool.root.1";

  @TempDir Path dir;
  private Path release;
  private Path work;

  @BeforeEach
  void setUp() throws Exception {
    release = Transforms.install(dir.resolve("release"));
    work = Files.createDirectories(dir.resolve("work"));
  }

  private int run(String transform, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(release.resolve(transform).toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("run.log").toFile()).start();
    return p.waitFor();
  }

  private String output() throws Exception {
    return Files.readString(dir.resolve("run.log"));
  }

  private void generate(String evnt, int seed, int events) throws Exception {
    assertThat(run("Generate_tf.py", "--ecmEnergy=13600", "--runNumber=950000", "--firstEvent=" + (seed * events + 1),
        "--maxEvents=" + events, "--randomSeed=" + seed, "--jobConfig=MC23.CoPilotDY_Zll", "--outputEVNTFile=" + evnt))
        .isZero();
  }

  @Test
  void theHistogramHoldsEveryEventsDileptonMassAsTheHepMC3LibraryReadsThemAndPeaksAtTheZ() throws Exception {
    generate("EVNT.1", 1, 1500);
    generate("EVNT.2", 2, 1500);
    assertThat(run("Derivation_tf.py", "--inputEVNTFile=EVNT.1,EVNT.2", "--outputDAOD_TRUTH1File=" + DAOD,
        "--reductionConf=TRUTH1")).as(output()).isZero();
    assertThat(output()).contains("read 1500 events from EVNT.1 (1 of 2 inputs)", "read 1500 events from EVNT.2 (2 of 2 inputs)");

    TruthHistogram h = TruthHistogram.read(work.resolve(DAOD));
    assertThat(h.events()).isEqualTo(3000);
    assertThat(h.selected()).isEqualTo(3000);
    assertThat(h.inputEvents()).containsExactly(new TruthHistogram.InputEvents("EVNT.1", 1500),
        new TruthHistogram.InputEvents("EVNT.2", 1500));
    // Bin by bin what the library's reading of the same files gives.
    long[] expected = new long[h.counts().size()];
    for (String evnt : List.of("EVNT.1", "EVNT.2")) {
      for (HepMC3Library.Event e : HepMC3Library.read(work.resolve(evnt)).events()) {
        double m = e.dileptonMass();
        if (m >= h.low() && m < h.high()) {
          expected[(int) ((m - h.low()) / h.binWidth())]++;
        }
      }
    }
    assertThat(h.counts()).containsExactlyElementsOf(Arrays.stream(expected).boxed().toList());
    assertThat(Math.abs(h.peak() - EvgenWorkload.Z_MASS)).isLessThanOrEqualTo(h.binWidth());

    JsonNode report = new ObjectMapper().readTree(work.resolve("jobReport.json").toFile());
    assertThat(report.at("/resource/transform/processedEvents").asLong()).isEqualTo(3000);
    OutputFile actual = Checksums.of(work.resolve(DAOD));
    JsonNode out = report.at("/files/output/0/subFiles/0");
    assertThat(out.get("name").asText()).isEqualTo(DAOD);
    assertThat(out.get("file_size").asLong()).isEqualTo(actual.sizeBytes());
    assertThat(out.get("adler32").asText()).isEqualTo(actual.adler32());
    assertThat(report.at("/files/input/0/subFiles/1/nentries").asLong()).isEqualTo(1500);
  }

  @Test
  void eventsInMevGiveTheSameHistogramAsInGev() throws Exception {
    generate("EVNT.1", 1, 300);
    List<String> mev = new ArrayList<>();
    for (String line : Files.readAllLines(work.resolve("EVNT.1"))) {
      if (line.equals("U GEV MM")) {
        mev.add("U MEV MM");
      } else if (line.startsWith("P ")) {
        String[] f = line.split(" ");
        for (int i = 4; i <= 8; i++) {
          f[i] = String.format("%.16e", Double.parseDouble(f[i]) * 1000);
        }
        mev.add(String.join(" ", f));
      } else {
        mev.add(line);
      }
    }
    Files.write(work.resolve("EVNT.2"), mev);
    assertThat(run("Derivation_tf.py", "--inputEVNTFile=EVNT.1", "--outputDAOD_TRUTH1File=GEV")).isZero();
    assertThat(run("Derivation_tf.py", "--inputEVNTFile=EVNT.2", "--outputDAOD_TRUTH1File=MEV")).isZero();
    assertThat(TruthHistogram.read(work.resolve("MEV")).counts())
        .isEqualTo(TruthHistogram.read(work.resolve("GEV")).counts());
  }

  @Test
  void maxEventsStopsReadingAcrossInputs() throws Exception {
    generate("EVNT.1", 1, 100);
    generate("EVNT.2", 2, 100);
    assertThat(run("Derivation_tf.py", "--inputEVNTFile=EVNT.1,EVNT.2", "--outputDAOD_TRUTH1File=" + DAOD,
        "--maxEvents=150")).isZero();
    TruthHistogram h = TruthHistogram.read(work.resolve(DAOD));
    assertThat(h.events()).isEqualTo(150);
    assertThat(h.inputEvents()).extracting(TruthHistogram.InputEvents::events).containsExactly(100L, 50L);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "cut short | EVNT.1: truncated: no HepMC::Asciiv3-END_EVENT_LISTING",
      "not HepMC3 | EVNT.1: not a HepMC3 ASCII file",
      "a particle lost | declares 9 particles and holds 8",
      "missing | EVNT.1: cannot open",
      "binary | is not ASCII"})
  void aBadInputFailsWithTheFileAndLineNamedAndLeavesNoOutput(String what, String error) throws Exception {
    generate("EVNT.0", 0, 20);
    List<String> lines = Files.readAllLines(work.resolve("EVNT.0"));
    Path bad = work.resolve("EVNT.1");
    switch (what) {
      case "cut short" -> Files.write(bad, lines.subList(0, lines.size() - 1));
      case "not HepMC3" -> Files.writeString(bad, "<xml>not events</xml>\n");
      case "a particle lost" -> {
        List<String> cut = new ArrayList<>(lines);
        cut.remove(cut.indexOf(cut.stream().filter(l -> l.startsWith("P 9 ")).findFirst().orElseThrow()));
        Files.write(bad, cut);
      }
      case "binary" -> Files.write(bad, new byte[] {'H', 'e', 'p', (byte) 0xff, (byte) 0xfe, '\n'});
      default -> { }
    }
    assertThat(run("Derivation_tf.py", "--inputEVNTFile=EVNT.0,EVNT.1", "--outputDAOD_TRUTH1File=" + DAOD)).isEqualTo(3);
    assertThat(output()).contains("Derivation_tf.py: ERROR: ").contains(error);
    try (var files = Files.list(work)) {
      assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.startsWith("DAOD"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "--reductionConf=PHYS | is not a derivation this stand-in makes",
      "--maxEvents=0 | --maxEvents must be a positive number",
      "--outputDAOD_TRUTH1File=../x | file names must be plain names"})
  void badArgumentsAreRefusedWithAUsageError(String argument, String error) throws Exception {
    generate("EVNT.1", 1, 10);
    List<String> args = new ArrayList<>(List.of("--inputEVNTFile=EVNT.1", "--outputDAOD_TRUTH1File=" + DAOD));
    args.add(argument);
    assertThat(run("Derivation_tf.py", args.toArray(String[]::new))).isEqualTo(2);
    assertThat(output()).contains(error);
    assertThat(work.resolve(DAOD)).doesNotExist();
  }
}
