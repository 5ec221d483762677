package org.cernvm.copilot.panda;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cernvm.copilot.protocol.Untrusted;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.config.Settings;

/**
 * The PanDA adapter's configuration.
 *
 * @param url the PanDA server's base URL; the dispatcher is {@code URL/server/panda/getJob}
 * @param token the bearer token the adapter presents, or {@code null} when it authenticates with a client
 *     certificate; never logged
 * @param siteName the PanDA queue (site) the agents serve
 * @param computingElement the computing element name reported to PanDA
 * @param prodSourceLabel which jobs to take: {@code managed} (production) or {@code user}
 * @param releaseDir where agents find transforms, as a release area (CVMFS) provides them; a job's
 *     {@code transformation} names a file there
 * @param ttl the wall-time limit given to each job; only agents with at least this much lifetime get one
 * @param timeout connect and answer timeout of each call to PanDA
 * @param attempts how often a call that failed in a way that may pass is tried
 * @param backoffMin the first pause between attempts, doubled each time
 * @param updateInterval how often a running job's heartbeat is relayed to PanDA as {@code updateJob}
 * @param emptyPause how long to stop asking PanDA after it answered "no jobs" (StatusCode 20)
 * @param clientKeystore a PKCS#12 file with the adapter's key and certificate for client-certificate
 *     authentication over HTTPS, or {@code null}
 * @param clientKeystorePassword its password; never logged
 * @param trust a PEM file with the certificate or CA the PanDA server must present, or {@code null} for the
 *     JDK's trust store
 * @param api the dispatcher API to call
 * @param storageEndpoint the storage endpoint (Rucio RSE) the final report names for an output whose job
 *     does not name one in {@code ddmEndPointOut}
 * @param endpoints the base URL of each storage endpoint (Rucio RSE) inputs are fetched from, an input's
 *     replica being {@code URL/SCOPE/LFN}: the stand-in for Rucio's replica lookup
 * @param jobsPerCall the most jobs one prefetching {@code getJob} asks for ({@code nJobs}/{@code n_jobs})
 */
public record PandaConfig(
    URI url,
    String token,
    String siteName,
    String computingElement,
    String prodSourceLabel,
    Path releaseDir,
    Duration ttl,
    Duration timeout,
    int attempts,
    Duration backoffMin,
    Duration updateInterval,
    Duration emptyPause,
    Path clientKeystore,
    String clientKeystorePassword,
    Path trust,
    Api api,
    String storageEndpoint,
    Map<String, String> endpoints,
    int jobsPerCall) {
  /** Which dispatcher API the adapter calls. */
  public enum Api {
    /** {@code /api/v1/pilot/*}, as Harvester calls today's server. */
    V1,
    /** {@code /server/panda/getJob} and {@code updateJob}, as pilot3 calls them and servers before 2026 serve. */
    LEGACY,
    /** v1, falling back to legacy for good once the server says it has no v1 method. */
    AUTO
  }

  public PandaConfig {
    if (url == null || !(url.getScheme().equals("http") || url.getScheme().equals("https"))) {
      throw new ConfigException("panda.url must be an http(s) URL: " + url);
    }
    if ((token == null || token.isBlank()) && clientKeystore == null) {
      throw new ConfigException("set panda.token or panda.client-keystore: PanDA needs a credential");
    }
    if (clientKeystore != null && clientKeystorePassword == null) {
      throw new ConfigException("panda.client-keystore needs panda.client-keystore-password");
    }
    endpoints = Map.copyOf(endpoints);
    if (api == null) {
      throw new ConfigException("panda.api must be v1, legacy or auto");
    }
    if (attempts < 1) {
      throw new ConfigException("panda.attempts must be at least 1");
    }
    if (jobsPerCall < 1 || jobsPerCall > 1000) {
      throw new ConfigException("panda.jobs-per-call must be 1 to 1000: " + jobsPerCall);
    }
  }

  /**
   * Reads the {@code panda.*} keys: {@code url}, {@code token}, {@code site}, {@code computing-element},
   * {@code prod-source-label}, {@code release-dir}, {@code ttl}, {@code timeout}, {@code attempts},
   * {@code backoff-min}, {@code update-interval}, {@code empty-pause}, {@code client-keystore},
   * {@code client-keystore-password}, {@code trust}, {@code api} ({@code v1}, {@code legacy} or {@code auto}),
   * {@code storage-endpoint}, {@code endpoints} ({@code NAME=URL,...}), {@code jobs-per-call} (50).
   */
  public static PandaConfig from(Settings s) {
    String url = s.required("panda.url");
    return new PandaConfig(
        URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url),
        s.string("panda.token", null),
        s.string("panda.site", "CERN-COPILOT"),
        s.string("panda.computing-element", "copilot"),
        s.string("panda.prod-source-label", "managed"),
        s.path("panda.release-dir", Path.of("/cvmfs/atlas.cern.ch/repo/sw/transforms")),
        s.duration("panda.ttl", Duration.ofHours(12)),
        s.duration("panda.timeout", Duration.ofSeconds(30)),
        s.integer("panda.attempts", 4, 1),
        s.duration("panda.backoff-min", Duration.ofMillis(500)),
        s.duration("panda.update-interval", Duration.ofMinutes(5)),
        s.duration("panda.empty-pause", Duration.ofSeconds(5)),
        s.path("panda.client-keystore", null),
        s.string("panda.client-keystore-password", null),
        s.path("panda.trust", null),
        api(s.string("panda.api", "auto")),
        s.string("panda.storage-endpoint", "CERN-COPILOT_DATADISK"),
        endpoints(s.string("panda.endpoints", "")),
        s.integer("panda.jobs-per-call", 50, 1));
  }

  /** {@code NAME=URL,NAME=URL}: each storage endpoint's base URL, without a trailing {@code /}. */
  private static Map<String, String> endpoints(String value) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String entry : value.split(",")) {
      if (entry.isBlank()) {
        continue;
      }
      int eq = entry.indexOf('=');
      String url = eq < 0 ? "" : entry.substring(eq + 1).trim();
      if (eq <= 0 || !url.matches("(file|https?)://.*")) {
        throw new ConfigException("panda.endpoints must be NAME=URL,... with file:, http: or https: URLs, not "
            + Untrusted.text(entry));
      }
      m.put(entry.substring(0, eq).trim(), url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
    }
    return m;
  }

  private static Api api(String value) {
    return switch (value) {
      case "v1" -> Api.V1;
      case "legacy" -> Api.LEGACY;
      case "auto" -> Api.AUTO;
      default -> throw new ConfigException("panda.api must be v1, legacy or auto, not " + Untrusted.text(value));
    };
  }

  @Override
  public String toString() {
    return "PandaConfig[url=" + url + ", token=<redacted>, clientKeystore=" + clientKeystore + ", siteName=" + siteName + ", prodSourceLabel="
        + prodSourceLabel + ", releaseDir=" + releaseDir + ", api=" + api + "]";
  }
}
