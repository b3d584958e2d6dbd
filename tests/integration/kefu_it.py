"""Helpers for kefu's integration tests: run the real `kefu` binary, talk HTTP and WebSocket.

Standard library only. The WebSocket client is a small RFC 6455 client (masked text frames,
ping/pong, close), enough to observe what the server pushes. Each test gets its own temporary
data directory and a free loopback port, so test files can run in parallel."""
import base64
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

PASSWORD = "it-pass-1234"


def kefu_binary():
    """The binary under test: argv[1], else $KEFU_BIN, else build/kefu beside the repo root."""
    if len(sys.argv) > 1:
        return os.path.abspath(sys.argv[1])
    if os.environ.get("KEFU_BIN"):
        return os.environ["KEFU_BIN"]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(root, "build", "kefu")


KEFU = kefu_binary()


class Checks:
    """Prints one line per check; exits non-zero at the end when any failed."""

    def __init__(self, name):
        self.name = name
        self.failed = []
        self.count = 0
        self.t0 = time.time()
        self.keep = []  # temp dirs to delete on success, keep (and show) on failure
        if not os.access(KEFU, os.X_OK):
            print(f"{name}: FAIL kefu binary not found at {KEFU}")
            sys.exit(1)

    def check(self, what, ok, detail=""):
        self.count += 1
        if ok:
            print(f"ok    {what}")
        else:
            print(f"FAIL  {what}" + (f": {detail}" if detail else ""))
            self.failed.append(what)
        sys.stdout.flush()
        return bool(ok)

    def equal(self, what, got, want):
        return self.check(what, got == want, f"got {short(got)}, want {short(want)}")

    def tempdir(self, tag):
        d = tempfile.mkdtemp(prefix=f"kefu-it-{tag}-")
        self.keep.append(d)
        return d

    def finish(self):
        secs = time.time() - self.t0
        if self.failed:
            print(f"{self.name}: {len(self.failed)} of {self.count} checks FAILED ({secs:.1f} s):")
            for f in self.failed:
                print(f"  - {f}")
            for d in self.keep:
                print(f"  data and server logs kept in {d}")
            sys.exit(1)
        for d in self.keep:
            shutil.rmtree(d, ignore_errors=True)
        print(f"{self.name}: all {self.count} checks passed ({secs:.1f} s)")
        sys.exit(0)

    def run(self, body):
        """Runs body(self); an exception counts as a failed check instead of a traceback-only exit."""
        try:
            body(self)
        except Exception as e:  # noqa: BLE001 - report, then fail
            import traceback
            traceback.print_exc()
            self.check(f"test body ran to the end (stopped by {type(e).__name__}: {e})", False)
        finally:
            for s in list(Server.running):
                s.stop()
        self.finish()


def short(v, n=200):
    s = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
    return s if len(s) <= n else s[:n] + "..."


# ------------------------------------------------------------------------------------------
# CLI

def cli(*args, stdin=None, timeout=30):
    r = subprocess.run([KEFU, *args], input=stdin, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def cli_json(*args, stdin=None):
    rc, out, err = cli(*args, stdin=stdin)
    if rc != 0:
        raise RuntimeError(f"kefu {' '.join(args)} -> rc {rc}: {err.strip()[:300]}")
    return json.loads(out.strip().splitlines()[-1])


def add_shop(data, name, platform="pdd"):
    return cli_json("shop", "add", "--data", data, "--name", name, "--platform", platform, "--json")


def add_user(data, shop_id, username, role="agent", skills="presale", max_concurrent=None):
    args = ["user", "add", "--data", data, "--username", username, "--role", role, "--shop", shop_id,
            "--skills", skills, "--password-stdin", "--json"]
    if max_concurrent is not None:
        args += ["--max-concurrent", str(max_concurrent)]
    return cli_json(*args, stdin=PASSWORD + "\n")


# ------------------------------------------------------------------------------------------
# Server process

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Server:
    running = set()

    def __init__(self, data_dir, mode="serve", extra=()):
        self.data, self.mode, self.extra = data_dir, mode, list(extra)
        self.proc = None
        self.port = None
        self.log_path = os.path.join(data_dir, "server.log")

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait=30):
        # Another test may grab the free port between our probe and the bind: retry on a new one.
        for _ in range(5):
            self.port = free_port()
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen([KEFU, self.mode, "--data", self.data, "--port", str(self.port),
                                         *self.extra], stdout=log, stderr=log)
            log.close()
            Server.running.add(self)
            deadline = time.time() + wait
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    st, _, _ = request(self.port, "GET", "/healthz", timeout=1)
                    if st == 200:
                        return self
                except OSError:
                    pass
                time.sleep(0.1)
            if self.proc.poll() is None:
                self.kill9()
                raise RuntimeError(f"server did not answer /healthz within {wait} s (log {self.log_path})")
            Server.running.discard(self)
            if "cannot listen" not in self.log_tail():
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log_tail()}")
        raise RuntimeError("could not find a free port")

    def log_tail(self, n=600):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        if self.alive():
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        Server.running.discard(self)

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()
        Server.running.discard(self)

    def api(self, token=None, key=None):
        return Api(self.port, token=token, key=key)


