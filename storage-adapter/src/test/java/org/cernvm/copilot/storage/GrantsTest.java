package org.cernvm.copilot.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.cernvm.copilot.protocol.JobTicket;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GrantsTest {
  @TempDir Path dir;
  private final ManualScheduler time = new ManualScheduler();

  private GrantClaims claims(String file) {
    List<OutputFile> files = List.of(
        new OutputFile("a.txt", 9, "11e60398", "5a2b8b0c0f5e5f1e6b6a7c2e0a3f7d11"),
        new OutputFile("b.txt", 1, "00620062", "92eb5ffee6ae2fec3ad71c777531578f"));
    return new GrantClaims("agent-1", "generic", "g000001", new LeaseRef("l-1", 2), "jobmanager@test", file, files,
        time.clock().instant().plus(Duration.ofMinutes(10)), new JobTicket("k", "AAAAAAAAAAAAAAAA", "eA==").digest());
  }

  @Test
  void aSignedGrantVerifiesToTheSameClaims() throws Exception {
    Grants grants = Grants.load(dir.resolve("key"), time.clock());
    GrantClaims c = claims("a.txt");
    assertThat(grants.verify(grants.sign(c))).isEqualTo(c);
    assertThat(c.key()).isEqualTo("generic/g000001/2/a.txt");
    assertThat(c.expected().sizeBytes()).isEqualTo(9);
  }

  @Test
  void issue3_tamperedForgedExpiredAndMalformedGrantsAreRefused() throws Exception {
    Grants grants = Grants.load(dir.resolve("key"), time.clock());
    String token = grants.sign(claims("a.txt"));

    // Change the claims (another file) but keep the signature: the MAC no longer matches.
    String otherBody = grants.sign(claims("b.txt")).split("\\.")[0];
    String tampered = otherBody + "." + token.split("\\.")[1];
    assertThatThrownBy(() -> grants.verify(tampered)).isInstanceOfSatisfying(GrantException.class,
        e -> assertThat(e.status()).isEqualTo(403));

    // Signed with another key: forged.
    Grants other = new Grants(new byte[32], time.clock());
    assertThatThrownBy(() -> grants.verify(other.sign(claims("a.txt")))).isInstanceOfSatisfying(GrantException.class,
        e -> assertThat(e.getMessage()).contains("signature is not valid"));

    assertThatThrownBy(() -> grants.verify("not-a-token")).isInstanceOfSatisfying(GrantException.class,
        e -> assertThat(e.status()).isEqualTo(401));
    assertThatThrownBy(() -> grants.verify("a.b.c")).isInstanceOf(GrantException.class);
    assertThatThrownBy(() -> grants.verify("***.***")).isInstanceOf(GrantException.class);
    assertThatThrownBy(() -> grants.verify(Base64.getUrlEncoder().encodeToString("{}".getBytes()) + "."))
        .isInstanceOf(GrantException.class);

    time.advance(Duration.ofMinutes(10));
    assertThatThrownBy(() -> grants.verify(token)).isInstanceOfSatisfying(GrantException.class, e -> {
      assertThat(e.status()).isEqualTo(403);
      assertThat(e.getMessage()).contains("expired");
    });
  }

  @Test
  void theKeyFileIsCreatedPrivateSharedByReplicasAndRefusedWhenOthersCanReadIt() throws Exception {
    Path key = dir.resolve("sub/key");
    Grants first = Grants.load(key, time.clock());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    Grants second = Grants.load(key, time.clock());
    assertThat(second.verify(first.sign(claims("a.txt")))).isEqualTo(claims("a.txt"));

    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> Grants.load(key, time.clock())).isInstanceOf(ConfigException.class)
        .hasMessageContaining("chmod 600");
  }
}
