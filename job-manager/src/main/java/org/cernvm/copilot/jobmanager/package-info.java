/**
 * The job manager: a generic dispatcher between agents and a {@link org.cernvm.copilot.jobmanager.JobSource}.
 * It answers the want/have/get/run handshake, grants leases with epochs, takes heartbeats and job ends,
 * relays kill and drain, and takes back expired leases. It keeps no job state itself, so several job
 * managers can serve one service address.
 */
package org.cernvm.copilot.jobmanager;