# ------------------------------------------------------------------------------------------
# HTTP

def request(port, method, path, body=None, raw=None, headers=None, timeout=15, conn=None):
    """One HTTP request; returns (status, JSON body or text or None, headers dict).
    raw = bytes sent as is; body = encoded as JSON."""
    data = raw if raw is not None else (json.dumps(body, ensure_ascii=False).encode() if body is not None else None)
    hdrs = {"Content-Type": "application/json"}
    hdrs.update(headers or {})
    own = conn is None
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=data, headers=hdrs)
        r = c.getresponse()
        txt = r.read().decode("utf-8", "replace")
        rh = {k.lower(): v for k, v in r.getheaders()}
    finally:
        if own:
            c.close()
    try:
        parsed = json.loads(txt) if txt else None
    except ValueError:
        parsed = txt
    return r.status, parsed, rh


class Api:
    """HTTP calls with a bearer token and/or an ingest key; keeps one connection alive."""

    def __init__(self, port, token=None, key=None, timeout=15):
        self.port, self.token, self.key, self.timeout = port, token, key, timeout
        self.conn = None

    def call(self, method, path, body=None, raw=None, headers=None):
        h = {}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if self.key:
            h["X-Kefu-Key"] = self.key
        h.update(headers or {})
        for attempt in range(2):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                st, b, _ = request(self.port, method, path, body=body, raw=raw, headers=h, conn=self.conn)
                return st, b
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server had closed (idle timeout): reconnect once.
                self.close()
                if not reused or attempt == 1:
                    raise
        raise RuntimeError("unreachable")

    def get(self, path):
        return self.call("GET", path)

    def post(self, path, body=None, raw=None):
        return self.call("POST", path, body=body, raw=raw)

    def put(self, path, body=None):
        return self.call("PUT", path, body=body)

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None


def login(port, username, password=PASSWORD):
    st, body, _ = request(port, "POST", "/api/v1/auth/login", {"username": username, "password": password})
    if st != 200 or not isinstance(body, dict) or "token" not in body:
        raise RuntimeError(f"login {username}: {st} {short(body)}")
    return body["token"], body["user"]


def ingest(api, buyer, text, **extra):
    body = {"buyer": buyer, "text": text}
    body.update(extra)
    return api.post("/api/v1/ingest/messages", body)


def walk_history(api, conv_id, limit=50):
    """Every message of a conversation via limit/before pages, oldest first; also the pages."""
    pages, before = [], None
    for _ in range(10000):
        q = f"/api/v1/conversations/{conv_id}/messages?limit={limit}" + (f"&before={before}" if before else "")
        st, b = api.get(q)
        if st != 200:
            raise RuntimeError(f"GET {q} -> {st} {short(b)}")
        pages.append(b["items"])
        before = b.get("next")
        if not before:
            break
    out = []
    for p in reversed(pages):
        out.extend(p)
    return out, pages


def all_conversations(api, status=None):
    items, before = [], None
    for _ in range(1000):
        q = "/api/v1/conversations?limit=500" + (f"&status={status}" if status else "") + (f"&before={before}" if before else "")
        st, b = api.get(q)
        if st != 200:
            raise RuntimeError(f"GET {q} -> {st} {short(b)}")
        items.extend(b["items"])
        before = b.get("next")
        if not before:
            break
    return items


def is_error_body(b):
    return isinstance(b, dict) and isinstance(b.get("error"), str) and isinstance(b.get("message"), str) \
        and b["message"] != ""


def sha256_hex(s):
    return hashlib.sha256(s.encode()).hexdigest()


# ------------------------------------------------------------------------------------------
# WebSocket

class HandshakeRefused(Exception):
    def __init__(self, status, body):
        super().__init__(f"websocket handshake refused: {status} {short(body)}")
        self.status, self.body = status, body


