/**
 * @module cli/shutdown-backstop
 * Past the shutdown deadline (when calls in flight are cut) and the moment cut calls get to end, the
 * close should be over; if something still holds it after this much more, the process exits anyway.
 */
export const BACKSTOP_MS = 5_000;
