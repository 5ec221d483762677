package org.cernvm.copilot.keymanager;

import org.cernvm.copilot.protocol.security.EnrollmentException;
import org.cernvm.copilot.protocol.security.Pem;
import org.cernvm.copilot.protocol.security.Role;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
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
 * once, and expires. Only the SHA-256 of a token is stored, as the name of a JSON file of its own in the
 * token directory (mode 700; each file written atomically, mode 600), so the directory does not let anyone
 * enroll, and creating or spending one token reads and writes that token's file alone, however many the
 * directory holds. Every change holds an exclusive lock on {@code DIR/.lock}, so that
 * {@code key-manager token} and a serving key manager can share the directory.
 *
 * <p>A token's use is recorded with the name it enrolled, the SHA-256 of the public key it certified and the
 * certificate issued, so that a component whose answer was lost can ask again: the same request (same name,
 * same key) within the token's validity gets the same certificate, across restarts of the key manager,
 * while any other use of a spent token is refused.
 *
 * <p>Tokens kept in one file, {@code tokens.json} beside the directory, as earlier versions did, are moved
 * into the directory at the first change, and the file is renamed {@code tokens.json.imported}.
 */
public final class EnrollmentTokens {
  /**
   * What is stored of a token.
   *
   * @param usedAt when it was spent, or {@code null}
   * @param name the name it enrolled, once spent
   * @param publicKey the base64 SHA-256 of the public key it certified, once spent
   * @param certificate the certificate it was spent for (PEM), once spent
   */
  record Stored(Role role, Instant expiresAt, Instant usedAt, String name, String publicKey, String certificate) {}

  /** Issues the certificate a token is spent for, in the role the token was created for. */
  @FunctionalInterface
  public interface Issuer {
    /**
     * Issues a certificate in {@code role}.
     *
     * @throws EnrollmentException if it cannot be issued
     */
    X509Certificate issue(Role role) throws EnrollmentException;
  }

  /**
   * What a token was redeemed for.
   *
   * @param certificate the certificate issued
   * @param repeated whether it was issued at an earlier, identical request and is given again
   */
  public record Redeemed(X509Certificate certificate, boolean repeated) {}

  /** The file in which earlier versions kept every token, beside the directory. */
  static final String LEGACY_FILE = "tokens.json";
  /** The token directory's name in the key manager's state directory. */
  static final String DIRECTORY = "tokens";

