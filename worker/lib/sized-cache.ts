// A per-isolate memory of immutable values (content-addressed images, their data URLs) within a
// size budget: least recently used go first. Only an optimisation: what it forgets is read again
// from its source of truth.

export class SizedCache<V> {
  private readonly items = new Map<string, V>();
  private total = 0;

  constructor(
    /** Total size kept, in the units of sizeOf. */
    private readonly budget: number,
    private readonly sizeOf: (value: V) => number,
    /** Larger values are not kept. */
    private readonly maxItem = budget,
  ) {}

  get(key: string): V | undefined {
    const value = this.items.get(key);
    if (value !== undefined) {
      this.items.delete(key); // most recently used last
      this.items.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    const size = this.sizeOf(value);
    if (size > this.maxItem) return;
    const old = this.items.get(key);
    if (old !== undefined) this.total -= this.sizeOf(old);
    this.items.delete(key);
    this.items.set(key, value);
    this.total += size;
    for (const [k, v] of this.items) {
      if (this.total <= this.budget) break;
      this.items.delete(k);
      this.total -= this.sizeOf(v);
    }
  }
}
