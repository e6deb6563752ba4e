"""The C++ Connect client (src/remote) against a real `openduck serve`: runs test/cpp/connect_client_test.cpp.

The test program is the CMake target openduck_connect_client_test, which build.sh leaves out; it is built here when
missing (build.sh configures the build directory, then the target is built in it).
"""

import os
import secrets
import subprocess

import pytest

from openduck_server import OpenDuckServer

EXTENSION_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CMAKE_BUILD_DIR = os.path.join(EXTENSION_DIR, "build", "cmake")
TEST_BINARY = os.path.join(CMAKE_BUILD_DIR, "openduck_connect_client_test")
DATABASE = "connect_client"


@pytest.fixture(scope="module")
def test_binary():
    if not os.path.exists(TEST_BINARY):
        subprocess.run(["bash", os.path.join(EXTENSION_DIR, "build.sh")], check=True)
        subprocess.run(["cmake", "--build", CMAKE_BUILD_DIR, "--target", "openduck_connect_client_test"], check=True)
    return TEST_BINARY


@pytest.fixture(scope="module")
def server():
    # A token unlike any other text, so the test program can check that no error message contains it.
    server = OpenDuckServer(DATABASE, "connect-client-token-" + secrets.token_hex(8)).start()
    yield server
    server.cleanup()


def test_connect_client(test_binary, server):
    result = subprocess.run([test_binary, server.endpoint, server.token, DATABASE], capture_output=True, text=True,
                            timeout=300)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
