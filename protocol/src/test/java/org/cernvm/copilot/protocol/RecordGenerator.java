package org.cernvm.copilot.protocol;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.cernvm.copilot.protocol.testing.Hostile;

/**
 * A generator of messages for fuzzing the codec's encoder: a sample of every verb with one to three components,
 * anywhere in its record tree, replaced by an extreme value of the component's type (texts as in
 * {@link Hostile}, the limits of numbers, times and durations, infinities, negative zero, long lists),
 * rebuilt through the records' own constructors so that only messages the records accept come out.
 */
public final class RecordGenerator {
  private final List<Message> samples = SampleMessages.all();

  /** One message that the records accept. */
  public Message next(SplittableRandom r) {
    Message base = Hostile.pick(r, samples);
    for (int attempt = 0; attempt < 8; attempt++) {
      Object varied = vary(base, r, 1 + r.nextInt(3));
      if (varied != null) {
        return (Message) varied;
      }
    }
    return base;
  }

  /** {@code record} with {@code changes} components changed, or {@code null} if its constructor refused them. */
  private Object vary(Object record, SplittableRandom r, int changes) {
    RecordComponent[] components = record.getClass().getRecordComponents();
    Object[] values = new Object[components.length];
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType();
      try {
        values[i] = components[i].getAccessor().invoke(record);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
    for (int k = 0; k < changes; k++) {
      int i = r.nextInt(components.length);
      Object v = value(types[i], components[i].getGenericType(), values[i], r);
      if (v == null && !types[i].isPrimitive() && types[i] != String.class) {
        return null;
      }
      values[i] = v;
    }
    try {
      Constructor<?> c = record.getClass().getDeclaredConstructor(types);
      return c.newInstance(values);
    } catch (InvocationTargetException e) {
      return null;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  private Object value(Class<?> type, Type generic, Object old, SplittableRandom r) {
    if (type == String.class) {
      return r.nextInt(20) == 0 ? null : r.nextBoolean() ? Hostile.text(r) : Hostile.plain(r, 1 + r.nextInt(40));
    }
    if (type == int.class) {
      return Hostile.pick(r, List.of(0, -1, 1, 2, Integer.MAX_VALUE, Integer.MIN_VALUE, r.nextInt()));
    }
    if (type == long.class) {
      return Hostile.pick(r, List.of(0L, -1L, 1L, Long.MAX_VALUE, Long.MIN_VALUE, (long) Integer.MAX_VALUE + 1,
          r.nextLong()));
    }
    if (type == double.class) {
      return Hostile.pick(r, List.of(0.0, -0.0, Double.MIN_VALUE, Double.MAX_VALUE, Double.POSITIVE_INFINITY,
          Double.NEGATIVE_INFINITY, Double.NaN, 1e-300, 0.1, 1e21, r.nextDouble() * 1e9));
    }
    if (type == boolean.class) {
      return r.nextBoolean();
    }
    if (type == Instant.class) {
      return Hostile.pick(r, List.of(Instant.MIN, Instant.MAX, Instant.EPOCH, Instant.ofEpochSecond(-1, 1),
          SampleMessages.T.plusNanos(r.nextLong(0, 1_000_000_000L)),
          Instant.ofEpochSecond(r.nextLong(-31_556_889_864_403_199L, 31_556_889_864_403_199L), r.nextInt(1_000_000_000))));
    }
    if (type == Duration.class) {
      return Hostile.pick(r, List.of(Duration.ZERO, Duration.ofNanos(1), Duration.ofNanos(-1),
          Duration.ofSeconds(Long.MAX_VALUE, 999_999_999), Duration.ofSeconds(Long.MIN_VALUE),
          Duration.ofDays(r.nextInt(1, 100_000)), Duration.ofNanos(r.nextLong())));
    }
    if (type.isEnum()) {
      Object[] constants = type.getEnumConstants();
      return constants[r.nextInt(constants.length)];
    }
    if (type == List.class) {
      Type item = ((ParameterizedType) generic).getActualTypeArguments()[0];
      List<?> items = (List<?>) old;
      List<Object> out = new ArrayList<>(items);
      switch (r.nextInt(4)) {
        case 0 -> out.clear();
        case 1 -> {
          if (!out.isEmpty()) {
            Object copy = out.get(0);
            for (int i = r.nextInt(r.nextInt(10) == 0 ? 2000 : 3); i > 0; i--) {
              out.add(copy);
            }
          }
        }
        default -> {
          if (out.isEmpty()) {
            return out;
          }
          int i = r.nextInt(out.size());
          Object v = item == String.class ? value(String.class, item, out.get(i), r) : vary(out.get(i), r, 1);
          if (v == null) {
            return null;
          }
          out.set(i, v);
        }
      }
      return out;
    }
    if (type == Map.class) {
      Map<Object, Object> out = new LinkedHashMap<>((Map<?, ?>) old);
      out.put(value(String.class, String.class, null, r), value(String.class, String.class, null, r));
      return out.containsKey(null) || out.containsValue(null) ? null : out;
    }
    if (old instanceof Record) {
      return vary(old, r, 1);
    }
    return old;
  }
}
