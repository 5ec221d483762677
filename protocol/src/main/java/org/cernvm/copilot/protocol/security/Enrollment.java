package org.cernvm.copilot.protocol.security;

import java.security.KeyPair;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.cernvm.copilot.protocol.Crl;
import org.cernvm.copilot.protocol.Enroll;
import org.cernvm.copilot.protocol.Enrolled;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.FetchCrl;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Renew;
import org.cernvm.copilot.protocol.Reply;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.BusException;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A component's side of the key manager: it enrolls with a one-time token (making its own key pair, whose
 * private half never leaves it), renews its certificate after two thirds of its lifetime, and fetches the
 * revocation list, all over its bus, installing the results in the bus's {@link Keyring} and
 * {@link Authority}.
 */
public final class Enrollment {
  private static final Logger log = LoggerFactory.getLogger(Enrollment.class);
  /** The purpose enrollment tokens are sealed for. */
  public static final String TOKEN_PURPOSE = "enrollment-token";

  private final Bus bus;
  private final Address keyManager;
  private final Duration timeout;

  /**
   * Talks to the key manager at {@code keyManager} over {@code bus}.
   *
   * @param timeout how long each request waits for the key manager
   */
  public Enrollment(Bus bus, Address keyManager, Duration timeout) {
    this.bus = bus;
    this.keyManager = keyManager;
    this.timeout = timeout;
  }

  /**
   * Makes sure the component has a valid certificate: keeps the one in the keyring if it is valid for
   * longer than the renewal point, renews it if it is still valid, and otherwise enrolls as {@code name}
   * with {@code token}.
   *
   * @param token the one-time enrollment token, or {@code null} if the component was given none
   * @throws EnrollmentException if the key manager refused, or a token was needed and none was given
   * @throws BusException if the key manager did not answer in time
   */
  public Credentials ensure(String name, String token) throws EnrollmentException, BusException, InterruptedException {
    MessageSecurity security = bus.security();
    Instant now = security.clock().instant();
    var current = security.keyring().current().filter(c -> c.expiresAt().isAfter(now) && c.name().equals(name));
    if (current.isPresent() && current.get().renewAt().isAfter(now)) {
      return current.get();
    }
    if (current.isPresent()) {
      return renew();
    }
    if (token == null) {
      throw new EnrollmentException(name + " holds no valid certificate and was given no enrollment token");
    }
    return enroll(name, token);
  }

  /**
   * Enrolls as {@code name} (the bus account) with {@code token}, sealed for the key manager.
   *
   * @throws EnrollmentException if the key manager refused
   * @throws BusException if it did not answer within the timeout
   */
  public Credentials enroll(String name, String token) throws EnrollmentException, BusException, InterruptedException {
    MessageSecurity security = bus.security();
    KeyPair pair = Certificates.newKeyPair();
    Enroll request = new Enroll(MessageIds.next(), security.clock().instant(), name,
        security.seal(token, security.authority().certificate(), TOKEN_PURPOSE), csr(name, pair));
    Credentials c = install(pair, bus.call(keyManager, request, timeout).reply(), "enrollment");
    log.info("enrolled as {} ({}), certificate {} valid until {}", c.name(), c.role().wireName(),
        c.certificate().getSerialNumber().toString(16), c.expiresAt());
    return c;
  }

  /**
   * Renews the current certificate for a new key pair, signed with the current one.
   *
   * @throws EnrollmentException if the key manager refused
   * @throws BusException if it did not answer within the timeout
   */
  public Credentials renew() throws EnrollmentException, BusException, InterruptedException {
    MessageSecurity security = bus.security();
    Credentials old = security.keyring().current()
        .orElseThrow(() -> new EnrollmentException("nothing to renew: not enrolled"));
    KeyPair pair = Certificates.newKeyPair();
    Renew request = new Renew(MessageIds.next(), security.clock().instant(), csr(old.name(), pair));
    Credentials c = install(pair, bus.call(keyManager, request, timeout).reply(), "renewal");
    log.info("renewed the certificate of {}: {} valid until {}", c.name(), c.certificate().getSerialNumber().toString(16),
        c.expiresAt());
    return c;
  }

