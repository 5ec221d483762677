#!/usr/bin/env python3
"""CoPilot's stand-in for ATLAS's Generate_tf.py event-generation transform.

It takes the real transform's arguments, generates Drell-Yan events q qbar -> Z/gamma* -> l+ l- with a
small but real Monte Carlo (Breit-Wigner dilepton mass, 1 + cos^2(theta) decay angle, parton momentum
fractions from a valence-like density, hence a longitudinal boost), writes them as HepMC3 ASCII into the
EVNT file, and writes jobReport.json with the event count, exit code, each file's size and adler32, and the
CPU and wall time taken (resource.transform, where pilot3 reads them). The same arguments give a
byte-identical EVNT file and the same report but for its times. Python 3 standard library only.
"""
import argparse
import math
import random
import re
import sys
import time
import uuid

from trfutil import cpu_seconds, describe, write_atomically, write_json_atomically

MZ, GZ = 91.1876, 2.4952
MP = 0.93827208816
ELECTRON, MUON = (11, 0.000510998950), (13, 0.1056583755)
LEPTONS = {"Zee": [ELECTRON], "Zmumu": [MUON], "Zll": [ELECTRON, MUON]}
# sigma(pp -> Z/gamma* -> l+ l-) per lepton flavour for 66 < m < 116 GeV at 13.6 TeV, in pb: a nominal value, as
# the stand-in has no parton densities to compute one from; the file's cross-section scales it by the flavours.
SIGMA_PB_PER_FLAVOUR, SIGMA_ERR_PB_PER_FLAVOUR = 2000.0, 40.0
INT_MAX = 2**31 - 1
MAX_EVENTS = 10_000_000
TOOL = "CoPilot Generate_tf.py stand-in"
TOOL_VERSION = "2.0"
TOOL_DESCRIPTION = "q qbar -> Z/gamma* -> l+ l- with beam remnants, no showers; not ATLAS software"
# The HepMC3 ASCII format this file follows, as HepMC3 3.01.02 (the version Debian 12 ships) writes it.
HEPMC3_FORMAT_VERSION = "3.01.02"


def parse(argv):
    p = argparse.ArgumentParser(prog="Generate_tf.py")
    p.add_argument("--ecmEnergy", type=float, required=True)
    p.add_argument("--runNumber", type=int, required=True)
    p.add_argument("--firstEvent", type=int, required=True)
    p.add_argument("--maxEvents", type=int, required=True)
    p.add_argument("--randomSeed", type=int, required=True)
    p.add_argument("--jobConfig", required=True)
    p.add_argument("--outputEVNTFile", required=True)
    a = p.parse_args(argv)
    if not math.isfinite(a.ecmEnergy) or not 2 * MZ < a.ecmEnergy <= 100_000:
        p.error("--ecmEnergy must be a number of GeV above the Z pair threshold (%.1f) and at most 100000, not %s"
                % (2 * MZ, a.ecmEnergy))
    if not 1 <= a.maxEvents <= MAX_EVENTS:
        p.error("--maxEvents must be between 1 and %d, not %d" % (MAX_EVENTS, a.maxEvents))
    if not 0 <= a.firstEvent <= INT_MAX - a.maxEvents + 1:
        p.error("--firstEvent must be at least 0 and leave the last event number (firstEvent + maxEvents - 1) at "
                "most %d, as HepMC3 keeps it in an int; got %d" % (INT_MAX, a.firstEvent))
    for name in ("runNumber", "randomSeed"):
        if not 0 <= getattr(a, name) <= INT_MAX:
            p.error("--%s must be between 0 and %d, not %d" % (name, INT_MAX, getattr(a, name)))
    if "/" in a.outputEVNTFile or a.outputEVNTFile in ("", ".", ".."):
        p.error("--outputEVNTFile must be a plain file name")
    a.process = process(p, a.jobConfig)
    return a


