package org.cernvm.copilot.keymanager;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;
import org.cernvm.copilot.protocol.Sealed;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.security.Certificates;
import org.cernvm.copilot.protocol.security.Credentials;
import org.cernvm.copilot.protocol.security.EnrollmentException;
import org.cernvm.copilot.protocol.security.MessageRejectedException;
import org.cernvm.copilot.protocol.security.MessageSecurity;
import org.cernvm.copilot.protocol.security.Pem;
import org.cernvm.copilot.protocol.security.Role;

/**
 * CoPilot's certificate authority, on Bouncy Castle: an EC P-256 CA whose key is kept on disk encrypted
 * with a passphrase ({@code ca.key}: encrypted PKCS#8 of {@link Pem#privateKeyInfo}, which OpenSSL reads
 * too; mode 600, refused at start if anyone else may read it) beside its
 * certificate ({@code ca.pem}). It issues short-lived certificates for certificate requests, in the form
 * {@link Certificates} defines. Revocations are kept in {@code revoked.txt} and published as a CRL.
 */
public final class CertificateAuthority {
  /** Bouncy Castle's provider, used explicitly (never installed globally) for PKCS#8 key encryption. */
  private static final java.security.Provider BC = new org.bouncycastle.jce.provider.BouncyCastleProvider();
  private static final Set<PosixFilePermission> OWNER_ONLY =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

  private final Path dir;
  private final Clock clock;
  private final PrivateKey key;
  private final X509Certificate certificate;

  private CertificateAuthority(Path dir, Clock clock, PrivateKey key, X509Certificate certificate) {
    this.dir = dir;
    this.clock = clock;
    this.key = key;
    this.certificate = certificate;
  }

  /**
   * Creates a new CA in {@code dir}.
   *
   * @throws IllegalStateException if {@code dir} already holds a CA
   */
  public static CertificateAuthority create(Path dir, char[] passphrase, Clock clock) throws IOException {
    if (Files.exists(dir.resolve("ca.key"))) {
      throw new IllegalStateException(dir + " already holds a CA key");
    }
    Files.createDirectories(dir);
    try {
      KeyPair pair = Certificates.newKeyPair();
      X509Certificate cert = Certificates.newAuthority(pair, clock.instant(), Duration.ofDays(3650));
      Path keyFile = dir.resolve("ca.key");
      Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      Files.writeString(keyFile, encrypted(pair.getPrivate(), passphrase));
      Files.writeString(dir.resolve("ca.pem"), Pem.of(cert));
      return new CertificateAuthority(dir, clock, pair.getPrivate(), cert);
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("cannot create a CA: " + e.getMessage(), e);
    }
  }

  /**
   * Opens the CA in {@code dir}.
   *
   * @throws ConfigException if the key file may be read by others, or the passphrase is wrong
   */
  public static CertificateAuthority open(Path dir, char[] passphrase, Clock clock) throws IOException {
    Path keyFile = dir.resolve("ca.key");
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(keyFile);
    if (!OWNER_ONLY.containsAll(perms)) {
      throw new ConfigException("the CA key " + keyFile + " must be readable by its owner only (chmod 600), is "
          + PosixFilePermissions.toString(perms));
    }
    try (PEMParser p = new PEMParser(new StringReader(Files.readString(keyFile)))) {
      PKCS8EncryptedPrivateKeyInfo info = (PKCS8EncryptedPrivateKeyInfo) p.readObject();
      PrivateKey key = new JcaPEMKeyConverter().setProvider(BC).getPrivateKey(
          info.decryptPrivateKeyInfo(new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(BC).build(passphrase)));
      return new CertificateAuthority(dir, clock, key, Pem.certificate(dir.resolve("ca.pem")));
    } catch (PKCSException | OperatorCreationException e) {
      throw new ConfigException("cannot open the CA key " + keyFile + ": wrong passphrase?");
    }
  }

