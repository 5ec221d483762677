package org.cernvm.copilot.testkit.panda;

import java.util.ArrayList;
import java.util.List;

/**
 * ATLAS event-generation jobs for PanDA: {@code Generate_tf.py} with its real arguments, distinct random
 * seeds and first events, and output datasets and LFNs named the ATLAS way.
 *
 * @param events events per job
 * @param ecmEnergy centre-of-mass energy in GeV
 * @param runNumber the dataset (run) number
 * @param jobConfig the job option, e.g. {@code MC23.CoPilotDY_Zll}
 * @param release the release as {@code Project,version}, e.g. {@code AtlasProduction,23.6.x}
 * @param taskId the production task the jobs belong to
 */
public record Evgen(int events, double ecmEnergy, int runNumber, String jobConfig, String release, long taskId) {
  public Evgen {
    if (events < 1) {
      throw new IllegalArgumentException("--events must be at least 1");
    }
    if (!release.contains(",")) {
      throw new IllegalArgumentException("--release must look like AtlasProduction,23.6.x: " + release);
    }
    if (!jobConfig.matches("[A-Za-z0-9_.-]+")) {
      throw new IllegalArgumentException("--job-config must be a job option name like MC23.CoPilotDY_Zll");
    }
    if (!jobConfig.matches(".*_(Zee|Zmumu|Zll)")) {
      throw new IllegalArgumentException("--job-config " + jobConfig + " names a process the testbed's Generate_tf.py"
          + " does not generate: it generates Drell-Yan Z decays, named by a job option ending _Zee, _Zmumu or _Zll");
    }
  }

  /** The scope, e.g. {@code mc23_13p6TeV}. */
  public String scope() {
    String project = jobConfig.contains(".") ? jobConfig.substring(0, jobConfig.indexOf('.')).toLowerCase() : "mc";
    String tev = String.format("%.1f", ecmEnergy / 1000).replace(".0", "").replace('.', 'p');
    return project + "_" + tev + "TeV";
  }

  /** The output dataset, e.g. {@code mc23_13p6TeV.950000.CoPilotDY_Zll.evgen.EVNT.e8514_tid47000001_00}. */
  public String dataset() {
    String shortName = jobConfig.contains(".") ? jobConfig.substring(jobConfig.indexOf('.') + 1) : jobConfig;
    return scope() + "." + runNumber + "." + shortName + ".evgen.EVNT.e8514_tid" + taskId + "_00";
  }

  /** Job {@code i} of {@code count}, numbered from 1. */
  public JobDefinition job(int i) {
    String n = String.format("%06d", i);
    String evnt = "EVNT." + taskId + "._" + n + ".pool.root.1";
    String[] rel = release.split(",", 2);
    String pars = "--ecmEnergy=" + (long) ecmEnergy + " --runNumber=" + runNumber + " --firstEvent="
        + ((long) (i - 1) * events + 1) + " --maxEvents=" + events + " --randomSeed=" + i + " --jobConfig=" + jobConfig
        + " --outputEVNTFile=" + evnt;
    return new JobDefinition("Generate_tf.py", pars, rel[0] + "/" + rel[1], "Atlas-" + rel[1], "managed",
        List.of(evnt), List.of(dataset() + "_sub0" + taskId), List.of(dataset()), scope(),
        "log." + taskId + "._" + n + ".job.log.tgz.1", 1, 2000, taskId, taskId);
  }

  /** Jobs 1 to {@code count}. */
  public List<JobDefinition> jobs(int count) {
    List<JobDefinition> all = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      all.add(job(i));
    }
    return all;
  }
}
