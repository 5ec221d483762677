package org.cernvm.copilot.storage;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
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
  private final Checksums.Digest digest = new Checksums.Digest();
  private IOException clientFailure;
  private boolean tooLarge;

  VerifyingInputStream(InputStream body, long maxBytes) {
    super(body);
    this.maxBytes = maxBytes;
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
      if (digest.size() + n > maxBytes) {
        tooLarge = true;
        throw new TooLargeException(maxBytes);
      }
      digest.update(b, off, n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    throw new IOException("skipping would leave bytes unverified");
  }

  /** Bytes read so far. */
  long count() {
    return digest.size();
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
    return digest.describe(name);
  }
}
