/**
 * Whether the current async context is inside a write of some owner (a storage, a mutex), so that
 * a write called from inside its own can be refused instead of waiting for itself forever.
 *
 * One AsyncLocalStorage for the whole process, shared by every owner: each instance adds a cost to
 * every promise in the process once used, so one per storage (opened again on each server restart)
 * would slow everything down over time. Disabled (`detectNestedWrites: false`, as the server runs
 * with `NODE_ENV=production`) a context marks nothing and never turns AsyncLocalStorage on.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** Marks one write's async context; `active` turns false when the write settles. */
interface Hold {
  active: boolean;
}

const insideWrites = new AsyncLocalStorage<ReadonlyMap<object, Hold>>();

/** The writes of one owner, marked in their async contexts. */
export class WriteContext {
  constructor(
    private readonly owner: object,
    private readonly enabled: boolean,
  ) {}

  /** Runs `fn` marked as inside one of the owner's writes until it settles; work it leaves running is no longer inside. */
  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    if (!this.enabled) return fn();
    const hold: Hold = { active: true };
    try {
      return await insideWrites.run(new Map(insideWrites.getStore()).set(this.owner, hold), fn);
    } finally {
      hold.active = false;
    }
  }

  /** Whether the current async context is inside one of the owner's writes (false when disabled). */
  isInside(): boolean {
    return this.enabled && insideWrites.getStore()?.get(this.owner)?.active === true;
  }
}
