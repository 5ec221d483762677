package org.cernvm.copilot.protocol;

/** A request from an agent to the storage adapter. */
public sealed interface StorageRequest extends Request permits WantStoreJobOutputDir {}
