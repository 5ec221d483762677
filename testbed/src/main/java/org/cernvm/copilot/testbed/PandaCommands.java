package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.ConfigOptions;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.testkit.panda.Derivation;
import org.cernvm.copilot.testkit.panda.Evgen;
import org.cernvm.copilot.testkit.panda.FakePanda;
import org.cernvm.copilot.testkit.panda.JobDefinition;
import org.cernvm.copilot.testkit.panda.JobView;
import org.cernvm.copilot.testkit.panda.PandaAdmin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The PanDA side of the testbed: the fake server as a process, evgen submission, and job states. */
final class PandaCommands {
  private PandaCommands() {}

  /** {@code copilot fake-panda}: the fake PanDA server until stopped. */
  @Command(name = "fake-panda", description = "Runs the testbed's fake PanDA server (job dispatcher and admin "
      + "endpoints) on 127.0.0.1 until stopped (SIGTERM).")
  static final class Serve implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @Option(names = "--port", defaultValue = "25080", description = "port (default ${DEFAULT-VALUE}; 0 for any free one)")
    int port;

    @Override
    public Integer call() throws Exception {
      Settings s = config.settings(Map.of());
      String token = s.required("panda.token");
      String admin = s.required("panda.admin-token");
      Duration heartbeat = s.duration("panda.heartbeat-timeout", Duration.ofMinutes(30));
      s.rejectUnknownKeys();
      try (FakePanda panda = FakePanda.start(Clock.systemUTC(), heartbeat, Map.of(token, "production"), admin, port)) {
        System.out.println("fake PanDA server at " + panda.url() + " (lost heartbeat after " + heartbeat + ")");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "panda-shutdown"));
        stopped.await();
      }
      return 0;
    }
  }

  /** {@code copilot install-transforms DIR}: the stand-in transforms, as a release area for agents. */
  @Command(name = "install-transforms", description = "Installs the testbed's stand-in ATLAS transforms "
      + "(Generate_tf.py, Derivation_tf.py) into DIR, the release area agents run them from (panda.release-dir).")
  static final class InstallTransforms implements Callable<Integer> {
    @picocli.CommandLine.Parameters(paramLabel = "DIR", description = "the directory")
    java.nio.file.Path dir;

    @Override
    public Integer call() throws Exception {
      Transforms.install(dir);
      Transforms.NAMES.forEach(n -> System.out.println(dir.resolve(n)));
      return 0;
    }
  }

  private static PandaAdmin admin(ConfigOptions config, URI url) {
    Settings s = config.settings(url == null ? Map.of() : Map.of("panda.url", url.toString()));
    PandaAdmin admin = new PandaAdmin(URI.create(s.string("panda.url", "http://127.0.0.1:25080")),
        s.required("panda.admin-token"));
    s.rejectUnknownKeys();
    return admin;
  }

  /** The options every submission takes: its task and the server. */
  static final class TaskOptions {
    @Option(names = "--task-id", description = "production task id (default: from the clock)")
    Long taskId;

    @Option(names = "--panda-url", paramLabel = "URL", description = "the PanDA server (panda.url, default http://127.0.0.1:25080)")
    URI url;

    /** The task id given, or one from the clock. */
    long id() {
      return taskId != null ? taskId : 40_000_000L + System.currentTimeMillis() / 1000 % 10_000_000L;
    }
  }

  /** {@code copilot submit-evgen}: ATLAS event-generation jobs into PanDA. */
  @Command(name = "submit-evgen", description = "Submits N ATLAS evgen jobs (Generate_tf.py) to the fake PanDA "
      + "server and prints their PandaIDs.")
  static final class SubmitEvgen implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @Option(names = "--count", required = true, description = "number of jobs")
    int count;

    @Option(names = "--events", defaultValue = "1000", description = "events per job (default ${DEFAULT-VALUE})")
    int events;

    @Option(names = "--ecm", defaultValue = "13600", description = "centre-of-mass energy in GeV (default ${DEFAULT-VALUE})")
    double ecm;

    @Option(names = "--run-number", defaultValue = "950000", description = "dataset number (default ${DEFAULT-VALUE})")
    int runNumber;

    @Option(names = "--job-config", defaultValue = "MC23.CoPilotDY_Zll", description = "job option (default ${DEFAULT-VALUE})")
    String jobConfig;

    @Option(names = "--release", defaultValue = "AtlasProduction,23.6.x", description = "release (default ${DEFAULT-VALUE})")
    String release;

    @Mixin TaskOptions task;

    @Override
    public Integer call() throws Exception {
      if (count < 1) {
        throw new IllegalArgumentException("--count must be at least 1");
      }
      Evgen evgen = new Evgen(events, ecm, runNumber, jobConfig, release, task.id());
      List<Long> ids = admin(config, task.url).submit(evgen.jobs(count));
      System.out.println("submitted " + ids.size() + " evgen jobs of task " + evgen.taskId() + " to " + evgen.dataset());
      ids.forEach(System.out::println);
      return 0;
    }
  }

  /** {@code copilot submit-derivation}: the second step of the chain, over an EVNT dataset's files. */
  @Command(name = "submit-derivation", description = "Submits ATLAS TRUTH1 derivation jobs (Derivation_tf.py) over the "
      + "files finished evgen jobs stored in an EVNT dataset, FILES-PER-JOB each, and prints their PandaIDs; agents "
      + "stage the files in through the fake's replica endpoint (panda.endpoints).")
  static final class SubmitDerivation implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @Option(names = "--input-dataset", required = true, paramLabel = "DS", description = "the EVNT dataset "
        + "(submit-evgen prints it)")
    String dataset;

    @Option(names = "--files-per-job", defaultValue = "5", description = "input files per job (default ${DEFAULT-VALUE})")
    int filesPerJob;

    @Option(names = "--release", defaultValue = "AthDerivation,23.6.x", description = "release (default ${DEFAULT-VALUE})")
    String release;

    @Mixin TaskOptions task;

    @Override
    public Integer call() throws Exception {
      Derivation derivation = new Derivation(dataset, filesPerJob, release, task.id());
      PandaAdmin admin = admin(config, task.url);
      List<JobDefinition.Input> files = admin.datasetFiles(dataset);
      List<Long> ids = admin.submit(derivation.jobs(files));
      System.out.println("submitted " + ids.size() + " derivation jobs of task " + derivation.taskId() + " over " + files.size()
          + " files of " + dataset + " to " + derivation.dataset());
      ids.forEach(System.out::println);
      return 0;
    }
  }

  /** {@code copilot panda-status}: PanDA jobs by state. */
  @Command(name = "panda-status", description = "Lists the fake PanDA server's jobs by state.")
  static final class Status implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @Option(names = "--panda-url", paramLabel = "URL", description = "the PanDA server (panda.url, default http://127.0.0.1:25080)")
    URI url;

    @Override
    public Integer call() throws Exception {
      List<JobView> jobs = admin(config, url).list();
      System.out.printf("%-11s %-12s %-16s %s%n", "PANDAID", "STATE", "NODE", "OUTPUT / ERROR");
      Map<String, Integer> counts = new TreeMap<>();
      for (JobView j : jobs) {
        String what = j.state().equals("finished") && !j.outputs().isEmpty()
            ? j.outputs().get(0).lfn() + " " + j.outputs().get(0).fsize() + " bytes adler32 " + j.outputs().get(0).adler32()
            : j.isFinal() ? j.pilotErrorCode() + " " + j.pilotErrorDiag() : "";
        System.out.printf("%-11d %-12s %-16s %s%n", j.pandaId(), j.state(), j.node() == null ? "-" : j.node(), what);
        counts.merge(j.state(), 1, Integer::sum);
      }
      System.out.println(jobs.size() + " jobs: " + counts);
      return 0;
    }
  }
}
