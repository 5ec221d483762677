/** The agent that runs inside each VM: it asks for work, supervises payload processes and reports. */
package org.cernvm.copilot.agent;
