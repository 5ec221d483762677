package org.cernvm.copilot.protocol.bus;

import java.util.stream.Collectors;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.config.Settings;

/**
 * How to reach and log in to the XMPP server.
 *
 * @param servers the servers to log in to, in order: one, or the nodes of a cluster that serve the same
 *     domain; the bus moves to the next when one cannot be reached or drops the connection
 * @param domain the XMPP domain (the part after {@code @} in addresses)
 * @param username this component's account
 * @param password its password; never logged
 * @param resource the resource to bind, e.g. {@code jm-1}
 * @param security whether TLS is required, used when offered, or off
 * @param trustCertificate a PEM or DER X.509 certificate to trust for the server, or {@code null} for the
 *     JDK's trust store
 * @param tlsProtocols TLS protocol versions to enable, empty for the JDK's defaults
 * @param register create the account by in-band registration (XEP-0077) if it does not exist
 * @param replyTimeout how long connection set-up steps wait for the server
 * @param reconnectMin first delay before reconnecting after a failure
 * @param reconnectMax longest delay between reconnection attempts
 * @param unauthenticated how much traffic that fails authentication one sender may cost this component
 */
public record XmppSettings(
    List<Server> servers,
    String domain,
    String username,
    String password,
    String resource,
    Security security,
    Path trustCertificate,
    List<String> tlsProtocols,
    boolean register,
    Duration replyTimeout,
    Duration reconnectMin,
    Duration reconnectMax,
    UnauthenticatedLimits unauthenticated) {

  /** Whether the connection uses TLS. */
  public enum Security {
    /** Refuse to log in without TLS. */
    REQUIRED,
    /** Use STARTTLS when the server offers it. */
    IF_POSSIBLE,
    /** Never use TLS. */
    DISABLED
  }

  /** One XMPP server's client-to-server address. */
  public record Server(String host, int port) {
    public Server {
      if (host == null || host.isBlank()) {
        throw new IllegalArgumentException("an XMPP server needs a host");
      }
      if (port <= 0 || port > 65535) {
        throw new IllegalArgumentException("xmpp port out of range: " + port);
      }
    }

    /**
     * Reads {@code HOST}, {@code HOST:PORT} or {@code [IPV6]:PORT}, with {@code defaultPort} where none is
     * given.
     */
    public static Server parse(String text, int defaultPort) {
      String t = text.trim();
      String host = t;
      String port = null;
      if (t.startsWith("[")) {
        int end = t.indexOf(']');
        if (end < 0) {
          throw new ConfigException("xmpp.host: '" + t + "' opens '[' and does not close it");
        }
        host = t.substring(1, end);
        if (t.length() > end + 1) {
          if (t.charAt(end + 1) != ':') {
            throw new ConfigException("xmpp.host: '" + t + "' has something other than :PORT after ']'");
          }
          port = t.substring(end + 2);
        }
      } else if (t.indexOf(':') >= 0 && t.indexOf(':') == t.lastIndexOf(':')) {
        host = t.substring(0, t.indexOf(':'));
        port = t.substring(t.indexOf(':') + 1);
      }
      int p = defaultPort;
      if (port != null) {
        try {
          p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
          throw new ConfigException("xmpp.host: the port of '" + t + "' is not a number");
        }
      }
      try {
        return new Server(host, p);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("xmpp.host: '" + t + "': " + e.getMessage());
      }
    }

    @Override
    public String toString() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }

  public XmppSettings {
    servers = List.copyOf(servers);
    if (servers.isEmpty()) {
      throw new IllegalArgumentException("no XMPP server to log in to");
    }
    Objects.requireNonNull(domain, "domain");
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(security, "security");
    tlsProtocols = List.copyOf(tlsProtocols);
    Objects.requireNonNull(replyTimeout, "replyTimeout");
    Objects.requireNonNull(reconnectMin, "reconnectMin");
    Objects.requireNonNull(reconnectMax, "reconnectMax");
    if (reconnectMax.compareTo(reconnectMin) < 0) {
      throw new IllegalArgumentException("reconnect-max must not be below reconnect-min");
    }
    Objects.requireNonNull(unauthenticated, "unauthenticated");
  }

  /** Settings for one server. */
  public XmppSettings(String host, int port, String domain, String username, String password, String resource,
      Security security, Path trustCertificate, List<String> tlsProtocols, boolean register, Duration replyTimeout,
      Duration reconnectMin, Duration reconnectMax, UnauthenticatedLimits unauthenticated) {
    this(List.of(new Server(host, port)), domain, username, password, resource, security, trustCertificate,
        tlsProtocols, register, replyTimeout, reconnectMin, reconnectMax, unauthenticated);
  }

  /** Settings for one server, with the default {@link UnauthenticatedLimits}. */
  public XmppSettings(String host, int port, String domain, String username, String password, String resource,
      Security security, Path trustCertificate, List<String> tlsProtocols, boolean register, Duration replyTimeout,
      Duration reconnectMin, Duration reconnectMax) {
    this(host, port, domain, username, password, resource, security, trustCertificate, tlsProtocols, register,
        replyTimeout, reconnectMin, reconnectMax, UnauthenticatedLimits.DEFAULT);
  }

  /** The first server's host. */
  public String host() {
    return servers.get(0).host();
  }

  /** The first server's port. */
  public int port() {
    return servers.get(0).port();
  }

  /**
   * Reads the {@code xmpp.*} keys: {@code host} (one server, or several separated by commas, each
   * {@code HOST} or {@code HOST:PORT}), {@code port} (where a host names none), {@code domain}, {@code user},
   * {@code password}, {@code resource}, {@code security} ({@code required} by default, {@code if-possible},
   * {@code disabled}), {@code trust} (default: {@code security.ca}, the key manager's CA, which issues the
   * XMPP server's certificate), {@code tls-protocols}, {@code register}, {@code reply-timeout},
   * {@code reconnect-min}, {@code reconnect-max}, and {@link UnauthenticatedLimits#from the limits} of
   * unauthenticated traffic.
   *
   * @param defaultUser the account when {@code xmpp.user} is not set
   * @param defaultResource the resource when {@code xmpp.resource} is not set
   */
  public static XmppSettings from(Settings s, String defaultUser, String defaultResource) {
    String user = s.string("xmpp.user", defaultUser);
    if (user == null) {
      user = s.required("xmpp.user");
    }
    int port = s.integer("xmpp.port", 5222, 1);
    List<Server> servers = s.list("xmpp.host", List.of("127.0.0.1")).stream().map(h -> Server.parse(h, port))
        .toList();
    if (servers.stream().distinct().count() != servers.size()) {
      throw new ConfigException("xmpp.host names a server twice");
    }
    return new XmppSettings(
        servers,
        s.string("xmpp.domain", "copilot.local"),
        user,
        s.required("xmpp.password"),
        s.string("xmpp.resource", defaultResource),
        s.choice("xmpp.security", Security.class, Security.REQUIRED),
        s.path("xmpp.trust", s.path("security.ca", null)),
        s.list("xmpp.tls-protocols", List.of()),
        s.bool("xmpp.register", false),
        s.duration("xmpp.reply-timeout", Duration.ofSeconds(10)),
        s.duration("xmpp.reconnect-min", Duration.ofMillis(500)),
        s.duration("xmpp.reconnect-max", Duration.ofSeconds(30)),
        UnauthenticatedLimits.from(s));
  }

  /** The same settings for another account and resource. */
  public XmppSettings as(String username, String password, String resource) {
    return new XmppSettings(servers, domain, username, password, resource, security, trustCertificate,
        tlsProtocols, register, replyTimeout, reconnectMin, reconnectMax, unauthenticated);
  }

  /** The same settings with {@code servers} to log in to, in order. */
  public XmppSettings withServers(List<Server> servers) {
    return new XmppSettings(servers, domain, username, password, resource, security, trustCertificate,
        tlsProtocols, register, replyTimeout, reconnectMin, reconnectMax, unauthenticated);
  }

  /** The same settings trusting {@code pem} for the server, unless a trust certificate is set already. */
  public XmppSettings trustingIfUnset(Path pem) {
    return trustCertificate != null ? this : new XmppSettings(servers, domain, username, password, resource, security,
        pem, tlsProtocols, register, replyTimeout, reconnectMin, reconnectMax, unauthenticated);
  }

  /** The bare address of an account on this server's domain. */
  public Address addressOf(String user) {
    return Address.of(user + "@" + domain);
  }

  @Override
  public String toString() {
    return "XmppSettings[" + username + "@" + domain + "/" + resource + " via " + servers.stream().map(Server::toString).collect(Collectors.joining(","))
        + ", security="
        + security + ", password=<redacted>]";
  }
}
