package org.cernvm.copilot.protocol;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** Argument checks shared by the message records; they turn a bad field into a clear message. */
final class Checks {
  private Checks() {}

  static <T> T present(T value, String field) {
    return Objects.requireNonNull(value, () -> "missing field '" + field + "'");
  }

  static String text(String value, String field) {
    present(value, field);
    if (value.isBlank()) {
      throw new IllegalArgumentException("field '" + field + "' must not be blank");
    }
    return value;
  }

  /** An identifier as {@link MessageIds} defines it. */
  static String id(String value, String field) {
    present(value, field);
    String problem = MessageIds.problem(value);
    if (problem != null) {
      throw new IllegalArgumentException("field '" + field + "' " + problem);
    }
    return value;
  }

  static <T> List<T> list(List<T> value, String field) {
    present(value, field);
    if (value.stream().anyMatch(Objects::isNull)) {
      throw new IllegalArgumentException("field '" + field + "' must not hold null");
    }
    return List.copyOf(value);
  }

  /** A copy of {@code value} ordered by key, so that it encodes the same way every time. */
  static <K extends Comparable<K>, V> Map<K, V> map(Map<K, V> value, String field) {
    present(value, field);
    if (value.keySet().stream().anyMatch(Objects::isNull) || value.values().stream().anyMatch(Objects::isNull)) {
      throw new IllegalArgumentException("field '" + field + "' must not hold null");
    }
    return Collections.unmodifiableMap(new TreeMap<>(value));
  }

  static Duration notNegative(Duration value, String field) {
    present(value, field);
    if (value.isNegative()) {
      throw new IllegalArgumentException("field '" + field + "' must not be negative: " + value);
    }
    return value;
  }

  static long notNegative(long value, String field) {
    if (value < 0) {
      throw new IllegalArgumentException("field '" + field + "' must not be negative: " + value);
    }
    return value;
  }

  static double notNegative(double value, String field) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("field '" + field + "' must be a finite number");
    }
    if (value < 0) {
      throw new IllegalArgumentException("field '" + field + "' must not be negative: " + value);
    }
    return value;
  }

  static long positive(long value, String field) {
    if (value <= 0) {
      throw new IllegalArgumentException("field '" + field + "' must be positive: " + value);
    }
    return value;
  }

  static int positive(int value, String field) {
    if (value <= 0) {
      throw new IllegalArgumentException("field '" + field + "' must be positive: " + value);
    }
    return value;
  }
}
