package org.cernvm.copilot.testbed;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The testbed's stand-ins for ATLAS transforms, shipped inside the jar and installed into a directory that
 * plays the part of the release area (CVMFS on a real grid node).
 */
final class Transforms {
  /** The transforms the testbed ships. */
  static final List<String> NAMES = List.of("Generate_tf.py", "Derivation_tf.py", "trfutil.py");

  private Transforms() {}

  /** Writes every transform into {@code dir}, executable, and returns {@code dir}. */
  static Path install(Path dir) throws IOException {
    Files.createDirectories(dir);
    for (String name : NAMES) {
      Path target = dir.resolve(name);
      try (InputStream in = Transforms.class.getResourceAsStream("transforms/" + name)) {
        if (in == null) {
          throw new IOException("the jar lacks the transform " + name);
        }
        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      }
      Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    return dir;
  }
}
