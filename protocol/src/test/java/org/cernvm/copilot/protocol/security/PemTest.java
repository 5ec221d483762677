package org.cernvm.copilot.protocol.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The private key files CoPilot writes: PKCS#8 whose EC key carries its public key, so that ejabberd,
 * Prosody and OpenSSL load them, while files written before, without it, still read.
 */
class PemTest {
  @TempDir Path dir;
  private final KeyPair pair = Certificates.newKeyPair();
  private final X509Certificate certificate =
      Certificates.newAuthority(pair, Instant.now(), Duration.ofDays(1));
  /** The key as components hold it: rebuilt by Bouncy Castle from the private value alone. */
  private final Credentials credentials = new Credentials(pair.getPrivate(), certificate);

  private static PrivateKeyInfo parse(String pem) throws IOException {
    try (PEMParser p = new PEMParser(new StringReader(pem))) {
      return (PrivateKeyInfo) p.readObject();
    }
  }

  private static byte[] point(PublicKey key) {
    return SubjectPublicKeyInfo.getInstance(key.getEncoded()).getPublicKeyData().getBytes();
  }

  private void assertCarriesThePublicKey(String pem) throws IOException {
    assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----");
    PrivateKeyInfo info = parse(pem);
    assertThat(info.getPrivateKeyAlgorithm().getAlgorithm()).isEqualTo(X9ObjectIdentifiers.id_ecPublicKey);
    ECPrivateKey sec1 = ECPrivateKey.getInstance(info.parsePrivateKey());
    assertThat(sec1.getPublicKey()).as("the public key inside the SEC1 ECPrivateKey").isNotNull();
    assertThat(sec1.getPublicKey().getBytes()).isEqualTo(point(pair.getPublic()));
    assertThat(sec1.getKey()).isEqualTo(((java.security.interfaces.ECPrivateKey) pair.getPrivate()).getS());
  }

  /** How Pem wrote a private key before it added the public key. */
  private static String withoutPublicKey(PrivateKey key) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(new JcaPKCS8Generator(key, null));
    }
    return out.toString();
  }

  @Test
  void aComponentsKeyIsWrittenWithItsPublicKey() throws Exception {
    assertCarriesThePublicKey(Pem.of(credentials.key()));
  }

  @Test
  void aKeyFromTheGeneratorIsWrittenWithItsPublicKeyToo() throws Exception {
    assertCarriesThePublicKey(Pem.of(pair.getPrivate()));
  }

  @Test
  void theKeyringKeepsTheKeyWithItsPublicKey() throws Exception {
    Keyring.open(dir).install(credentials);
    assertCarriesThePublicKey(Files.readString(dir.resolve("key.pem")));
    assertThat(Keyring.open(dir).current().orElseThrow().key()).isEqualTo(credentials.key());
  }

  @Test
  void aWrittenKeyReadsBackAsTheSameKey() {
    assertThat(Pem.privateKey(Pem.of(credentials.key()))).isEqualTo(credentials.key());
  }

  @Test
  void aKeyFileWrittenWithoutItsPublicKeyStillReadsAndIsRewrittenWithIt() throws Exception {
    String old = withoutPublicKey(credentials.key());
    assertThat(ECPrivateKey.getInstance(parse(old).parsePrivateKey()).getPublicKey()).isNull();
    PrivateKey read = Pem.privateKey(old);
    assertThat(new Credentials(read, certificate).key()).isEqualTo(credentials.key());
    assertCarriesThePublicKey(Pem.of(read));
  }

  @Test
  void aTraditionalEcKeyFileStillReads() throws Exception {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(pair);
    }
    assertThat(out.toString()).startsWith("-----BEGIN EC PRIVATE KEY-----");
    assertThat(new Credentials(Pem.privateKey(out.toString()), certificate).key()).isEqualTo(credentials.key());
  }

  @Test
  void openSslAcceptsTheKeyAndFindsTheCertificatesPublicKeyInIt() throws Exception {
    assumeTrue(openssl("version").exit == 0, "openssl is not installed");
    Path key = Files.writeString(dir.resolve("key.pem"), Pem.of(credentials.key()));
    assertThat(openssl("pkey", "-in", key.toString(), "-check", "-noout").exit).isZero();
    assertThat(openssl("ec", "-in", key.toString(), "-check", "-noout").exit).isZero();
    // OpenSSL copies the public key only when the file has one: what ejabberd would find in the copy.
    Path copy = dir.resolve("copy.pem");
    assertThat(openssl("pkey", "-in", key.toString(), "-out", copy.toString()).exit).isZero();
    assertCarriesThePublicKey(Files.readString(copy));
    Path cert = Files.writeString(dir.resolve("cert.pem"), Pem.of(certificate));
    assertThat(openssl("pkey", "-in", key.toString(), "-pubout").out)
        .isEqualTo(openssl("x509", "-in", cert.toString(), "-noout", "-pubkey").out);
  }

  private record Run(int exit, String out) {}

  private Run openssl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      return new Run(-1, e.getMessage());
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }
}
