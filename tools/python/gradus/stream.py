"""gradus.stream — read the binary batch stream of `gradus batches --format binary`.

The byte layout is docs/stream-format.md (version 2; other versions are refused). Needs only numpy. Sources: a binary file
object (a pipe such as ``sys.stdin.buffer`` or a subprocess's stdout), a file path, or a command
run as a subprocess. The PyTorch dataset over it is ``gradus.data.GradusIterableDataset``.
"""

import struct
import subprocess
import tempfile

import numpy as np

MAGIC = b"GRADUSBS"
VERSION = 2
POST_PROCESS = {0: None, 1: "seqlen_truncate", 2: "seqlen_reshape"}
FLAG_TOKENS = 1
FRAME_HEADER, FRAME_BATCH, FRAME_END = 1, 2, 3


class StreamError(Exception):
    """A malformed or truncated stream."""


class CommandError(StreamError):
    """The command that wrote the stream failed: ``status`` is its exit status and ``stderr`` its
    own error output (the message ``gradus`` printed), also part of the exception's text."""

    def __init__(self, argv, status, stderr):
        self.argv, self.status, self.stderr = list(argv), status, stderr
        text = stderr.strip() or "(no output on stderr)"
        super().__init__("%s exited with status %d:\n%s" % (" ".join(map(str, self.argv)), status, text))


class MicroBatch:
    """One micro-batch of one rank: the fields of a JSONL line, as numpy arrays. ``tokens`` holds
    one array per row: per sample, or more rows than samples after ``seqlen_reshape``."""

    __slots__ = ("step", "rank", "micro_batch", "difficulty", "sample_ids", "tokens")

    def __init__(self, step, rank, micro_batch, difficulty, sample_ids, tokens):
        self.step = step
        self.rank = rank
        self.micro_batch = micro_batch
        self.difficulty = difficulty
        self.sample_ids = sample_ids
        self.tokens = tokens

    def padded(self, pad_id=0, dtype=np.int64):
        """The tokens as an (n, longest) matrix padded with ``pad_id`` on the right."""
        if self.tokens is None:
            raise StreamError("the stream carries no tokens (run gradus batches with --tokens)")
        width = max((len(t) for t in self.tokens), default=0)
        out = np.full((len(self.tokens), width), pad_id, dtype=dtype)
        for i, row in enumerate(self.tokens):
            out[i, : len(row)] = row
        return out


class Header:
    """The header frame: format version, geometry, the sequence curriculum applied to the rows
    (``post_process``: None, "seqlen_truncate" or "seqlen_reshape"; ``sequence_length``: S, or
    None when rows are the stored samples) and metric names."""

    def __init__(self, version, has_tokens, rank, world, micro_batch_size, accumulation_steps, post_process,
                 sequence_length, metrics):
        self.version = version
        self.post_process = post_process
        self.sequence_length = sequence_length
        self.has_tokens = has_tokens
        self.rank = rank
        self.world = world
        self.micro_batch_size = micro_batch_size
        self.accumulation_steps = accumulation_steps
        self.metrics = metrics


def _read_exact(stream, n):
    """Exactly n bytes, or None at a clean end of file before the first byte."""
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            if got == 0:
                return None
            raise StreamError("truncated frame: wanted %d bytes, got %d" % (n, got))
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _frames(stream):
    """Yields (frame type, payload bytes) until end of file."""
    while True:
        prefix = _read_exact(stream, 4)
        if prefix is None:
            return
        (length,) = struct.unpack("<I", prefix)
        if length < 1:
            raise StreamError("frame of length 0")
        body = _read_exact(stream, length)
        if body is None:
            raise StreamError("truncated frame: no body after the length prefix")
        yield body[0], memoryview(body)[1:]


def _parse_header(payload):
    if bytes(payload[:8]) != MAGIC:
        raise StreamError("not a gradus batch stream (bad magic)")
    (version,) = struct.unpack_from("<H", payload, 8)
    if version != VERSION:
        raise StreamError("gradus stream version %d is not supported: this reader reads version %d only; use the "
                          "gradus.stream of the gradus that wrote the stream" % (version, VERSION))
    flags, rank, world, mbs, gas, applied, length, count = struct.unpack_from("<HIIIIBIH", payload, 10)
    if applied not in POST_PROCESS:
        raise StreamError("unknown post-processing code %d in the header" % applied)
    offset, metrics = 10 + struct.calcsize("<HIIIIBIH"), []
    for _ in range(count):
        (n,) = struct.unpack_from("<H", payload, offset)
        metrics.append(bytes(payload[offset + 2 : offset + 2 + n]).decode("utf-8"))
        offset += 2 + n
    if offset != len(payload):
        raise StreamError("header frame has %d trailing bytes" % (len(payload) - offset))
    return Header(version, bool(flags & FLAG_TOKENS), rank, world, mbs, gas, POST_PROCESS[applied], length or None,
                  metrics)


