package org.cernvm.copilot.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;

/**
 * The JSON codec of the CoPilot wire format; see the package documentation for the format. Instances
 * are immutable and thread-safe.
 */
public final class MessageCodec {
  /** The largest body accepted or produced, in UTF-8 bytes. */
  public static final int MAX_BODY_BYTES = 256 * 1024;

  private final ObjectMapper mapper;
  private final ObjectWriter writer;
  private final ObjectReader reader;

  /** Creates a codec. */
  public MessageCodec() {
    mapper =
        JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    writer = mapper.writerFor(Message.class);
    reader = mapper.readerFor(Message.class);
  }

  /**
   * Encodes a message as JSON.
   *
   * @throws IllegalArgumentException if the encoded body would exceed {@link #MAX_BODY_BYTES}
   */
  public String encode(Message message) {
    String body;
    try {
      body = writer.writeValueAsString(message);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + message.verb() + ": " + e.getOriginalMessage(), e);
    }
    if (tooLarge(body)) {
      throw new IllegalArgumentException(
          message.verb() + " " + message.id() + " encodes to more than " + MAX_BODY_BYTES + " bytes");
    }
    return body;
  }

  /**
   * Decodes a JSON body.
   *
   * @throws ProtocolException if the body is too large, malformed, of an unknown verb, or has a missing
   *     or invalid field
   */
  public Message decode(String body) throws ProtocolException {
    if (tooLarge(body)) {
      throw new ProtocolException(
          ErrorCode.TOO_LARGE,
          null,
          "body of " + body.getBytes(StandardCharsets.UTF_8).length + " bytes exceeds " + MAX_BODY_BYTES);
    }
    JsonNode tree;
    try {
      tree = mapper.readTree(body);
    } catch (JsonProcessingException e) {
      throw new ProtocolException(ErrorCode.MALFORMED, null, "malformed JSON: " + e.getOriginalMessage());
    }
    if (tree == null || !tree.isObject()) {
      throw new ProtocolException(ErrorCode.MALFORMED, null, "body is not a JSON object");
    }
    // The id is quoted in an error answer; replies are never answered, so that two peers cannot bounce
    // errors back and forth.
    JsonNode idNode = tree.get("id");
    String id = idNode != null && idNode.isTextual() && !isReplyVerb(tree.get("verb")) ? idNode.asText() : null;
    try {
      return reader.readValue(tree);
    } catch (InvalidTypeIdException e) {
      if (!e.getPath().isEmpty()) {
        throw new ProtocolException(ErrorCode.INVALID_FIELD, id, describe(e, "verb '" + e.getTypeId() + "' not allowed here"));
      }
      if (e.getTypeId() == null) {
        throw new ProtocolException(ErrorCode.MISSING_FIELD, id, "missing field 'verb'");
      }
      throw new ProtocolException(ErrorCode.UNKNOWN_VERB, id, "unknown verb '" + e.getTypeId() + "'");
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause();
      ErrorCode code = cause instanceof NullPointerException ? ErrorCode.MISSING_FIELD : ErrorCode.INVALID_FIELD;
      String detail = cause != null && cause.getMessage() != null ? cause.getMessage() : e.getOriginalMessage();
      throw new ProtocolException(code, id, detail);
    } catch (MismatchedInputException e) {
      String detail = e.getOriginalMessage();
      ErrorCode code =
          detail != null && (detail.startsWith("Missing creator property") || detail.startsWith("Missing required creator property"))
              ? ErrorCode.MISSING_FIELD
              : ErrorCode.INVALID_FIELD;
      throw new ProtocolException(code, id, describe(e, code == ErrorCode.MISSING_FIELD ? "missing" : detail));
    } catch (JsonProcessingException e) {
      throw new ProtocolException(ErrorCode.INVALID_FIELD, id, e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw new ProtocolException(ErrorCode.MALFORMED, id, String.valueOf(e.getMessage()));
    }
  }

  private static String describe(MismatchedInputException e, String detail) {
    String path =
        e.getPath().stream()
            .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
            .collect(Collectors.joining("."));
    return path.isEmpty() ? detail : "field '" + path + "': " + detail;
  }

  private static boolean isReplyVerb(JsonNode verb) {
    return verb != null && verb.isTextual() && Verb.named(verb.asText()).map(Verb::isReply).orElse(false);
  }

  private static boolean tooLarge(String body) {
    // A UTF-8 character takes one to three bytes per UTF-16 char, so most bodies need no encoding.
    if (body.length() > MAX_BODY_BYTES) {
      return true;
    }
    return body.length() * 3L > MAX_BODY_BYTES && body.getBytes(StandardCharsets.UTF_8).length > MAX_BODY_BYTES;
  }
}
