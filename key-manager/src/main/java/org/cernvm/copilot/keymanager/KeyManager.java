package org.cernvm.copilot.keymanager;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * The key manager: enrollment with one-time tokens, certificate issue by the {@link CertificateAuthority},
 * and the checks every receiver makes of a sender's certificate (issued by this CA, within its validity,
 * not revoked, carrying a role).
 */
public final class KeyManager {
  private final CertificateAuthority ca;
  private final EnrollmentTokens tokens;
  private final Clock clock;
  private final Duration validity;

  public KeyManager(CertificateAuthority ca, EnrollmentTokens tokens, Clock clock, Duration validity) {
    this.ca = ca;
    this.tokens = tokens;
    this.clock = clock;
    this.validity = validity;
  }

  /**
   * Enrolls a component: spends its token and issues a certificate for its request, in the token's role.
   *
   * @throws EnrollmentException if the token is unknown, used or expired, or the request is not valid
   */
  public X509Certificate enroll(String token, PKCS10CertificationRequest request, String name)
      throws EnrollmentException, IOException {
    if (name == null || !name.matches("[A-Za-z0-9._@-]{1,128}")) {
      throw new EnrollmentException("a component name is 1 to 128 letters, digits or . _ @ -: " + name);
    }
    Role role = tokens.redeem(token);
    return ca.issue(request, name, role, validity);
  }

  /**
   * Checks a certificate as a receiver must: issued by this CA, valid now, not revoked, with a role.
   *
   * @return the role it grants
   * @throws CertificateRejectedException saying why it is not acceptable
   */
  public Role verify(X509Certificate cert) throws CertificateRejectedException, IOException {
    try {
      cert.verify(ca.certificate().getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new CertificateRejectedException("the certificate of " + cert.getSubjectX500Principal().getName()
          + " was not issued by this key manager");
    }
    Date now = Date.from(clock.instant());
    if (now.before(cert.getNotBefore()) || now.after(cert.getNotAfter())) {
      throw new CertificateRejectedException("the certificate of " + cert.getSubjectX500Principal().getName()
          + " is valid from " + cert.getNotBefore().toInstant() + " to " + cert.getNotAfter().toInstant());
    }
    BigInteger serial = cert.getSerialNumber();
    if (ca.revoked().containsKey(serial)) {
      throw new CertificateRejectedException("the certificate " + serial.toString(16) + " of "
          + cert.getSubjectX500Principal().getName() + " is revoked");
    }
    Role role = CertificateAuthority.roleOf(cert);
    if (role == null) {
      throw new CertificateRejectedException("the certificate of " + cert.getSubjectX500Principal().getName()
          + " names no CoPilot role");
    }
    return role;
  }

  /** The CA behind this key manager. */
  public CertificateAuthority ca() {
    return ca;
  }
}
