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
    Digest digest = new Digest();
    byte[] buf = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        digest.update(buf, 0, n);
      }
    }
    return digest.describe(file.getFileName().toString());
  }

  /** Size, adler32 and md5 of one file's bytes as they stream past, for who reads or writes them anyway. */
  public static final class Digest {
    private final Adler32 adler = new Adler32();
    private final MessageDigest md5;
    private long size;

    public Digest() {
      try {
        md5 = MessageDigest.getInstance("MD5");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("the JDK lacks MD5", e);
      }
    }

    /** Takes in {@code len} bytes of {@code b} from {@code off}. */
    public void update(byte[] b, int off, int len) {
      adler.update(b, off, len);
      md5.update(b, off, len);
      size += len;
    }

    /** The bytes taken in so far. */
    public long size() {
      return size;
    }

    /** What was taken in, as an output file called {@code name}; call once, at the end. */
    public OutputFile describe(String name) {
      return new OutputFile(name, size, adler32Hex(adler.getValue()), HexFormat.of().formatHex(md5.digest()));
    }
  }

  /** An adler32 value as ATLAS writes it: 8 lower-case hex digits. */
  public static String adler32Hex(long value) {
    return String.format("%08x", value);
  }
}
