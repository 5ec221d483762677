package org.cernvm.copilot.keymanager;

import org.cernvm.copilot.protocol.security.EnrollmentException;
import org.cernvm.copilot.protocol.security.Role;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One-time enrollment tokens, as VM contextualization hands them to agents: each is bound to a role, works
 * once, and expires. Only the SHA-256 of a token is stored (in a JSON file written atomically, mode 600),
 * so the file does not let anyone enroll. Thread-safe within a process.
 */
public final class EnrollmentTokens {
  /** What is stored of a token. */
  record Stored(Role role, Instant expiresAt, Instant usedAt) {}

  private final Path file;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final ObjectMapper json = JsonMapper.builder().addModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).build();

  /** Tokens kept in {@code file}. */
  public EnrollmentTokens(Path file, Clock clock) {
    this.file = file;
    this.clock = clock;
  }

  /** Creates {@code count} tokens for {@code role}, valid for {@code ttl}; returns them (shown once, never stored). */
  public synchronized List<String> create(Role role, int count, Duration ttl) throws IOException {
    if (count < 1) {
      throw new IllegalArgumentException("--count must be at least 1");
    }
    Map<String, Stored> all = load();
    List<String> tokens = new ArrayList<>();
    Instant expires = clock.instant().plus(ttl);
    for (int i = 0; i < count; i++) {
      byte[] b = new byte[24];
      random.nextBytes(b);
      String token = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
      all.put(hash(token), new Stored(role, expires, null));
      tokens.add(token);
    }
    save(all);
    return tokens;
  }

  /**
   * Uses a token: it must exist, be unused and unexpired; it is then spent.
   *
   * @return the role it was created for
   * @throws EnrollmentException saying which of those it is not
   */
  public synchronized Role redeem(String token) throws EnrollmentException, IOException {
    Map<String, Stored> all = load();
    String key = hash(token);
    Stored s = all.get(key);
    if (s == null) {
      throw new EnrollmentException("unknown enrollment token");
    }
    if (s.usedAt() != null) {
      throw new EnrollmentException("the enrollment token was already used at " + s.usedAt());
    }
    if (!clock.instant().isBefore(s.expiresAt())) {
      throw new EnrollmentException("the enrollment token expired at " + s.expiresAt());
    }
    all.put(key, new Stored(s.role(), s.expiresAt(), clock.instant()));
    save(all);
    return s.role();
  }

  private Map<String, Stored> load() throws IOException {
    if (!Files.exists(file)) {
      return new LinkedHashMap<>();
    }
    return json.readValue(Files.readAllBytes(file), new TypeReference<LinkedHashMap<String, Stored>>() {});
  }

  private void save(Map<String, Stored> all) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(tmp, json.writeValueAsBytes(all));
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static String hash(String token) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks SHA-256", e);
    }
  }
}
