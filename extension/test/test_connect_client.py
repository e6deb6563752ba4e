"""The C++ Connect client (src/remote) against a real `openduck serve`, and its transfers to presigned URLs against a
stand-in object store: runs test/cpp/connect_client_test.cpp.

The test program is the CMake target openduck_connect_client_test, which build.sh leaves out; it is built (or brought
up to date) here, in the build directory build.sh configures.
"""

import http.server
import os
import secrets
import subprocess
import threading

import pytest

from openduck_server import OpenDuckServer

EXTENSION_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CMAKE_BUILD_DIR = os.path.join(EXTENSION_DIR, "build", "cmake")
TEST_BINARY = os.path.join(CMAKE_BUILD_DIR, "openduck_connect_client_test")
DATABASE = "connect_client"


@pytest.fixture(scope="module")
def test_binary():
    if not os.path.exists(os.path.join(CMAKE_BUILD_DIR, "CMakeCache.txt")):
        subprocess.run(["bash", os.path.join(EXTENSION_DIR, "build.sh")], check=True)
    subprocess.run(["cmake", "--build", CMAKE_BUILD_DIR, "--target", "openduck_connect_client_test"], check=True)
    return TEST_BINARY


@pytest.fixture(scope="module")
def server():
    # A token unlike any other text, so the test program can check that no error message contains it.
    server = OpenDuckServer(DATABASE, "connect-client-token-" + secrets.token_hex(8)).start()
    yield server
    server.cleanup()


class ObjectStore(http.server.BaseHTTPRequestHandler):
    """Answers like S3 does to presigned URLs: GET /part, PUT /upload, and 403 with S3's error document for the rest."""

    requests = []

    def do_GET(self):
        ObjectStore.requests.append((self.command, self.path, dict(self.headers), b""))
        if self.path.startswith("/part?"):
            self.answer(200, b"result part bytes")
        else:
            self.answer(403, b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"
                             b"<Message>Request has expired</Message><RequestId>1</RequestId></Error>")

    def do_PUT(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ObjectStore.requests.append((self.command, self.path, dict(self.headers), body))
        self.answer(200 if self.path.startswith("/upload?") else 403, b"")

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def object_store():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ObjectStore)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_connect_client(test_binary, server, object_store):
    result = subprocess.run([test_binary, server.endpoint, server.token, DATABASE, object_store], capture_output=True,
                            text=True, timeout=300)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    # The PUT carried the part, and no request to the object store carried credentials of ours.
    puts = [(path, headers, body) for method, path, headers, body in ObjectStore.requests if method == "PUT"]
    assert [(path.split("?")[0], body) for path, _, body in puts] == [("/upload", b"staged part bytes")]
    assert all("Authorization" not in headers for _, _, headers, _ in ObjectStore.requests)
