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
    try {
      KeyStore store = store(pemFile);
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

  /**
   * A key store holding the certificates of {@code pemFile} as trusted entries.
   *
   * @throws IOException if the file cannot be read or holds no certificate
   */
  public static KeyStore store(Path pemFile) throws IOException {
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
      return store;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read trusted certificate " + pemFile + ": " + e.getMessage(), e);
    }
  }

  /**
   * A TLS context that presents the key and certificate chain of a PKCS#12 file, or none when
   * {@code keystore} is {@code null}, and trusts the certificates of {@code pemFile}, or the JDK's trust
   * store when it is {@code null}.
   */
  public static SSLContext context(Path keystore, String password, Path pemFile) throws IOException {
    try {
      javax.net.ssl.KeyManager[] keys = null;
      if (keystore != null) {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
          ks.load(in, password.toCharArray());
        }
        javax.net.ssl.KeyManagerFactory kmf =
            javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, password.toCharArray());
        keys = kmf.getKeyManagers();
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(keys, pemFile == null ? null : new TrustManager[] {of(pemFile)}, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS with " + keystore + ": " + e.getMessage(), e);
    }
  }

  /** A TLS context whose trust is {@link #of(Path)}. */
  public static SSLContext context(Path pemFile) throws IOException {
    return context(null, null, pemFile);
  }
}
