package org.cernvm.copilot.alien.jdl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The JDL reader on hostile texts that the fuzz test found: values nested or chained too deep, quoted
 * parts too long for an error text, replica counts, counters and arguments that are not numbers an int
 * holds, a zero counter width, an output file named with an {@code @}, a negation compared with a value,
 * and a membership test of a value that is not one. Each is refused with a typed error, or read and used, in bounded time.
 */
class JdlLimitsTest {
  private static void refused(String text, String problem) {
    assertThatThrownBy(() -> Jdl.parse(text)).isInstanceOfSatisfying(JdlSyntaxException.class, e -> {
      assertThat(e.getMessage()).contains(problem).hasSizeLessThanOrEqualTo(500);
      assertThat(e.line()).isPositive();
      assertThat(e.column()).isPositive();
    });
  }

  @Test
  void valuesNestedOrChainedTooDeepAreRefusedInsteadOfOverflowingTheStack() {
    int n = 100_000;
    refused("Executable = \"x\";\nRequirements = " + "(".repeat(n) + "1" + ")".repeat(n) + ";", "deeper than");
    refused("Executable = \"x\";\nRequirements = " + "!".repeat(n) + "true;", "deeper than");
    refused("Executable = \"x\";\nPackages = " + "{".repeat(n) + "}".repeat(n) + ";", "deeper than");
    refused("Executable = \"x\";\nOther = " + "f(".repeat(n) + "1" + ")".repeat(n) + ";", "deeper than");
    refused("Executable = \"x\";\nRequirements = other.TTL > 1" + " && other.TTL > 1".repeat(n) + ";", "deeper than");
  }

  @Test
  void aRequirementOfTwoHundredTermsIsReadPrintedAndMatched() throws Exception {
    String chain = "other.TTL > 1" + " && other.TTL > 1".repeat(199);
    Jdl jdl = Jdl.parse("Executable = \"x\";\nRequirements = !( " + chain + " ) || ( " + "(".repeat(40) + "true"
        + ")".repeat(40) + " );");
    assertThat(Jdl.parse(jdl.print())).isEqualTo(jdl);
    assertThat(Requirements.hold(jdl.requirements(), Map.of("ttl", 5))).isTrue();
  }

  @Test
  void errorTextsQuoteAtMostTheStartOfALongNameOrEntry() {
    String name = "N" + "a".repeat(100_000);
    refused(name + " = 1;\nExecutable = \"x\";\n" + name + " = 2;", "is given twice");
    refused("Executable = \"x\";\nInputFile = { \"" + "y".repeat(100_000) + "\" };", "must start with 'LF:'");
    refused("Executable = \"x\";\nOutput = { \"" + "z".repeat(100_000) + "@\" , \"@\" };", "names no file");
  }

  @Test
  void aNumberOfMoreThanAHundredCharactersIsRefusedBeforeItIsComputed() throws Exception {
    long start = System.nanoTime();
    refused("Executable = \"x\";\nPrice = " + "9".repeat(200_000) + ";", "a number of more than 100 characters");
    refused("Executable = \"x\";\nTTL = \"" + "9".repeat(200_000) + "\";", "TTL must be a number");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    assertThat(Jdl.parse("Executable = \"x\";\nPrice = " + "9".repeat(100) + ";").price())
        .isEqualTo(new java.math.BigDecimal("9".repeat(100)));
  }

  @Test
  void aReplicaCountThatIsNotAPositiveWholeNumberIsRefusedWhenTheJdlIsRead() throws Exception {
    refused("Executable = \"x\";\nOutput = { \"a.root@disk=x\" };", "disk=x");
    refused("Executable = \"x\";\nOutput = { \"a.root@disk=99999999999\" };", "disk=99999999999");
    refused("Executable = \"x\";\nOutputFile = { \"a.root@disk=0\" };", "disk=0");
    assertThat(Jdl.parse("Executable = \"x\";\nOutput = { \"a.root@disk=3,ALICE::CERN::EOS\" };").output().get(0)
        .replicas()).isEqualTo(3);
  }

  @Test
  void aSubjobCounterWiderThanTwoDigitsIsLeftAsWritten() {
    long start = System.nanoTime();
    assertThat(Jdl.forSubjob("OutputDir = \"/a/#alien_counter_0999999999i#\";", 7))
        .isEqualTo("OutputDir = \"/a/#alien_counter_0999999999i#\";");
    assertThat(Jdl.forSubjob("OutputDir = \"/a/#alien_counter_99999999999i#\";", 7))
        .isEqualTo("OutputDir = \"/a/#alien_counter_99999999999i#\";");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    assertThat(Jdl.forSubjob("\"#alien_counter_12i#\"", 7)).isEqualTo("\"           7\"");
  }

  @Test
  void aSubjobCounterOfWidthZeroIsTheBareNumber() {
    assertThat(Jdl.forSubjob("\"#alien_counter_0i# #alien_counter_00i#\"", 7)).isEqualTo("\"7 7\"");
  }

  @Test
  void anOutputEntryWhoseFileOrArchiveHoldsAnAtPrintsToTheSameEntry() throws Exception {
    Jdl jdl = Jdl.parse("Executable = \"x\";\nOutput = { \"a.zip:b@c.root,d.root@\", \"e@f:g.root@\", \"h.root@disk=2\" };");
    assertThat(jdl.output().get(0).files()).containsExactly("b@c.root", "d.root");
    assertThat(jdl.output().get(1).archive()).isEqualTo("e@f");
    assertThat(Jdl.parse(jdl.print())).isEqualTo(jdl);
  }

  @Test
  void aNegationComparedWithAValuePrintsToTheSameRequirement() throws Exception {
    Jdl jdl = Jdl.parse("Executable = \"x\";\nRequirements = ( !f(false, \"a\") ) != \"b\" && ( !other.X ) == true;");
    assertThat(Jdl.parse(jdl.print())).isEqualTo(jdl);
  }

  @Test
  void membershipOfAValueThatIsNotOneIsFalse() throws Exception {
    Expr requirements = Jdl.parse("Executable = \"x\";\nRequirements = member(other.Packages, !\"p\");").requirements();
    assertThat(Requirements.hold(requirements, Map.of("packages", List.of("p")))).isFalse();
  }

  @Test
  void anArgumentNumberBeyondAnIntIsRefusedAsAnArgumentNotGiven() {
    assertThatThrownBy(() -> Jdl.applyArguments("Arguments = \"$99999999999\";", List.of("a", "b")))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("the JDL uses $99999999999 but 2 argument(s) were given");
  }
}
