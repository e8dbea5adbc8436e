/**
 * Whether the page is hearing from the server right now, for the header. The WebSocket carries
 * live events; while it is down the page shows what it last knew and says so.
 */

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline';

/** After this long without a connection the header stops saying "reconnecting" and says "offline". */
const OFFLINE_AFTER_MS = 10_000;

class ConnectionState {
  status = $state<ConnectionStatus>('connecting');
  /** Epoch ms when the connection was lost, or null while connected. */
  lostAt = $state<number | null>(null);
  /** Why the last attempt failed, as the browser reported it. */
  lastError = $state<string | null>(null);

  #offlineTimer: ReturnType<typeof setTimeout> | null = null;
  #everConnected = false;

  markConnected(): void {
    this.#clearTimer();
    this.#everConnected = true;
    this.status = 'connected';
    this.lostAt = null;
    this.lastError = null;
  }

  /** The socket is down (or not yet up) and the client is retrying with backoff. */
  markConnecting(error: string | null): void {
    if (error) this.lastError = error;
    if (this.lostAt === null) this.lostAt = Date.now();
    // Once offline, stay offline until a connection opens or the network comes back.
    if (this.status === 'offline') return;
    this.#markConnectingAgain();
  }

  /** The browser has a network again: try again, and give the server the full grace period. */
  markNetworkBack(): void {
    this.#clearTimer();
    this.#markConnectingAgain();
  }

  #markConnectingAgain(): void {
    this.status = this.#everConnected ? 'reconnecting' : 'connecting';
    this.#startOfflineTimer();
  }

  /** The browser itself has no network. */
  markOffline(): void {
    this.#clearTimer();
    if (this.lostAt === null) this.lostAt = Date.now();
    this.status = 'offline';
  }

  #startOfflineTimer(): void {
    if (this.#offlineTimer) return;
    this.#offlineTimer = setTimeout(() => {
      this.#offlineTimer = null;
      if (this.status !== 'connected') this.status = 'offline';
    }, OFFLINE_AFTER_MS);
  }

  #clearTimer(): void {
    if (this.#offlineTimer) clearTimeout(this.#offlineTimer);
    this.#offlineTimer = null;
  }
}

export const connection = new ConnectionState();
