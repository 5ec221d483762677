package org.cernvm.copilot.testkit.panda;

import java.util.ArrayList;
import java.util.List;

/**
 * ATLAS truth-derivation jobs for PanDA, the second step of a production chain: {@code Derivation_tf.py}
 * with its real arguments for a TRUTH1 derivation, each job taking {@code filesPerJob} files of an EVNT
 * dataset as inputs (staged in by the agent) and writing one {@code DAOD_TRUTH1} file, named the ATLAS way.
 *
 * @param inputDataset the EVNT dataset, e.g. {@code mc23_13p6TeV.950000.CoPilotDY_Zll.evgen.EVNT.e8514_tid47000001_00}
 * @param filesPerJob how many input files one job reads
 * @param release the release as {@code Project,version}, e.g. {@code AthDerivation,23.6.x}
 * @param taskId the production task the jobs belong to
 */
public record Derivation(String inputDataset, int filesPerJob, String release, long taskId) {
  /** The marker of an EVNT dataset name, between its physics short name and its tags. */
  private static final String EVNT = ".evgen.EVNT.";

  public Derivation {
    if (!inputDataset.matches("[A-Za-z0-9_.-]{1,255}") || !inputDataset.contains(EVNT)) {
      throw new IllegalArgumentException("--input-dataset must name an EVNT dataset like "
          + "mc23_13p6TeV.950000.CoPilotDY_Zll.evgen.EVNT.e8514_tid47000001_00: " + inputDataset);
    }
    if (filesPerJob < 1) {
      throw new IllegalArgumentException("--files-per-job must be at least 1");
    }
    if (!release.contains(",")) {
      throw new IllegalArgumentException("--release must look like AthDerivation,23.6.x: " + release);
    }
  }

  /** The scope, the dataset name's first part, e.g. {@code mc23_13p6TeV}. */
  public String scope() {
    return inputDataset.substring(0, inputDataset.indexOf('.'));
  }

  /**
   * The output dataset: the input's name with {@code deriv.DAOD_TRUTH1} for {@code evgen.EVNT} and a
   * derivation tag and this task in its tags, e.g.
   * {@code mc23_13p6TeV.950000.CoPilotDY_Zll.deriv.DAOD_TRUTH1.e8514_p6266_tid47000002_00}.
   */
  public String dataset() {
    int at = inputDataset.indexOf(EVNT);
    String tags = inputDataset.substring(at + EVNT.length());
    String evgenTag = tags.contains("_") ? tags.substring(0, tags.indexOf('_')) : tags;
    return inputDataset.substring(0, at) + ".deriv.DAOD_TRUTH1." + evgenTag + "_p6266_tid" + taskId + "_00";
  }

  /** The jobs over {@code files}, the input dataset's files, {@code filesPerJob} each (the last may take fewer). */
  public List<JobDefinition> jobs(List<JobDefinition.Input> files) {
    if (files.isEmpty()) {
      throw new IllegalArgumentException("the dataset " + inputDataset + " has no files to derive from");
    }
    List<JobDefinition> jobs = new ArrayList<>();
    String[] rel = release.split(",", 2);
    for (int from = 0, i = 1; from < files.size(); from += filesPerJob, i++) {
      List<JobDefinition.Input> inputs = files.subList(from, Math.min(files.size(), from + filesPerJob));
      String n = String.format("%06d", i);
      String daod = "DAOD_TRUTH1." + taskId + "._" + n + ".pool.root.1";
      String pars = "--inputEVNTFile=" + String.join(",", inputs.stream().map(JobDefinition.Input::lfn).toList())
          + " --outputDAOD_TRUTH1File=" + daod + " --reductionConf=TRUTH1";
      long inputMb = inputs.stream().mapToLong(JobDefinition.Input::fsize).sum() >> 20;
      jobs.add(new JobDefinition("Derivation_tf.py", pars, rel[0] + "/" + rel[1], "Atlas-" + rel[1], "managed",
          List.of(daod), List.of(dataset() + "_sub0" + taskId), List.of(dataset()), scope(),
          "log." + taskId + "._" + n + ".job.log.tgz.1", 1, 2000 + 2 * inputMb, taskId, taskId, null, null, "deriv",
          0, 0, null, List.copyOf(inputs)));
    }
    return jobs;
  }
}
