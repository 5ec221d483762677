package org.cernvm.copilot.storage;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.config.Settings;

/**
 * A storage adapter's configuration.
 *
 * @param service the bare address storage adapters log in under; agents ask it for grants
 * @param jobManagers the job-manager services whose jobs it stores and which it asks to register outputs
 * @param bindHost the address the upload endpoint listens on
 * @param port its port, {@code 0} for any free one
 * @param publicUrl the base URL agents upload to, or {@code null} for {@code http(s)://bindHost:port}
 * @param backend which storage backend to write to
 * @param fsRoot the {@code filesystem} backend's directory
 * @param webdavUrl the {@code webdav} backend's base collection URL
 * @param grantKeyFile the file holding the key that signs grants; created (mode 600) if absent, shared by
 *     replicas
 * @param grantTtl how long a grant is valid
 * @param maxFileSize the largest output file accepted
 * @param registerTimeout how long to wait for a job manager to register outputs
 * @param backendTimeout how long the WebDAV backend waits to connect or for an answer
 * @param idleTimeout how long an upload connection may stay silent before it is dropped
 * @param minDataRate the slowest an upload body may arrive, in bytes per second: once {@code minDataRateGrace}
 *     after its admission is over, an upload must have brought this rate times the time since then, or it is
 *     cut off with {@code 408}; {@code 0} for no minimum
 * @param minDataRateGrace how long after its admission an upload is not yet held to {@code minDataRate}, so
 *     that connection set-up and a slow start are not mistaken for a slow client
 * @param maxUploadsPerAgent how many uploads one agent may have in progress at once; one more is refused with
 *     {@code 429}
 * @param maxConnections how many connections the upload endpoint holds open at once; more wait to be accepted.
 *     Each may hold a request header of up to {@link UploadServer#MAX_REQUEST_HEADER_BYTES} before any grant is
 *     checked, so this bounds what slow or hostile clients can make it keep
 * @param tlsKeystore a PKCS#12 file with the endpoint's private key and certificate chain; the endpoint
 *     speaks HTTPS when it is set, plain HTTP otherwise
 * @param tlsKeystorePassword the keystore's password; never logged
 */
