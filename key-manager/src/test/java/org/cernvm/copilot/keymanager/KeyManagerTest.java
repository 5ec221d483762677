package org.cernvm.copilot.keymanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.security.Authority;
import org.cernvm.copilot.protocol.security.Certificates;
import org.cernvm.copilot.protocol.security.EnrollmentException;
import org.cernvm.copilot.protocol.security.MessageRejectedException;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The certificate authority, enrollment tokens and certificate checks, on a fake clock. */
class KeyManagerTest {
  @TempDir Path dir;
  private final ManualScheduler time = new ManualScheduler();
  private final char[] passphrase = "correct horse battery staple".toCharArray();

  private static PKCS10CertificationRequest request(KeyPair pair, String name) throws Exception {
    return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + name), pair.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
  }

  /** Checks a certificate as every receiver does: against the CA and its current revocation list. */
  private Role verify(KeyManager km, X509Certificate cert) throws Exception {
    Authority authority = Authority.of(km.ca().certificate());
    authority.update(km.ca().crl());
    return authority.check(cert, time.clock().instant()).role();
  }

  private KeyManager keyManager(CertificateAuthority ca) {
    return new KeyManager(ca, new EnrollmentTokens(dir, time.clock()), time.clock(),
        Duration.ofHours(24));
  }

  @Test
  void issue6_theCaKeyIsEncryptedPrivateAndNeedsItsPassphrase() throws Exception {
    CertificateAuthority.create(dir.resolve("ca"), passphrase, time.clock());
    Path key = dir.resolve("ca/ca.key");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    assertThat(Files.readString(key)).contains("ENCRYPTED PRIVATE KEY");
    CertificateAuthority reopened = CertificateAuthority.open(dir.resolve("ca"), passphrase, time.clock());
    assertThat(reopened.certificate().getBasicConstraints()).isZero();
    // The reopened key still signs: certificates and CRLs.
    String token = new EnrollmentTokens(dir, time.clock()).create(Role.STORAGE, 1,
        Duration.ofHours(1)).get(0);
    X509Certificate cert =
        keyManager(reopened).enroll(token, request(Certificates.newKeyPair(), "se-1"), "se-1").certificate();
    assertThat(verify(keyManager(reopened), cert)).isEqualTo(Role.STORAGE);
    assertThat(reopened.crl().getRevokedCertificates()).isNull();
    assertThatThrownBy(() -> CertificateAuthority.open(dir.resolve("ca"), "wrong".toCharArray(), time.clock()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("wrong passphrase");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r-----"));
    assertThatThrownBy(() -> CertificateAuthority.open(dir.resolve("ca"), passphrase, time.clock()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("chmod 600");
    assertThatThrownBy(() -> CertificateAuthority.create(dir.resolve("ca"), passphrase, time.clock()))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theCaKeyIsEncryptedPkcs8WhoseEcKeyCarriesItsPublicKeyAndOpenSslReadsIt() throws Exception {
    CertificateAuthority ca = CertificateAuthority.create(dir.resolve("ca"), passphrase, time.clock());
    Path key = dir.resolve("ca/ca.key");
    PrivateKeyInfo info;
    try (PEMParser p = new PEMParser(new StringReader(Files.readString(key)))) {
      info = ((PKCS8EncryptedPrivateKeyInfo) p.readObject()).decryptPrivateKeyInfo(
          new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(new BouncyCastleProvider()).build(passphrase));
    }
    ECPrivateKey sec1 = ECPrivateKey.getInstance(info.parsePrivateKey());
    assertThat(sec1.getPublicKey()).as("the CA's public key inside its key file").isNotNull();
    assertThat(sec1.getPublicKey().getBytes()).isEqualTo(
        SubjectPublicKeyInfo.getInstance(ca.certificate().getPublicKey().getEncoded()).getPublicKeyData().getBytes());

    ProcessBuilder check = new ProcessBuilder("openssl", "pkey", "-in", key.toString(), "-passin", "env:CA_PASSPHRASE",
        "-check", "-noout").redirectErrorStream(true);
    check.environment().put("CA_PASSPHRASE", new String(passphrase));
    Process openssl;
    try {
      openssl = check.start();
    } catch (IOException e) {
      assumeTrue(false, "openssl is not installed");
      return;
    }
    String out = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    assertThat(openssl.waitFor()).as(out).isZero();
  }

  @Test
  void issue6_aTokenEnrollsOnceIntoItsRoleAndIsStoredOnlyHashed() throws Exception {
    KeyManager km = keyManager(CertificateAuthority.create(dir.resolve("ca"), passphrase, time.clock()));
    EnrollmentTokens tokens = new EnrollmentTokens(dir, time.clock());
    List<String> agentTokens = tokens.create(Role.AGENT, 2, Duration.ofHours(1));
    assertThat(agentTokens).hasSize(2).doesNotHaveDuplicates();
    String stored;
    try (var files = Files.list(dir.resolve("tokens"))) {
      stored = files.map(f -> {
        try {
          return f.getFileName() + Files.readString(f);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).collect(java.util.stream.Collectors.joining());
    }
    assertThat(stored).contains("AGENT");
    agentTokens.forEach(t -> assertThat(stored).doesNotContain(t));

    KeyPair pair = Certificates.newKeyPair();
    X509Certificate cert = km.enroll(agentTokens.get(0), request(pair, "agent-1"), "agent-1").certificate();
    assertThat(cert.getSubjectX500Principal().getName()).contains("CN=agent-1").contains("OU=agent");
    assertThat(Certificates.roleOf(cert)).contains(Role.AGENT);
    assertThat(cert.getPublicKey()).isEqualTo(pair.getPublic());
    assertThat(Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant()))
        .isBetween(Duration.ofHours(24), Duration.ofHours(25));
    assertThat(verify(km, cert)).isEqualTo(Role.AGENT);

    assertThatThrownBy(() -> km.enroll(agentTokens.get(0), request(Certificates.newKeyPair(), "agent-1"), "agent-1"))
        .isInstanceOf(EnrollmentException.class).hasMessageContaining("already used");
    assertThatThrownBy(() -> km.enroll("made-up", request(pair, "agent-2"), "agent-2"))
        .isInstanceOf(EnrollmentException.class).hasMessageContaining("unknown");
    time.advance(Duration.ofHours(2));
    assertThatThrownBy(() -> km.enroll(agentTokens.get(1), request(pair, "agent-2"), "agent-2"))
        .isInstanceOf(EnrollmentException.class).hasMessageContaining("expired");
  }

  @Test
  void issue6_expiredRevokedAndForeignCertificatesAreRejected() throws Exception {
    KeyManager km = keyManager(CertificateAuthority.create(dir.resolve("ca"), passphrase, time.clock()));
    EnrollmentTokens tokens = new EnrollmentTokens(dir, time.clock());
    List<String> t = tokens.create(Role.JOB_MANAGER, 2, Duration.ofDays(2));
    X509Certificate first = km.enroll(t.get(0), request(Certificates.newKeyPair(), "jm-1"), "jm-1").certificate();
    X509Certificate second = km.enroll(t.get(1), request(Certificates.newKeyPair(), "jm-2"), "jm-2").certificate();
    assertThat(verify(km, first)).isEqualTo(Role.JOB_MANAGER);

    km.ca().revoke(second.getSerialNumber());
    assertThatThrownBy(() -> verify(km, second)).isInstanceOf(MessageRejectedException.class)
        .hasMessageContaining("revoked");
    assertThat(km.ca().crl().getRevokedCertificate(second.getSerialNumber())).isNotNull();
    assertThat(km.ca().crl().getRevokedCertificate(first.getSerialNumber())).isNull();

    KeyManager other = new KeyManager(CertificateAuthority.create(dir.resolve("other"), passphrase, time.clock()),
        new EnrollmentTokens(dir.resolve("other"), time.clock()), time.clock(), Duration.ofHours(1));
    String ot = new EnrollmentTokens(dir.resolve("other"), time.clock())
        .create(Role.KEY_MANAGER, 1, Duration.ofHours(1)).get(0);
    X509Certificate foreign = other.enroll(ot, request(Certificates.newKeyPair(), "km"), "km").certificate();
    assertThatThrownBy(() -> verify(km, foreign)).isInstanceOf(MessageRejectedException.class)
        .hasMessageContaining("not issued by this key manager");

    time.advance(Duration.ofHours(25));
    assertThatThrownBy(() -> verify(km, first)).isInstanceOf(MessageRejectedException.class)
        .hasMessageContaining("is valid from");
  }

  @Test
  void issue16_theSameEnrollmentAgainGetsTheSameCertificateWhileTheTokenIsValidAcrossARestart() throws Exception {
    KeyManager km = keyManager(CertificateAuthority.create(dir.resolve("ca"), passphrase, time.clock()));
    String token = km.tokens().create(Role.AGENT, 1, Duration.ofMinutes(10)).get(0);
    KeyPair pair = Certificates.newKeyPair();
    EnrollmentTokens.Redeemed first = km.enroll(token, request(pair, "agent-1"), "agent-1");
    assertThat(first.repeated()).isFalse();

    time.advance(Duration.ofMinutes(1));
    EnrollmentTokens.Redeemed again = km.enroll(token, request(pair, "agent-1"), "agent-1");
    assertThat(again.repeated()).isTrue();
    assertThat(again.certificate()).isEqualTo(first.certificate());

    // The use is kept with the token: a restarted key manager answers the same.
    KeyManager restarted = keyManager(CertificateAuthority.open(dir.resolve("ca"), passphrase, time.clock()));
    assertThat(restarted.enroll(token, request(pair, "agent-1"), "agent-1").certificate())
        .isEqualTo(first.certificate());

    // Another key, another name, or a request for the key not signed with it, is another use of a spent token.
    assertThatThrownBy(() -> restarted.enroll(token, request(Certificates.newKeyPair(), "agent-1"), "agent-1"))
        .isInstanceOf(EnrollmentException.class).hasMessageContaining("already used");
    assertThatThrownBy(() -> restarted.enroll(token, request(pair, "agent-2"), "agent-2"))
        .isInstanceOf(EnrollmentException.class).hasMessageContaining("already used");
    KeyPair thief = Certificates.newKeyPair();
    PKCS10CertificationRequest forged = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=agent-1"),
        pair.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(thief.getPrivate()));
    assertThatThrownBy(() -> restarted.enroll(token, forged, "agent-1"))
        .isInstanceOf(EnrollmentException.class).hasMessageContaining("does not verify");

    // Past the token's validity, even the same request is refused.
    time.advance(Duration.ofMinutes(9));
    assertThatThrownBy(() -> restarted.enroll(token, request(pair, "agent-1"), "agent-1"))
        .isInstanceOf(EnrollmentException.class).hasMessageContaining("already used");
  }

  @Test
  void issue16_aRepeatedEnrollmentForACertificateSinceRevokedIsRefused() throws Exception {
    KeyManager km = keyManager(CertificateAuthority.create(dir.resolve("ca"), passphrase, time.clock()));
    String token = km.tokens().create(Role.AGENT, 1, Duration.ofMinutes(10)).get(0);
    KeyPair pair = Certificates.newKeyPair();
    X509Certificate cert = km.enroll(token, request(pair, "agent-1"), "agent-1").certificate();
    km.ca().revoke(cert.getSerialNumber());
    assertThatThrownBy(() -> km.enroll(token, request(pair, "agent-1"), "agent-1"))
        .isInstanceOf(EnrollmentException.class).hasMessageContaining("already used");
  }

  /** Spends {@code token} on a certificate for a new key pair; returns the token's role. */
  private Role spend(EnrollmentTokens tokens, CertificateAuthority ca, String token) throws Exception {
    var key = Certificates.newKeyPair().getPublic();
    return Certificates.roleOf(tokens.redeem(token, "agent-1", key, role -> ca.issue(key, "agent-1", role,
        Duration.ofHours(1))).certificate()).orElseThrow();
  }

  @Test
  void issue6_tokensCreatedAndRedeemedAtTheSameTimeThroughSeparateInstancesAreNeitherLostNorBroken() throws Exception {
    CertificateAuthority ca = CertificateAuthority.create(dir.resolve("ca"), passphrase, time.clock());
    EnrollmentTokens server = new EnrollmentTokens(dir, time.clock());
    EnrollmentTokens operator = new EnrollmentTokens(dir, time.clock());
    List<String> first = operator.create(Role.AGENT, 20, Duration.ofHours(1));
    var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      var created = pool.submit(() -> {
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
          out.addAll(operator.create(Role.AGENT, 1, Duration.ofHours(1)));
        }
        return out;
      });
      var redeemed = pool.submit(() -> {
        for (String t : first) {
          spend(server, ca, t);
        }
        return null;
      });
      redeemed.get();
      for (String t : created.get()) {
        assertThat(spend(server, ca, t)).isEqualTo(Role.AGENT);
      }
    } finally {
      pool.shutdownNow();
    }
    for (String t : first) {
      assertThatThrownBy(() -> spend(server, ca, t)).hasMessageContaining("already used");
    }
  }
}
