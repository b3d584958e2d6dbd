import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, ReconnectingSocket, type SocketFrame, type SocketState } from '../ws';

class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  push(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  send(s: string) {
    this.sent.push(s);
  }
  close() {
    this.readyState = 3;
    this.onclose?.();
  }
}

describe('ReconnectingSocket', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
  });
  afterEach(() => vi.useRealTimers());

  function make() {
    const frames: SocketFrame[] = [];
    const states: SocketState[] = [];
    const onResume = vi.fn();
    const s = new ReconnectingSocket({
      url: () => '/ws?token=T',
      onFrame: (f) => frames.push(f),
      onState: (st) => states.push(st),
      onResume,
      heartbeatMs: 1000,
      silenceMs: 3500,
      createSocket: (u) => new FakeSocket(u) as unknown as WebSocket,
    });
    return { s, frames, states, onResume };
  }

  it('resumes after a drop with after=<last event id> and reports the banner states', async () => {
    const { s, frames, states, onResume } = make();
    s.start();
    expect(FakeSocket.all[0].url).toBe('ws://localhost:3000/ws?token=T');
    FakeSocket.all[0].open();
    FakeSocket.all[0].push({ type: 'hello', id: '99', data: {} });
    FakeSocket.all[0].push({ id: '41', type: 'message.created', data: { n: 1 } });
    FakeSocket.all[0].push({ id: '42', type: 'conversation.updated', data: {} });
    expect(frames.map((f) => f.id)).toEqual(['99', '41', '42']);
    FakeSocket.all[0].close();
    expect(states.at(-1)).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(10000);
    expect(FakeSocket.all).toHaveLength(2);
    expect(FakeSocket.all[1].url).toBe('ws://localhost:3000/ws?token=T&after=42');
    FakeSocket.all[1].open();
    expect(states.at(-1)).toBe('open');
    expect(onResume).toHaveBeenCalledTimes(1);
    s.stop();
  });

  it('pings and drops a silent connection', async () => {
    const { s } = make();
    s.start();
    const first = FakeSocket.all[0];
    first.open();
    await vi.advanceTimersByTimeAsync(1000);
    expect(first.sent).toContain('{"type":"ping"}');
    first.push({ type: 'pong' });
    await vi.advanceTimersByTimeAsync(5000);
    // No frame for longer than silenceMs: a new connection is made.
    await vi.advanceTimersByTimeAsync(10000);
    expect(FakeSocket.all.length).toBeGreaterThanOrEqual(2);
    s.stop();
  });

  it('stops reconnecting after stop()', async () => {
    const { s } = make();
    s.start();
    FakeSocket.all[0].open();
    s.stop();
    await vi.advanceTimersByTimeAsync(30000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('backs off exponentially with a cap', () => {
    const mid = () => 0.5;
    expect(backoffDelay(1, 10000, mid)).toBe(375);
    expect(backoffDelay(2, 10000, mid)).toBe(750);
    expect(backoffDelay(5, 10000, mid)).toBe(6000);
    expect(backoffDelay(20, 10000, mid)).toBe(7500);
  });
});
