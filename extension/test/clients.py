"""The three DuckDB clients a user loads the extension into, behind one small interface, so one test suite runs in
each: Python `duckdb`, `@duckdb/node-api` (node_client.mjs) and the DuckDB CLI (`duckdb -unsigned` on a terminal).

    con = connect("cli")                       # or "python", "node"; connect(kind, path, read_only=True)
    con.execute("SELECT 42").fetchall()        # -> [(42,)]
    con.interrupt()                            # from another thread: the running statement fails
    con.progress()                             # from another thread: DuckDB's progress of the running statement

Errors raise `duckdb.Error` (ClientError for Node and the CLI) carrying the client's message. Values are the ones
each client hands its users, decoded into Python: the Python client's own objects; from Node, JSON with exact
integers and decimals; from the CLI, its `-jsonlines` output (nested values and dates as DuckDB's text). Compare
results within one client (a remote query against the same query on local tables), or as plain numbers, strings and
booleans, which every client gives alike.
"""

import decimal
import json
import os
import pty
import re
import shutil
import signal
import stat
import subprocess
import sysconfig
import tempfile
import termios
import threading
import time

import duckdb

from conftest import EXTENSION_PATH, sql_string

TEST_DIR = os.path.dirname(os.path.abspath(__file__))
DUCKDB_VERSION = open(os.path.join(os.path.dirname(TEST_DIR), "DUCKDB_VERSION")).read().strip()
STATEMENT_TIMEOUT = 300


class ClientError(duckdb.Error):
    """A DuckDB error reported by the Node or CLI client."""


def connect(kind, path=":memory:", read_only=False):
    if not os.path.exists(EXTENSION_PATH):
        raise RuntimeError(f"{EXTENSION_PATH} is missing: run extension/build.sh first")
    return {"python": PythonClient, "node": NodeClient, "cli": CliClient}[kind](path, read_only)


class Rows:
    def __init__(self, rows):
        self.rows = rows

    def fetchall(self):
        return self.rows

    def fetchone(self):
        return self.rows[0] if self.rows else None


class PythonClient:
    kind = "python"

    def __init__(self, path, read_only):
        self.con = duckdb.connect(path, read_only=read_only, config={"allow_unsigned_extensions": "true"})
        self.con.execute(f"LOAD {sql_string(EXTENSION_PATH)}")

    def execute(self, sql, params=None):
        return self.con.execute(sql, params) if params is not None else self.con.execute(sql)

    def interrupt(self):
        self.con.interrupt()

    def progress(self):
        return self.con.query_progress()

    def close(self):
        self.con.close()


def decode_node_value(value):
    if isinstance(value, dict) and len(value) == 1:
        (key, text), = value.items()
        if key == "$int":
            return int(text)
        if key == "$decimal":
            return decimal.Decimal(text)
        if key == "$float":
            return float(text)
    return value


class NodeClient:
    kind = "node"

    def __init__(self, path, read_only):
        args = ["node", os.path.join(TEST_DIR, "node_client.mjs"), EXTENSION_PATH, path]
        if read_only:
            args.append("read_only")
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, bufsize=1)
        self.lock = threading.Lock()
        self.next_id = 0
        self.answers = {}
        self.arrived = threading.Condition()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        for line in self.process.stdout:
            message = json.loads(line, object_hook=decode_node_value)
            with self.arrived:
                self.answers[message["id"]] = message
                self.arrived.notify_all()
        with self.arrived:
            self.arrived.notify_all()

    def send(self, command):
        with self.lock:
            self.next_id += 1
            command = {"id": self.next_id, **command}
            self.process.stdin.write(json.dumps(command) + "\n")
            self.process.stdin.flush()
            return self.next_id

    def call(self, command):
        number = self.send(command)
        with self.arrived:
            if not self.arrived.wait_for(lambda: number in self.answers or self.process.poll() is not None,
                                         STATEMENT_TIMEOUT):
                raise TimeoutError(f"node client: no answer to {command}")
            if number not in self.answers:
                raise RuntimeError("node client exited: " + self.process.stderr.read())
            return self.answers.pop(number)

    def execute(self, sql, params=None):
        answer = self.call({"op": "execute", "sql": sql, "params": params})
        if "error" in answer:
            raise ClientError(answer["error"])
        return Rows([tuple(row) for row in answer["rows"]])

    def interrupt(self):
        self.send({"op": "interrupt"})

    def progress(self):
        return self.call({"op": "progress"})["progress"]

    def close(self):
        self.process.stdin.close()
        self.process.wait(30)