def _parse_batch(payload, header):
    step, rank, micro = struct.unpack_from("<QII", payload, 0)
    offset = 16
    m = len(header.metrics)
    values = np.frombuffer(payload, dtype="<f8", count=m, offset=offset)
    offset += 8 * m
    (n,) = struct.unpack_from("<I", payload, offset)
    offset += 4
    ids = np.frombuffer(payload, dtype="<u8", count=n, offset=offset).astype(np.uint64)
    offset += 8 * n
    tokens = None
    if header.has_tokens:
        (rows,) = struct.unpack_from("<I", payload, offset)
        offset += 4
        lengths = np.frombuffer(payload, dtype="<u4", count=rows, offset=offset).astype(np.int64)
        offset += 4 * rows
        total = int(lengths.sum())
        flat = np.frombuffer(payload, dtype="<u4", count=total, offset=offset).astype(np.uint32)
        offset += 4 * total
        tokens = np.split(flat, np.cumsum(lengths)[:-1]) if rows else []
    if offset != len(payload):
        raise StreamError("batch frame of step %d has %d trailing bytes" % (step, len(payload) - offset))
    difficulty = {name: float(v) for name, v in zip(header.metrics, values)}
    return MicroBatch(step, rank, micro, difficulty, ids, tokens)


def iter_stream(stream):
    """Yields the header, then each MicroBatch of a binary file object; raises StreamError on a
    malformed stream or one that ends without its end frame."""
    frames = _frames(stream)
    first = next(frames, None)
    if first is None:
        raise StreamError("empty stream")
    if first[0] != FRAME_HEADER:
        raise StreamError("the stream does not start with a header frame")
    header = _parse_header(first[1])
    yield header
    count = 0
    for kind, payload in frames:
        if kind == FRAME_BATCH:
            count += 1
            yield _parse_batch(payload, header)
        elif kind == FRAME_END:
            (expected, _last) = struct.unpack_from("<QQ", payload, 0)
            if expected != count:
                raise StreamError("end frame announces %d batches, read %d" % (expected, count))
            if next(frames, None) is not None:
                raise StreamError("data after the end frame")
            return
        else:
            raise StreamError("unknown frame type %d" % kind)
    raise StreamError("truncated stream: no end frame after %d batches" % count)


class GradusStream:
    """An iterable of MicroBatch from a binary stream; ``header`` is set once iteration starts."""

    def __init__(self, opener):
        self._opener = opener
        self.header = None

    @classmethod
    def from_fileobj(cls, fileobj):
        """Reads an open binary file object (a pipe, sys.stdin.buffer); iterable once."""
        return cls(lambda: (fileobj, None))

    @classmethod
    def from_file(cls, path):
        """Reads a file written by ``gradus batches --format binary > path``."""
        return cls(lambda: (open(path, "rb"), None))

    @classmethod
    def from_command(cls, argv):
        """Runs ``argv`` (a gradus batches command with --format binary) and reads its stdout; its
        stderr is kept in a temporary file. Raises CommandError (with that stderr) if the command
        fails; a consumer that stops iterating early ends the command quietly."""
        def opener():
            stderr = tempfile.TemporaryFile()
            try:
                process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr)
            except BaseException:
                stderr.close()
                raise
            process.stderr_file = stderr
            return process.stdout, process
        return cls(opener)

    def __iter__(self):
        stream, process = self._opener()
        finished = False
        try:
            items = iter_stream(stream)
            self.header = next(items)
            yield from items
            finished = True
        except StreamError as error:
            if process is not None:
                _end(process, failure=error)
            raise
        finally:
            if process is not None:
                _end(process, failure=None if finished else False)
            elif hasattr(stream, "name") and isinstance(getattr(stream, "name"), str):
                stream.close()


def _end(process, failure):
    """Ends a from_command subprocess (idempotent). ``failure`` None: the stream was read to its
    end, so wait and raise CommandError on a non-zero status. A StreamError: the stream was bad,
    so raise CommandError from it if the command itself failed (its stderr says why), else return.
    False: the consumer stopped early, so terminate the command and raise nothing."""
    if process.returncode is None:
        process.stdout.close()
        if failure is False or (failure is not None and not _exits(process)):
            process.terminate()
        process.wait()
    stderr_file = process.stderr_file
    if failure is False or stderr_file.closed:
        stderr_file.close()
        return
    status = process.returncode
    if status > 0 or (status < 0 and failure is None):
        stderr_file.seek(0)
        text = stderr_file.read().decode("utf-8", errors="replace")[-8000:]
        stderr_file.close()
        raise CommandError(process.args, status, text) from (failure or None)
    stderr_file.close()


def _exits(process, seconds=2.0):
    """True if the process exits within ``seconds`` (after a malformed stream: a failing command
    closes its output and exits; one still running is terminated)."""
    try:
        process.wait(timeout=seconds)
        return True
    except subprocess.TimeoutExpired:
        return False
