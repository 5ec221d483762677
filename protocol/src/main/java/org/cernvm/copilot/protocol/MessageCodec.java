package org.cernvm.copilot.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The JSON codec of the CoPilot wire format; see the package documentation for the format. Instances
 * are immutable and thread-safe.
 *
 * <p>Every refusal is a {@link ProtocolException} whose text is the codec's own: it names the field and
 * what it should hold, and quotes nothing of the input but ids of the valid form and short, escaped
 * excerpts, so that an answer or a log line never repeats what a sender chose to put there.
 */
public final class MessageCodec {
  /**
   * The largest body accepted or produced, in bytes on the wire: UTF-8, with XML's escapes counted (see
   * {@link WireJson#wireBytes}). With the envelope's header and the stanza around it, a message stays
   * below the 256 KiB that Prosody and ejabberd accept by default.
   */
  public static final int MAX_BODY_BYTES = 192 * 1024;

  private final ObjectReader reader;
  private final ObjectWriter writer;
  private final ObjectMapper mapper;

  /** Creates a codec. */
  public MessageCodec() {
    mapper =
        JsonMapper.builder(WireJson.factory())
            .addModule(new JavaTimeModule())
            .addModule(StrictScalars.module())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            // A string is a string: 7 or true is not read as "7" or "true".
            .withCoercionConfig(LogicalType.Textual, c -> c
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
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
    long bytes = WireJson.wireBytes(body);
    if (bytes > MAX_BODY_BYTES) {
      throw new IllegalArgumentException(
          message.verb() + " " + message.id() + " encodes to " + bytes + " bytes on the wire, more than "
              + MAX_BODY_BYTES);
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
    if (body.length() > MAX_BODY_BYTES || WireJson.wireBytes(body) > MAX_BODY_BYTES) {
      throw new ProtocolException(ErrorCode.TOO_LARGE, null,
          "the body takes more than " + MAX_BODY_BYTES + " bytes on the wire");
    }
    JsonNode tree;
    try {
      tree = mapper.readTree(body);
    } catch (StreamConstraintsException e) {
      throw new ProtocolException(ErrorCode.MALFORMED, null, "the JSON is nested deeper than " + WireJson.MAX_DEPTH
          + " levels or holds a number of more than " + WireJson.MAX_NUMBER_CHARS + " digits");
    } catch (JsonProcessingException e) {
      throw new ProtocolException(ErrorCode.MALFORMED, null, "malformed JSON" + at(e));
    }
    if (tree == null || !tree.isObject()) {
      throw new ProtocolException(ErrorCode.MALFORMED, null, "the body is not a JSON object");
    }
    String id = offendingId(tree);
    try {
      return reader.readValue(tree);
    } catch (InvalidTypeIdException e) {
      if (!e.getPath().isEmpty()) {
        throw new ProtocolException(ErrorCode.INVALID_FIELD, id, "field '" + path(e) + "': a message of verb '"
            + Untrusted.text(e.getTypeId(), 40) + "' is not allowed there");
      }
      if (e.getTypeId() == null) {
        throw new ProtocolException(ErrorCode.MISSING_FIELD, id, "missing field 'verb'");
      }
      throw new ProtocolException(ErrorCode.UNKNOWN_VERB, id, "unknown verb '" + Untrusted.text(e.getTypeId(), 40)
          + "'");
    } catch (ValueInstantiationException e) {
      // The records' own checks: their texts are CoPilot's and quote only field names and sizes.
      Throwable cause = e.getCause();
      ErrorCode code = cause instanceof NullPointerException ? ErrorCode.MISSING_FIELD : ErrorCode.INVALID_FIELD;
      String detail = cause instanceof IllegalArgumentException || cause instanceof NullPointerException
          ? cause.getMessage() : null;
      throw new ProtocolException(code, id, detail != null ? Untrusted.text(detail, 300)
          : where(e) + "an invalid value");
    } catch (MismatchedInputException e) {
      String detail = e.getOriginalMessage();
      if (detail != null && (detail.startsWith("Missing creator property")
          || detail.startsWith("Missing required creator property"))) {
        throw new ProtocolException(ErrorCode.MISSING_FIELD, id, "missing field '" + missingField(e) + "'");
      }
      if (detail != null && detail.startsWith("Cannot map `null`")) {
        throw new ProtocolException(ErrorCode.MISSING_FIELD, id, where(e) + "null where " + expected(e.getTargetType())
            + " is needed");
      }
      throw new ProtocolException(ErrorCode.INVALID_FIELD, id, where(e) + "expected " + expected(e.getTargetType()));
    } catch (InputCoercionException e) {
      throw new ProtocolException(ErrorCode.INVALID_FIELD, id, "a number out of range" + at(e));
    } catch (JsonMappingException e) {
      throw new ProtocolException(ErrorCode.INVALID_FIELD, id, where(e)
          + (e.getCause() instanceof InputCoercionException ? "a number out of range" : "an invalid value"));
    } catch (JsonProcessingException e) {
      throw new ProtocolException(ErrorCode.INVALID_FIELD, id, "an invalid value" + at(e));
    } catch (IOException e) {
      throw new ProtocolException(ErrorCode.MALFORMED, id, "unreadable JSON");
    }
  }

  /** {@code "field 'a.b': "} for a failure at a path, or nothing. */
  private static String where(JsonMappingException e) {
    String path = path(e);
    return path.isEmpty() ? "" : "field '" + path + "': ";
  }

  private static String path(JsonMappingException e) {
    String path = e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."));
    return Untrusted.text(path, 100);
  }

  /** The name of the missing creator property, which Jackson quotes in its message. */
  private static String missingField(MismatchedInputException e) {
    String detail = e.getOriginalMessage();
    int open = detail.indexOf('\'');
    int close = open < 0 ? -1 : detail.indexOf('\'', open + 1);
    String name = close > open ? detail.substring(open + 1, close) : "?";
    String prefix = path(e);
    return Untrusted.text(prefix.isEmpty() ? name : prefix + "." + name, 100);
  }

  /** What a value of {@code type} looks like, in the words of the package documentation. */
  private static String expected(Class<?> type) {
    if (type == null) {
      return "another value";
    }
    if (type == String.class) {
      return "a string";
    }
    if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
      return "a whole number";
    }
    if (type == double.class || type == Double.class) {
      return "a number";
    }
    if (type == boolean.class || type == Boolean.class) {
      return "true or false";
    }
    if (type == Instant.class) {
      return "an ISO-8601 instant in UTC, such as 2026-11-23T10:15:30Z";
    }
    if (type == Duration.class) {
      return "an ISO-8601 duration, such as PT1H";
    }
    if (type.isEnum()) {
      return "one of " + Arrays.stream(type.getEnumConstants()).map(String::valueOf).toList();
    }
    if (Collection.class.isAssignableFrom(type) || type.isArray()) {
      return "an array";
    }
    if (Map.class.isAssignableFrom(type) || type.isRecord() || type.isInterface()) {
      return "an object";
    }
    return "another value";
  }

  /** {@code " at line L, column C"} of the body, where the parser knows it. */
  private static String at(JsonProcessingException e) {
    var l = e.getLocation();
    return l == null || l.getLineNr() < 0 ? "" : " at line " + l.getLineNr() + ", column " + l.getColumnNr();
  }

  /**
   * The id an error answer to the body {@code tree} quotes: its {@code id} if that is an identifier and the
   * body is no reply, else {@code null}. Replies are never answered, so that two peers cannot bounce errors
   * back and forth.
   */
  public static String offendingId(JsonNode tree) {
    JsonNode id = tree == null ? null : tree.get("id");
    JsonNode verb = tree == null ? null : tree.get("verb");
    boolean reply = verb != null && verb.isTextual() && Verb.named(verb.asText()).map(Verb::isReply).orElse(false);
    return id != null && id.isTextual() && MessageIds.valid(id.asText()) && !reply ? id.asText() : null;
  }
}
