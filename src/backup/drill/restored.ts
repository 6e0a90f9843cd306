// What restoring a backup into a drill's scratch came to, before its clean-up.

export interface Restored {
  passed: boolean;
  /** The set id, or the snapshot name(s) recovered. */
  backup: string;
  /** The manifest's or the (last) snapshot's key in the destination. */
  key: string;
  expected: string;
  found: string;
  /** The restore's verdict line or the failure. */
  detail: string;
}
