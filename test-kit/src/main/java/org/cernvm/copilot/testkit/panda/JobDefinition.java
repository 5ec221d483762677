package org.cernvm.copilot.testkit.panda;

import java.util.List;
import java.util.Objects;

/**
 * A job as submitted to the fake PanDA server: the fields PanDA's job dispatcher hands a pilot. Fields a
 * submission leaves out (null or 0) take the values an ATLAS production job of this kind has.
 *
 * @param transformation the transform to run, e.g. {@code Generate_tf.py}
 * @param jobPars its arguments, one string as PanDA keeps them
 * @param homepackage the release, e.g. {@code AtlasProduction/23.6.x}
 * @param swRelease the software release, e.g. {@code Atlas-23.6.x}
 * @param prodSourceLabel {@code managed} for production, {@code user} for analysis
 * @param outFiles the LFNs of the output files, the log tarball not among them
 * @param destinationDblock the dataset block each output goes to, comma-separated like {@code outFiles}
 * @param realDatasets the output datasets, comma-separated like {@code outFiles}
 * @param scopeOut the Rucio scope of the outputs
 * @param logFile the LFN of the job's log tarball, ending {@code .job.log.tgz} (with an attempt suffix)
 * @param coreCount cores the payload uses
 * @param maxDiskCount scratch disk the job needs, in MB
 * @param taskID the task the job belongs to
 * @param jobsetID the job set
 * @param jobName the job's name; by default the first output's dataset and the log's LFN
 * @param cmtConfig the platform the release is built for, e.g. {@code x86_64-el9-gcc13-opt}
 * @param processingType e.g. {@code evgen}
 * @param minRamCount memory the job needs, in MB; by default 2,000 per core
 * @param maxWalltime the wall time the job may take, in seconds
 * @param ddmEndPointOut the storage endpoint (Rucio RSE) the outputs and the log go to
 * @param inputs the job's input files, none for event generation
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
    long jobsetID,
    String jobName,
    String cmtConfig,
    String processingType,
    long minRamCount,
    long maxWalltime,
    String ddmEndPointOut,
    List<Input> inputs) {
  /**
   * An input file as PanDA knows it from Rucio.
   *
   * @param lfn its logical file name
   * @param guid its GUID
   * @param fsize its size in bytes
   * @param adler32 its adler32 checksum, lower-case hex
   * @param scope its Rucio scope
   * @param dataset the dataset it belongs to
   * @param endpoint the storage endpoint (RSE) holding its replica
   */
  public record Input(String lfn, String guid, long fsize, String adler32, String scope, String dataset,
      String endpoint) {}

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
    if (logFile == null || !logFile.matches(".+\\.job\\.log\\.tgz(\\.\\d+)?")) {
      throw new IllegalArgumentException("logFile must be an LFN ending .job.log.tgz: " + logFile);
    }
    jobName = blank(jobName) ? (realDatasets.isEmpty() ? "job" : realDatasets.get(0)) + "." + logFile : jobName;
    cmtConfig = blank(cmtConfig) ? "x86_64-el9-gcc13-opt" : cmtConfig;
    processingType = blank(processingType) ? (transformation.equals("Generate_tf.py") ? "evgen" : "panda-client")
        : processingType;
    minRamCount = minRamCount > 0 ? minRamCount : 2000L * coreCount;
    maxWalltime = maxWalltime > 0 ? maxWalltime : 12 * 3600;
    ddmEndPointOut = blank(ddmEndPointOut) ? "CERN-COPILOT_DATADISK" : ddmEndPointOut;
    inputs = inputs == null ? List.of() : List.copyOf(inputs);
  }

  /** This job with {@code files} as its inputs. */
  public JobDefinition withInputs(List<Input> files) {
    return new JobDefinition(transformation, jobPars, homepackage, swRelease, prodSourceLabel, outFiles,
        destinationDblock, realDatasets, scopeOut, logFile, coreCount, maxDiskCount, taskID, jobsetID, jobName,
        cmtConfig, processingType, minRamCount, maxWalltime, ddmEndPointOut, files);
  }

  /** A job with the defaults for every field from {@code jobName} on. */
  public JobDefinition(String transformation, String jobPars, String homepackage, String swRelease,
      String prodSourceLabel, List<String> outFiles, List<String> destinationDblock, List<String> realDatasets,
      String scopeOut, String logFile, int coreCount, long maxDiskCount, long taskID, long jobsetID) {
    this(transformation, jobPars, homepackage, swRelease, prodSourceLabel, outFiles, destinationDblock, realDatasets,
        scopeOut, logFile, coreCount, maxDiskCount, taskID, jobsetID, null, null, null, 0, 0, null, List.of());
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
