package org.cernvm.copilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.cernvm.copilot.protocol.security.Pem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code copilot key-manager init} and {@code xmpp-cert}: the files an XMPP server is given. */
class KeyManagerCommandTest {
  @TempDir Path dir;

  @Test
  void theXmppServersKeyCarriesThePublicKeyOfItsCertificateAsEjabberdRequires() throws Exception {
    String ca = "key-manager.dir=" + dir.resolve("ca");
    String passphrase = "key-manager.passphrase=not-a-secret";
    assertThat(Copilot.run("key-manager", "init", "--set", ca, "--set", passphrase)).isZero();
    assertThat(Copilot.run("key-manager", "xmpp-cert", "--set", ca, "--set", passphrase, "--out",
        dir.resolve("certs").toString())).isZero();

    Path key = dir.resolve("certs/xmpp.key");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    PrivateKeyInfo info;
    try (PEMParser p = new PEMParser(new StringReader(Files.readString(key)))) {
      info = (PrivateKeyInfo) p.readObject();
    }
    ECPrivateKey sec1 = ECPrivateKey.getInstance(info.parsePrivateKey());
    X509Certificate server = Pem.certificate(dir.resolve("certs/xmpp.pem"));
    assertThat(sec1.getPublicKey()).as("the public key inside xmpp.key").isNotNull();
    assertThat(sec1.getPublicKey().getBytes()).isEqualTo(
        SubjectPublicKeyInfo.getInstance(server.getPublicKey().getEncoded()).getPublicKeyData().getBytes());
  }
}
