package org.cernvm.copilot.protocol.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.cernvm.copilot.protocol.config.ConfigException;

/**
 * A component's current {@link Credentials}, replaced when the certificate is renewed. When opened on a
 * directory it keeps them there ({@code key.pem}, mode 600, and {@code cert.pem}) so that a restarted
 * component need not enroll again; a key file that others may read is refused.
 */
public final class Keyring {
  private static final Set<PosixFilePermission> OWNER_ONLY =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

  private final AtomicReference<Credentials> current = new AtomicReference<>();
  private final AtomicReference<Credentials> previous = new AtomicReference<>();
  private final Path dir;

  private Keyring(Path dir) {
    this.dir = dir;
  }

  /** A keyring in memory only, holding {@code credentials}. */
  public static Keyring of(Credentials credentials) {
    Keyring k = new Keyring(null);
    k.current.set(credentials);
    return k;
  }

  /** An empty keyring in memory only; the component must enroll before it can sign. */
  public static Keyring empty() {
    return new Keyring(null);
  }

  /**
   * A keyring kept in {@code dir}, holding what is there already.
   *
   * @throws ConfigException if the key file may be read by others or cannot be read
   */
  public static Keyring open(Path dir) throws IOException {
    Keyring k = new Keyring(dir);
    Path key = dir.resolve("key.pem");
    Path cert = dir.resolve("cert.pem");
    if (Files.exists(key) && Files.exists(cert)) {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(key);
      if (!OWNER_ONLY.containsAll(perms)) {
        throw new ConfigException("the private key " + key + " must be readable by its owner only (chmod 600), is "
            + PosixFilePermissions.toString(perms));
      }
      try {
        k.current.set(new Credentials(Pem.privateKey(Files.readString(key)), Pem.certificate(cert)));
      } catch (IllegalArgumentException e) {
        throw new ConfigException("cannot read the credentials in " + dir + ": " + e.getMessage());
      }
    }
    return k;
  }

  /** The credentials now in use, if the component has enrolled. */
  public Optional<Credentials> current() {
    return Optional.ofNullable(current.get());
  }

  /**
   * The credentials in use before the last renewal, kept in memory only: peers may still authenticate a
   * message or two for the old certificate while they learn the new one.
   */
  public Optional<Credentials> previous() {
    return Optional.ofNullable(previous.get());
  }

  /** Puts new credentials in use, and on disk when the keyring has a directory. */
  public void install(Credentials credentials) throws IOException {
    if (dir != null) {
      Files.createDirectories(dir);
      Path tmpKey = dir.resolve("key.pem.tmp");
      Files.deleteIfExists(tmpKey);
      Files.createFile(tmpKey, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      Files.writeString(tmpKey, Pem.of(credentials.key()), StandardCharsets.US_ASCII);
      Path tmpCert = dir.resolve("cert.pem.tmp");
      Files.writeString(tmpCert, Pem.of(credentials.certificate()), StandardCharsets.US_ASCII);
      Files.move(tmpKey, dir.resolve("key.pem"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      Files.move(tmpCert, dir.resolve("cert.pem"), StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    }
    Credentials old = current.getAndSet(credentials);
    if (old != null) {
      previous.set(old);
    }
  }

  @Override
  public String toString() {
    return "Keyring[" + (dir == null ? "memory" : dir) + ", " + current() + "]";
  }
}
