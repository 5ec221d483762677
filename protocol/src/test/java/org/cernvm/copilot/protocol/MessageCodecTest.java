package org.cernvm.copilot.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class MessageCodecTest {
  private final MessageCodec codec = new MessageCodec();

  static java.util.List<Message> samples() {
    return SampleMessages.all();
  }

  @ParameterizedTest
  @MethodSource("samples")
  void everyVerbSurvivesARoundTrip(Message message) throws Exception {
    String json = codec.encode(message);
    assertThat(json).contains("\"verb\":\"" + message.verb().wireName() + "\"");
    assertThat(codec.decode(json)).isEqualTo(message);
  }

  @Test
  void samplesCoverEveryVerb() {
    Set<Verb> covered = SampleMessages.all().stream().map(Message::verb).collect(Collectors.toSet());
    assertThat(covered).isEqualTo(EnumSet.allOf(Verb.class));
  }

  @Test
  void verbEnumAgreesWithTheJsonTypeNames() {
    var types = Message.class.getAnnotation(JsonSubTypes.class).value();
    assertThat(types).hasSize(Verb.values().length);
    for (var t : types) {
      assertThat(Verb.of(t.value()).wireName()).isEqualTo(t.name());
    }
    assertThat(Arrays.stream(Verb.values()).map(v -> v.type().getSimpleName())).doesNotHaveDuplicates();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{not json                                                              | MALFORMED     | false",
        "[1,2,3]                                                                | MALFORMED     | false",
        "{\"verb\":\"kill\",\"id\":\"k1\",\"sentAt\":\"2026-01-01T00:00:00Z\",\"jobId\":\"j\",\"reason\":\"r\"} x | MALFORMED | false",
        "{\"verb\":\"fly\",\"id\":\"x1\"}                                       | UNKNOWN_VERB  | true",
        "{\"id\":\"x2\",\"jobId\":\"j\"}                                        | MISSING_FIELD | true",
        "{\"verb\":\"kill\",\"id\":\"x3\",\"sentAt\":\"2026-01-01T00:00:00Z\",\"reason\":\"r\"} | MISSING_FIELD | true",
        "{\"verb\":\"kill\",\"id\":\"x4\",\"sentAt\":\"2026-01-01T00:00:00Z\",\"jobId\":null,\"reason\":\"r\"} | MISSING_FIELD | true",
        "{\"verb\":\"kill\",\"id\":\"x5\",\"sentAt\":\"yesterday\",\"jobId\":\"j\",\"reason\":\"r\"} | INVALID_FIELD | true",
        "{\"verb\":\"kill\",\"id\":\"x6\",\"sentAt\":\"2026-01-01T00:00:00Z\",\"jobId\":[1],\"reason\":\"r\"} | INVALID_FIELD | true",
        "{\"verb\":\"want_getJob\",\"id\":\"x7\",\"sentAt\":\"2026-01-01T00:00:00Z\",\"agentId\":\"a\",\"resources\":{\"cores\":\"4\",\"memoryMb\":1,\"diskMb\":1,\"lifetime\":\"PT1H\",\"platform\":\"p\",\"experiments\":[]}} | INVALID_FIELD | true",
        "{\"verb\":\"want_getJob\",\"id\":\"x8\",\"sentAt\":\"2026-01-01T00:00:00Z\",\"agentId\":\"a\",\"resources\":{\"cores\":0,\"memoryMb\":1,\"diskMb\":1,\"lifetime\":\"PT1H\",\"platform\":\"p\",\"experiments\":[]}} | INVALID_FIELD | true",
        "{\"verb\":\"ack\",\"id\":\"x9\",\"sentAt\":\"2026-01-01T00:00:00Z\",\"replyTo\":\"r\",\"commands\":[{\"verb\":\"ack\"}]} | INVALID_FIELD | false",
        "{\"verb\":\"kill\",\"verb\":\"drain\",\"id\":\"x10\"}                  | MALFORMED     | false",
      })
  void badInputIsRejectedWithATypedCode(String body, ErrorCode code, boolean idRead) {
    assertThatThrownBy(() -> codec.decode(body))
        .isInstanceOfSatisfying(ProtocolException.class, e -> {
          assertThat(e.code()).isEqualTo(code);
          assertThat(e.offendingId() != null).isEqualTo(idRead);
          assertThat(e.getMessage()).isNotBlank();
        });
  }

  @Test
  void aFailureKindThatDoesNotFitTheOutcomeIsRefused() throws Exception {
    String done = codec.encode(SampleMessages.all().stream().filter(m -> m instanceof JobDone).findFirst().orElseThrow());
    assertThat(done).contains("\"failure\":\"NONE\"");
    assertThatThrownBy(() -> codec.decode(done.replace("\"failure\":\"NONE\"", "\"failure\":\"STAGE_OUT\"")))
        .isInstanceOfSatisfying(ProtocolException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FIELD);
          assertThat(e.getMessage()).contains("does not fit outcome SUCCEEDED");
        });
    assertThatThrownBy(() -> codec.decode(done.replace("\"failure\":\"NONE\"", "\"failure\":\"LOST\"")))
        .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.getMessage()).contains("never an agent's"));
    assertThatThrownBy(() -> codec.decode(done.replace(",\"failure\":\"NONE\"", "")))
        .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MISSING_FIELD));
    assertThatThrownBy(() -> new FileCheck(FileCheck.Kind.ADLER32, "XYZ")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anOversizedBodyIsRejectedBeforeParsing() {
    String body = "{\"verb\":\"kill\",\"id\":\"big\",\"reason\":\"" + "x".repeat(MessageCodec.MAX_BODY_BYTES) + "\"}";
    assertThatThrownBy(() -> codec.decode(body))
        .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE));
  }

  @Test
  void multiByteCharactersCountAsBytes() {
    String reason = "é".repeat(MessageCodec.MAX_BODY_BYTES / 2);
    Kill kill = new Kill("k", SampleMessages.T, "j", reason);
    assertThatThrownBy(() -> codec.encode(kill)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void unknownFieldsAreIgnoredSoNewerPeersCanAddThem() throws Exception {
    Message m = codec.decode("{\"verb\":\"kill\",\"id\":\"k\",\"sentAt\":\"2026-01-01T00:00:00Z\",\"jobId\":\"j\","
        + "\"reason\":\"r\",\"priority\":5}");
    assertThat(m).isInstanceOf(Kill.class);
  }

  @Test
  void fileNamesMustNotBePaths() {
    assertThatThrownBy(() -> new OutputFile("../etc/passwd", 1, "00000001", "x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("plain file name");
  }

  private static final String KILL = "{\"verb\":\"kill\",\"sentAt\":\"2026-01-01T00:00:00Z\",\"jobId\":\"j\",\"reason\":\"r\",";

  @Test
  void issue16_charactersXmlForbidsAreWrittenAsJsonEscapes() throws Exception {
    Kill kill = new Kill("k", SampleMessages.T, "j", "a\uffff b\ufffe c\ud800 d\udc00 e🚀 f\u0000");
    String json = codec.encode(kill);
    assertThat(WireJson.firstIllegalXmlChar(json)).isEqualTo(-1);
    assertThat(json).contains("a\\uffff b\\ufffe c\\ud800 d\\udc00 e\\ud83d\\ude80 f\\u0000");
    assertThat(codec.decode(json)).isEqualTo(kill);
  }

  @Test
  void issue16_anIdThatIsNotAPlainIdentifierIsRefusedAndNotQuoted() {
    for (String id : new String[] {"\\uffff", "&".repeat(30_000), "a b", "x\\ny", "", "é", "v".repeat(129)}) {
      assertThatThrownBy(() -> codec.decode(KILL + "\"id\":\"" + id + "\"}"))
          .isInstanceOfSatisfying(ProtocolException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FIELD);
            assertThat(e.offendingId()).isNull();
            assertThat(e.getMessage()).hasSizeLessThan(200).contains("field 'id'");
          });
    }
    assertThat(MessageIds.valid(MessageIds.next())).isTrue();
  }

  @Test
  void issue16_theBodyLimitCountsBytesOnTheWireAfterXmlEscaping() {
    // 40,000 ampersands are 40,000 characters but 200,000 bytes in the stanza.
    String amps = KILL + "\"id\":\"k\",\"x\":\"" + "&".repeat(40_000) + "\"}";
    assertThat(amps.length()).isLessThan(MessageCodec.MAX_BODY_BYTES);
    assertThatThrownBy(() -> codec.decode(amps))
        .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE));
    assertThatThrownBy(() -> codec.encode(new Kill("k", SampleMessages.T, "j", "<".repeat(50_000))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bytes on the wire");
    assertThat(WireJson.wireBytes("a&<>é€🚀")).isEqualTo(1 + 5 + 4 + 4 + 2 + 3 + 4);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '~',
      value = {
        "\"cpuSeconds\":1e999999,\"rssMb\":1  | must be a finite number",
        "\"cpuSeconds\":-1e999999,\"rssMb\":1 | must be a finite number",
        "\"cpuSeconds\":\"NaN\",\"rssMb\":1 | must be a finite number",
        "\"cpuSeconds\":\"1.5\",\"rssMb\":1 | field 'usage.cpuSeconds': expected a number",
        "\"cpuSeconds\":10000000000000000000000000000000000000000000000000000000000000000000000,\"rssMb\":1 | a number of more than 64 digits",
        "\"cpuSeconds\":1.5,\"rssMb\":2.5 | field 'usage.rssMb': expected a whole number",
        "\"cpuSeconds\":1.5,\"rssMb\":99999999999999999999 | a number out of range",
      })
  void issue16_numbersMustBeFiniteAndOfTheirTypeAndErrorsQuoteNoJavaInternals(String usage, String expected) {
    String body = "{\"verb\":\"heartbeat\",\"id\":\"h1\",\"sentAt\":\"2026-01-01T00:00:00Z\",\"agentId\":\"a\","
        + "\"jobId\":\"j\",\"lease\":{\"leaseId\":\"l\",\"epoch\":1},\"state\":\"RUNNING\",\"ticket\":"
        + "{\"keyId\":\"k\",\"nonce\":\"n\",\"data\":\"d\"},\"usage\":{\"wallTime\":\"PT1S\",\"peakRssMb\":1,"
        + usage + "}}";
    assertThatThrownBy(() -> codec.decode(body))
        .isInstanceOfSatisfying(ProtocolException.class, e -> {
          assertThat(e.code()).isIn(ErrorCode.INVALID_FIELD, ErrorCode.MALFORMED);
          assertThat(e.getMessage()).contains(expected).doesNotContain("java.", "Exception", "`", "Character");
        });
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '~',
      value = {
        "\"sentAt\":\"yesterday\",\"jobId\":\"j\",\"reason\":\"r\"       | field 'sentAt': expected an ISO-8601 instant",
        "\"sentAt\":\"2026-01-01T00:00:00Z\",\"jobId\":7,\"reason\":\"r\" | field 'jobId': expected a string",
        "\"sentAt\":\"2026-01-01T00:00:00Z\",\"jobId\":\"j\",\"reason\":[] | field 'reason': expected a string",
      })
  void issue16_typeErrorsSayWhatTheFieldShouldHoldInTheCodecsOwnWords(String fields, String expected) {
    assertThatThrownBy(() -> codec.decode("{\"verb\":\"kill\",\"id\":\"k1\"," + fields + "}"))
        .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.getMessage()).contains(expected)
            .doesNotContain("java.", "`", "Exception"));
  }

  @Test
  void issue16_anUnknownVerbIsQuotedShortAndEscaped() {
    assertThatThrownBy(() -> codec.decode("{\"verb\":\"x\\n" + "y".repeat(250_000) + "\",\"id\":\"u1\"}"))
        .isInstanceOfSatisfying(ProtocolException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE);
        });
    assertThatThrownBy(() -> codec.decode("{\"verb\":\"x\\n" + "y".repeat(1000) + "\",\"id\":\"u1\"}"))
        .isInstanceOfSatisfying(ProtocolException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_VERB);
          assertThat(e.getMessage()).doesNotContain("\n").hasSizeLessThan(120).contains("x\\ny");
        });
  }

  @Test
  void issue16_deepNestingIsRefusedQuickly() {
    String deep = "{\"verb\":\"kill\",\"id\":\"k\",\"x\":" + "[".repeat(50_000) + "]".repeat(50_000) + "}";
    assertThatThrownBy(() -> codec.decode(deep))
        .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED));
  }
}
