package org.cernvm.copilot.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.cernvm.copilot.protocol.testing.ErrorTexts;
import org.cernvm.copilot.protocol.testing.Fuzz;
import org.junit.jupiter.api.Test;

/**
 * Fuzz tests of the codec with generated inputs: {@link MessageCodec#decode} on bodies from
 * {@link BodyGenerator} and {@link MessageCodec#encode} on messages from {@link RecordGenerator}, checked for
 * the properties of {@link CodecProperties}; 10,000 inputs each in the suite, more with
 * {@code -Dfuzz.inputs=N}.
 *
 * <p>The inputs come from the seeded harness {@link Fuzz} rather than Jazzer's {@code @FuzzTest}: without
 * {@code JAZZER_FUZZ} set, Jazzer only replays a stored corpus, and with it set it fuzzes only the first
 * {@code @FuzzTest} of the JVM and skips the others, writes its corpus into the working directory, and
 * draws from a time-based seed unless told otherwise. A plain generator gives every target its count in
 * the ordinary build, each from a fixed seed whose failures name the case that reproduces them.
 */
class CodecFuzzTest {
  private final CodecProperties properties = new CodecProperties();
  private final MessageCodec codec = new MessageCodec();

  @Test
  void decodingAnyBodyGivesATypedRejectionOrAMessageThatKeepsItsValuesAndReencodesToItself() {
    BodyGenerator bodies = new BodyGenerator(SampleMessages.T);
    Fuzz.Report report = Fuzz.check("codec", 10_000, bodies::next, properties::check, s -> s);
    if (!report.oneCase()) {
      assertThat(report.outcomes().keySet()).as("the generator reaches both outcomes")
          .anyMatch(o -> o.startsWith("accepted")).anyMatch(o -> o.startsWith("rejected"));
    }
  }

  @Test
  void encodingAnyMessageTheRecordsAcceptGivesTextThatDecodesToTheSameMessage() {
    RecordGenerator messages = new RecordGenerator();
    Fuzz.check("encode", 10_000, messages::next, this::encodeAndDecode, Object::toString);
  }

  private String encodeAndDecode(Message m) {
    String body;
    try {
      body = codec.encode(m);
    } catch (IllegalArgumentException e) {
      String text = e.getMessage();
      ErrorTexts.check("encode", text);
      return "too large";
    }
    Message back;
    try {
      back = codec.decode(body);
    } catch (ProtocolException e) {
      throw new Fuzz.Violation(Fuzz.kind("a message the records accept is rejected once encoded [" + e.code() + "]",
          ErrorTexts.template(e.getMessage())), e.getMessage());
    }
    if (!back.equals(m)) {
      throw new Fuzz.Violation("a message does not survive encoding and decoding: " + m.verb(), m + " became " + back);
    }
    properties.decode(body);
    return "encoded " + m.verb();
  }
}
