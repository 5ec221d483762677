package org.cernvm.copilot.testkit.panda;

/**
 * An output or log file of a finished PanDA job, as the final {@code updateJob} reported it.
 *
 * @param lfn the logical file name
 * @param guid the file's GUID
 * @param fsize its size in bytes
 * @param adler32 its adler32 checksum, empty when the pilot sent md5 instead
 * @param md5sum its md5 checksum, empty when the pilot sent adler32 instead
 * @param surl where it is stored
 * @param endpoint the storage endpoint (Rucio RSE) it is stored at; empty in a PoolFileCatalog report
 */
public record PandaOutput(String lfn, String guid, long fsize, String adler32, String md5sum, String surl,
    String endpoint) {
  /** Whether the report gave a checksum PanDA takes: adler32 (8 hex digits) or md5 (32). */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean hasChecksum() {
    return adler32.matches("[0-9a-f]{8}") || md5sum.matches("[0-9a-f]{32}");
  }
}
