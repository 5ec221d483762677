package org.cernvm.copilot.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.std.DelegatingDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;

/**
 * The codec's readers of times, durations and enumerations, as the wire format has them: JSON strings,
 * exactly. Jackson's own read a number as seconds and trim the text first, so that {@code 3600} became
 * {@code PT1H} and {@code "\rRUNNING"} became {@code RUNNING}: values that do not encode back the same.
 */
final class StrictScalars {
  private StrictScalars() {}

  /** A module with the strict readers; register it after {@code JavaTimeModule}, whose readers it replaces. */
  static SimpleModule module() {
    SimpleModule m = new SimpleModule("copilot-strict-scalars");
    m.addDeserializer(Instant.class, new Text<>(Instant.class, Instant::parse));
    m.addDeserializer(Duration.class, new Text<>(Duration.class, Duration::parse));
    m.setDeserializerModifier(new BeanDeserializerModifier() {
      @Override
      public JsonDeserializer<?> modifyEnumDeserializer(DeserializationConfig config, JavaType type,
          BeanDescription description, JsonDeserializer<?> deserializer) {
        return new Untrimmed(deserializer, type.getRawClass());
      }
    });
    return m;
  }

  /** A value read from a JSON string by {@code parse}, and from nothing else. */
  private static final class Text<T> extends StdScalarDeserializer<T> {
    private static final long serialVersionUID = 1L;
    private final transient Function<String, T> parse;

    Text(Class<T> type, Function<String, T> parse) {
      super(type);
      this.parse = parse;
    }

    @Override
    @SuppressWarnings("unchecked")
    public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (p.currentToken() != JsonToken.VALUE_STRING) {
        return (T) ctxt.handleUnexpectedToken(handledType(), p);
      }
      String text = p.getText();
      try {
        return parse.apply(text);
      } catch (DateTimeException e) {
        return (T) ctxt.handleWeirdStringValue(handledType(), text, "not ISO-8601");
      }
    }
  }

  /** An enumeration's reader that refuses a name with space or control characters around it. */
  private static final class Untrimmed extends DelegatingDeserializer {
    private static final long serialVersionUID = 1L;
    private final Class<?> type;

    Untrimmed(JsonDeserializer<?> delegate, Class<?> type) {
      super(delegate);
      this.type = type;
    }

    @Override
    protected JsonDeserializer<?> newDelegatingInstance(JsonDeserializer<?> newDelegatee) {
      return new Untrimmed(newDelegatee, type);
    }

    @Override
    public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (p.currentToken() == JsonToken.VALUE_STRING) {
        String text = p.getText();
        if (!text.equals(text.strip()) || text.chars().anyMatch(Character::isISOControl)) {
          return ctxt.handleWeirdStringValue(type, text, "not one of its names");
        }
      }
      return super.deserialize(p, ctxt);
    }
  }
}
