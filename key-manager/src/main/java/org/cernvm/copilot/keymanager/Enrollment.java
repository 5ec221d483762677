package org.cernvm.copilot.keymanager;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.cernvm.copilot.protocol.Enroll;
import org.cernvm.copilot.protocol.Enrolled;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.BusException;
import org.cernvm.copilot.protocol.bus.Response;

/**
 * A component's side of enrollment: it makes its own key pair (the private key never leaves it), sends a
 * certificate request with its one-time token to the key manager, and keeps what comes back.
 *
 * @param keys the component's key pair
 * @param certificate its certificate
 * @param ca the CA certificate to trust
 */
public record Enrollment(KeyPair keys, X509Certificate certificate, X509Certificate ca) {
  /**
   * Enrolls as {@code name} (the bus account) with {@code token}.
   *
   * @throws EnrollmentException if the key manager refused
   * @throws BusException if it did not answer within {@code timeout}
   */
  public static Enrollment request(Bus bus, Address keyManager, String name, String token, Duration timeout,
      Clock clock) throws EnrollmentException, BusException, InterruptedException {
    try {
      KeyPair pair = CertificateAuthority.newKeyPair();
      String csr = Pem.of(new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + name), pair.getPublic())
          .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
      Response r = bus.call(keyManager, new Enroll(MessageIds.next(), clock.instant(), name, token, csr), timeout);
      if (r.reply() instanceof Enrolled e) {
        return new Enrollment(pair, certificate(e.certificate()), certificate(e.ca()));
      }
      if (r.reply() instanceof ErrorReply err) {
        throw new EnrollmentException("the key manager refused: " + err.code() + ": " + err.message());
      }
      throw new EnrollmentException("the key manager answered " + r.reply().verb());
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new EnrollmentException("cannot make a certificate request: " + e.getMessage());
    }
  }

  private static X509Certificate certificate(String pem) throws GeneralSecurityException {
    return (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new java.io.ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
  }
}