  /**
   * Fetches the key manager's revocation list and puts it in use.
   *
   * @throws BusException if the key manager did not answer, or answered with something else
   */
  public X509CRL refreshRevocations() throws BusException, InterruptedException {
    MessageSecurity security = bus.security();
    Reply reply = bus.call(keyManager, new FetchCrl(MessageIds.next(), security.clock().instant()), timeout).reply();
    if (!(reply instanceof Crl crl)) {
      throw new BusException("the key manager answered fetchCrl with " + describe(reply));
    }
    X509CRL list;
    try {
      list = Pem.crl(crl.crl());
      security.authority().update(list);
    } catch (IllegalArgumentException e) {
      throw new BusException("the key manager's revocation list is not usable: " + e.getMessage());
    }
    return list;
  }

  /**
   * Keeps the component's credentials fresh: renews the certificate at its renewal point and refreshes
   * the revocation list every {@code crlRefresh}; failures are logged and retried at the next tick.
   *
   * @return what stops it
   */
  public Scheduler.Cancellable maintain(Scheduler scheduler, Duration crlRefresh) {
    Duration tick = crlRefresh.compareTo(Duration.ofMinutes(1)) < 0 ? crlRefresh : Duration.ofMinutes(1);
    long[] lastCrl = {Long.MIN_VALUE};
    return scheduler.every(tick, () -> {
      MessageSecurity security = bus.security();
      Instant now = security.clock().instant();
      try {
        var current = security.keyring().current();
        if (current.isPresent() && !current.get().renewAt().isAfter(now)) {
          renew();
        }
        if (lastCrl[0] == Long.MIN_VALUE || now.toEpochMilli() - lastCrl[0] >= crlRefresh.toMillis()) {
          refreshRevocations();
          lastCrl[0] = now.toEpochMilli();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (EnrollmentException | BusException | RuntimeException e) {
        log.warn("could not renew the certificate or refresh revocations: {}", e.getMessage());
      }
    });
  }

  private Credentials install(KeyPair pair, Reply reply, String what) throws EnrollmentException {
    if (!(reply instanceof Enrolled e)) {
      throw new EnrollmentException("the key manager refused the " + what + ": " + describe(reply));
    }
    X509Certificate cert;
    try {
      cert = Pem.certificate(e.certificate());
      if (!java.util.Arrays.equals(cert.getPublicKey().getEncoded(), pair.getPublic().getEncoded())) {
        throw new EnrollmentException("the key manager issued a certificate for another key");
      }
      bus.security().authority().check(cert, bus.security().clock().instant());
    } catch (IllegalArgumentException | MessageRejectedException ex) {
      throw new EnrollmentException("the certificate from the key manager is not usable: " + ex.getMessage());
    }
    Credentials c = new Credentials(pair.getPrivate(), cert);
    try {
      bus.security().keyring().install(c);
    } catch (java.io.IOException ex) {
      throw new EnrollmentException("cannot keep the new credentials: " + ex.getMessage());
    }
    return c;
  }

  private static String describe(Reply reply) {
    return reply instanceof ErrorReply err ? err.code() + ": " + err.message() : String.valueOf(reply.verb());
  }

  /** A PEM certificate request for {@code pair} in the name {@code name}, signed with its private key. */
  public static String csr(String name, KeyPair pair) {
    try {
      return Pem.of(new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + name), pair.getPublic())
          .build(new JcaContentSignerBuilder(Certificates.SIGNATURE).setProvider(Certificates.BC)
              .build(pair.getPrivate())));
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("cannot make a certificate request: " + e.getMessage(), e);
    }
  }
}
