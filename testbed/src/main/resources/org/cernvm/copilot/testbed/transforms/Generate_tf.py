#!/usr/bin/env python3
"""CoPilot's stand-in for ATLAS's Generate_tf.py event-generation transform.

It takes the real transform's arguments, generates Drell-Yan events q qbar -> Z/gamma* -> l+ l- with a
small but real Monte Carlo (Breit-Wigner dilepton mass, 1 + cos^2(theta) decay angle, parton momentum
fractions from a valence-like density, hence a longitudinal boost), writes them as HepMC3 ASCII into the
EVNT file, and writes jobReport.json with the event count, exit code, and each file's size and adler32.
The same arguments give byte-identical output. Python 3 standard library only.
"""
import argparse
import hashlib
import json
import math
import os
import random
import sys
import uuid
import zlib

MZ, GZ = 91.1876, 2.4952
LEPTONS = [(11, 0.000510999), (13, 0.105658)]


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
    if a.maxEvents < 1 or a.ecmEnergy <= 2 * MZ:
        p.error("--maxEvents must be positive and --ecmEnergy above the Z pair threshold")
    if "/" in a.outputEVNTFile:
        p.error("--outputEVNTFile must be a plain file name")
    return a


def parton_x(rng):
    # Valence-like density x^-0.5 (1-x)^3 by accept-reject; enough to give a realistic rapidity spread.
    while True:
        x = rng.random() ** 2
        if rng.random() < (1 - x) ** 3:
            return x


def event(rng, sqrt_s):
    while True:
        m = MZ + 0.5 * GZ * math.tan(math.pi * (rng.random() - 0.5))
        if m < 40 or m > sqrt_s:
            continue
        x1 = parton_x(rng)
        x2 = (m * m) / (x1 * sqrt_s * sqrt_s)
        if x2 < 1:
            break
    while True:
        c = rng.uniform(-1, 1)
        if rng.random() * 2 < 1 + c * c:
            break
    phi = rng.uniform(0, 2 * math.pi)
    pdg, ml = LEPTONS[rng.randrange(2)]
    p = math.sqrt(max(m * m / 4 - ml * ml, 0))
    s = math.sqrt(1 - c * c)
    d1 = (p * s * math.cos(phi), p * s * math.sin(phi), p * c)
    # Boost along z from the dilepton rest frame to the lab: beta = (x1 - x2) / (x1 + x2).
    beta = (x1 - x2) / (x1 + x2)
    gamma = 1 / math.sqrt(1 - beta * beta)
    e_half = m / 2

    def boost(px, py, pz):
        return (px, py, gamma * (pz + beta * e_half), gamma * (e_half + beta * pz))

    lm = boost(*d1)
    lp = boost(-d1[0], -d1[1], -d1[2])
    z = (0.0, 0.0, lm[2] + lp[2], lm[3] + lp[3])
    return m, z, (pdg, ml, lm), (-pdg, ml, lp)


def fmt(v):
    return "%.8e" % v


def write_events(a, path):
    rng = random.Random(a.randomSeed * 1_000_003 + a.runNumber)
    beam = a.ecmEnergy / 2
    mp = 0.938272
    pz = math.sqrt(beam * beam - mp * mp)
    with open(path, "w", encoding="ascii", newline="\n") as out:
        out.write("HepMC::Version 3.02.05\nHepMC::Asciiv3-START_EVENT_LISTING\n")
        for i in range(a.maxEvents):
            m, z, l1, l2 = event(rng, a.ecmEnergy)
            out.write("E %d 3 5\nU GEV MM\nW 1.000000e+00\n" % (a.firstEvent + i))
            out.write("A 0 mcChannelNumber %d\n" % a.runNumber)
            out.write("P 1 0 2212 0 0 %s %s %s 4\n" % (fmt(pz), fmt(beam), fmt(mp)))
            out.write("P 2 0 2212 0 0 %s %s %s 4\n" % (fmt(-pz), fmt(beam), fmt(mp)))
            out.write("V -1 0 [1,2]\n")
            out.write("P 3 -1 23 %s %s %s %s %s 2\n" % (fmt(z[0]), fmt(z[1]), fmt(z[2]), fmt(z[3]), fmt(m)))
            out.write("V -2 0 [3]\n")
            for pid, (pdg, ml, p) in ((4, l1), (5, l2)):
                out.write("P %d -2 %d %s %s %s %s %s 1\n" % (pid, pdg, fmt(p[0]), fmt(p[1]), fmt(p[2]), fmt(p[3]), fmt(ml)))
        out.write("HepMC::Asciiv3-END_EVENT_LISTING\n")


def describe(path):
    adler, md5, size = 1, hashlib.md5(), 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            adler = zlib.adler32(block, adler)
            md5.update(block)
            size += len(block)
    return size, "%08x" % (adler & 0xFFFFFFFF), md5.hexdigest()


def main(argv):
    a = parse(argv)
    print("Generate_tf.py (CoPilot stand-in): jobConfig %s, run %d, %d events from %d, seed %d, %.0f GeV"
          % (a.jobConfig, a.runNumber, a.maxEvents, a.firstEvent, a.randomSeed, a.ecmEnergy), flush=True)
    write_events(a, a.outputEVNTFile)
    size, adler, md5 = describe(a.outputEVNTFile)
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
                      "jobConfig": a.jobConfig, "ecmEnergy": a.ecmEnergy, "runNumber": a.runNumber,
                      "randomSeed": a.randomSeed, "firstEvent": a.firstEvent}],
    }
    with open("jobReport.json", "w", encoding="ascii") as f:
        json.dump(report, f, indent=2, sort_keys=True)
        f.write("\n")
    print("Generate_tf.py: wrote %d events to %s (%d bytes, adler32 %s)" % (a.maxEvents, a.outputEVNTFile, size, adler))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
