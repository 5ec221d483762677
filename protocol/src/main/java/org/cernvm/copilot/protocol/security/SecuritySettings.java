package org.cernvm.copilot.protocol.security;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.config.Settings;

/**
 * A component's security configuration, the {@code security.*} keys.
 *
 * @param ca the key manager's CA certificate (PEM): the trust anchor for messages and for the XMPP server
 * @param dir where the component keeps its key and certificate between runs, or {@code null} to keep
 *     them in memory only (it then enrolls at every start)
 * @param token the one-time enrollment token, or {@code null} if the component already holds a valid
 *     certificate in {@code dir}; never logged
 * @param keyManager the key manager's address
 * @param window how far a message's send time may be from the receiver's clock; ids are remembered for
 *     twice this
 * @param timeout how long a request to the key manager waits
 * @param crlRefresh how often the revocation list is fetched
 */
public record SecuritySettings(
    Path ca, Path dir, String token, Address keyManager, Duration window, Duration timeout, Duration crlRefresh) {
  public SecuritySettings {
    Objects.requireNonNull(ca, "security.ca");
    Objects.requireNonNull(keyManager, "security.key-manager");
    Objects.requireNonNull(window, "security.window");
    Objects.requireNonNull(timeout, "security.timeout");
    Objects.requireNonNull(crlRefresh, "security.crl-refresh");
  }

  /**
   * Reads {@code security.ca} (required), {@code security.dir}, {@code security.token} (best given as
   * {@code COPILOT_SECURITY_TOKEN}), {@code security.key-manager} (default {@code keymanager@DOMAIN}),
   * {@code security.window} (2m), {@code security.timeout} (10s), {@code security.crl-refresh} (5m).
   */
  public static SecuritySettings from(Settings s, String domain) {
    return new SecuritySettings(
        Path.of(s.required("security.ca")),
        s.path("security.dir", null),
        s.string("security.token", null),
        Address.of(s.string("security.key-manager", "keymanager@" + domain)),
        s.duration("security.window", Duration.ofMinutes(2)),
        s.duration("security.timeout", Duration.ofSeconds(10)),
        s.duration("security.crl-refresh", Duration.ofMinutes(5)));
  }

  /**
   * The message security these settings describe: the CA loaded, the keyring opened (possibly empty).
   *
   * @throws IOException if the CA certificate or the keyring cannot be read
   */
  public MessageSecurity open(Clock clock) throws IOException {
    Keyring keyring = dir == null ? Keyring.empty() : Keyring.open(dir);
    return MessageSecurity.create(keyring, Authority.load(ca), clock, window);
  }

  @Override
  public String toString() {
    return "SecuritySettings[ca=" + ca + ", dir=" + dir + ", token=" + (token == null ? "none" : "<redacted>")
        + ", keyManager=" + keyManager + ", window=" + window + "]";
  }
}