class WS:
    """A WebSocket client that records every text message it receives (self.seen)."""

    def __init__(self, port, path, timeout=5):
        self.path = path
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise HandshakeRefused(0, "connection closed during handshake")
            buf += chunk
        head, self.buf = buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        if status != 101:
            hdrs = {}
            for ln in lines[1:]:
                k, _, v = ln.decode(errors="replace").partition(":")
                hdrs[k.strip().lower()] = v.strip()
            body = self.buf
            n = int(hdrs.get("content-length", "0"))
            self.sock.settimeout(2)
            try:
                while len(body) < n:
                    chunk = self.sock.recv(4096)
                    if not chunk:
                        break
                    body += chunk
            except OSError:
                pass
            self.sock.close()
            try:
                body = json.loads(body.decode())
            except ValueError:
                body = body.decode(errors="replace")
            raise HandshakeRefused(status, body)
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        if accept not in head:
            raise RuntimeError("bad Sec-WebSocket-Accept: " + head.decode(errors="replace"))
        self.seen = []
        self.closed = False
        self.lock = threading.Lock()

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        hdr = bytes([0x80 | opcode])
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack(">Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        with self.lock:
            self.sock.sendall(hdr + mask + masked)

    def send(self, obj):
        self._send(1, json.dumps(obj).encode())

    def recv(self, timeout):
        """Next text message (JSON-decoded when it parses), None on timeout; appended to seen."""
        if self.closed:
            return None
        end = time.time() + timeout
        msg = b""
        while True:
            left = end - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                b1, b2 = self._read(2)
            except socket.timeout:
                return None
            except (EOFError, OSError):
                self.closed = True
                return None
            self.sock.settimeout(5)  # the rest of a started frame comes at once
            op, n = b1 & 0x0F, b2 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            if b2 & 0x80:
                m = self._read(4)
                payload = bytes(b ^ m[i % 4] for i, b in enumerate(self._read(n)))
            else:
                payload = self._read(n)
            if op == 9:
                self._send(10, payload)
                continue
            if op == 10:
                continue
            if op == 8:
                self.closed = True
                return None
            msg += payload
            if b1 & 0x80:
                try:
                    v = json.loads(msg.decode())
                except ValueError:
                    v = msg.decode(errors="replace")
                self.seen.append(v)
                return v

    def mark(self):
        return len(self.seen)

    def drain(self, quiet=0.3, limit=10.0):
        """Reads until nothing arrives for `quiet` seconds; returns what arrived."""
        start = len(self.seen)
        end = time.time() + limit
        while time.time() < end:
            if self.recv(quiet) is None:
                break
        return self.seen[start:]

    def wait_for(self, pred, timeout=5.0, since=0):
        """First message (already seen from index `since`, or arriving within timeout) that
        matches pred; None otherwise."""
        for m in self.seen[since:]:
            if _safe(pred, m):
                return m
        end = time.time() + timeout
        while time.time() < end:
            m = self.recv(end - time.time())
            if m is None:
                if self.closed:
                    return None
                continue
            if _safe(pred, m):
                return m
        return None

    def close(self):
        if self.closed:
            try:
                self.sock.close()
            except OSError:
                pass
            return
        try:
            self._send(8, struct.pack(">H", 1000))
            # Wait briefly for the server's close frame so the server sees a clean close.
            self.sock.settimeout(1)
            end = time.time() + 1
            while time.time() < end:
                if self.recv(end - time.time()) is None:
                    break
        except OSError:
            pass
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass


def _safe(pred, m):
    try:
        return bool(pred(m))
    except (KeyError, TypeError, AttributeError, IndexError):
        return False


def is_event(m, type_):
    return isinstance(m, dict) and m.get("type") == type_


def msg_of(ev):
    """The message object of a message.created event (data.message)."""
    return ev["data"]["message"]


def conv_of(ev):
    """The conversation object of a conversation.updated / message.created event."""
    return ev["data"]["conversation"]


def event_shops(ev):
    """Every shop id an event mentions."""
    out = set()

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k == "shop" and isinstance(x, str):
                    out.add(x)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(ev)
    return out


def agent_ws(port, token, after=None):
    path = f"/ws?token={token}" + (f"&after={after}" if after is not None else "")
    return WS(port, path)


def buyer_ws(port, shop, buyer, key, after=None):
    from urllib.parse import quote
    path = f"/ws/buyer?shop={quote(shop)}&buyer={quote(buyer)}&key={quote(key)}" + \
        (f"&after={after}" if after is not None else "")
    return WS(port, path)
