// The WebSocket the SDK is given: the browser's own, plus a switch to take the page offline
// on purpose (the console's `streamchat.goOffline()`, and the end-to-end tests). While held,
// the open socket is closed and a new one waits, unconnected, until `release()`.

export class HoldableWebSocket {
  static held = false;
  static #live = new Set();
  static #waiting = new Set();

  static hold() {
    HoldableWebSocket.held = true;
    for (const s of HoldableWebSocket.#live) s.#ws.close(3001, 'offline (debug)');
  }

  static release() {
    HoldableWebSocket.held = false;
    for (const s of [...HoldableWebSocket.#waiting]) s.#start();
  }

  #url;
  #ws = null;
  #closed = false;

  constructor(url) {
    this.#url = url;
    this.onopen = this.onmessage = this.onclose = this.onerror = null;
    if (HoldableWebSocket.held) HoldableWebSocket.#waiting.add(this);
    else this.#start();
  }

  get readyState() {
    return this.#ws ? this.#ws.readyState : this.#closed ? 3 : 0;
  }

  send(data) {
    this.#ws.send(data);
  }

  close(code, reason) {
    HoldableWebSocket.#waiting.delete(this);
    this.#closed = true;
    this.#ws?.close(code, reason);
  }

  #start() {
    HoldableWebSocket.#waiting.delete(this);
    if (this.#closed) return;
    const ws = new WebSocket(this.#url);
    this.#ws = ws;
    HoldableWebSocket.#live.add(this);
    ws.onopen = (e) => this.onopen?.(e);
    ws.onmessage = (e) => this.onmessage?.(e);
    ws.onerror = (e) => this.onerror?.(e);
    ws.onclose = (e) => {
      HoldableWebSocket.#live.delete(this);
      this.onclose?.(e);
    };
  }
}
