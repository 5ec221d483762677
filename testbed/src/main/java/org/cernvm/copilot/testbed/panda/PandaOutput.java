package org.cernvm.copilot.testbed.panda;

/**
 * An output file of a finished PanDA job, as the final {@code updateJob} reported it.
 *
 * @param lfn the logical file name
 * @param guid the file's GUID
 * @param fsize its size in bytes
 * @param adler32 its adler32 checksum
 * @param surl where it is stored
 */
public record PandaOutput(String lfn, String guid, long fsize, String adler32, String surl) {}
