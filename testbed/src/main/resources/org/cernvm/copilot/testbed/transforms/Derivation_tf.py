#!/usr/bin/env python3
"""CoPilot's stand-in for ATLAS's Derivation_tf.py, making a TRUTH1 derivation from EVNT files.

It takes the real transform's arguments for a truth derivation (--inputEVNTFile, a comma-separated list,
--outputDAOD_TRUTH1File, --reductionConf TRUTH1), reads every event of every input as HepMC3 ASCII,
pairs the final-state electrons or muons of opposite charge, and writes the dilepton-mass histogram with
its event counts as JSON into the output file (a real DAOD is a ROOT file; this stand-in's is not), and
jobReport.json with the events read, each input's and the output's entries, size and adler32, and the CPU
and wall time (resource.transform, where pilot3 reads them). A missing, truncated or malformed input
fails the transform (exit 3) with the file and line named, and leaves no output; with --maxEvents, reading
stops at that many events, and inputs after that point are not opened. Python 3 standard library only.
"""
import argparse
import math
import sys
import time

from trfutil import cpu_seconds, describe, write_json_atomically

# The histogram: 1 GeV bins from 60 to 120 GeV, with under- and overflow.
LOW, HIGH, BINS = 60.0, 120.0, 60
LEPTONS = (11, 13)
# The longest line read; a HepMC3 particle line is about 200 characters.
MAX_LINE = 1 << 16
EXIT_BAD_INPUT = 3


class BadInput(Exception):
    """An input that is missing or not a complete HepMC3 ASCII file."""


def parse(argv):
    p = argparse.ArgumentParser(prog="Derivation_tf.py")
    p.add_argument("--inputEVNTFile", required=True, help="EVNT files, comma-separated")
    p.add_argument("--outputDAOD_TRUTH1File", required=True)
    p.add_argument("--reductionConf", default="TRUTH1")
    p.add_argument("--maxEvents", type=int, default=-1, help="events to read in all, -1 for every one")
    a = p.parse_args(argv)
    a.inputs = [f for f in a.inputEVNTFile.split(",") if f]
    if not a.inputs:
        p.error("--inputEVNTFile names no file")
    for name in a.inputs + [a.outputDAOD_TRUTH1File]:
        if "/" in name or name in (".", ".."):
            p.error("file names must be plain names in the working directory: %s" % name)
    if a.outputDAOD_TRUTH1File in a.inputs:
        p.error("--outputDAOD_TRUTH1File must not be one of the inputs")
    if a.reductionConf != "TRUTH1":
        p.error("--reductionConf %s is not a derivation this stand-in makes: it makes TRUTH1 only" % a.reductionConf)
    if a.maxEvents < -1 or a.maxEvents == 0:
        p.error("--maxEvents must be a positive number of events or -1 for all, not %d" % a.maxEvents)
    return a


def lines(path):
    """The lines of path with their numbers, each at most MAX_LINE characters and ASCII."""
    try:
        f = open(path, "rb")
    except OSError as e:
        raise BadInput("%s: cannot open: %s" % (path, e.strerror))
    with f:
        number = 0
        while True:
            raw = f.readline(MAX_LINE + 2)
            if not raw:
                return
            number += 1
            raw = raw[:-1] if raw.endswith(b"\n") else raw
            if len(raw) > MAX_LINE:
                raise BadInput("%s: line %d is longer than %d characters" % (path, number, MAX_LINE))
            try:
                yield number, raw.decode("ascii")
            except UnicodeDecodeError:
                raise BadInput("%s: line %d is not ASCII" % (path, number))


def events(path):
    """Yields each event of a HepMC3 ASCII file as a list of final-state (pdg, px, py, pz, e) in GeV."""
    listing = False
    ended = False
    event, declared, seen, at, scale = None, 0, 0, 0, 1.0
    for number, line in lines(path):
        if number == 1:
            if not line.startswith("HepMC::Version "):
                raise BadInput("%s: not a HepMC3 ASCII file (line 1 is not HepMC::Version)" % path)
            continue
        if ended:
            if line.strip():
                raise BadInput("%s: line %d follows the end of the event listing" % (path, number))
            continue
        if line == "HepMC::Asciiv3-START_EVENT_LISTING":
            listing = True
            continue
        if not listing:
            raise BadInput("%s: line %d comes before HepMC::Asciiv3-START_EVENT_LISTING" % (path, number))
        if line == "HepMC::Asciiv3-END_EVENT_LISTING":
            ended = True
            continue
        kind = line[:2]
        if kind == "E ":
            if event is not None:
                check_count(path, at, declared, seen)
                yield event
            fields = line.split()
            if len(fields) < 4 or not all(f.isdigit() for f in fields[1:4]):
                raise BadInput("%s: line %d: an E line needs an event number, a vertex and a particle count" % (path, number))
            event, declared, seen, at, scale = [], int(fields[3]), 0, number, 1.0
        elif kind == "U ":
            # Momentum units, per event: GEV or MEV (ATLAS's own files are in MeV).
            unit = line.split()[1:2]
            if event is None or unit not in (["GEV"], ["MEV"]):
                raise BadInput("%s: line %d: a U line names GEV or MEV, inside an event" % (path, number))
            scale = 1.0 if unit == ["GEV"] else 1e-3
        elif kind == "P ":
            if event is None:
                raise BadInput("%s: line %d: a particle before any event" % (path, number))
            seen += 1
            particle = read_particle(path, number, line)
            if particle is not None:
                event.append((particle[0],) + tuple(x * scale for x in particle[1:]))
        elif kind in ("V ", "W ", "A ", "T ", "C ", "F ", "N ", "H "):
            # Vertices, weights and their names, attributes, run info, cross-sections, PDF and heavy-ion
            # records: nothing the dilepton mass needs.
            continue
        else:
            raise BadInput("%s: line %d is not a HepMC3 ASCII record: %.40r" % (path, number, line))
    if not ended:
        raise BadInput("%s: truncated: no HepMC::Asciiv3-END_EVENT_LISTING" % path)
    if event is not None:
        check_count(path, at, declared, seen)
        yield event


