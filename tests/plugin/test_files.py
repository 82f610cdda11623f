"""Bounded input: only regular files, a byte cap enforced while reading, one clear line otherwise."""

import io
import os
import threading

import pytest
from modelmath.plugin import files


def test_regular_file_reads(tmp_path):
    p = tmp_path / "a.json"
    p.write_text('{"a": 1}')
    assert files.read_json_object(str(p), 100, what="config") == {"a": 1}


@pytest.mark.parametrize("path,needle", [("/dev/zero", "a device"), ("/dev/null", "a device"),
                                         ("/", "a directory"), ("/no/such/file", "no such file")])
def test_non_regular_paths_are_refused_before_reading(path, needle):
    with pytest.raises(files.FileRefused) as exc:
        files.read_bytes(path, 1000, what="config")
    assert needle in exc.value.message


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    done = threading.Event()
    err: list = []

    def read():
        try:
            files.read_bytes(str(fifo), 1000)
        except files.FileRefused as exc:
            err.append(exc.message)
        done.set()

    threading.Thread(target=read, daemon=True).start()
    assert done.wait(5), "reading a FIFO blocked"
    assert "FIFO" in err[0] and "- to read standard input" in err[0]  # what `--config <(curl …)` should use


def test_a_directory_gets_no_stdin_hint():
    with pytest.raises(files.FileRefused) as exc:
        files.read_bytes("/", 1000, what="config")
    assert "standard input" not in exc.value.message


def test_oversized_file_is_refused(tmp_path):
    p = tmp_path / "big"
    p.write_bytes(b"x" * 1001)
    with pytest.raises(files.FileRefused, match="at most 1,000 bytes"):
        files.read_bytes(str(p), 1000)


def test_endless_stream_stops_one_byte_past_the_cap():
    class Endless(io.RawIOBase):
        reads = 0

        def readable(self):
            return True

        def readinto(self, b):
            self.reads += len(b)
            b[:] = b"\0" * len(b)
            return len(b)

    s = Endless()
    with pytest.raises(files.FileRefused):
        files.read_capped(io.BufferedReader(s), 10_000, what="stdin", name="-")
    assert s.reads < 10_000 + 2 * 65_536  # read a buffer or two, not forever


def test_non_object_and_non_utf8_are_refused(tmp_path):
    p = tmp_path / "list.json"
    p.write_text("[1]")
    with pytest.raises(files.FileRefused, match="JSON object"):
        files.read_json_object(str(p), 100)
    q = tmp_path / "bin"
    q.write_bytes(b"\xff\xfe")
    with pytest.raises(files.FileRefused, match="not UTF-8"):
        files.read_text(str(q), 100)
