/** A shared "now" that ticks once a second, for countdowns such as a stalled job's next attempt. */

class Clock {
  now = $state(Date.now());
  #timer: ReturnType<typeof setInterval> | null = null;
  #users = 0;

  /** Starts ticking while at least one caller needs it; returns the function that releases it. */
  use(): () => void {
    this.#users++;
    if (!this.#timer) {
      this.now = Date.now();
      this.#timer = setInterval(() => (this.now = Date.now()), 1_000);
    }
    return () => {
      this.#users--;
      if (this.#users === 0 && this.#timer) {
        clearInterval(this.#timer);
        this.#timer = null;
      }
    };
  }
}

export const clock = new Clock();
