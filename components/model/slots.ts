/**
 * Blue-green release slots: every application runs in two slots, blue and green, behind its proxy
 * (nginx on CI hosts, the load balancer in production). One slot is live; the other is idle, or
 * holds the release being tested, or the previous release kept for a fast rollback.
 */

export type Slot = "blue" | "green";

export const SLOTS: readonly Slot[] = ["blue", "green"];

/** The slot a release deploys into while `live` serves. */
export function otherSlot(live: Slot): Slot {
  return live === "blue" ? "green" : "blue";
}

export function isSlot(value: unknown): value is Slot {
  return value === "blue" || value === "green";
}

/**
 * Each slot's host port sits a fixed distance above the service's public port, so the three never
 * collide for ports in the application range (5001-5999 → blue 6001-6999, green 7001-7999).
 */
export const SLOT_PORT_OFFSET: Readonly<Record<Slot, number>> = { blue: 1000, green: 2000 };

export interface SlotPorts {
  readonly blue: number;
  readonly green: number;
}

export function slotPorts(hostPort: number): SlotPorts {
  return { blue: hostPort + SLOT_PORT_OFFSET.blue, green: hostPort + SLOT_PORT_OFFSET.green };
}

/** The container a slot runs in on a host: `<stack>-<service>-<slot>`. */
export function slotContainerName(stack: string, service: string, slot: Slot): string {
  return `${stack}-${service}-${slot}`;
}
