/** The {@code copilot} command line: demo, role launchers, operator commands. */
package org.cernvm.copilot.testbed;
