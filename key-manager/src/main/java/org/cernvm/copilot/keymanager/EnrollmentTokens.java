package org.cernvm.copilot.keymanager;

import org.cernvm.copilot.protocol.security.EnrollmentException;
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
 * so the file does not let anyone enroll. Every change holds an exclusive lock on {@code FILE.lock}, so that
 * {@code key-manager token} and a serving key manager can share the file.
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
    try (HeldLock held = lock()) {
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
  }

  /**
   * Uses a token: it must exist, be unused and unexpired; it is then spent.
   *
   * @return the role it was created for
   * @throws EnrollmentException saying which of those it is not
   */
  public synchronized Role redeem(String token) throws EnrollmentException, IOException {
    try (HeldLock held = lock()) {
      return redeem(token, load());
    }
  }

  private Role redeem(String token, Map<String, Stored> all) throws EnrollmentException, IOException {
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

  /**
   * Takes the exclusive lock on the token file, waiting for other processes (and other instances in this
   * one, which the JVM reports as an overlapping lock) for up to ten seconds.
   */
  private HeldLock lock() throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    FileChannel channel = FileChannel.open(file.resolveSibling(file.getFileName() + ".lock"),
        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    try {
      while (true) {
        try {
          java.nio.channels.FileLock lock = channel.tryLock();
          if (lock != null) {
            return new HeldLock(channel, lock);
          }
        } catch (OverlappingFileLockException e) {
          // Another instance in this JVM holds it; wait as for another process.
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("the enrollment token file " + file + " stayed locked for 10 s");
        }
        Thread.sleep(10);
      }
    } catch (InterruptedException e) {
      channel.close();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the lock on " + file, e);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** A held lock on the token file and its channel, released together. */
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
