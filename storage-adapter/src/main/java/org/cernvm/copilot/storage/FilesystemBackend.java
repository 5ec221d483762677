package org.cernvm.copilot.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;
import org.cernvm.copilot.protocol.MessageIds;

/** The {@code filesystem} backend: each object is a file under the root, written to a temp name, synced and renamed. */
final class FilesystemBackend implements StorageBackend {
  private final Path root;

  FilesystemBackend(Path root) throws IOException {
    this.root = Files.createDirectories(root).toAbsolutePath().normalize();
  }

  @Override
  public String name() {
    return "filesystem";
  }

  private Path resolve(String key) {
    Keys.segments(key);
    Path p = root.resolve(key).normalize();
    if (!p.startsWith(root) || p.equals(root)) {
      throw new IllegalArgumentException("key escapes the storage root: " + key);
    }
    return p;
  }

  @Override
  public PendingWrite write(String key, InputStream content, long length) throws IOException {
    Path target = resolve(key);
    Path dir = Files.createDirectories(target.getParent());
    Path tmp = dir.resolve("." + target.getFileName() + "." + MessageIds.next() + ".part");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      byte[] buf = new byte[64 * 1024];
      for (int n; (n = content.read(buf)) > 0; ) {
        ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
        while (b.hasRemaining()) {
          ch.write(b);
        }
      }
      ch.force(true);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    return new PendingWrite() {
      @Override
      public void commit() throws IOException {
        try {
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        // The rename is durable only once the directory itself is synced.
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
          d.force(true);
        }
      }

      @Override
      public void abort() {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException e) {
          // Nothing more can be done; the .part name keeps it from ever being mistaken for an output.
        }
      }
    };
  }

  @Override
  public OptionalLong size(String key) throws IOException {
    try {
      return OptionalLong.of(Files.size(resolve(key)));
    } catch (NoSuchFileException e) {
      return OptionalLong.empty();
    }
  }

  @Override
  public InputStream open(String key) throws IOException {
    return Files.newInputStream(resolve(key));
  }

  @Override
  public String location(String key) {
    return resolve(key).toUri().toString();
  }

  @Override
  public void close() {}

  @Override
  public String toString() {
    return "filesystem " + root;
  }
}
