package org.cernvm.copilot.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChecksumsTest {
  @Test
  void knownVectors(@TempDir Path dir) throws Exception {
    Path wiki = Files.write(dir.resolve("wiki.txt"), "Wikipedia".getBytes(StandardCharsets.US_ASCII));
    assertThat(Checksums.of(wiki).adler32()).isEqualTo("11e60398");

    Path fox = Files.write(dir.resolve("fox.txt"),
        "The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.US_ASCII));
    OutputFile o = Checksums.of(fox);
    assertThat(o.name()).isEqualTo("fox.txt");
    assertThat(o.sizeBytes()).isEqualTo(43);
    assertThat(o.adler32()).isEqualTo("5bdc0fda");
    assertThat(o.md5()).isEqualTo("9e107d9d372bb6826bd81d3542a419d6");

    Path empty = Files.createFile(dir.resolve("empty"));
    assertThat(Checksums.of(empty).adler32()).isEqualTo("00000001");
    assertThat(Checksums.of(empty).md5()).isEqualTo("d41d8cd98f00b204e9800998ecf8427e");
  }
}
