// The only WebSocket in the app. A ReconnectingSocket keeps one connection open: it reconnects
// with exponential backoff, resumes with after=<last event id> so no event is lost, sends a
// heartbeat ping and drops a connection that went silent, and exposes a state for the banner.

export type SocketState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface SocketFrame {
  id?: string;
  type: string;
  data?: unknown;
}

export interface SocketOptions {
  // Builds the URL path + query (without after=), e.g. `/ws?token=...`; null means "do not connect".
  url(): string | null;
  onFrame(frame: SocketFrame): void;
  onState?(state: SocketState, attempt: number): void;
  // Called after a reconnect (not the first open): a chance to re-sync state over HTTP.
  onResume?(): void;
  heartbeatMs?: number;
  silenceMs?: number;
  maxBackoffMs?: number;
  // For tests.
  createSocket?(url: string): WebSocket;
}

export function backoffDelay(attempt: number, maxMs = 10000, random = Math.random): number {
  const base = Math.min(maxMs, 500 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base / 2 + (random() * base) / 2);
}

export function toWsUrl(pathAndQuery: string, loc: { protocol: string; host: string } = window.location): string {
  if (/^wss?:/.test(pathAndQuery)) return pathAndQuery;
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${loc.host}${pathAndQuery}`;
}

export class ReconnectingSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private opened = false;
  private stopped = true;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private beatTimer: ReturnType<typeof setInterval> | null = null;
  private lastFrameAt = 0;
  lastEventId: string | null = null;
  state: SocketState = 'idle';

  constructor(private readonly opts: SocketOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.opened = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close();
      this.ws = null;
    }
    this.setState('closed');
  }

  // Forgets the resume point (e.g. another user logged in).
  reset(): void {
    this.lastEventId = null;
  }

  send(frame: object): boolean {
    if (this.ws && this.ws.readyState === 1) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  private setState(s: SocketState): void {
    this.state = s;
    this.opts.onState?.(s, this.attempt);
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.beatTimer) clearInterval(this.beatTimer);
    this.retryTimer = null;
    this.beatTimer = null;
  }

  private connect(): void {
    if (this.stopped) return;
    const path = this.opts.url();
    if (!path) {
      this.setState('idle');
      return;
    }
    const sep = path.includes('?') ? '&' : '?';
    const full = toWsUrl(this.lastEventId ? `${path}${sep}after=${encodeURIComponent(this.lastEventId)}` : path);
    this.setState(this.opened ? 'reconnecting' : 'connecting');
    let ws: WebSocket;
    try {
      ws = this.opts.createSocket ? this.opts.createSocket(full) : new WebSocket(full);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      const resumed = this.opened;
      this.opened = true;
      this.attempt = 0;
      this.lastFrameAt = Date.now();
      this.setState('open');
      this.startHeartbeat();
      if (resumed) this.opts.onResume?.();
    };
    ws.onmessage = (ev: MessageEvent) => {
      this.lastFrameAt = Date.now();
      let frame: SocketFrame;
      try {
        frame = JSON.parse(String(ev.data)) as SocketFrame;
      } catch {
        return;
      }
      if (!frame || typeof frame.type !== 'string') return;
      if (frame.type === 'pong' || frame.type === 'ping') return;
      if (frame.id && frame.type !== 'hello') this.lastEventId = frame.id;
      this.opts.onFrame(frame);
    };
    ws.onerror = () => {
      // onclose follows and schedules the retry.
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.beatTimer) clearInterval(this.beatTimer);
      this.beatTimer = null;
      if (!this.stopped) this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    this.attempt += 1;
    this.setState(this.opened ? 'reconnecting' : 'connecting');
    const delay = backoffDelay(this.attempt, this.opts.maxBackoffMs ?? 10000);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private startHeartbeat(): void {
    const every = this.opts.heartbeatMs ?? 15000;
    const silence = this.opts.silenceMs ?? 45000;
    if (this.beatTimer) clearInterval(this.beatTimer);
    this.beatTimer = setInterval(() => {
      if (Date.now() - this.lastFrameAt > silence) {
        // A silent connection is as good as dead: drop it and reconnect.
        const ws = this.ws;
        if (ws) {
          ws.onclose = null;
          ws.close();
          this.ws = null;
        }
        if (this.beatTimer) clearInterval(this.beatTimer);
        this.beatTimer = null;
        this.scheduleRetry();
        return;
      }
      this.send({ type: 'ping' });
    }, every);
  }
}