def check_count(path, line, declared, seen):
    if declared != seen:
        raise BadInput("%s: the event of line %d declares %d particles and holds %d" % (path, line, declared, seen))


def read_particle(path, number, line):
    """A final-state particle (pdg, px, py, pz, e) of a P line, or None for any other particle."""
    f = line.split()
    try:
        pdg, status = int(f[3]), int(f[9])
        momentum = tuple(float(x) for x in f[4:8])
    except (IndexError, ValueError):
        raise BadInput("%s: line %d: a P line needs id, parent, pdg, px, py, pz, e, m, status" % (path, number))
    if not all(math.isfinite(x) for x in momentum):
        raise BadInput("%s: line %d: a momentum that is not a finite number" % (path, number))
    return (pdg,) + momentum if status == 1 else None


def dilepton_mass(final_state):
    """The mass of the hardest opposite-charge same-flavour lepton pair, or None if there is none."""
    best = None
    for flavour in LEPTONS:
        minus = [p for p in final_state if p[0] == flavour]
        plus = [p for p in final_state if p[0] == -flavour]
        if minus and plus:
            a, b = max(minus, key=pt), max(plus, key=pt)
            pair = pt(a) + pt(b)
            if best is None or pair > best[0]:
                best = (pair, mass(a, b))
    return None if best is None else best[1]


def pt(p):
    return math.hypot(p[1], p[2])


def mass(a, b):
    px, py, pz, e = (a[i] + b[i] for i in range(1, 5))
    return math.sqrt(max((e - abs(pz)) * (e + abs(pz)) - px * px - py * py, 0.0))


def main(argv):
    started = time.monotonic()
    a = parse(argv)
    counts = [0] * BINS
    underflow = overflow = selected = total = 0
    per_input = []
    print("Derivation_tf.py (CoPilot stand-in): TRUTH1 from %d EVNT file(s)" % len(a.inputs), flush=True)
    try:
        for name in a.inputs:
            if 0 < a.maxEvents <= total:
                per_input.append({"name": name, "nentries": 0})
                continue
            n = 0
            for final_state in events(name):
                n += 1
                total += 1
                m = dilepton_mass(final_state)
                if m is not None:
                    selected += 1
                    if m < LOW:
                        underflow += 1
                    elif m >= HIGH:
                        overflow += 1
                    else:
                        counts[int((m - LOW) / (HIGH - LOW) * BINS)] += 1
                if 0 < a.maxEvents <= total:
                    break
            per_input.append({"name": name, "nentries": n})
            print("Derivation_tf.py: read %d events from %s (%d of %d inputs)" % (n, name, len(per_input), len(a.inputs)),
                  flush=True)
    except BadInput as e:
        print("Derivation_tf.py: ERROR: %s" % e, file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    histogram = {
        "format": "CoPilot histogram 1",
        "name": "m_ll", "title": "dilepton mass of the hardest opposite-charge ee or mumu pair", "unit": "GeV",
        "low": LOW, "high": HIGH, "counts": counts, "underflow": underflow, "overflow": overflow,
        "events": total, "selected": selected, "inputs": per_input,
    }

    write_json_atomically(a.outputDAOD_TRUTH1File, histogram, indent=1)
    size, adler, md5 = describe(a.outputDAOD_TRUTH1File)
    cpu, wall = round(cpu_seconds()), round(time.monotonic() - started)
    report = {
        "reportVersion": "2.0.0", "exitCode": 0, "exitMsg": "OK", "exitAcronym": "OK",
        "cmdLine": "Derivation_tf.py " + " ".join(argv),
        "files": {
            "input": [{"type": "EVNT", "subFiles": per_input}],
            "output": [{"type": "DAOD_TRUTH1", "subFiles": [{
                "name": a.outputDAOD_TRUTH1File, "nentries": total, "file_size": size, "adler32": adler, "md5": md5}]}]},
        "executor": [{"name": "TRUTH1", "exitCode": 0, "nevents": total}],
        "resource": {
            "transform": {"processedEvents": total, "cpuTime": cpu, "cpuTimeTotal": cpu, "wallTime": wall},
            "executor": {"TRUTH1": {"nevents": total, "cpuTime": cpu, "wallTime": wall}}},
    }

    write_json_atomically("jobReport.json", report)
    peak = ""
    if selected:
        top = max(range(BINS), key=lambda i: counts[i])
        width = (HIGH - LOW) / BINS
        peak = ", m_ll peaks in [%g, %g) GeV" % (LOW + top * width, LOW + (top + 1) * width)
    print("Derivation_tf.py: %d events, %d with a lepton pair%s; wrote %s (%d bytes, adler32 %s)"
          % (total, selected, peak, a.outputDAOD_TRUTH1File, size, adler))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
