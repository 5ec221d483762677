package org.cernvm.copilot.keymanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.cernvm.copilot.protocol.security.Certificates;
import org.cernvm.copilot.protocol.security.EnrollmentException;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The enrollment token store: its cost per token, and the tokens of the one-file store it replaced. */
class EnrollmentTokensTest {
  @TempDir Path dir;
  private final ManualScheduler time = new ManualScheduler();
  private final PublicKey key = Certificates.newKeyPair().getPublic();

  /**
   * Regression (found when 10,000 agents enrolled against Prosody): the store was one JSON file read and
   * rewritten whole at every create and redeem, so an enrollment cost more with every token the key
   * manager had ever made (10 ms at 500 tokens, 74 ms at 4,000 here). Creating and spending a token now
   * costs the same with 10,000 tokens stored as with none; the median of 21 is compared, in one run.
   */
  @Test
  void creatingAndSpendingATokenCostsTheSameHoweverManyTokensAreStored() throws Exception {
    CertificateAuthority ca = CertificateAuthority.create(dir.resolve("ca"), "pw".toCharArray(), time.clock());
    EnrollmentTokens empty = new EnrollmentTokens(dir.resolve("empty"), time.clock());
    EnrollmentTokens full = new EnrollmentTokens(dir.resolve("full"), time.clock());
    full.create(Role.AGENT, 10_000, Duration.ofHours(1));
    medianNanosToEnroll(empty, ca);
    long few = medianNanosToEnroll(empty, ca);
    long many = medianNanosToEnroll(full, ca);
    assertThat((double) many / few)
        .as("median create and redeem: %.2f ms with 10,000 tokens stored, %.2f ms with none", many / 1e6, few / 1e6)
        .isLessThan(5);
  }

  private long medianNanosToEnroll(EnrollmentTokens tokens, CertificateAuthority ca) throws Exception {
    List<Long> took = new ArrayList<>();
    for (int i = 0; i < 21; i++) {
      long start = System.nanoTime();
      String token = tokens.create(Role.AGENT, 1, Duration.ofHours(1)).get(0);
      tokens.redeem(token, "agent-" + i, key, role -> ca.issue(key, "agent", role, Duration.ofHours(1)));
      took.add(System.nanoTime() - start);
    }
    return took.stream().sorted().toList().get(10);
  }

  @Test
  void tokensOfTheOneFileStoreAreMovedInOnceAndKeepTheirState() throws Exception {
    CertificateAuthority ca = CertificateAuthority.create(dir.resolve("ca"), "pw".toCharArray(), time.clock());
    String unused = "unused-token-made-by-an-earlier-version";
    String spent = "spent-token-made-by-an-earlier-version";
    String expires = time.clock().instant().plus(Duration.ofHours(1)).toString();
    Files.writeString(dir.resolve(EnrollmentTokens.LEGACY_FILE), "{\"" + sha256(unused) + "\":{\"role\":\"AGENT\","
        + "\"expiresAt\":\"" + expires + "\"},\"" + sha256(spent) + "\":{\"role\":\"STORAGE\",\"expiresAt\":\""
        + expires + "\",\"usedAt\":\"" + time.clock().instant() + "\",\"name\":\"se-1\",\"publicKey\":\"x\"}}");
    EnrollmentTokens tokens = new EnrollmentTokens(dir, time.clock());

    var redeemed = tokens.redeem(unused, "agent-1", key, role -> ca.issue(key, "agent-1", role, Duration.ofHours(1)));
    assertThat(Certificates.roleOf(redeemed.certificate())).contains(Role.AGENT);
    assertThatThrownBy(() -> tokens.redeem(spent, "agent-2", key, role -> ca.issue(key, "agent-2", role,
        Duration.ofHours(1)))).isInstanceOf(EnrollmentException.class).hasMessageContaining("already used");
    assertThat(dir.resolve(EnrollmentTokens.LEGACY_FILE)).doesNotExist();
    assertThat(dir.resolve(EnrollmentTokens.LEGACY_FILE + ".imported")).exists();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("tokens"))))
        .isEqualTo("rwx------");
    // Spent in the directory, so a second import (from a restored backup of the file) cannot revive it.
    Files.move(dir.resolve(EnrollmentTokens.LEGACY_FILE + ".imported"), dir.resolve(EnrollmentTokens.LEGACY_FILE));
    assertThatThrownBy(() -> tokens.redeem(unused, "agent-3", key, role -> ca.issue(key, "agent-3", role,
        Duration.ofHours(1)))).isInstanceOf(EnrollmentException.class).hasMessageContaining("already used");
  }

  @Test
  void anUnreadableLegacyFileIsNamedAndChangesNothing() throws Exception {
    Files.writeString(dir.resolve(EnrollmentTokens.LEGACY_FILE), "{\"not-a-hash\":{}}");
    EnrollmentTokens tokens = new EnrollmentTokens(dir, time.clock());
    assertThatThrownBy(() -> tokens.create(Role.AGENT, 1, Duration.ofHours(1)))
        .isInstanceOf(java.io.IOException.class).hasMessageContaining(EnrollmentTokens.LEGACY_FILE)
        .hasMessageContaining("not a SHA-256");
    assertThat(dir.resolve(EnrollmentTokens.LEGACY_FILE)).exists();
    try (var records = Files.list(dir.resolve("tokens"))) {
      assertThat(records.filter(f -> f.toString().endsWith(".json"))).isEmpty();
    }
  }

  private static String sha256(String token) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
  }
}
