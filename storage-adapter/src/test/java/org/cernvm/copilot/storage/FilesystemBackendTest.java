package org.cernvm.copilot.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemBackendTest {
  @TempDir Path dir;

  private static long filesUnder(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).count();
    }
  }

  @Test
  void aWriteIsInvisibleUntilCommittedAndAnAbortLeavesNothing() throws Exception {
    StorageBackend fs = StorageBackend.filesystem(dir);
    StorageBackend.PendingWrite w = fs.write("generic/g1/1/out.txt", new ByteArrayInputStream("hello".getBytes()), 5);
    assertThat(fs.size("generic/g1/1/out.txt")).isEmpty();
    w.commit();
    assertThat(fs.size("generic/g1/1/out.txt")).hasValue(5);
    try (InputStream in = fs.open("generic/g1/1/out.txt")) {
      assertThat(new String(in.readAllBytes())).isEqualTo("hello");
    }
    assertThat(fs.location("generic/g1/1/out.txt")).isEqualTo(dir.resolve("generic/g1/1/out.txt").toUri().toString());

    fs.write("generic/g1/1/other.txt", new ByteArrayInputStream("x".getBytes()), 1).abort();
    assertThat(filesUnder(dir)).isEqualTo(1);
  }

  @Test
  void aFailingBodyLeavesNothingAndKeysCannotLeaveTheRoot() throws Exception {
    StorageBackend fs = StorageBackend.filesystem(dir.resolve("root"));
    InputStream broken = new InputStream() {
      private int n;

      @Override
      public int read() throws IOException {
        if (n++ > 3) {
          throw new IOException("connection reset");
        }
        return 'a';
      }
    };
    assertThatThrownBy(() -> fs.write("s/j/1/f", broken, 10)).hasMessage("connection reset");
    assertThat(filesUnder(dir)).isZero();
    assertThatThrownBy(() -> fs.write("s/../../etc/passwd", InputStream.nullInputStream(), 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> fs.size("/etc/passwd")).isInstanceOf(IllegalArgumentException.class);
  }
}
