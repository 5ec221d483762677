package org.cernvm.copilot.protocol;
