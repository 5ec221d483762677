package org.cernvm.copilot.protocol.security;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.jce.spec.ECParameterSpec;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

/** PEM text of certificates, revocation lists and keys. */
public final class Pem {
  private Pem() {}

  /**
   * {@code object} (a certificate, CRL, request or key) as PEM text; private keys unencrypted PKCS#8 in the
   * form {@link #privateKeyInfo} gives.
   */
  public static String of(Object object) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      if (object instanceof PrivateKey key) {
        w.writeObject(new PKCS8Generator(privateKeyInfo(key), null));
      } else {
        w.writeObject(object);
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot write " + object.getClass().getSimpleName() + " as PEM", e);
    }
    return out.toString();
  }

  /**
   * The PKCS#8 structure of {@code key} as CoPilot writes it: for an EC key, the inner SEC1 ECPrivateKey
   * carries the public key as well as the curve. The public key is optional there, and Bouncy Castle
   * leaves it out of a key it rebuilt from the private value alone (as every {@link Credentials} key is),
   * but ejabberd cannot match such a key to its certificate and refuses to start ("no matching private key
   * found for this certificate"), and {@code openssl pkey} copies such a key without one. Keys written
   * before, without it, still read: {@link #privateKey} needs only the private value and the curve.
   */
  public static PrivateKeyInfo privateKeyInfo(PrivateKey key) {
    try {
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
      if (!X9ObjectIdentifiers.id_ecPublicKey.equals(info.getPrivateKeyAlgorithm().getAlgorithm())) {
        return info;
      }
      ECPrivateKey sec1 = ECPrivateKey.getInstance(info.parsePrivateKey());
      if (sec1.getPublicKey() != null) {
        return info;
      }
      ECParameterSpec curve = ((org.bouncycastle.jce.interfaces.ECPrivateKey) Certificates.inBouncyCastle(key))
          .getParameters();
      ECPoint q = new FixedPointCombMultiplier().multiply(curve.getG(), sec1.getKey()).normalize();
      return new PrivateKeyInfo(info.getPrivateKeyAlgorithm(), new ECPrivateKey(curve.getN().bitLength(),
          sec1.getKey(), new DERBitString(q.getEncoded(false)), sec1.getParametersObject()));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("cannot encode a " + key.getAlgorithm() + " private key: " + e.getMessage(),
          e);
    }
  }

  /** The first certificate in a PEM file. */
  public static X509Certificate certificate(Path file) throws IOException {
    try {
      return certificate(Files.readString(file, StandardCharsets.US_ASCII));
    } catch (IllegalArgumentException e) {
      throw new IOException("no certificate in " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The first certificate in PEM text (or DER bytes as Latin-1).
   *
   * @throws IllegalArgumentException if there is none
   */
  public static X509Certificate certificate(String pem) {
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.ISO_8859_1)));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an X.509 certificate: " + e.getMessage(), e);
    }
  }

  /** A certificate from its DER encoding. */
  public static X509Certificate certificate(byte[] der) {
    return certificate(new String(der, StandardCharsets.ISO_8859_1));
  }

  /**
   * A CRL in PEM text.
   *
   * @throws IllegalArgumentException if there is none
   */
  public static X509CRL crl(String pem) {
    try {
      return (X509CRL) CertificateFactory.getInstance("X.509")
          .generateCRL(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an X.509 CRL: " + e.getMessage(), e);
    }
  }

  /**
   * An unencrypted private key in PEM text (PKCS#8 or the traditional EC form).
   *
   * @throws IllegalArgumentException if there is none
   */
  public static PrivateKey privateKey(String pem) {
    try (PEMParser p = new PEMParser(new StringReader(pem))) {
      Object o = p.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter().setProvider(Certificates.BC);
      if (o instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      if (o instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
      throw new IllegalArgumentException("no private key in the PEM text");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read a private key: " + e.getMessage(), e);
    }
  }
}
