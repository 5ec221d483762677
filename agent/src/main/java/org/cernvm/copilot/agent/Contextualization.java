package org.cernvm.copilot.agent;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.config.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How an agent booted in a cloud VM learns its configuration: the user-data that the VM was started with,
 * read from a file ({@code context.user-data-file}, e.g. {@code /var/lib/cloud/instance/user-data.txt}) or
 * from the instance metadata service ({@code context.metadata-url}, e.g.
 * {@code http://169.254.169.254/latest}, whose {@code /user-data} is read; see {@link MetadataService}).
 * The settings in it ({@link UserData}) are layered
 * between the config file and the environment, so the environment and the command line override them.
 */
public final class Contextualization {
  private static final Logger log = LoggerFactory.getLogger(Contextualization.class);
  private static final Duration FIRST_RETRY = Duration.ofMillis(250);
  private static final Duration LONGEST_RETRY = Duration.ofSeconds(5);

  private Contextualization() {}

  /**
   * {@code s} with the user-data's settings layered in, or {@code s} itself when neither
   * {@code context.user-data-file} nor {@code context.metadata-url} is set. A booting VM's metadata service
   * may not answer at once: it is asked again, with growing pauses, for {@code context.timeout} (60 s).
   *
   * @throws MetadataUnavailableException if the metadata service gave no user-data in time
   * @throws IOException if the user-data file cannot be read
   * @throws ConfigException if both sources are set, the service has no user-data, or it holds no settings
   */
  public static Settings apply(Settings s, Clock clock) throws IOException {
    Path file = s.path("context.user-data-file", null);
    String base = s.string("context.metadata-url", null);
    Duration timeout = s.duration("context.timeout", Duration.ofSeconds(60));
    if (file != null && base != null) {
      throw new ConfigException("set context.user-data-file or context.metadata-url, not both");
    }
    if (file != null) {
      String origin = "user-data file " + file;
      return s.withContext(UserData.settings(Files.readString(file, StandardCharsets.UTF_8), origin), origin);
    }
    if (base != null) {
      MetadataService md = new MetadataService(URI.create(base));
      String origin = "user-data " + md.url("user-data");
      Map<String, String> settings = UserData.settings(fetch(md, timeout, clock), origin);
      log.info("read {} setting(s) from {}", settings.size(), origin);
      return s.withContext(settings, origin);
    }
    return s;
  }

  private static String fetch(MetadataService md, Duration timeout, Clock clock) throws IOException {
    URI url = md.url("user-data");
    Instant deadline = clock.instant().plus(timeout);
    Duration pause = FIRST_RETRY;
    String lastError = "no answer";
    while (true) {
      Duration left = Duration.between(clock.instant(), deadline);
      if (left.isNegative() || left.isZero()) {
        throw new MetadataUnavailableException(url, timeout, lastError);
      }
      try {
        Optional<String> text = md.read("user-data", left.compareTo(LONGEST_RETRY) < 0 ? left : LONGEST_RETRY);
        if (text.isPresent()) {
          return text.get();
        }
        throw new ConfigException("the metadata service has no user-data at " + url + " (HTTP 404): was the VM "
            + "started with the agent's user-data?");
      } catch (IOException e) {
        lastError = e.toString();
      }
      log.debug("user-data at {} not available yet ({}); asking again in {} ms", url, lastError, pause.toMillis());
      try {
        Thread.sleep(pause.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for the user-data at " + url, e);
      }
      pause = pause.multipliedBy(2).compareTo(LONGEST_RETRY) > 0 ? LONGEST_RETRY : pause.multipliedBy(2);
    }
  }
}
