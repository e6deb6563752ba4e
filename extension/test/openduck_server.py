"""A real `openduck serve` for the extension's tests: SQL over plain HTTP (Connect's JSON form), admin via the CLI."""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPENDUCK_BIN = os.path.join(REPO_ROOT, "packages", "openduck", "bin", "openduck.js")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OpenDuckServer:
    """Runs `openduck serve -d DATABASE -t TOKEN` on a free port with its own data directory."""

    def __init__(self, database, token):
        self.database = database
        self.token = token
        self.data = tempfile.mkdtemp(prefix="openduck-ext-test-")
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.output = []

    def start(self):
        self.process = subprocess.Popen(
            ["node", OPENDUCK_BIN, "serve", "-d", self.database, "-t", self.token, "--port", str(self.port),
             "--data", self.data],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        ready = threading.Event()

        def read():
            for line in self.process.stdout:
                self.output.append(line)
                if re.search(r"endpoint: http://", line):
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(60):
            self.stop()
            raise RuntimeError("openduck serve did not start:\n" + "".join(self.output))
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.data, ignore_errors=True)

    def cpu_seconds(self):
        """CPU time the server process has used so far (user + system)."""
        fields = open(f"/proc/{self.process.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def call(self, method, body):
        request = urllib.request.Request(
            f"{self.endpoint}/{method}", data=json.dumps(body).encode(), method="POST",
            headers={"content-type": "application/json", "authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} failed: {error.read().decode()}") from None

    def execute(self, sql, database=None):
        """Runs SQL through ExecuteQuery (writes commit a snapshot) and returns the response."""
        return self.call("openduck.v1.ExecutionService/ExecuteQuery", {"database": database or self.database, "sql": sql})

    def create_from_file(self, database, path):
        """`openduck db create DATABASE --from PATH` on this server's data directory (before or while it runs)."""
        self.cli("db", "create", database, "--from", path)

    def cli(self, *args):
        return subprocess.run(["node", OPENDUCK_BIN, *args, "--data", self.data], check=True, capture_output=True,
                              text=True, timeout=300)

    def name_snapshot(self, name, database=None):
        """Names the head snapshot with the CLI, which goes through this server (it owns the data directory)."""
        self.cli("snapshot", "create", database or self.database, name)

    def attach_path(self, database=None, **params):
        values = {"endpoint": self.endpoint, "token": self.token, **params}
        query = "&".join(f"{key}={value}" for key, value in values.items())
        return f"openduck:{database or self.database}?{query}"


CONTENT_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)\r\n", re.IGNORECASE)


class LoopbackProxy:
    """A TCP proxy on 127.0.0.1 in front of `target_port`. `wrap` may replace each accepted socket (e.g. by a TLS
    one); `received` counts the bytes the target sent back, `requests` the OpenDuck requests sent to it and
    `largest_request` the largest request body (by its Content-Length) among them."""

    def __init__(self, target_port, wrap=None):
        self.target_port = target_port
        self.wrap = wrap
        self.received = 0
        self.requests = 0
        self.largest_request = 0
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            client, _ = self.listener.accept()
            threading.Thread(target=self.serve, args=(client,), daemon=True).start()

    def serve(self, client):
        try:
            client = self.wrap(client) if self.wrap else client
        except OSError:  # includes a failed TLS handshake
            client.close()
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
        except OSError:  # the target is down: the client sees the connection closed
            client.close()
            return
        threading.Thread(target=self.pipe, args=(upstream, client, True), daemon=True).start()
        self.pipe(client, upstream, False)

    def pipe(self, source, target, count):
        """Copies source to target; counts the bytes coming back (`count`) or the requests going out."""
        marker = b"POST /openduck."
        tail = b""
        header_tail = b""
        try:
            while data := source.recv(1 << 16):
                with self.lock:
                    if count:
                        self.received += len(data)
                    else:
                        # A request line may straddle two reads; the tail is too short to hold a whole one.
                        window = tail + data
                        self.requests += window.count(marker)
                        tail = window[-(len(marker) - 1):]
                        # Headers may straddle reads too; a length seen twice changes no maximum.
                        for length in CONTENT_LENGTH.findall(header_tail + data):
                            self.largest_request = max(self.largest_request, int(length))
                        header_tail = (header_tail + data)[-64:]
                target.sendall(data)
        except OSError:
            pass
        finally:
            # shutdown() first: it wakes the thread reading the other direction and sends the peer a FIN.
            for s in (source, target):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
