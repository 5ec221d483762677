/** CoPilot's own job queue, kept in a directory shared by the job managers of one host. */
package org.cernvm.copilot.jobmanager.generic;
