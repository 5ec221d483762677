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
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;
import org.cernvm.copilot.protocol.config.ConfigException;

/**
 * CoPilot's certificate authority, on Bouncy Castle: an EC P-256 CA whose key is kept on disk encrypted
 * with a passphrase ({@code ca.key}, mode 600, refused at start if anyone else may read it) beside its
 * certificate ({@code ca.pem}). It issues short-lived certificates for certificate requests: the subject
 * names the component ({@code CN}) and its role ({@code OU}); the role is also in a private extension
 * ({@link #ROLE_EXTENSION}, an OID under {@code 2.25} derived from a UUID as X.667 allows, so no
 * registration is needed). Revocations are kept in {@code revoked.txt} and published as a CRL.
 */
public final class CertificateAuthority {
  /** The role extension's OID. */
  public static final ASN1ObjectIdentifier ROLE_EXTENSION =
      new ASN1ObjectIdentifier("2.25.108803938427243599163458549544758213119");
  private static final String SIGNATURE = "SHA256withECDSA";
  /** Bouncy Castle's provider, used explicitly (never installed globally) for PKCS#8 key encryption. */
  private static final java.security.Provider BC = new org.bouncycastle.jce.provider.BouncyCastleProvider();
  private static final Set<PosixFilePermission> OWNER_ONLY =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

  private final Path dir;
  private final Clock clock;
  private final PrivateKey key;
  private final X509Certificate certificate;
  private final SecureRandom random = new SecureRandom();

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
      KeyPair pair = newKeyPair();
      X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "CoPilot")
          .addRDN(BCStyle.CN, "CoPilot key manager CA").build();
      Instant now = clock.instant();
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.ONE,
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(3650))), name,
          pair.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(Extension.subjectKeyIdentifier, false,
          new JcaX509ExtensionUtils().createSubjectKeyIdentifier(pair.getPublic()));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer(pair.getPrivate())));
      Path keyFile = dir.resolve("ca.key");
      Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      Files.writeString(keyFile, encrypted(pair.getPrivate(), passphrase));
      Files.writeString(dir.resolve("ca.pem"), Pem.of(cert));
      return new CertificateAuthority(dir, clock, pair.getPrivate(), cert);
    } catch (GeneralSecurityException | OperatorCreationException e) {
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
    try {
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(BC).build(csr.getSubjectPublicKeyInfo()))) {
        throw new EnrollmentException("the certificate request's signature does not verify");
      }
      X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "CoPilot")
          .addRDN(BCStyle.OU, role.wireName()).addRDN(BCStyle.CN, name).build();
      Instant now = clock.instant();
      BigInteger serial = new BigInteger(127, random).add(BigInteger.TWO);
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
          new X509CertificateHolder(certificate.getEncoded()).getSubject(), serial,
          Date.from(now.minus(Duration.ofMinutes(1))), Date.from(now.plus(validity)), subject,
          new JcaPEMKeyConverter().setProvider(BC).getPublicKey(csr.getSubjectPublicKeyInfo()));
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
      b.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth}));
      b.addExtension(ROLE_EXTENSION, false, new DERUTF8String(role.wireName()));
      return new JcaX509CertificateConverter().getCertificate(b.build(signer(key)));
    } catch (GeneralSecurityException | OperatorCreationException | PKCSException | IOException e) {
      throw new EnrollmentException("cannot issue a certificate: " + e.getMessage());
    }
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
    try {
      Instant now = clock.instant();
      X509v2CRLBuilder b = new X509v2CRLBuilder(new X509CertificateHolder(certificate.getEncoded()).getSubject(),
          Date.from(now));
      b.setNextUpdate(Date.from(now.plus(Duration.ofDays(1))));
      for (Map.Entry<BigInteger, Instant> r : revoked().entrySet()) {
        b.addCRLEntry(r.getKey(), Date.from(r.getValue()), CRLReason.unspecified);
      }
      return new JcaX509CRLConverter().getCRL(b.build(signer(key)));
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot sign a CRL: " + e.getMessage(), e);
    }
  }

  /** The role in a certificate's role extension, or {@code null} if it has none. */
  public static Role roleOf(X509Certificate cert) {
    byte[] ext = cert.getExtensionValue(ROLE_EXTENSION.getId());
    if (ext == null) {
      return null;
    }
    try {
      org.bouncycastle.asn1.ASN1Primitive value = org.bouncycastle.asn1.ASN1Primitive.fromByteArray(
          org.bouncycastle.asn1.ASN1OctetString.getInstance(ext).getOctets());
      return Role.of(DERUTF8String.getInstance(value).getString());
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }

  /** A new EC P-256 key pair, as components make their own. */
  public static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
    return new JcaContentSignerBuilder(SIGNATURE).setProvider(BC).build(key);
  }

  private static String encrypted(PrivateKey key, char[] passphrase) throws IOException, OperatorCreationException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(new JcaPKCS8Generator(key, new JceOpenSSLPKCS8EncryptorBuilder(
          org.bouncycastle.openssl.PKCS8Generator.AES_256_CBC).setProvider(BC).setPassword(passphrase).build()));
    }
    return out.toString();
  }
}
