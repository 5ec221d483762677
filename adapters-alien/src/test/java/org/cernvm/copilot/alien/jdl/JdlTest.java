package org.cernvm.copilot.alien.jdl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The JDL parser on real-style JDLs and malformed ones, printing, and submit-time substitution. */
class JdlTest {
  /** An MC production JDL in the style of ALICE's (abridged from a real one). */
  static final String PRODUCTION = """
      # MC production, anchored to run 244377
      User = "aliprod";
      Packages = { "VO_ALICE@AliDPG::prod-202110-01-1", "VO_ALICE@AliPhysics::v5-09-56f-01-1" };
      Executable = "/alice/cern.ch/user/a/aliprod/bin/aliroot_dpgsim.sh";
      InputFile = { "LF:/alice/sim/2021/LHC21j2a_patch/OCDB/244377/OCDBsim.root" };
      Split = "production:1-5";
      SplitArguments = "--run 244377 --mode full --uid #alien_counter# --nevents 150 --generator DPG:EPOS_Pileup";
      ValidationCommand = "/alice/validation/validation.sh";
      OutputDir = "/alice/sim/2021/LHC21j7b/244377/#alien_counter_03i#";
      Output = { "log_archive:stderr.log,stdout.log,sim.log@disk=1",
                 "aod_archive.zip:AliAOD*.root,AODQA.root@disk=2" };
      OutputErrorE = { "log_archive.zip:*.log@disk=1" };
      Requirements = ( member(other.Packages,"VO_ALICE@AliDPG::prod-202110-01-1") ) && ( other.TTL > 72000 ) && ( other.Price <= 12 );
      TTL = 72000; Price = 12.0; MemorySize = "8GB"; WorkDirectorySize = { "11000MB" };
      JDLVariables = { "OutputDir", "LPMRunNumber", "CPUCores" }; LPMRunNumber = "244377"; CPUCores = "1"; Type = "Job";
      """;

  /** A user analysis JDL: arguments, remote input data, plain output files, an OR in the requirements. */
  static final String ANALYSIS = """
      Executable = "/alice/cern.ch/user/j/jdoe/bin/analysis.sh";
      Arguments = "$1 --events 1000 --tag \\"test run\\"";
      InputData = { "LF:/alice/data/2018/LHC18q/000296414/pass3/AOD/001/AliAOD.root,nodownload",
                    "LF:/alice/data/2018/LHC18q/000296414/pass3/AOD/002/AliAOD.root" };
      OutputFile = { "AnalysisResults.root@ALICE::CERN::EOS,!ALICE::FZK::SE", "*.log" };
      OutputArchive = { "root_archive.zip:*.root@disk=2" };
      Requirements = other.CE == "ALICE::CERN::Copilot" || !( other.TTL < 3600 );
      TTL = 3600;
      Price = 1;
      """;

  @Test
  void issue5_aProductionJdlIsReadIntoTypedTags() throws Exception {
    Jdl jdl = Jdl.parse(PRODUCTION);
    assertThat(jdl.executable()).isEqualTo("/alice/cern.ch/user/a/aliprod/bin/aliroot_dpgsim.sh");
    assertThat(jdl.packages()).containsExactly("VO_ALICE@AliDPG::prod-202110-01-1", "VO_ALICE@AliPhysics::v5-09-56f-01-1");
    assertThat(jdl.inputFile()).containsExactly(new InputEntry("/alice/sim/2021/LHC21j2a_patch/OCDB/244377/OCDBsim.root", false));
    assertThat(jdl.output()).containsExactly(
        new OutputEntry("log_archive", List.of("stderr.log", "stdout.log", "sim.log"), List.of("disk=1")),
        new OutputEntry("aod_archive.zip", List.of("AliAOD*.root", "AODQA.root"), List.of("disk=2")));
    assertThat(jdl.output().get(1).replicas()).isEqualTo(2);
    assertThat(jdl.outputErrorE()).singleElement().satisfies(o -> assertThat(o.archive()).isEqualTo("log_archive.zip"));
    assertThat(jdl.ttl()).isEqualTo(72000);
    assertThat(jdl.price()).isEqualTo(new BigDecimal("12.0"));
    assertThat(jdl.cpuCores()).isEqualTo(1);
    assertThat(jdl.workDirectorySize()).isEqualTo("11000MB");
    assertThat(jdl.split()).isEqualTo("production:1-5");
    assertThat(jdl.jdlVariables()).containsExactly("OutputDir", "LPMRunNumber", "CPUCores");
    assertThat(jdl.other()).containsEntry("LPMRunNumber", new JdlValue.Text("244377"));
    assertThat(jdl.requirements()).isInstanceOfSatisfying(Expr.Binary.class, b -> {
      assertThat(b.op()).isEqualTo("&&");
      assertThat(b.right()).isEqualTo(new Expr.Binary("<=", new Expr.Ref("other.Price"),
          new Expr.Literal(new JdlValue.Number(new BigDecimal("12")))));
    });
    assertThat(jdl.requirements().print()).contains("member(other.Packages, \"VO_ALICE@AliDPG::prod-202110-01-1\")");
  }

