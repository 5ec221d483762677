package org.cernvm.copilot.protocol.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** Trust in the certificates of one PEM file, for TLS clients that must not rely on the JDK's trust store. */
public final class Trust {
  private Trust() {}

  /**
   * A trust manager that trusts exactly the certificates in {@code pemFile} (a server certificate or the
   * CA that issued it).
   *
   * @throws IOException if the file cannot be read or holds no certificate
   */
  public static X509TrustManager of(Path pemFile) throws IOException {
    try (InputStream in = Files.newInputStream(pemFile)) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("trusted-" + i++, c);
      }
      if (i == 0) {
        throw new IOException("no certificate in " + pemFile);
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      for (TrustManager tm : factory.getTrustManagers()) {
        if (tm instanceof X509TrustManager x) {
          return x;
        }
      }
      throw new IOException("no X.509 trust manager available");
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read trusted certificate " + pemFile + ": " + e.getMessage(), e);
    }
  }

  /** A TLS context whose trust is {@link #of(Path)}. */
  public static SSLContext context(Path pemFile) throws IOException {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {of(pemFile)}, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS trusting " + pemFile + ": " + e.getMessage(), e);
    }
  }
}
