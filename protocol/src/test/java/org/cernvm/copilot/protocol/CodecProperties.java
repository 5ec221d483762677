package org.cernvm.copilot.protocol;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import org.cernvm.copilot.protocol.testing.ErrorTexts;
import org.cernvm.copilot.protocol.testing.Fuzz;
import org.cernvm.copilot.protocol.testing.Fuzz.Violation;

/**
 * The properties the codec must have on any body, checked by the fuzz tests.
 *
 * <ul>
 *   <li>{@link MessageCodec#decode} accepts or throws {@link ProtocolException} with a code, an error text
 *       of our own (see {@link ErrorTexts}), and, if it quotes the offending id, an id that a message may
 *       have;
 *   <li>an accepted message has only finite numbers, and every field it has kept the value it had in the
 *       body: numbers equal as decimals, times the same instant, durations the same length, nothing of
 *       another JSON type;
 *   <li>its encoding can travel (no lone surrogate, no U+FFFE or U+FFFF, which XML cannot carry), decodes
 *       to an equal message, and encodes again to the same text.
 * </ul>
 */
public final class CodecProperties {
  private final MessageCodec codec = new MessageCodec();
  // The codec's own limits, so that what it reads this reads too.
  private final ObjectMapper exact = JsonMapper.builder(WireJson.factory())
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .build();

  /** The outcome of one body, after checking every property. */
  public String check(String body) {
    Message m = decode(body);
    return m == null ? "rejected" : "accepted " + m.verb();
  }

  /**
   * Decodes {@code body} and checks the properties of the outcome.
   *
   * @return the message, or {@code null} if the codec rejected the body
   * @throws Violation if a property does not hold
   */
  public Message decode(String body) {
    Message m;
    try {
      m = codec.decode(body);
    } catch (ProtocolException e) {
      rejection(e);
      return null;
    }
    finite(m, m.verb().wireName());
    String encoded;
    try {
      encoded = codec.encode(m);
    } catch (IllegalArgumentException e) {
      throw new Violation("an accepted message cannot be encoded again", e.getMessage());
    }
    kept(tree(body), tree(encoded), m.verb().wireName());
    travels(encoded, m.verb().wireName());
    Message again;
    try {
      again = codec.decode(encoded);
    } catch (ProtocolException e) {
      throw new Violation(Fuzz.kind("the encoding of an accepted message is rejected [" + e.code() + "]",
          ErrorTexts.template(e.getMessage())), e.getMessage() + " for " + encoded);
    }
    if (!again.equals(m)) {
      throw new Violation("an accepted message decodes to another after encoding: " + m.verb(),
          m + " became " + again);
    }
    if (!codec.encode(again).equals(encoded)) {
      throw new Violation("encoding is not a fixed point: " + m.verb(), encoded + " then " + codec.encode(again));
    }
    return m;
  }

  /** Checks a rejection's code, text and quoted id. */
  public static void rejection(ProtocolException e) {
    if (e.code() == null) {
      throw new Violation("a rejection without a code", String.valueOf(e.getMessage()));
    }
    ErrorTexts.check("decode " + e.code(), e.getMessage());
    if (e.offendingId() != null) {
      try {
        new FetchCrl(e.offendingId(), SampleMessages.T);
      } catch (IllegalArgumentException | NullPointerException x) {
        throw new Violation("a rejection quotes an id that no message may have [" + e.code() + "]",
            "id " + e.offendingId() + ": " + x.getMessage());
      }
    }
  }

  private JsonNode tree(String json) {
    try {
      return exact.readTree(json);
    } catch (NumberFormatException e) {
      // A number beyond BigDecimal's exponents, such as 1e99999999999: read it as a double, as the codec does.
      try {
        return JsonMapper.builder(WireJson.factory()).build().readTree(json);
      } catch (java.io.IOException e2) {
        throw new IllegalStateException("a body the codec accepted is not JSON: " + e2.getMessage(), e2);
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException("a body the codec accepted is not JSON: " + e.getMessage(), e);
    }
  }

  /** Checks that every field of the re-encoded tree {@code out} has the value it had in {@code in}. */
  private static void kept(JsonNode in, JsonNode out, String path) {
    if (in == null) {
      throw new Violation(Fuzz.kind("an accepted message has a field the body lacks", path), path);
    }
    if (out.isObject()) {
      if (!in.isObject()) {
        changed(path, in.getNodeType() + " became an object", in, out);
      }
      Iterator<Map.Entry<String, JsonNode>> fields = out.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> f = fields.next();
        kept(in.get(f.getKey()), f.getValue(), path + "." + f.getKey());
      }
    } else if (out.isArray()) {
      if (!in.isArray() || in.size() != out.size()) {
        changed(path, "list changed", in, out);
      }
      for (int i = 0; i < out.size(); i++) {
        kept(in.get(i), out.get(i), path + "[]");
      }
    } else if (out.isTextual()) {
      if (!in.isTextual()) {
        changed(path, in.getNodeType() + " became text", in, out);
      }
      if (!in.textValue().equals(out.textValue()) && !sameTime(in.textValue(), out.textValue())) {
        changed(path, "text changed", in, out);
      }
    } else if (out.isNumber()) {
      if (!in.isNumber()) {
        changed(path, in.getNodeType() + " became a number", in, out);
      }
      boolean same = out.isIntegralNumber() ? in.decimalValue().compareTo(out.decimalValue()) == 0
          : in.decimalValue().doubleValue() == out.doubleValue();
      if (!same) {
        changed(path, "number changed", in, out);
      }
    } else if (!in.equals(out)) {
      changed(path, "value changed", in, out);
    }
  }

