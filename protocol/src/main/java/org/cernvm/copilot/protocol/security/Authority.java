package org.cernvm.copilot.protocol.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.cernvm.copilot.protocol.Untrusted;

/**
 * The trust anchor every component is given: the key manager's CA certificate, and the latest revocation
 * list the key manager published. It checks a certificate as a receiver must: issued by this CA, valid at
 * the time in question, not revoked, naming a component and a role.
 */
public final class Authority {
  private final X509Certificate ca;
  private final AtomicReference<X509CRL> crl = new AtomicReference<>();
  // Verifying the CA's signature is the expensive part; a certificate is presented with every message. Only
  // certificates this CA did issue are kept, so that a stranger presenting junk cannot fill the cache.
  private final Cache<X509Certificate, Boolean> issuedHere = Caffeine.newBuilder().maximumSize(10_000).build();

  private Authority(X509Certificate ca) {
    this.ca = ca;
  }

  /** Trusts {@code ca}. */
  public static Authority of(X509Certificate ca) {
    return new Authority(ca);
  }

  /** Trusts the CA certificate in a PEM file. */
  public static Authority load(Path caPem) throws IOException {
    return new Authority(Pem.certificate(caPem));
  }

  /** The CA certificate. */
  public X509Certificate certificate() {
    return ca;
  }

  /** The revocation list in use, if one was received. */
  public Optional<X509CRL> crl() {
    return Optional.ofNullable(crl.get());
  }

  /**
   * Uses {@code list} from now on unless the one in use is newer.
   *
   * @throws IllegalArgumentException if the CA did not sign it
   */
  public void update(X509CRL list) {
    try {
      list.verify(ca.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the revocation list was not signed by " + ca.getSubjectX500Principal(), e);
    }
    crl.accumulateAndGet(list, (old, fresh) ->
        old != null && old.getThisUpdate().after(fresh.getThisUpdate()) ? old : fresh);
  }

  /**
   * Checks a certificate at instant {@code at}.
   *
   * @return who it names
   * @throws MessageRejectedException saying why it is not acceptable; its offending id is {@code null}
   */
  public Identity check(X509Certificate cert, Instant at) throws MessageRejectedException {
    String subject = Untrusted.text(cert.getSubjectX500Principal().getName(), 120);
    if (issuedHere.getIfPresent(cert) == null) {
      if (!issuedHere(cert)) {
        throw new MessageRejectedException(Rejection.UNTRUSTED_CERTIFICATE, null,
            "the certificate of " + subject + " was not issued by this key manager");
      }
      issuedHere.put(cert, Boolean.TRUE);
    }
    Date when = Date.from(at);
    if (when.before(cert.getNotBefore()) || when.after(cert.getNotAfter())) {
      throw new MessageRejectedException(Rejection.EXPIRED_CERTIFICATE, null, "the certificate of " + subject
          + " is valid from " + cert.getNotBefore().toInstant() + " to " + cert.getNotAfter().toInstant()
          + ", not at " + at);
    }
    X509CRL list = crl.get();
    if (list != null && list.isRevoked(cert)) {
      throw new MessageRejectedException(Rejection.REVOKED_CERTIFICATE, null,
          "the certificate " + cert.getSerialNumber().toString(16) + " of " + subject + " is revoked");
    }
    Optional<Role> role = Certificates.roleOf(cert);
    String name = Certificates.nameOf(cert);
    if (role.isEmpty() || name.isEmpty()) {
      throw new MessageRejectedException(Rejection.UNTRUSTED_CERTIFICATE, null,
          "the certificate of " + subject + " names no CoPilot component and role");
    }
    return new Identity(name, role.get(), cert);
  }

  /** How many certificates this CA is known to have issued; only those are kept. */
  long certificatesKnown() {
    issuedHere.cleanUp();
    return issuedHere.estimatedSize();
  }

  private boolean issuedHere(X509Certificate cert) {
    if (!cert.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
      return false;
    }
    try {
      cert.verify(ca.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