def process(p, job_config):
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,200}", job_config):
        p.error("--jobConfig must be a job option name of letters, digits, '.', '_' and '-'")
    # The job option's physics short name, e.g. MC23.950000.CoPilotDY_Zll: the last '_' part names the process.
    short = job_config.split(".")[-1] if "." in job_config else job_config
    flavour = short.rsplit("_", 1)[-1]
    if flavour not in LEPTONS:
        p.error("--jobConfig %s names a process this stand-in does not generate: it generates Drell-Yan Z "
                "decays only, named by a short name ending _Zee, _Zmumu or _Zll" % job_config)
    return flavour


def parton_x(rng):
    # Valence-like density x^-0.5 (1-x)^3 by accept-reject; enough to give a realistic rapidity spread.
    while True:
        x = rng.random() ** 2
        if rng.random() < (1 - x) ** 3:
            return x


def add(a, b):
    return tuple(x + y for x, y in zip(a, b))


def sub(a, b):
    return tuple(x - y for x, y in zip(a, b))


def event(rng, beam, leptons):
    """One event: the hard partons, the Z and its leptons, each a four-vector (px, py, pz, E).

    Every outgoing momentum that closes a vertex is the difference of the others, so four-momentum is
    conserved at every vertex to the last bit a subtraction leaves; trials counts the accept-reject tries.
    """
    sqrt_s = 2 * beam[3]
    trials = 0
    while True:
        trials += 1
        m = MZ + 0.5 * GZ * math.tan(math.pi * (rng.random() - 0.5))
        if m < 40 or m > sqrt_s:
            continue
        x1 = parton_x(rng)
        x2 = (m * m) / (x1 * sqrt_s * sqrt_s)
        if x2 < 1:
            break
    e = beam[3]
    q1 = (0.0, 0.0, x1 * e, x1 * e)
    q2 = (0.0, 0.0, -x2 * e, x2 * e)
    z = add(q1, q2)
    mz = math.sqrt((z[3] - z[2]) * (z[3] + z[2]))
    while True:
        c = rng.uniform(-1, 1)
        if rng.random() * 2 < 1 + c * c:
            break
    phi = rng.uniform(0, 2 * math.pi)
    pdg, ml = leptons[rng.randrange(len(leptons))]
    p = math.sqrt(max(mz * mz / 4 - ml * ml, 0))
    s = math.sqrt(1 - c * c)
    d = (p * s * math.cos(phi), p * s * math.sin(phi), p * c, mz / 2)
    # Boost along z from the dilepton rest frame to the lab.
    beta = z[2] / z[3]
    gamma = 1 / math.sqrt(1 - beta * beta)
    lm = (d[0], d[1], gamma * (d[2] + beta * d[3]), gamma * (d[3] + beta * d[2]))
    lp = sub(z, lm)
    flavour = rng.choice((1, 2))
    return {"q1": q1, "q2": q2, "z": z, "mz": mz, "lm": lm, "lp": lp, "pdg": pdg, "ml": ml,
            "quark": flavour, "trials": trials}


def fmt(v):
    # As HepMC3's writer: 17 significant digits, which read back to the same double.
    return "%.16e" % v


def particle(out, pid, parent, pdg, p, mass, status):
    out.write("P %d %d %d %s %s %s %s %s %d\n" % (pid, parent, pdg, fmt(p[0]), fmt(p[1]), fmt(p[2]), fmt(p[3]),
                                                  fmt(mass), status))


def mass(p):
    return math.sqrt(max((p[3] - abs(p[2])) * (p[3] + abs(p[2])) - p[0] * p[0] - p[1] * p[1], 0.0))


