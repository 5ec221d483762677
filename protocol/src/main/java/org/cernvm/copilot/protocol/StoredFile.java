package org.cernvm.copilot.protocol;

/**
 * An output file that the storage adapter has received, verified and written to its storage backend.
 *
 * @param file the file's name, size and checksums, as verified
 * @param location where it is stored: a {@code file:} or {@code http(s):} URL of the storage backend
 */
public record StoredFile(OutputFile file, String location) {
  public StoredFile {
    Checks.present(file, "file");
    Checks.text(location, "location");
  }

  /** Whether this is {@code output} with the same size and checksums. */
  public boolean matches(OutputFile output) {
    return file.equals(output);
  }
}
