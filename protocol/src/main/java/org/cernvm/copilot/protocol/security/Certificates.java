package org.cernvm.copilot.protocol.security;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * What a CoPilot certificate is, as every component must agree: EC P-256 keys, an issuing CA, a subject
 * naming the component ({@code CN}, which is also its XMPP account) and its role ({@code OU}), the role
 * again in a private extension ({@link #ROLE_EXTENSION}: an OID under {@code 2.25} derived from a UUID as
 * X.667 allows, so no registration is needed), and CRLs signed by the CA. The key manager issues with
 * these helpers; receivers read names and roles with them.
 */
public final class Certificates {
  /** The role extension's OID. */
  public static final ASN1ObjectIdentifier ROLE_EXTENSION =
      new ASN1ObjectIdentifier("2.25.108803938427243599163458549544758213119");
  /** The signature algorithm of certificates, CRLs, messages and lease tickets. */
  public static final String SIGNATURE = "SHA256withECDSA";
  /** Bouncy Castle's provider, used explicitly and never installed globally. */
  static final Provider BC = new org.bouncycastle.jce.provider.BouncyCastleProvider();
  private static final SecureRandom RANDOM = new SecureRandom();

  private Certificates() {}

  /**
   * The same key as Bouncy Castle's own key object. Bouncy Castle signs and verifies with another
   * provider's EC key too, but rebuilds the curve and its precomputed tables for every operation, which
   * made signing three to five times slower.
   */
  static <K extends java.security.Key> K inBouncyCastle(K key) {
    try {
      @SuppressWarnings("unchecked")
      K translated = (K) java.security.KeyFactory.getInstance(key.getAlgorithm(), BC).translateKey(key);
      return translated;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not a key Bouncy Castle can use: " + e.getMessage(), e);
    }
  }

  /** A new EC P-256 key pair, as components make their own. */
  public static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC", BC);
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot make EC P-256 keys", e);
    }
  }

  /** A self-signed CA certificate for {@code pair}, valid from five minutes before {@code now}. */
  public static X509Certificate newAuthority(KeyPair pair, Instant now, Duration validity) {
    X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "CoPilot")
        .addRDN(BCStyle.CN, "CoPilot key manager CA").build();
    try {
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.ONE,
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(validity)), name, pair.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(Extension.subjectKeyIdentifier, false,
          new JcaX509ExtensionUtils().createSubjectKeyIdentifier(pair.getPublic()));
      return new JcaX509CertificateConverter().getCertificate(b.build(signer(pair.getPrivate())));
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot make a CA certificate: " + e.getMessage(), e);
    }
  }

  /**
   * Issues a component certificate.
   *
   * @param name the component's name, its XMPP account
   * @param validity how long it is valid from {@code now}; it starts a minute earlier for clock skew
   */
  public static X509Certificate issue(PrivateKey caKey, X509Certificate ca, PublicKey subjectKey, String name,
      Role role, Instant now, Duration validity) {
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "CoPilot")
        .addRDN(BCStyle.OU, role.wireName()).addRDN(BCStyle.CN, name).build();
    try {
      JcaX509v3CertificateBuilder b = builder(ca, subject, subjectKey, now, validity);
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
      b.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth}));
      b.addExtension(ROLE_EXTENSION, false, new DERUTF8String(role.wireName()));
      return new JcaX509CertificateConverter().getCertificate(b.build(signer(caKey)));
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot issue a certificate for " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * Issues a TLS server certificate, e.g. for the XMPP server: it carries no CoPilot role, only the host
   * names and addresses clients check.
   *
   * @param hosts DNS names (the XMPP domain first) and IP addresses
   */
  public static X509Certificate issueServer(PrivateKey caKey, X509Certificate ca, PublicKey subjectKey,
      List<String> hosts, Instant now, Duration validity) {
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "CoPilot")
        .addRDN(BCStyle.CN, hosts.get(0)).build();
    try {
      List<GeneralName> names = new ArrayList<>();
      for (String h : hosts) {
        names.add(h.matches("[0-9.]+|.*:.*")
            ? new GeneralName(GeneralName.iPAddress, InetAddress.getByName(h).getHostAddress())
            : new GeneralName(GeneralName.dNSName, h));
      }
      JcaX509v3CertificateBuilder b = builder(ca, subject, subjectKey, now, validity);
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      return new JcaX509CertificateConverter().getCertificate(b.build(signer(caKey)));
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot issue a server certificate for " + hosts + ": " + e.getMessage(), e);
    }
  }

  /** A CRL of {@code revoked} serials (with their revocation times), signed by the CA. */
  public static X509CRL crl(PrivateKey caKey, X509Certificate ca, Map<BigInteger, Instant> revoked, Instant now,
      Duration nextUpdate) {
    try {
      X509v2CRLBuilder b = new X509v2CRLBuilder(new X509CertificateHolder(ca.getEncoded()).getSubject(), Date.from(now));
      b.setNextUpdate(Date.from(now.plus(nextUpdate)));
      for (Map.Entry<BigInteger, Instant> r : revoked.entrySet()) {
        b.addCRLEntry(r.getKey(), Date.from(r.getValue()), CRLReason.unspecified);
      }
      return new JcaX509CRLConverter().getCRL(b.build(signer(caKey)));
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot sign a CRL: " + e.getMessage(), e);
    }
  }

  /** The role in a certificate's role extension, if it has one. */
  public static Optional<Role> roleOf(X509Certificate cert) {
    byte[] ext = cert.getExtensionValue(ROLE_EXTENSION.getId());
    if (ext == null) {
      return Optional.empty();
    }
    try {
      ASN1Primitive value = ASN1Primitive.fromByteArray(ASN1OctetString.getInstance(ext).getOctets());
      return Optional.of(Role.of(DERUTF8String.getInstance(value).getString()));
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** The component name in a certificate's subject ({@code CN}), or an empty string if it has none. */
  public static String nameOf(X509Certificate cert) {
    try {
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return String.valueOf(rdn.getValue());
        }
      }
      return "";
    } catch (InvalidNameException e) {
      return "";
    }
  }

  private static JcaX509v3CertificateBuilder builder(X509Certificate ca, X500Name subject, PublicKey key, Instant now,
      Duration validity) throws GeneralSecurityException, IOException {
    BigInteger serial = new BigInteger(127, RANDOM).add(BigInteger.TWO);
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
        new X509CertificateHolder(ca.getEncoded()).getSubject(), serial,
        Date.from(now.minus(Duration.ofMinutes(1))), Date.from(now.plus(validity)), subject, key);
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.authorityKeyIdentifier, false,
        new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca));
    return b;
  }

  static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
    return new JcaContentSignerBuilder(SIGNATURE).setProvider(BC).build(key);
  }
}