public record StorageConfig(
    String service,
    List<String> jobManagers,
    String bindHost,
    int port,
    URI publicUrl,
    Backend backend,
    Path fsRoot,
    URI webdavUrl,
    Path grantKeyFile,
    Duration grantTtl,
    long maxFileSize,
    Duration registerTimeout,
    Duration backendTimeout,
    Duration idleTimeout,
    long minDataRate,
    Duration minDataRateGrace,
    int maxUploadsPerAgent,
    int maxConnections,
    Path tlsKeystore,
    String tlsKeystorePassword) {

  /** The kinds of storage backend. */
  public enum Backend {
    /** A local or shared directory. */
    FILESYSTEM,
    /** A WebDAV server (PUT, MKCOL, MOVE, HEAD, DELETE). */
    WEBDAV
  }

  public StorageConfig {
    if (service == null || !service.contains("@") || service.contains("/")) {
      throw new ConfigException("storage.service must be a bare XMPP address like storage@copilot.local: " + service);
    }
    jobManagers = List.copyOf(jobManagers);
    if (jobManagers.isEmpty()) {
      throw new ConfigException("storage.job-managers must name at least one job-manager service");
    }
    if (port < 0 || port > 65535) {
      throw new ConfigException("storage.port must be between 0 and 65535: " + port);
    }
    if (backend == Backend.WEBDAV && webdavUrl == null) {
      throw new ConfigException("storage.backend=webdav needs storage.webdav-url");
    }
    if (webdavUrl != null && !List.of("http", "https").contains(String.valueOf(webdavUrl.getScheme()))) {
      throw new ConfigException("storage.webdav-url must be an http(s) URL: " + webdavUrl);
    }
    if (maxFileSize < 1) {
      throw new ConfigException("storage.max-file-size must be positive");
    }
    if (minDataRate < 0) {
      throw new ConfigException("storage.min-data-rate must be 0 (no minimum) or a number of bytes per second: "
          + minDataRate);
    }
    if (minDataRateGrace == null || minDataRateGrace.isNegative()) {
      throw new ConfigException("storage.min-data-rate-grace must be a duration: " + minDataRateGrace);
    }
    if (maxUploadsPerAgent < 1) {
      throw new ConfigException("storage.max-uploads-per-agent must be at least 1: " + maxUploadsPerAgent);
    }
    if (maxConnections < 1) {
      throw new ConfigException("storage.max-connections must be at least 1: " + maxConnections);
    }
    if (tlsKeystore != null && tlsKeystorePassword == null) {
      throw new ConfigException("storage.tls-keystore needs storage.tls-keystore-password");
    }
  }

  /**
   * Reads the {@code storage.*} keys: {@code service}, {@code job-managers}, {@code bind}, {@code port},
   * {@code public-url}, {@code backend} ({@code filesystem} or {@code webdav}), {@code root},
   * {@code webdav-url}, {@code grant-key-file}, {@code grant-ttl}, {@code max-file-size} (bytes),
   * {@code register-timeout}, {@code backend-timeout}, {@code idle-timeout}, {@code min-data-rate} (bytes per
   * second, default 8192, {@code 0} for none), {@code min-data-rate-grace} (default 10s),
   * {@code max-uploads-per-agent} (default 8), {@code max-connections} (default 512), {@code tls-keystore},
   * {@code tls-keystore-password}.
   */
  public static StorageConfig from(Settings s, String domain) {
    Path home = Path.of(System.getProperty("user.home"), ".copilot");
    return new StorageConfig(
        s.string("storage.service", "storage@" + domain),
        s.list("storage.job-managers", List.of("jobmanager@" + domain)),
        s.string("storage.bind", "127.0.0.1"),
        s.integer("storage.port", 8480, 0),
        uri(s, "storage.public-url"),
        s.choice("storage.backend", Backend.class, Backend.FILESYSTEM),
        s.path("storage.root", home.resolve("storage")),
        uri(s, "storage.webdav-url"),
        s.path("storage.grant-key-file", home.resolve("storage-grant.key")),
        s.duration("storage.grant-ttl", Duration.ofHours(6)),
        s.longValue("storage.max-file-size", 50L << 30, 1),
        s.duration("storage.register-timeout", Duration.ofSeconds(10)),
        s.duration("storage.backend-timeout", Duration.ofSeconds(30)),
        s.duration("storage.idle-timeout", Duration.ofSeconds(60)),
        s.longValue("storage.min-data-rate", 8L << 10, 0),
        s.duration("storage.min-data-rate-grace", Duration.ofSeconds(10)),
        s.integer("storage.max-uploads-per-agent", 8, 1),
        s.integer("storage.max-connections", 512, 1),
        s.path("storage.tls-keystore", null),
        s.string("storage.tls-keystore-password", null));
  }

  private static URI uri(Settings s, String key) {
    String v = s.string(key, null);
    if (v == null) {
      return null;
    }
    try {
      URI u = URI.create(v.endsWith("/") ? v.substring(0, v.length() - 1) : v);
      if (u.getScheme() == null || u.getHost() == null) {
        throw new IllegalArgumentException("no scheme or host");
      }
      return u;
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + " must be an absolute URL: " + v);
    }
  }

  /** The upload endpoint's scheme. */
  public String scheme() {
    return tlsKeystore == null ? "http" : "https";
  }

  @Override
  public String toString() {
    return "StorageConfig[service=" + service + ", jobManagers=" + jobManagers + ", endpoint=" + scheme() + "://"
        + bindHost + ":" + port + ", backend=" + backend + ", minDataRate=" + minDataRate + " B/s after "
        + minDataRateGrace + ", maxUploadsPerAgent=" + maxUploadsPerAgent + ", tlsKeystore=" + tlsKeystore
        + ", tlsKeystorePassword=<redacted>]";
  }
}