  private static void changed(String path, String what, JsonNode in, JsonNode out) {
    String shown = in.toString();
    String name = path.substring(path.lastIndexOf('.') + 1);
    String field = BodyGenerator.TIMES.contains(name) ? "a time" : BodyGenerator.DURATIONS.contains(name) ? "a duration"
        : BodyGenerator.ENUMS.contains(name) ? "an enum" : out.isTextual() ? "a text" : out.isNumber() ? "a number"
        : "a " + out.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    throw new Violation(Fuzz.kind("an accepted value changed (" + what + ") in " + field + " field", "at " + path),
        path + ": " + (shown.length() > 200 ? shown.substring(0, 200) + "…" : shown) + " became " + out);
  }

  private static boolean sameTime(String a, String b) {
    try {
      return OffsetDateTime.parse(a).toInstant().equals(Instant.parse(b));
    } catch (DateTimeParseException e) {
      try {
        return Duration.parse(a).equals(Duration.parse(b));
      } catch (DateTimeParseException e2) {
        return false;
      }
    }
  }

  /** Checks that no number in the record tree {@code value} is infinite or NaN. */
  private static void finite(Object value, String path) {
    if (value instanceof Double d && !Double.isFinite(d) || value instanceof Float f && !Float.isFinite(f)) {
      throw new Violation(Fuzz.kind("a non-finite number is accepted", "at " + path), path + " = " + value);
    }
    if (value instanceof Record record) {
      for (RecordComponent c : record.getClass().getRecordComponents()) {
        try {
          finite(c.getAccessor().invoke(record), path + "." + c.getName());
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
      }
    } else if (value instanceof Collection<?> items) {
      items.forEach(v -> finite(v, path + "[]"));
    } else if (value instanceof Map<?, ?> map) {
      map.values().forEach(v -> finite(v, path + "{}"));
    }
  }

  /** Checks that an encoding holds only characters that XML, and so an XMPP stanza, can carry. */
  private void travels(String encoded, String verb) {
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      boolean lone = Character.isHighSurrogate(c) ? i + 1 >= encoded.length()
          || !Character.isLowSurrogate(encoded.charAt(i + 1))
          : Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(encoded.charAt(i - 1)));
      if (lone || c == '\ufffe' || c == '\uffff') {
        String field = field(tree(encoded), c);
        String last = field == null ? "" : field.substring(field.lastIndexOf('.') + 1);
        throw new Violation(Fuzz.kind("an accepted message encodes to text XML cannot carry ("
            + (lone ? "a lone surrogate" : "U+FFFE or U+FFFF") + ") in "
            + (last.equals("id") || last.equals("replyTo") ? "its id" : "a text field"), "at " + verb + "." + field),
            String.format("\\u%04x in %s.%s of %s", (int) c, verb, field,
                encoded.length() > 300 ? encoded.substring(0, 300) : encoded));
      }
    }
  }

  /** The first field whose text holds {@code c}. */
  private static String field(JsonNode node, char c) {
    if (node.isTextual()) {
      return node.textValue().indexOf(c) >= 0 ? "" : null;
    }
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      String inner = field(f.getValue(), c);
      if (inner != null) {
        return inner.isEmpty() ? f.getKey() : f.getKey() + "." + inner;
      }
    }
    for (JsonNode item : node) {
      if (node.isArray()) {
        String inner = field(item, c);
        if (inner != null) {
          return "[]" + (inner.isEmpty() ? "" : "." + inner);
        }
      }
    }
    return null;
  }
}
