package org.cernvm.copilot.protocol;

/**
 * An output file a job produced.
 *
 * @param name file name in the job's working directory
 * @param sizeBytes its size
 * @param adler32 its adler32 checksum, 8 lower-case hex digits (ATLAS convention)
 * @param md5 its md5 checksum, 32 lower-case hex digits (ALICE convention)
 */
public record OutputFile(String name, long sizeBytes, String adler32, String md5) {
  public OutputFile {
    FileNames.check(name, "name");
    Checks.notNegative(sizeBytes, "sizeBytes");
    Checks.text(adler32, "adler32");
    Checks.text(md5, "md5");
  }
}
