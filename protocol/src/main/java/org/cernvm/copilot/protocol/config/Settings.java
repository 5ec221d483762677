package org.cernvm.copilot.protocol.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Raw configuration, layered: a properties file, then the VM's contextualization (user-data), then the
 * environment, then the command line, each overriding the one before. A key such as {@code agent.memory-mb} is read from the environment as
 * {@code COPILOT_AGENT_MEMORY_MB}. Each role turns these into its own immutable, validated config record
 * at start; errors name the key and where its value came from. Values are never printed, since some are
 * secrets.
 */
public final class Settings {
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  private final Map<String, String> file;
  private final Path filePath;
  private final Map<String, String> context;
  private final String contextOrigin;
  private final Map<String, String> env;
  private final Map<String, String> cli;
  private final Set<String> read = ConcurrentHashMap.newKeySet();

  private Settings(Path filePath, Map<String, String> file, Map<String, String> context, String contextOrigin,
      Map<String, String> env, Map<String, String> cli) {
    this.filePath = filePath;
    this.file = Map.copyOf(file);
    this.context = Map.copyOf(context);
    this.contextOrigin = contextOrigin;
    this.env = Map.copyOf(env);
    this.cli = Map.copyOf(cli);
  }

  /**
   * Layers a properties file (optional), the environment and command-line values.
   *
   * @throws ConfigException if the file cannot be read
   */
  public static Settings layered(Path propertiesFile, Map<String, String> env, Map<String, String> cli) {
    Map<String, String> fromFile = new HashMap<>();
    if (propertiesFile != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(propertiesFile, StandardCharsets.UTF_8)) {
        p.load(r);
      } catch (IOException e) {
        throw new ConfigException("cannot read config file " + propertiesFile + ": " + e.getMessage());
      }
      p.stringPropertyNames().forEach(k -> fromFile.put(k, p.getProperty(k).trim()));
    }
    return new Settings(propertiesFile, fromFile, Map.of(), null, env, cli);
  }

  /** Settings from command-line values only, for tests and embedded use. */
  public static Settings of(Map<String, String> values) {
    return new Settings(null, Map.of(), Map.of(), null, Map.of(), values);
  }

  /** These settings with {@code overrides} layered on top of the command line. */
  public Settings with(Map<String, String> overrides) {
    Map<String, String> merged = new LinkedHashMap<>(cli);
    merged.putAll(overrides);
    return new Settings(filePath, file, context, contextOrigin, env, merged);
  }

  /**
   * These settings with the VM's contextualization layered between the config file and the environment.
   *
   * @param origin where the values came from, for error messages, e.g. {@code user-data http://…/user-data}
   */
  public Settings withContext(Map<String, String> values, String origin) {
    Settings layered = new Settings(filePath, file, values, origin, env, cli);
    layered.read.addAll(read);
    return layered;
  }

  /** The environment variable that sets {@code key}. */
  public static String envName(String key) {
    return "COPILOT_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  private String raw(String key) {
    read.add(key);
    String v = cli.get(key);
    if (v == null) {
      v = env.get(envName(key));
    }
    if (v == null) {
      v = context.get(key);
    }
    if (v == null) {
      v = file.get(key);
    }
    return v == null || v.isBlank() ? null : v.trim();
  }

  private String origin(String key) {
    if (cli.containsKey(key)) {
      return "command line --set " + key;
    }
    if (env.containsKey(envName(key))) {
      return "environment " + envName(key);
    }
    if (context.containsKey(key)) {
      return contextOrigin;
    }
    return "config file " + filePath;
  }

  /** Whether {@code key} has a value in any layer. */
  public boolean has(String key) {
    return raw(key) != null;
  }

  /** The text value of {@code key}, or {@code fallback}. */
  public String string(String key, String fallback) {
    String v = raw(key);
    return v == null ? fallback : v;
  }

  /** The text value of a key that must be set. */
  public String required(String key) {
    String v = raw(key);
    if (v == null) {
      throw new ConfigException(key + " is required: set it in the config file, in the user-data, as "
          + envName(key) + ", or with --set " + key + "=…");
    }
    return v;
  }

  /** An integer value at least {@code min}. */
  public int integer(String key, int fallback, int min) {
    long n = longValue(key, fallback, min);
    if (n > Integer.MAX_VALUE) {
      throw new ConfigException(key + " is too large: " + n + " (from " + origin(key) + ")");
    }
    return (int) n;
  }

  /** A long value at least {@code min}. */
  public long longValue(String key, long fallback, long min) {
    String v = raw(key);
    if (v == null) {
      return fallback;
    }
    try {
      long n = Long.parseLong(v);
      if (n < min) {
        throw new ConfigException(key + " must be at least " + min + ", got " + n + " (from " + origin(key) + ")");
      }
      return n;
    } catch (NumberFormatException e) {
      throw new ConfigException(key + " must be an integer, got '" + v + "' (from " + origin(key) + ")");
    }
  }

  /** A boolean value: {@code true} or {@code false}. */
  public boolean bool(String key, boolean fallback) {
    String v = raw(key);
    if (v == null) {
      return fallback;
    }
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on" -> true;
      case "false", "no", "off" -> false;
      default -> throw new ConfigException(key + " must be true or false, got '" + v + "' (from " + origin(key) + ")");
    };
  }

  /** A positive duration such as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d} or {@code PT30S}. */
  public Duration duration(String key, Duration fallback) {
    String v = raw(key);
    if (v == null) {
      return fallback;
    }
    Duration d = parseDuration(v);
    if (d == null || d.isNegative() || d.isZero()) {
      throw new ConfigException(key + " must be a positive duration like 30s, 5m or 2h, got '" + v + "' (from "
          + origin(key) + ")");
    }
    return d;
  }

  /** Parses {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d} or ISO-8601; {@code null} if neither. */
  public static Duration parseDuration(String v) {
    Matcher m = DURATION.matcher(v.trim());
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
    try {
      return Duration.parse(v.trim());
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** A path value, or {@code fallback}. */
  public Path path(String key, Path fallback) {
    String v = raw(key);
    return v == null ? fallback : Path.of(v);
  }

  /** A comma-separated list, or {@code fallback}. */
  public List<String> list(String key, List<String> fallback) {
    String v = raw(key);
    if (v == null) {
      return fallback;
    }
    return Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /** One of an enum's constants, matched case-insensitively with {@code -} for {@code _}. */
  public <E extends Enum<E>> E choice(String key, Class<E> type, E fallback) {
    String v = raw(key);
    if (v == null) {
      return fallback;
    }
    String name = v.toUpperCase(Locale.ROOT).replace('-', '_');
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(name)) {
        return e;
      }
    }
    List<String> allowed =
        Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList();
    throw new ConfigException(key + " must be one of " + allowed + ", got '" + v + "' (from " + origin(key) + ")");
  }

  /**
   * Fails if the file or command line sets a key that nothing has read, which is almost always a typo.
   *
   * @throws ConfigException naming the unknown keys
   */
  public void rejectUnknownKeys() {
    Set<String> unknown = new TreeSet<>();
    file.keySet().stream().filter(k -> !read.contains(k)).forEach(unknown::add);
    context.keySet().stream().filter(k -> !read.contains(k)).forEach(unknown::add);
    cli.keySet().stream().filter(k -> !read.contains(k)).forEach(unknown::add);
    if (!unknown.isEmpty()) {
      throw new ConfigException("unknown configuration keys: " + unknown);
    }
  }

  @Override
  public String toString() {
    return "Settings[file=" + filePath + ", " + (file.size() + context.size() + cli.size()) + " explicit keys]";
  }
}
