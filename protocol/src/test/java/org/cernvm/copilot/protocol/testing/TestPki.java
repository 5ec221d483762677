package org.cernvm.copilot.protocol.testing;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.InMemoryNetwork;
import org.cernvm.copilot.protocol.security.Authority;
import org.cernvm.copilot.protocol.security.Certificates;
import org.cernvm.copilot.protocol.security.Credentials;
import org.cernvm.copilot.protocol.security.Keyring;
import org.cernvm.copilot.protocol.security.MessageSecurity;
import org.cernvm.copilot.protocol.security.Role;

/**
 * A certificate authority in memory for tests, issuing the same certificates the key manager does, on a
 * test's clock; and the message security of a component holding one of them.
 */
public final class TestPki {
  /** The replay window of every security made here. */
  public static final Duration WINDOW = Duration.ofMinutes(2);

  private final Clock clock;
  private final KeyPair caKeys = Certificates.newKeyPair();
  private final X509Certificate ca;
  private final List<Authority> authorities = new CopyOnWriteArrayList<>();
  private final Map<BigInteger, Instant> revoked = new ConcurrentHashMap<>();

  /** A CA valid from a little before {@code clock}'s now. */
  public TestPki(Clock clock) {
    this.clock = clock;
    this.ca = Certificates.newAuthority(caKeys, clock.instant(), Duration.ofDays(3650));
  }

  /** The CA certificate. */
  public X509Certificate ca() {
    return ca;
  }

  /** Credentials for {@code name} in {@code role}, valid for a day from now. */
  public Credentials issue(String name, Role role) {
    return issue(name, role, clock.instant(), Duration.ofDays(1));
  }

  /** Credentials for {@code name} in {@code role}, valid for {@code validity} from {@code from}. */
  public Credentials issue(String name, Role role, Instant from, Duration validity) {
    KeyPair pair = Certificates.newKeyPair();
    return new Credentials(pair.getPrivate(),
        Certificates.issue(caKeys.getPrivate(), ca, pair.getPublic(), name, role, from, validity));
  }

  /** A certificate for {@code key}, which a component made itself, as {@code name} in {@code role}, for a day. */
  public X509Certificate certify(java.security.PublicKey key, String name, Role role) {
    return Certificates.issue(caKeys.getPrivate(), ca, key, name, role, clock.instant(), Duration.ofDays(1));
  }

  /** A TLS server certificate and key for {@code hosts}, the first a DNS name, e.g. for an XMPP server. */
  public Credentials issueServer(List<String> hosts) {
    KeyPair pair = Certificates.newKeyPair();
    return new Credentials(pair.getPrivate(), Certificates.issueServer(caKeys.getPrivate(), ca, pair.getPublic(), hosts,
        clock.instant(), Duration.ofDays(1)));
  }

  /** A trust in this CA that follows {@link #revoke}. */
  public Authority authority() {
    Authority a = Authority.of(ca);
    a.update(crl());
    authorities.add(a);
    return a;
  }

  /** The security of a component holding {@code credentials}. */
  public MessageSecurity security(Credentials credentials) {
    return MessageSecurity.create(Keyring.of(credentials), authority(), clock, WINDOW);
  }

  /** The security of a new component {@code name} in {@code role}. */
  public MessageSecurity security(String name, Role role) {
    return security(issue(name, role));
  }

  /** The security of a component that has not enrolled yet. */
  public MessageSecurity unenrolled() {
    return MessageSecurity.create(Keyring.empty(), authority(), clock, WINDOW);
  }

  /** Connects {@code fullAddress} to {@code net} as a component in {@code role} named by its account. */
  public InMemoryNetwork.Endpoint connect(InMemoryNetwork net, String fullAddress, Role role) {
    return net.connect(fullAddress, security(Address.of(fullAddress).local(), role));
  }

  /** Revokes {@code cert}; every authority handed out gets the new revocation list at once. */
  public void revoke(X509Certificate cert) {
    revoked.put(cert.getSerialNumber(), clock.instant());
    for (Authority a : authorities) {
      a.update(crl());
    }
  }

  /** The current revocation list. */
  public java.security.cert.X509CRL crl() {
    return Certificates.crl(caKeys.getPrivate(), ca, revoked, clock.instant(), Duration.ofDays(1));
  }
}
