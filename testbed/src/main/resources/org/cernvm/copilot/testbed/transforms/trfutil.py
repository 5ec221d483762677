"""What CoPilot's stand-in ATLAS transforms share: atomic writes and a file's size and checksums.

It sits beside the transforms in the release area; Python puts a script's directory first on its path.
"""
import hashlib
import json
import os
import zlib


def describe(path):
    """The size, adler32 (8 lower-case hex digits) and md5 of the file at path."""
    adler, md5, size = 1, hashlib.md5(), 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            adler = zlib.adler32(block, adler)
            md5.update(block)
            size += len(block)
    return size, "%08x" % (adler & 0xFFFFFFFF), md5.hexdigest()


def write_atomically(path, write):
    """Calls write(out) on a file beside path, synced and renamed to path when complete: a failure, or a crash
    of the machine, leaves no partial file under path."""
    tmp = "%s.tmp.%d" % (path, os.getpid())
    try:
        with open(tmp, "w", encoding="ascii", newline="\n") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def cpu_seconds():
    """The CPU time this process and its children have used, user plus system."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def write_json_atomically(path, value, indent=2):
    """Writes value as JSON with sorted keys and a final newline into path, as write_atomically does."""
    def write(out):
        json.dump(value, out, indent=indent, sort_keys=True)
        out.write("\n")
    write_atomically(path, write)
