/**
 * A promise for the next time something comes (a thread's answer): made when first awaited, and
 * settled and forgotten when it comes, so each wait is for an answer after it began.
 */
export class NextArrival {
  #pending: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | undefined;

  wait(): Promise<void> {
    if (this.#pending === undefined) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.#pending = { promise, resolve, reject };
    }
    return this.#pending.promise;
  }

  resolve(): void {
    const p = this.#pending;
    this.#pending = undefined;
    p?.resolve();
  }

  reject(e: Error): void {
    const p = this.#pending;
    this.#pending = undefined;
    p?.reject(e);
  }
}
