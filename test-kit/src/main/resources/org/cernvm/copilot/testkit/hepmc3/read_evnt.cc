// Reads an EVNT file with the HepMC3 library and reports what the library saw, one fact per line:
//   tool NAME|VERSION, weights NAMES, attribute NAME VALUE (run level),
//   event NUMBER VERTICES PARTICLES CROSS_SECTION_PB DILEPTON_MASS_GEV,
//   worst-imbalance GEV (largest four-momentum mismatch at any vertex, or between the beams and the final state),
//   worst-mass-error GEV (largest gap between a final lepton's stated mass and its four-momentum's),
//   events N, and "failed" if the file could not be opened or no event could be read from it.
// The library prints its own errors and warnings on standard error.
#include <HepMC3/GenCrossSection.h>
#include <HepMC3/GenEvent.h>
#include <HepMC3/GenParticle.h>
#include <HepMC3/GenRunInfo.h>
#include <HepMC3/GenVertex.h>
#include <HepMC3/ReaderAscii.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace HepMC3;

static double imbalance(const FourVector& a, const FourVector& b) {
  return std::max(std::max(std::fabs(a.px() - b.px()), std::fabs(a.py() - b.py())),
                  std::max(std::fabs(a.pz() - b.pz()), std::fabs(a.e() - b.e())));
}

static double mass(const FourVector& p) {
  double pp = std::sqrt(p.px() * p.px() + p.py() * p.py() + p.pz() * p.pz());
  double m2 = (p.e() - pp) * (p.e() + pp);
  return m2 > 0 ? std::sqrt(m2) : 0.0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: read_evnt FILE\n");
    return 2;
  }
  ReaderAscii reader(argv[1]);
  if (reader.failed()) {
    std::printf("failed\n");
    return 1;
  }
  long events = 0;
  double worst = 0, worstMass = 0;
  bool printedRun = false;
  while (true) {
    GenEvent evt(Units::GEV, Units::MM);
    if (!reader.read_event(evt) || reader.failed()) {
      break;
    }
    if (!printedRun && evt.run_info()) {
      for (const auto& tool : evt.run_info()->tools()) {
        std::printf("tool %s|%s\n", tool.name.c_str(), tool.version.c_str());
      }
      std::string names;
      for (const auto& n : evt.run_info()->weight_names()) {
        names += (names.empty() ? "" : " ") + n;
      }
      std::printf("weights %s\n", names.c_str());
      for (const auto& a : evt.run_info()->attributes()) {
        std::string value;
        a.second->to_string(value);
        std::printf("attribute %s %s\n", a.first.c_str(), value.c_str());
      }
      printedRun = true;
    }
    FourVector beams, finals;
    FourVector leptons;
    for (const auto& p : evt.particles()) {
      if (p->status() == 4) beams += p->momentum();
      if (p->status() == 1) finals += p->momentum();
      int id = std::abs(p->pid());
      if (p->status() == 1 && (id == 11 || id == 13 || id == 15)) {
        leptons += p->momentum();
        worstMass = std::max(worstMass, std::fabs(mass(p->momentum()) - p->generated_mass()));
      }
    }
    worst = std::max(worst, imbalance(beams, finals));
    for (const auto& v : evt.vertices()) {
      FourVector in, out;
      for (const auto& p : v->particles_in()) in += p->momentum();
      for (const auto& p : v->particles_out()) out += p->momentum();
      worst = std::max(worst, imbalance(in, out));
    }
    auto xs = evt.cross_section();
    std::printf("event %d %zu %zu %.6e %.9f\n", evt.event_number(), evt.vertices().size(), evt.particles().size(),
                xs ? xs->xsec() : -1.0, mass(leptons));
    ++events;
  }
  if (reader.failed() && events == 0) {
    std::printf("failed\n");
  }
  std::printf("worst-imbalance %.3e\nworst-mass-error %.3e\nevents %ld\n", worst, worstMass, events);
  reader.close();
  return 0;
}
