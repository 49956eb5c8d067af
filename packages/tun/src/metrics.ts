/**
 * Device counters (STYLE §4): one fixed-shape object per device, read through
 * `stats()`. Metric names follow `<ns>_tun_<what>_total`.
 */

/** Counters of one TUN device since it was opened. */
export interface TunStats {
  /** Packets read and handed to the caller. */
  rxPackets: number;
  /** Bytes of those packets (IP header included). */
  rxBytes: number;
  /** Packets dropped on read because they did not fit after `offset` in the buffer. */
  rxTruncated: number;
  /** Readiness wake-ups delivered to the onReadable callback. */
  rxWakeups: number;
  /** Packets written to the kernel. */
  txPackets: number;
  /** Bytes of those packets. */
  txBytes: number;
  /** Packets dropped because the kernel's TUN queue was full (EAGAIN); never blocks. */
  txDropsQueueFull: number;
  /** Packets the kernel refused (EINVAL, EMSGSIZE, EIO while down) or with a bad length. */
  txErrors: number;
}

/** A zeroed counter object. */
export function emptyStats(): TunStats {
  return {
    rxPackets: 0,
    rxBytes: 0,
    rxTruncated: 0,
    rxWakeups: 0,
    txPackets: 0,
    txBytes: 0,
    txDropsQueueFull: 0,
    txErrors: 0,
  };
}

/** Prometheus metric name for each counter (namespace `sixgate`). */
export const TUN_METRICS: Readonly<Record<keyof TunStats, string>> = {
  rxPackets: 'sixgate_tun_rx_packets_total',
  rxBytes: 'sixgate_tun_rx_bytes_total',
  rxTruncated: 'sixgate_tun_rx_truncated_total',
  rxWakeups: 'sixgate_tun_rx_wakeups_total',
  txPackets: 'sixgate_tun_tx_packets_total',
  txBytes: 'sixgate_tun_tx_bytes_total',
  txDropsQueueFull: 'sixgate_tun_tx_drops_queue_full_total',
  txErrors: 'sixgate_tun_tx_errors_total',
};
