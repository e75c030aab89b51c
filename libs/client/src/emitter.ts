/** A small typed event emitter (no Node `events`, so it runs in browsers). Listeners that throw do not stop the others. */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(data: never) => void>>();

  /** Calls `listener` for each `type` event; returns the function that unsubscribes it. */
  on<K extends keyof Events>(type: K, listener: (data: Events[K]) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener as (data: never) => void);
    return () => set.delete(listener as (data: never) => void);
  }

  /** The next `type` event, as a promise. */
  once<K extends keyof Events>(type: K): Promise<Events[K]> {
    return new Promise((resolve) => {
      const off = this.on(type, (data) => {
        off();
        resolve(data);
      });
    });
  }

  protected emit<K extends keyof Events>(type: K, data: Events[K]): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) {
      try {
        (listener as (data: Events[K]) => void)(data);
      } catch (err) {
        // A listener's bug must not break the client's own bookkeeping; surface it asynchronously.
        setTimeout(() => {
          throw err;
        });
      }
    }
  }
}