  /** The CA's own certificate: the trust anchor every component is given. */
  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * Issues a certificate for a verified certificate request.
   *
   * @param name the component's name (the subject's CN), e.g. the agent id
   * @throws EnrollmentException if the request's signature does not verify
   */
  public X509Certificate issue(PKCS10CertificationRequest csr, String name, Role role, Duration validity)
      throws EnrollmentException {
    return issue(requestKey(csr), name, role, validity);
  }

  /** Issues a certificate for {@code key}, which a verified request presented (see {@link #requestKey}). */
  public X509Certificate issue(PublicKey key, String name, Role role, Duration validity) {
    return Certificates.issue(this.key, certificate, key, name, role, clock.instant(), validity);
  }

  /**
   * The public key of a certificate request whose signature verifies with it: proof that the requester
   * holds the private half.
   *
   * @throws EnrollmentException if the signature does not verify or the request cannot be read
   */
  public static PublicKey requestKey(PKCS10CertificationRequest csr) throws EnrollmentException {
    try {
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(BC).build(csr.getSubjectPublicKeyInfo()))) {
        throw new EnrollmentException("the certificate request's signature does not verify");
      }
      return new JcaPEMKeyConverter().setProvider(BC).getPublicKey(csr.getSubjectPublicKeyInfo());
    } catch (OperatorCreationException | PKCSException | IOException e) {
      throw new EnrollmentException("cannot read the certificate request: " + e.getMessage());
    }
  }

  /** Whether the certificate with {@code serial} has been revoked. */
  public boolean isRevoked(BigInteger serial) throws IOException {
    return revoked().containsKey(serial);
  }

  /** Issues credentials for the key manager itself, whose key never leaves its process. */
  public Credentials issueOwn(String name, Duration validity) {
    return issueCredentials(name, Role.KEY_MANAGER, validity);
  }

  /**
   * Issues credentials with a key pair made here rather than by the component: for the key manager's own
   * use, and for the testbed's attacker, which needs certificates that expired or were revoked.
   */
  public Credentials issueCredentials(String name, Role role, Duration validity) {
    KeyPair pair = Certificates.newKeyPair();
    return new Credentials(pair.getPrivate(),
        Certificates.issue(key, certificate, pair.getPublic(), name, role, clock.instant(), validity));
  }

  /**
   * Issues a TLS server certificate and key for the XMPP server (or any other server components reach
   * with TLS), for the given host names and addresses.
   */
  public Credentials issueServer(List<String> hosts, Duration validity) {
    KeyPair pair = Certificates.newKeyPair();
    return new Credentials(pair.getPrivate(),
        Certificates.issueServer(key, certificate, pair.getPublic(), hosts, clock.instant(), validity));
  }

  /**
   * Opens a secret sealed for the key manager (to the CA's public key).
   *
   * @throws MessageRejectedException if it does not open
   */
  public String unseal(MessageSecurity security, Sealed sealed, String purpose) throws MessageRejectedException {
    return security.unseal(sealed, key, purpose);
  }

  /** Revokes a certificate; it appears in the next {@link #crl()}. */
  public synchronized void revoke(BigInteger serial) throws IOException {
    Files.writeString(dir.resolve("revoked.txt"), serial.toString(16) + " " + clock.instant() + "\n",
        StandardCharsets.US_ASCII, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
  }

  /** The revoked serials with their revocation times. */
  public synchronized Map<BigInteger, Instant> revoked() throws IOException {
    Map<BigInteger, Instant> out = new LinkedHashMap<>();
    Path f = dir.resolve("revoked.txt");
    if (Files.exists(f)) {
      for (String line : Files.readAllLines(f)) {
        String[] p = line.split(" ");
        out.put(new BigInteger(p[0], 16), Instant.parse(p[1]));
      }
    }
    return out;
  }

  /** A CRL of every revoked certificate, valid for a day. */
  public X509CRL crl() throws IOException {
    return Certificates.crl(key, certificate, revoked(), clock.instant(), Duration.ofDays(1));
  }

  private static String encrypted(PrivateKey key, char[] passphrase) throws IOException, OperatorCreationException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(new org.bouncycastle.openssl.PKCS8Generator(Pem.privateKeyInfo(key),
          new JceOpenSSLPKCS8EncryptorBuilder(org.bouncycastle.openssl.PKCS8Generator.AES_256_CBC).setProvider(BC)
              .setPassword(passphrase).build()));
    }
    return out.toString();
  }
}
