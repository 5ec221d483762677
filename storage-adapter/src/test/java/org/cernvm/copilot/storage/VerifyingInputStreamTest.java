package org.cernvm.copilot.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.cernvm.copilot.protocol.OutputFile;
import org.junit.jupiter.api.Test;

class VerifyingInputStreamTest {
  private static OutputFile drain(String text, long max) throws IOException {
    VerifyingInputStream in =
        new VerifyingInputStream(new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)), max);
    in.transferTo(OutputStreamSink.INSTANCE);
    return in.received("f");
  }

  /** Discards what it is given. */
  private static final class OutputStreamSink extends java.io.OutputStream {
    static final OutputStreamSink INSTANCE = new OutputStreamSink();

    @Override
    public void write(int b) {}

    @Override
    public void write(byte[] b, int off, int len) {}
  }

  @Test
  void knownVectorsComputedWhileStreaming() throws Exception {
    assertThat(drain("Wikipedia", 100).adler32()).isEqualTo("11e60398");
    OutputFile fox = drain("The quick brown fox jumps over the lazy dog", 43);
    assertThat(fox.sizeBytes()).isEqualTo(43);
    assertThat(fox.adler32()).isEqualTo("5bdc0fda");
    assertThat(fox.md5()).isEqualTo("9e107d9d372bb6826bd81d3542a419d6");
    OutputFile empty = drain("", 0);
    assertThat(empty.adler32()).isEqualTo("00000001");
    assertThat(empty.md5()).isEqualTo("d41d8cd98f00b204e9800998ecf8427e");
  }

  @Test
  void stopsAtTheLimitAndTellsClientFailuresApart() {
    VerifyingInputStream big = new VerifyingInputStream(new ByteArrayInputStream(new byte[11]), 10);
    assertThatThrownBy(() -> big.transferTo(OutputStreamSink.INSTANCE))
        .isInstanceOf(VerifyingInputStream.TooLargeException.class);
    assertThat(big.tooLarge()).isTrue();
    assertThat(big.clientFailure()).isNull();

    VerifyingInputStream broken = new VerifyingInputStream(new InputStream() {
      @Override
      public int read() throws IOException {
        throw new IOException("early EOF");
      }
    }, 10);
    assertThatThrownBy(() -> broken.transferTo(OutputStreamSink.INSTANCE)).hasMessage("early EOF");
    assertThat(broken.clientFailure()).hasMessage("early EOF");
    assertThat(broken.tooLarge()).isFalse();
  }
}
