package org.cernvm.copilot.keymanager;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

/** PEM text of certificates and the like. */
public final class Pem {
  private Pem() {}

  /** {@code object} (a certificate, CRL, request or public key) as PEM text. */
  public static String of(Object object) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(object);
    }
    return out.toString();
  }

  /** The first certificate in a PEM file. */
  public static X509Certificate certificate(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    } catch (GeneralSecurityException e) {
      throw new IOException("no certificate in " + file + ": " + e.getMessage(), e);
    }
  }
}
