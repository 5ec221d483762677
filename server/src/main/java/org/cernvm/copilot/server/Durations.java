package org.cernvm.copilot.server;

import java.time.Duration;
import org.cernvm.copilot.protocol.config.Settings;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The command line's durations, written as in the configuration ({@code 500ms}, {@code 20s}, {@code 5m},
 * {@code 1h}, {@code 2d} or ISO-8601): picocli converts every {@link Duration} option with {@link Any}
 * (registered by each command line), and those that must be above zero name {@link Positive}.
 */
public final class Durations {
  private Durations() {}

  /** Any duration, zero included. */
  public static final class Any implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      Duration d = Settings.parseDuration(value);
      if (d == null || d.isNegative()) {
        throw new TypeConversionException("must be a duration like 20ms, 30s, 5m or 1h, got '" + value + "'");
      }
      return d;
    }
  }

  /** A duration above zero. */
  public static final class Positive implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      Duration d = new Any().convert(value);
      if (d.isZero()) {
        throw new TypeConversionException("must be longer than zero, got '" + value + "'");
      }
      return d;
    }
  }
}