  private final Path dir;
  private final Path legacy;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final ObjectMapper json = JsonMapper.builder().addModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).build();

  /**
   * Tokens kept in {@code tokens/} in the key manager's state directory {@code stateDir} (made at the first
   * change), where a {@code tokens.json} of an earlier version is looked for too.
   */
  public EnrollmentTokens(Path stateDir, Clock clock) {
    this.dir = stateDir.resolve(DIRECTORY);
    this.legacy = stateDir.resolve(LEGACY_FILE);
    this.clock = clock;
  }

  /** Creates {@code count} tokens for {@code role}, valid for {@code ttl}; returns them (shown once, never stored). */
  public synchronized List<String> create(Role role, int count, Duration ttl) throws IOException {
    if (count < 1) {
      throw new IllegalArgumentException("--count must be at least 1");
    }
    try (HeldLock held = lock()) {
      List<String> tokens = new ArrayList<>();
      Instant expires = clock.instant().plus(ttl);
      for (int i = 0; i < count; i++) {
        byte[] b = new byte[24];
        random.nextBytes(b);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        save(hash(token), new Stored(role, expires, null, null, null, null));
        tokens.add(token);
      }
      return tokens;
    }
  }

  /**
   * Uses a token to enroll {@code name} with {@code key}: an unused, unexpired token is spent on the
   * certificate {@code issuer} issues, which is recorded with the name and key. A token already spent on
   * this name and key answers, while it is still valid, with the certificate it was spent for, so that a
   * component that lost the answer may ask again.
   *
   * @throws EnrollmentException if the token is unknown, expired, or was used for another name or key
   */
  public synchronized Redeemed redeem(String token, String name, PublicKey key, Issuer issuer)
      throws EnrollmentException, IOException {
    try (HeldLock held = lock()) {
      String id = hash(token);
      Stored s = load(id);
      if (s == null) {
        throw new EnrollmentException("unknown enrollment token");
      }
      Instant now = clock.instant();
      String keyHash = keyHash(key);
      if (s.usedAt() != null) {
        // A certificate given again must still be valid: a token may outlive the certificate it bought.
        X509Certificate issued = s.certificate() == null ? null : Pem.certificate(s.certificate());
        if (issued != null && now.isBefore(s.expiresAt()) && now.isBefore(issued.getNotAfter().toInstant())
            && name.equals(s.name()) && keyHash.equals(s.publicKey())) {
          return new Redeemed(issued, true);
        }
        throw new EnrollmentException("the enrollment token was already used at " + s.usedAt());
      }
      if (!now.isBefore(s.expiresAt())) {
        throw new EnrollmentException("the enrollment token expired at " + s.expiresAt());
      }
      X509Certificate cert = issuer.issue(s.role());
      save(id, new Stored(s.role(), s.expiresAt(), now, name, keyHash, Pem.of(cert)));
      return new Redeemed(cert, false);
    }
  }

  /**
   * Takes the exclusive lock on the token directory, waiting for other processes (and other instances in
   * this one, which the JVM reports as an overlapping lock) for up to ten seconds; then moves in the tokens
   * of a legacy file, if there is one.
   */
  private HeldLock lock() throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    FileChannel channel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    HeldLock held = null;
    try {
      while (true) {
        try {
          java.nio.channels.FileLock lock = channel.tryLock();
          if (lock != null) {
            held = new HeldLock(channel, lock);
            break;
          }
        } catch (OverlappingFileLockException e) {
          // Another instance in this JVM holds it; wait as for another process.
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("the enrollment token directory " + dir + " stayed locked for 10 s");
        }
        Thread.sleep(10);
      }
      importLegacyFile();
      return held;
    } catch (InterruptedException e) {
      channel.close();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the lock on " + dir, e);
    } catch (IOException | RuntimeException e) {
      if (held != null) {
        held.close();
      } else {
        channel.close();
      }
      throw e;
    }
  }

  /**
   * Moves every token of the legacy file into the directory, keeping any the directory already has (it is
   * newer), and renames the file, so that this runs once.
   */
  private void importLegacyFile() throws IOException {
    if (!Files.isRegularFile(legacy)) {
      return;
    }
    Map<String, Stored> all;
    try {
      all = json.readValue(Files.readAllBytes(legacy), new TypeReference<LinkedHashMap<String, Stored>>() {});
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IOException("the legacy enrollment token file " + legacy + " cannot be read: " + e.getOriginalMessage(),
          e);
    }
    for (Map.Entry<String, Stored> e : all.entrySet()) {
      if (!isHash(e.getKey()) || e.getValue() == null || e.getValue().role() == null
          || e.getValue().expiresAt() == null) {
        throw new IOException("the legacy enrollment token file " + legacy
            + " has an entry that is not a SHA-256 with a role and an expiry; nothing was imported");
      }
    }
    for (Map.Entry<String, Stored> e : all.entrySet()) {
      if (!Files.exists(record(e.getKey()))) {
        save(e.getKey(), e.getValue());
      }
    }
    Files.move(legacy, legacy.resolveSibling(LEGACY_FILE + ".imported"), StandardCopyOption.REPLACE_EXISTING);
  }

  /** A held lock on the token directory and its channel, released together. */
  private record HeldLock(FileChannel channel, java.nio.channels.FileLock lock) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      try {
        lock.release();
      } finally {
        channel.close();
      }
    }
  }

  private Path record(String id) {
    return dir.resolve(id + ".json");
  }

  /** The token whose hash is {@code id}, or {@code null} if there is none. */
  private Stored load(String id) throws IOException {
    Path file = record(id);
    if (!Files.exists(file)) {
      return null;
    }
    try {
      return json.readValue(Files.readAllBytes(file), Stored.class);
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IOException("the enrollment token record " + file + " cannot be read: " + e.getOriginalMessage(), e);
    }
  }

  private void save(String id, Stored stored) throws IOException {
    Path file = record(id);
    Path tmp = dir.resolve(id + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(tmp, json.writeValueAsBytes(stored));
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static boolean isHash(String id) {
    return id.length() == 64 && id.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }

  private static String keyHash(PublicKey key) {
    try {
      return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks SHA-256", e);
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
