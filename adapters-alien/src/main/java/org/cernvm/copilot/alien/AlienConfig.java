package org.cernvm.copilot.alien;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.config.Settings;

/**
 * The AliEn adapter's configuration.
 *
 * @param url the central services' base URL
 * @param agentToken the JobAgent credential; never logged
 * @param site the site name sent with {@code getMatchJob}
 * @param ce the computing element name
 * @param packages the packages the VMs provide (CVMFS); a job needing others is not matched
 * @param se the storage element name outputs are registered on
 * @param timeout connect and answer timeout of each call
 * @param attempts how often a call that may pass is tried
 * @param backoffMin the first pause between attempts, doubled each time
 * @param procInterval how often a running job's resource usage is sent as a {@code proc} log line
 * @param emptyPause how long to stop asking after "nothing to run" (−2)
 */
public record AlienConfig(
    URI url,
    String agentToken,
    String site,
    String ce,
    List<String> packages,
    String se,
    Duration timeout,
    int attempts,
    Duration backoffMin,
    Duration procInterval,
    Duration emptyPause) {
  public AlienConfig {
    if (url == null || !(url.getScheme().equals("http") || url.getScheme().equals("https"))) {
      throw new ConfigException("alien.url must be an http(s) URL: " + url);
    }
    if (agentToken == null || agentToken.isBlank()) {
      throw new ConfigException("alien.agent-token is required");
    }
    packages = List.copyOf(packages);
  }

  /**
   * Reads the {@code alien.*} keys: {@code url}, {@code agent-token}, {@code site}, {@code ce},
   * {@code packages}, {@code se}, {@code timeout}, {@code attempts}, {@code backoff-min},
   * {@code proc-interval}, {@code empty-pause}.
   */
  public static AlienConfig from(Settings s) {
    String url = s.required("alien.url");
    return new AlienConfig(
        URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url),
        s.required("alien.agent-token"),
        s.string("alien.site", "CERN-COPILOT"),
        s.string("alien.ce", "ALICE::CERN::Copilot"),
        s.list("alien.packages", List.of()),
        s.string("alien.se", "ALICE::CERN::COPILOT"),
        s.duration("alien.timeout", Duration.ofSeconds(30)),
        s.integer("alien.attempts", 4, 1),
        s.duration("alien.backoff-min", Duration.ofMillis(500)),
        s.duration("alien.proc-interval", Duration.ofSeconds(60)),
        s.duration("alien.empty-pause", Duration.ofSeconds(5)));
  }

  @Override
  public String toString() {
    return "AlienConfig[url=" + url + ", agentToken=<redacted>, site=" + site + ", ce=" + ce + ", se=" + se + "]";
  }
}