  @Test
  void issue5_anAnalysisJdlWithRemoteInputsEscapesAndAnOrRequirement() throws Exception {
    Jdl jdl = Jdl.parse(Jdl.applyArguments(ANALYSIS, List.of("--run=296414")));
    assertThat(jdl.arguments()).isEqualTo("--run=296414 --events 1000 --tag \"test run\"");
    assertThat(jdl.inputData()).extracting(InputEntry::noDownload).containsExactly(true, false);
    assertThat(jdl.outputFile().get(0).options()).containsExactly("ALICE::CERN::EOS", "!ALICE::FZK::SE");
    assertThat(jdl.outputFile().get(0).archive()).isNull();
    assertThat(jdl.outputArchive().get(0).files()).containsExactly("*.root");
    assertThat(jdl.requirements()).isInstanceOfSatisfying(Expr.Binary.class, b -> {
      assertThat(b.op()).isEqualTo("||");
      assertThat(b.right()).isInstanceOf(Expr.Not.class);
    });
    assertThat(jdl.price()).isEqualTo(new BigDecimal("1"));
  }

  @Test
  void issue5_printingAndParsingAgainGivesTheSameRecord() throws Exception {
    for (String text : List.of(PRODUCTION, Jdl.applyArguments(ANALYSIS, List.of("x")),
        "[ Executable = \"date\"; Weird_Attr1 = { 1, 2.5e+3, \"s\", { \"nested\" } }; Flag = true && !false; ]")) {
      Jdl jdl = Jdl.parse(text);
      assertThat(Jdl.parse(jdl.print())).isEqualTo(jdl);
    }
  }

  @Test
  void issue5_submitArgumentsAndSplitCountersAreSubstituted() {
    assertThat(Jdl.forSubjob("OutputDir = \"/a/#alien_counter_03i#\"; Arguments = \"--uid #alien_counter#\";", 7))
        .isEqualTo("OutputDir = \"/a/007\"; Arguments = \"--uid 7\";");
    assertThat(Jdl.applyArguments("Arguments = \"$1 $2 $1\";", List.of("a", "b"))).isEqualTo("Arguments = \"a b a\";");
    assertThatThrownBy(() -> Jdl.applyArguments("Arguments = \"$3\";", List.of("a")))
        .hasMessageContaining("uses $3 but 1 argument(s) were given");
  }

  private static void malformed(String text, int line, int column, String problem) {
    assertThatThrownBy(() -> Jdl.parse(text)).isInstanceOfSatisfying(JdlSyntaxException.class, e -> {
      assertThat(e.getMessage()).contains(problem);
      assertThat(e.line()).isEqualTo(line);
      assertThat(e.column()).isEqualTo(column);
    });
  }

  @Test
  void issue5_malformedJdlsAreRefusedWithTheLineAndColumn() {
    malformed("Executable = \"date\"\nTTL = 10;", 2, 1, "expected ';' but found 'T'");
    malformed("Executable = \"date\";\nArguments = \"unclosed;\n", 2, 13, "string starting here is not closed");
    malformed("Executable = \"date\";\nInputFile = { \"/alice/no/prefix.root\" };", 2, 13, "must start with 'LF:'");
    malformed("Arguments = \"x\";", 1, 1, "no Executable");
    malformed("Executable = \"a\";\nexecutable = \"b\";", 2, 1, "given twice");
    malformed("Executable = \"a\";\nPackages = { \"x\", \"y\" ;", 2, 23, "expected ',' or '}'");
    malformed("Executable = \"a\";\nTTL = \"soon\";", 2, 7, "TTL must be a number");
    malformed("Executable = \"a\";\n  = 3;", 2, 3, "expected an attribute name");
    malformed("Executable = \"a\";\nRequirements = other.TTL > ;", 2, 28, "expected a value");
    malformed("Executable = \"a\";\nTTL = 1.5;", 2, 7, "whole number");
  }
}
