package org.cernvm.copilot.protocol.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;
import org.cernvm.copilot.protocol.config.ConfigException;

/**
 * A symmetric key shared by the replicas of one service (the storage adapters' grant key, the job
 * managers' ticket key), kept base64url in a file readable by its owner only. Replicas on one host share
 * the file; replicas on several hosts get a copy of it.
 */
public final class SecretKeyFile {
  /** The size of every key, in bytes. */
  public static final int KEY_BYTES = 32;

  private SecretKeyFile() {}

  /**
   * Reads the key in {@code file}, creating the file with fresh random bytes and mode 600 if it does not
   * exist.
   *
   * @param what what the key is for, in error messages, e.g. {@code grant key}
   * @throws ConfigException if the file is readable by group or others, or does not hold a key
   */
  public static byte[] loadOrCreate(Path file, String what) throws IOException {
    if (!Files.exists(file)) {
      Files.createDirectories(file.toAbsolutePath().getParent());
      SecureRandom random = new SecureRandom();
      // Replicas started together all get here: each writes its own candidate, and a hard link, which
      // never replaces an existing file, makes exactly one of them the key (found by two job managers
      // started at once, one of which failed on a shared temporary name).
      Path tmp = file.resolveSibling(file.getFileName() + ".new-" + Long.toUnsignedString(random.nextLong(), 36));
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try {
        byte[] fresh = new byte[KEY_BYTES];
        random.nextBytes(fresh);
        Files.write(tmp, Base64.getUrlEncoder().withoutPadding().encode(fresh));
        Files.createLink(file, tmp);
      } catch (FileAlreadyExistsException e) {
        // Another replica created it first; use theirs.
      } finally {
        Files.delete(tmp);
      }
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    if (!EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE).containsAll(perms)) {
      throw new ConfigException(what + " file " + file + " must be readable by its owner only (chmod 600), is "
          + PosixFilePermissions.toString(perms));
    }
    byte[] key;
    try {
      key = Base64.getUrlDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).trim());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(what + " file " + file + " does not hold a base64url key");
    }
    if (key.length < KEY_BYTES) {
      throw new ConfigException(what + " file " + file + " holds fewer than " + KEY_BYTES + " bytes");
    }
    return key;
  }
}
