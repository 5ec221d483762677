package org.cernvm.copilot.keymanager;

import java.io.IOException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.cernvm.copilot.protocol.security.Authority;
import org.cernvm.copilot.protocol.security.EnrollmentException;
import org.cernvm.copilot.protocol.security.Identity;
import org.cernvm.copilot.protocol.security.Keyring;
import org.cernvm.copilot.protocol.security.MessageSecurity;
import org.cernvm.copilot.protocol.security.Role;

/**
 * The key manager: enrollment with one-time tokens, renewal for holders of a valid certificate, and
 * certificate issue by the {@link CertificateAuthority}.
 */
public final class KeyManager {
  private final CertificateAuthority ca;
  private final EnrollmentTokens tokens;
  private final Clock clock;
  private final Duration validity;

  /**
   * Creates a key manager.
   *
   * @param validity how long the certificates it issues are valid
   */
  public KeyManager(CertificateAuthority ca, EnrollmentTokens tokens, Clock clock, Duration validity) {
    this.ca = ca;
    this.tokens = tokens;
    this.clock = clock;
    this.validity = validity;
  }

  /**
   * Enrolls a component: spends its token and issues a certificate for its request, in the token's role.
   * The same request again (same token, name and key) while the token is valid gets the same certificate,
   * unless it has been revoked since.
   *
   * @throws EnrollmentException if the token is unknown, expired, or used for another name or key or for
   *     a certificate since revoked, or the request is not valid
   */
  public EnrollmentTokens.Redeemed enroll(String token, PKCS10CertificationRequest request, String name)
      throws EnrollmentException, IOException {
    checkName(name);
    PublicKey key = CertificateAuthority.requestKey(request);
    EnrollmentTokens.Redeemed redeemed = tokens.redeem(token, name, key, role -> ca.issue(key, name, role, validity));
    if (redeemed.repeated() && ca.isRevoked(redeemed.certificate().getSerialNumber())) {
      throw new EnrollmentException("the enrollment token was already used, for a certificate since revoked");
    }
    return redeemed;
  }

  /**
   * Renews a certificate: issues one for a new key in the same name and role as {@code holder}'s, whose
   * request was signed with its current, verified certificate.
   *
   * @throws EnrollmentException if the request is not valid
   */
  public X509Certificate renew(Identity holder, PKCS10CertificationRequest request) throws EnrollmentException {
    checkName(holder.name());
    return ca.issue(request, holder.name(), holder.role(), validity);
  }

  /**
   * The message security of the key manager's own bus: credentials it issues itself as {@code name}, and
   * trust in its own CA with its current revocation list.
   */
  public MessageSecurity security(String name, Duration window) throws IOException {
    Authority authority = Authority.of(ca.certificate());
    authority.update(ca.crl());
    return MessageSecurity.create(Keyring.of(ca.issueOwn(name, validity)), authority, clock, window);
  }

  /** How long the certificates it issues are valid. */
  public Duration validity() {
    return validity;
  }

  /** The enrollment tokens it redeems. */
  public EnrollmentTokens tokens() {
    return tokens;
  }

  /** The CA behind this key manager. */
  public CertificateAuthority ca() {
    return ca;
  }

  private static void checkName(String name) throws EnrollmentException {
    if (name == null || !name.matches("[A-Za-z0-9._@-]{1,128}")) {
      throw new EnrollmentException("a component name is 1 to 128 letters, digits or . _ @ -: " + name);
    }
  }
}