def write_events(a, out):
    rng = random.Random(a.randomSeed * 1_000_003 + a.runNumber)
    leptons = LEPTONS[a.process]
    e = a.ecmEnergy / 2
    pz = math.sqrt((e - MP) * (e + MP))
    beam1, beam2 = (0.0, 0.0, pz, e), (0.0, 0.0, -pz, e)
    flavours = len(leptons)
    out.write("HepMC::Version %s\nHepMC::Asciiv3-START_EVENT_LISTING\n" % HEPMC3_FORMAT_VERSION)
    out.write("W nominal\n")
    out.write("T %s\\|%s\\|%s\n" % (TOOL, TOOL_VERSION, TOOL_DESCRIPTION))
    out.write("A mcChannelNumber %d\n" % a.runNumber)
    out.write("A jobConfig %s\n" % a.jobConfig)
    accepted = attempted = 0
    for i in range(a.maxEvents):
        ev = event(rng, beam1, leptons)
        accepted += 1
        attempted += ev["trials"]
        # Vertices: each beam proton splits into a hard parton and its remnant (implicit, one incoming
        # particle each), the partons annihilate into the Z (explicit), the Z decays (implicit).
        out.write("E %d 4 9\nU GEV MM\nW %.22e\n" % (a.firstEvent + i, 1.0))
        out.write("A 0 GenCrossSection %.8e %.8e %d %d\n"
                  % (SIGMA_PB_PER_FLAVOUR * flavours, SIGMA_ERR_PB_PER_FLAVOUR * flavours, accepted, attempted))
        q = ev["quark"]
        particle(out, 1, 0, 2212, beam1, MP, 4)
        particle(out, 2, 0, 2212, beam2, MP, 4)
        rem1, rem2 = sub(beam1, ev["q1"]), sub(beam2, ev["q2"])
        # The remnant of the proton that gave up a u (d) quark is a ud (uu) diquark; the one that gave up a
        # sea antiquark is left as one generator-specific pseudoparticle (PDG reserves 81-100 for those).
        particle(out, 3, 1, q, ev["q1"], 0.0, 21)
        particle(out, 4, 1, 2101 if q == 2 else 2203, rem1, mass(rem1), 1)
        particle(out, 5, 2, -q, ev["q2"], 0.0, 21)
        particle(out, 6, 2, 90, rem2, mass(rem2), 1)
        out.write("V -3 0 [3,5]\n")
        particle(out, 7, -3, 23, ev["z"], ev["mz"], 2)
        particle(out, 8, 7, ev["pdg"], ev["lm"], ev["ml"], 1)
        particle(out, 9, 7, -ev["pdg"], ev["lp"], ev["ml"], 1)
    out.write("HepMC::Asciiv3-END_EVENT_LISTING\n")


def main(argv):
    started = time.monotonic()
    a = parse(argv)
    print("Generate_tf.py (CoPilot stand-in): jobConfig %s, run %d, %d events from %d, seed %d, %.0f GeV"
          % (a.jobConfig, a.runNumber, a.maxEvents, a.firstEvent, a.randomSeed, a.ecmEnergy), flush=True)
    write_atomically(a.outputEVNTFile, lambda out: write_events(a, out))
    size, adler, md5 = describe(a.outputEVNTFile)
    cpu, wall = round(cpu_seconds()), round(time.monotonic() - started)
    guid = str(uuid.uuid5(uuid.NAMESPACE_URL, "copilot-evgen:%s:%d:%d" % (a.outputEVNTFile, a.randomSeed, a.runNumber))).upper()
    report = {
        "reportVersion": "2.0.0",
        "exitCode": 0,
        "exitMsg": "OK",
        "exitAcronym": "OK",
        "cmdLine": "Generate_tf.py " + " ".join(argv),
        "files": {"output": [{"type": "EVNT", "subFiles": [{
            "name": a.outputEVNTFile, "file_guid": guid, "nentries": a.maxEvents,
            "file_size": size, "adler32": adler, "md5": md5}]}]},
        "executor": [{"name": "generate", "exitCode": 0, "nevents": a.maxEvents,
                      "jobConfig": a.jobConfig, "process": "pp -> Z/gamma* -> " + a.process[1:],
                      "ecmEnergy": a.ecmEnergy, "runNumber": a.runNumber,
                      "randomSeed": a.randomSeed, "firstEvent": a.firstEvent}],
        "resource": {
            "transform": {"processedEvents": a.maxEvents, "cpuTime": cpu, "cpuTimeTotal": cpu, "wallTime": wall},
            "executor": {"generate": {"nevents": a.maxEvents, "cpuTime": cpu, "wallTime": wall}}},
    }

    write_json_atomically("jobReport.json", report)
    print("Generate_tf.py: wrote %d events to %s (%d bytes, adler32 %s)" % (a.maxEvents, a.outputEVNTFile, size, adler))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
