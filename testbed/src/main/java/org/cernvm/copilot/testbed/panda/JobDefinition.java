package org.cernvm.copilot.testbed.panda;

import java.util.List;
import java.util.Objects;

/**
 * A job as submitted to the fake PanDA server: the fields PanDA's job dispatcher hands a pilot.
 *
 * @param transformation the transform to run, e.g. {@code Generate_tf.py}
 * @param jobPars its arguments, one string as PanDA keeps them
 * @param homepackage the release, e.g. {@code AtlasProduction/23.6.x}
 * @param swRelease the software release, e.g. {@code Atlas-23.6.x}
 * @param prodSourceLabel {@code managed} for production, {@code user} for analysis
 * @param outFiles the LFNs of the output files
 * @param destinationDblock the dataset block each output goes to, comma-separated like {@code outFiles}
 * @param realDatasets the output datasets, comma-separated like {@code outFiles}
 * @param scopeOut the Rucio scope of the outputs
 * @param logFile the LFN of the job's log tarball
 * @param coreCount cores the payload uses
 * @param maxDiskCount scratch disk the job needs, in MB
 * @param taskID the task the job belongs to
 * @param jobsetID the job set
 */
public record JobDefinition(
    String transformation,
    String jobPars,
    String homepackage,
    String swRelease,
    String prodSourceLabel,
    List<String> outFiles,
    List<String> destinationDblock,
    List<String> realDatasets,
    String scopeOut,
    String logFile,
    int coreCount,
    long maxDiskCount,
    long taskID,
    long jobsetID) {
  public JobDefinition {
    Objects.requireNonNull(transformation, "transformation");
    Objects.requireNonNull(jobPars, "jobPars");
    Objects.requireNonNull(prodSourceLabel, "prodSourceLabel");
    outFiles = List.copyOf(outFiles);
    destinationDblock = List.copyOf(destinationDblock);
    realDatasets = List.copyOf(realDatasets);
    if (destinationDblock.size() != outFiles.size() || realDatasets.size() != outFiles.size()) {
      throw new IllegalArgumentException("destinationDblock and realDatasets need one entry per output file");
    }
    if (coreCount < 1) {
      throw new IllegalArgumentException("coreCount must be positive");
    }
  }
}
