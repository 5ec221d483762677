package org.cernvm.copilot.alien.jdl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.cernvm.copilot.protocol.testing.ErrorTexts;
import org.cernvm.copilot.protocol.testing.Fuzz;
import org.junit.jupiter.api.Test;

/**
 * Fuzz tests of the JDL reader with generated inputs: every text of {@link JdlGenerator} goes through
 * {@link Jdl#parse}, and what it accepts through {@link Jdl#print}, {@link Requirements#hold},
 * {@link OutputEntry#replicas}, {@link Jdl#forSubjob} and {@link Jdl#applyArguments} as the fake AliEn
 * services and the job source use them; 10,000 inputs in the suite, more with {@code -Dfuzz.inputs=N}.
 * The seeded harness {@link Fuzz} is used rather than Jazzer because Jazzer's JUnit integration fuzzes only
 * one {@code @FuzzTest} per JVM, and none at all unless {@code JAZZER_FUZZ} is set.
 *
 * <p>Properties: {@code parse} accepts or throws {@link JdlSyntaxException} with a line and a column from 1
 * and an error text of our own ({@link ErrorTexts}), the same for the same text; an accepted JDL prints to
 * text that parses to an equal JDL and prints the same again; and what the rest of the package does with an
 * accepted JDL ends without an exception other than the documented {@link IllegalArgumentException} of
 * {@code applyArguments}. Every step is bounded in time and memory by the harness.
 */
class JdlFuzzTest {
  private static final Map<String, Object> OFFER = Map.of("ttl", 80_000, "price", 12, "ce", "ALICE::CERN::Copilot",
      "cpucores", 4, "type", "machine", "packages", List.of("VO_ALICE@AliPhysics::v5-09-56f-01-1"));

  @Test
  void readingAnyTextGivesATypedErrorOrAJdlThatPrintsToItselfAndCanBeUsed() {
    Fuzz.Report report = Fuzz.check("jdl", 10_000, new JdlGenerator()::next, JdlFuzzTest::read, s -> s);
    if (!report.oneCase()) {
      assertThat(report.outcomes().keySet()).as("the generator reaches both outcomes")
          .contains("accepted", "rejected");
    }
  }

  static String read(String text) {
    Jdl jdl;
    try {
      jdl = Jdl.parse(text);
    } catch (JdlSyntaxException e) {
      if (e.line() < 1 || e.column() < 1) {
        throw new Fuzz.Violation("an error names no line and column", e.getMessage());
      }
      ErrorTexts.check("parse", e.getMessage());
      try {
        Jdl.parse(text);
        throw new Fuzz.Violation("parse accepts a text it refused before", e.getMessage());
      } catch (JdlSyntaxException again) {
        if (!again.getMessage().equals(e.getMessage())) {
          throw new Fuzz.Violation("parse refuses a text for another reason the second time", again.getMessage());
        }
      }
      return "rejected";
    }
    Jdl twice;
    try {
      twice = Jdl.parse(text);
    } catch (JdlSyntaxException e) {
      throw new Fuzz.Violation("parse refuses a text it accepted before", e.getMessage());
    }
    if (!twice.equals(jdl)) {
      throw new Fuzz.Violation("parse gives another JDL the second time", jdl + " then " + twice);
    }
    String printed = jdl.print();
    Jdl back;
    try {
      back = Jdl.parse(printed);
    } catch (JdlSyntaxException e) {
      throw new Fuzz.Violation(Fuzz.kind("an accepted JDL prints to text that parse refuses", ErrorTexts.template(e.getMessage())),
          e.getMessage() + " in " + printed);
    }
    if (!back.equals(jdl)) {
      throw new Fuzz.Violation("an accepted JDL prints to text that parses to another JDL", jdl + " became " + back);
    }
    if (!back.print().equals(printed)) {
      throw new Fuzz.Violation("printing is not a fixed point", printed + " then " + back.print());
    }
    for (List<OutputEntry> entries : List.of(jdl.output(), jdl.outputFile(), jdl.outputArchive(), jdl.outputErrorE())) {
      for (OutputEntry e : entries) {
        try {
          e.replicas();
        } catch (RuntimeException x) {
          throw new Fuzz.Violation("an accepted output entry has options replicas cannot read: " + x.getClass().getName(),
              e + ": " + x.getMessage());
        }
      }
    }
    Requirements.hold(jdl.requirements(), OFFER);
    Jdl.forSubjob(text, 7);
    try {
      Jdl.applyArguments(text, List.of("a", "b"));
    } catch (IllegalArgumentException e) {
      if (e.getClass() != IllegalArgumentException.class) {
        throw new Fuzz.Violation("applyArguments throws " + e.getClass().getName(), e.getMessage());
      }
      ErrorTexts.check("applyArguments", e.getMessage());
    }
    return "accepted";
  }
}
