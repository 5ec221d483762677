/**
 * The PanDA adapter: a {@link org.cernvm.copilot.jobmanager.JobSource} that takes ATLAS jobs from a PanDA
 * server's job dispatcher ({@code getJob}/{@code updateJob}, as pilots do) on behalf of CoPilot agents.
 * The PanDA credential stays here; agents never see it.
 */
package org.cernvm.copilot.panda;
