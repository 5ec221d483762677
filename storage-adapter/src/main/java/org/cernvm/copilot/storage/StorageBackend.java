package org.cernvm.copilot.storage;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * Where verified output files end up. Keys are relative paths of plain name segments
 * ({@code source/job/epoch/file}); a file becomes visible under its key only after {@link PendingWrite#commit},
 * so a reader never sees half a file, and an aborted write leaves nothing behind.
 *
 * <p>Implementations are thread-safe.
 */
public interface StorageBackend extends AutoCloseable {
  /** Short name, e.g. {@code filesystem}. */
  String name();

  /**
   * Streams {@code content} to a temporary object next to {@code key}; nothing is visible under
   * {@code key} until the returned write is committed. On failure the temporary object is removed.
   *
   * @param length the number of bytes expected, used as the backend request's length when it needs one
   * @throws IOException if reading {@code content} or writing to the backend fails
   */
  PendingWrite write(String key, InputStream content, long length) throws IOException;

  /** The size of the committed object under {@code key}, or empty when there is none. */
  OptionalLong size(String key) throws IOException;

  /** Reads the committed object under {@code key}. */
  InputStream open(String key) throws IOException;

  /** The URL that names {@code key} in this backend, as registered upstream. */
  String location(String key);

  /** Releases connections. */
  @Override
  void close();

  /** A written but not yet visible object. */
  interface PendingWrite {
    /** Makes the object visible under its key, replacing any object there, atomically. */
    void commit() throws IOException;

    /** Removes the temporary object; never throws. */
    void abort();
  }

  /** The backend that {@code config} names. */
  static StorageBackend from(StorageConfig config) throws IOException {
    return switch (config.backend()) {
      case FILESYSTEM -> filesystem(config.fsRoot());
      case WEBDAV -> webdav(config.webdavUrl(), config.backendTimeout());
    };
  }

  /** A backend that keeps objects as files under {@code root}: temp file, fsync, rename. */
  static StorageBackend filesystem(Path root) throws IOException {
    return new FilesystemBackend(root);
  }

  /**
   * A backend on a WebDAV server: collections by {@code MKCOL}, the object by {@code PUT} to a temporary
   * name and {@code MOVE} to its key, sizes by {@code HEAD}.
   *
   * @param collection the base collection's URL
   * @param timeout connect and answer timeout for each request
   */
  static StorageBackend webdav(URI collection, Duration timeout) {
    return new WebDavBackend(collection, timeout);
  }
}
