package org.cernvm.copilot.testbed;

import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Where the chaos run's key manager, job managers, storage adapter and agents run, and how each fault is
 * done to them: in the chaos JVM on the embedded XMPP server ({@link InProcessRig}), or as processes of
 * their own on Prosody or ejabberd ({@link ProcessRig}).
 */
interface ChaosRig extends AutoCloseable {
  /** How the components run, for the run's first line, e.g. {@code embedded XMPP server, components in this JVM}. */
  String describe();

  /** The kinds of fault this rig injects; a round of faults is each of them once, shuffled. */
  List<Chaos.Fault> faults();

  /** Starts the key manager, the storage adapter, the job managers and the agents, and waits until they serve. */
  void start() throws Exception;

  /**
   * Does {@code fault} to a component that {@code random} picks, brings up its replacement, and returns
   * what was done, e.g. {@code killed agent-2 with its payload; booted agent-5}.
   */
  String inject(Chaos.Fault fault, Random random) throws Exception;

  /** The ids of the agents killed so far, as they reported themselves to PanDA. */
  Set<String> killedAgents();

  /** How many replays of a message it had accepted before it was killed a restarted component refused. */
  int replaysRefused();

  /** The replays that a restarted component did not refuse, each described; a run with any fails. */
  List<String> replaysAccepted();

  /** Lines for the run's summary beyond the jobs' count, e.g. what became of the processes; may be none. */
  List<String> summary() throws Exception;

  /** Stops every component; a rig of processes also makes sure that none outlives it. */
  @Override
  void close() throws Exception;
}
