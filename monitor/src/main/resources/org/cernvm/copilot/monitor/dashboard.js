// The dashboard's page: reads /state.json every five seconds and shows it. Text from the roles is put in
// with textContent only, never as markup.
"use strict";
const charts = {};
const OUTCOMES = ["leased", "running", "prefetched", "succeeded", "failed", "killed", "ttl_exceeded", "released"];

function count(n) {
  return Math.round(n).toLocaleString("en");
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? Math.round(n) : n.toFixed(1)) + " " + units[i];
}

function set(id, text) {
  document.getElementById(id).textContent = text;
}

function rows(tableId, data) {
  const body = document.querySelector("#" + tableId + " tbody");
  body.replaceChildren(...data.map(cells => {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement("td");
      td.textContent = c.text;
      if (c.cls) { td.className = c.cls; }
      if (c.key) { td.dataset.key = c.key; }
      tr.appendChild(td);
    }
    return tr;
  }));
}

function chart(id, label, t, values) {
  const data = [t, values.map(v => v === null ? null : v)];
  if (!charts[id]) {
    charts[id] = new uPlot({
      width: 420, height: 200,
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      series: [{}, { label: label, stroke: "#1e5ac8", width: 2, spanGaps: false }],
      axes: [{}, { size: 60 }],
    }, data, document.getElementById(id));
  } else {
    charts[id].setData(data);
  }
}

function show(s) {
  if (!s.at) { return; }
  set("updated", "updated " + new Date(s.at).toLocaleTimeString("en-GB"));
  set("agents-connected", count(s.agentsConnected));
  set("agents-waiting", count(s.agentsWaiting));
  const total = key => s.sources.reduce((sum, src) => sum + (src.jobs[key] || 0), 0);
  set("jobs-running", count(total("running")));
  set("jobs-succeeded", count(total("succeeded")));
  set("jobs-failed", count(total("failed") + total("killed") + total("ttl_exceeded")));
  set("files-stored", count(s.storage.uploadsStored));
  set("bytes-stored", bytes(s.storage.bytesStored));
  rows("sources", s.sources.map(src => [{ text: src.source }].concat(
      OUTCOMES.map(o => ({ text: count(src.jobs[o] || 0), key: src.source + "." + o })))));
  rows("failures", s.failures.map(f => [{ text: f.kind }, { text: count(f.recent), key: f.kind + ".recent" },
      { text: count(f.total), key: f.kind + ".total" }]));
  rows("targets", s.targets.map(t => [{ text: t.name }, { text: t.url },
      { text: t.up ? "up" : "down: " + t.error, cls: t.up ? "up" : "down", key: t.name + ".state" }]));
  chart("chart-throughput", "jobs/s", s.series.t, s.series.jobsPerSecond);
  chart("chart-dispatch", "p99 ms", s.series.t, s.series.dispatchP99Ms);
  chart("chart-storage", "bytes/s", s.series.t, s.series.storageBytesPerSecond);
}

async function refresh() {
  try {
    const r = await fetch("/state.json", { cache: "no-store" });
    if (r.ok) { show(await r.json()); }
  } catch (e) {
    set("updated", "the monitor is not answering: " + e);
  }
}

refresh();
setInterval(refresh, 5000);