def cli_path():
    """The DuckDB CLI of the pip package duckdb-cli (or $DUCKDB_CLI), checked to be the pinned version."""
    candidates = [os.environ.get("DUCKDB_CLI"), os.path.join(sysconfig.get_path("scripts"), "duckdb"), shutil.which("duckdb")]
    path = next((candidate for candidate in candidates if candidate and os.path.isfile(candidate)), None)
    if path is None:
        raise RuntimeError(f"no DuckDB CLI found (pip install duckdb-cli=={DUCKDB_VERSION} or set DUCKDB_CLI)")
    if not os.access(path, os.X_OK):
        # The duckdb-cli wheel installs its binary without the executable bit; run a private copy instead.
        copy = os.path.join(tempfile.gettempdir(), f"openduck-test-duckdb-{DUCKDB_VERSION}-{os.getuid()}")
        if not os.path.exists(copy):
            shutil.copyfile(path, copy + ".part")
            os.chmod(copy + ".part", os.stat(copy + ".part").st_mode | stat.S_IXUSR)
            os.replace(copy + ".part", copy)
        path = copy
    version = subprocess.run([path, "-noheader", "-list", "-c", "SELECT version()"], capture_output=True, text=True)
    if version.stdout.strip() != "v" + DUCKDB_VERSION:
        raise RuntimeError(f"{path} is DuckDB {version.stdout.strip() or version.stderr.strip()}, not v{DUCKDB_VERSION}")
    return path


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
PROGRESS = re.compile(r"^\s*(\d+)%\s")
ERROR_START = re.compile(r"^[A-Z][A-Za-z ]* Error:", re.MULTILINE)


class CliClient:
    """`duckdb -unsigned -jsonlines` on a pseudo-terminal, as a user runs it: interactive, so Ctrl-C (SIGINT)
    interrupts the running statement and the session goes on, and the progress bar is drawn. Each statement is
    followed by `.print MARKER`; what the CLI writes before the marker is the statement's output: JSON lines for
    rows, the rendered plan for EXPLAIN, or an error."""

    kind = "cli"

    def __init__(self, path, read_only):
        args = [cli_path(), "-unsigned", "-jsonlines"]
        if read_only:
            args.append("-readonly")
        if path != ":memory:":
            args.append(path)
        self.master, slave = pty.openpty()
        attributes = termios.tcgetattr(slave)
        attributes[3] &= ~(termios.ECHO | termios.ICANON)  # no echo; no line length limit; Ctrl-C stays a signal
        termios.tcsetattr(slave, termios.TCSANOW, attributes)
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                                        env={**os.environ, "TERM": "dumb"})
        os.close(slave)
        self.output = ""
        self.closed = False
        self.changed = threading.Condition()
        self.markers = 0
        threading.Thread(target=self.read, daemon=True).start()
        self.command(".prompt '' ''")
        self.execute(f"LOAD {sql_string(EXTENSION_PATH)}")

    def read(self):
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:
                data = b""
            with self.changed:
                if not data:
                    self.closed = True
                    self.changed.notify_all()
                    return
                self.output += data.decode(errors="replace")
                self.changed.notify_all()

    def command(self, text):
        """Sends `text` and returns everything the CLI wrote until the marker that follows it."""
        self.markers += 1
        marker = f"@@openduck-test-{self.markers}@@"
        with self.changed:
            self.output = ""
        os.write(self.master, f"{text}\n.print {marker}\n".encode())
        with self.changed:
            if not self.changed.wait_for(lambda: marker in self.output or self.closed, STATEMENT_TIMEOUT):
                raise TimeoutError(f"the DuckDB CLI did not finish {text!r}; it wrote:\n{self.output}")
            if marker not in self.output:
                raise RuntimeError(f"the DuckDB CLI exited; it wrote:\n{self.output}")
            output, self.output = self.output.split(marker, 1)
        return ANSI.sub("", output).replace("\r\n", "\n")

    def execute(self, sql, params=None):
        sql = sql.strip().rstrip(";")
        if params is not None:
            # The CLI binds parameters through a prepared statement.
            values = ", ".join(sql_string(value) if isinstance(value, str) else repr(value) for value in params)
            sql = f"PREPARE openduck_test_statement AS {sql};\nEXECUTE openduck_test_statement({values})"
        output = self.command(sql + ";")
        lines = [line.split("\r")[-1] for line in output.split("\n")]  # drop progress bar redraws
        error = ERROR_START.search(output)
        if error:
            raise ClientError(output[error.start():].strip())
        rows = [json.loads(line, parse_float=decimal.Decimal, object_pairs_hook=lambda pairs: tuple(v for _, v in pairs))
                for line in lines if line.startswith("{")]
        if not rows and sql.upper().startswith("EXPLAIN"):
            return Rows([("physical_plan", "\n".join(line for line in lines if line.strip()))])
        return Rows(rows)

    def interrupt(self):
        os.kill(self.process.pid, signal.SIGINT)

    def progress(self):
        """The last percentage the progress bar showed for the running statement (-1 before it showed one)."""
        with self.changed:
            shown = [PROGRESS.match(part) for part in self.output.replace("\n", "\r").split("\r")]
        values = [float(match.group(1)) for match in shown if match]
        return values[-1] if values else -1

    def close(self):
        try:
            os.write(self.master, b".quit\n")
            self.process.wait(30)
        finally:
            os.close(self.master)
