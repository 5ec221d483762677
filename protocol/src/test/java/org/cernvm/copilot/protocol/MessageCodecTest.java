package org.cernvm.copilot.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

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
}
