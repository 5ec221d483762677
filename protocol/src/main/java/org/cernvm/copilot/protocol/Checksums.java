package org.cernvm.copilot.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.Adler32;

/** Size, adler32 and md5 of a file, computed in one streaming pass. */
public final class Checksums {
  private Checksums() {}

  /** Reads {@code file} once and describes it as an output file named after it. */
  public static OutputFile of(Path file) throws IOException {
    Adler32 adler = new Adler32();
    MessageDigest md5;
    try {
      md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks MD5", e);
    }
    long size = 0;
    byte[] buf = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        adler.update(buf, 0, n);
        md5.update(buf, 0, n);
        size += n;
      }
    }
    return new OutputFile(file.getFileName().toString(), size, adler32Hex(adler.getValue()),
        HexFormat.of().formatHex(md5.digest()));
  }

  /** An adler32 value as ATLAS writes it: 8 lower-case hex digits. */
  public static String adler32Hex(long value) {
    return String.format("%08x", value);
  }
}
