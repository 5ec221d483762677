package org.cernvm.copilot.storage;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.Adler32;
import org.cernvm.copilot.protocol.Checksums;
import org.cernvm.copilot.protocol.OutputFile;

/**
 * An upload body on its way to the backend: counts its bytes, computes adler32 and md5 as they pass, and
 * stops at the grant's limit. It remembers whether a failure came from the client (a truncated body) or
 * from the limit, so that the answer can say which.
 */
final class VerifyingInputStream extends FilterInputStream {
  /** The body exceeded the grant's maximum size. */
  static final class TooLargeException extends IOException {
    TooLargeException(long max) {
      super("the body exceeds the grant's maximum of " + max + " bytes");
    }
  }

  private final long maxBytes;
  private final Adler32 adler = new Adler32();
  private final MessageDigest md5;
  private long count;
  private IOException clientFailure;
  private boolean tooLarge;

  VerifyingInputStream(InputStream body, long maxBytes) {
    super(body);
    this.maxBytes = maxBytes;
    try {
      md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks MD5", e);
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n;
    try {
      n = super.read(b, off, len);
    } catch (IOException e) {
      clientFailure = e;
      throw e;
    }
    if (n > 0) {
      count += n;
      if (count > maxBytes) {
        tooLarge = true;
        throw new TooLargeException(maxBytes);
      }
      adler.update(b, off, n);
      md5.update(b, off, n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    throw new IOException("skipping would leave bytes unverified");
  }

  /** Bytes read so far. */
  long count() {
    return count;
  }

  /** The failure reading the client's body, or {@code null}. */
  IOException clientFailure() {
    return clientFailure;
  }

  /** Whether the body went past the limit. */
  boolean tooLarge() {
    return tooLarge;
  }

  /** What was received, described as an output file called {@code name}; call once the body is read. */
  OutputFile received(String name) {
    return new OutputFile(name, count, Checksums.adler32Hex(adler.getValue()), HexFormat.of().formatHex(md5.digest()));
  }
}
