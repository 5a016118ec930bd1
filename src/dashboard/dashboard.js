// SPDX-License-Identifier: MIT
// The dashboard of triage watch: every 5 s, rebuilds the page's sections from
// /api/v1/status and /api/v1/diagnosis with the same markup the server
// renders (src/http-dashboard.c). Text goes in with textContent only.
"use strict";

(function () {
	var REFRESH_MS = 5000;

	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls) e.className = cls;
		if (text !== undefined && text !== null) e.textContent = String(text);
		return e;
	}

	function age(secs) {
		if (typeof secs !== "number") return "never";
		if (secs < 90) return Math.round(secs) + "s ago";
		if (secs < 5400) return Math.round(secs / 60) + "m ago";
		return Math.round(secs / 3600) + "h ago";
	}

	function spark(hist) {
		var ns = "http://www.w3.org/2000/svg", max = 0, pts = [], i;
		if (!hist || hist.length < 2) return null;
		for (i = 0; i < hist.length; i++) max = Math.max(max, hist[i] || 0);
		if (max <= 0) max = 1;
		for (i = 0; i < hist.length; i++)
			pts.push((60 * i / (hist.length - 1)).toFixed(1) + "," +
			    (15.5 - 15 * (hist[i] || 0) / max).toFixed(1));
		var svg = document.createElementNS(ns, "svg");
		svg.setAttribute("class", "spark");
		svg.setAttribute("viewBox", "0 0 60 16");
		svg.setAttribute("preserveAspectRatio", "none");
		svg.setAttribute("aria-hidden", "true");
		var line = document.createElementNS(ns, "polyline");
		line.setAttribute("points", pts.join(" "));
		svg.appendChild(line);
		return svg;
	}

	function ackMark(ack) {
		var m = el("span", "mark ack", "ACK " + ack.by);
		m.title = ack.at + (typeof ack.comment === "string" ? ": " + ack.comment : "");
		return m;
	}

	function tile(p) {
		var t = el("div", "tile state-" + p.state);
		t.dataset.probe = p.id;
		t.dataset.state = p.state;
		t.dataset.hard = p.hard_state;
		t.dataset.type = p.state_type === "soft" ? "soft" : "hard";
		t.dataset.stale = p.stale ? "true" : "false";
		t.dataset.flapping = p.flapping ? "true" : "false";
		var head = el("div", "tile-head");
		head.appendChild(el("span", "id", p.id));
		head.appendChild(el("span", "state", p.state));
		t.appendChild(head);
		t.appendChild(el("div", "reason",
		    typeof p.reason === "string" ? p.reason : (p.description || "")));
		var marks = el("div", "marks");
		if (p.state_type === "soft")
			marks.appendChild(el("span", "mark soft",
			    "SOFT " + p.attempt + "/" + p.retries));
		if (p.stale) marks.appendChild(el("span", "mark stale", "STALE"));
		if (p.flapping) marks.appendChild(el("span", "mark flap", "FLAPPING"));
		if (p.ack) marks.appendChild(ackMark(p.ack));
		t.appendChild(marks);
		var foot = el("div", "foot");
		foot.appendChild(el("span", "age", age(p.age_s)));
		foot.appendChild(el("span", "lat",
		    typeof p.latency_ms === "number" ? p.latency_ms.toFixed(1) + " ms" : ""));
		var s = spark(p.latency_history);
		if (s) foot.appendChild(s);
		t.appendChild(foot);
		return t;
	}

	function tiles(probes) {
		var sec = el("section"), layers = [], i, j;
		sec.id = "tiles";
		for (i = 0; i < probes.length; i++)
			if (layers.indexOf(probes[i].layer) < 0) layers.push(probes[i].layer);
		for (j = 0; j < layers.length; j++) {
			sec.appendChild(el("h2", "layer", layers[j]));
			var grid = el("div", "tiles");
			for (i = 0; i < probes.length; i++)
				if (probes[i].layer === layers[j]) grid.appendChild(tile(probes[i]));
			sec.appendChild(grid);
		}
		return sec;
	}

	function failure(f, ack) {
		var sec = el("section", "failure"), fix = f.fix || {}, i;
		sec.dataset.failure = f.id;
		var h = el("h3", null, f.title || "");
		h.appendChild(document.createTextNode(" "));
		h.appendChild(el("span", "fid", f.id));
		if (ack) h.appendChild(ackMark(ack));
		sec.appendChild(h);
		sec.appendChild(el("p", "diagnosis", f.diagnosis || ""));
		var sym = el("p", "symptom", "symptom ");
		sym.appendChild(el("code", null, f.symptom || ""));
		sec.appendChild(sym);
		if (fix.steps && fix.steps.length) {
			sec.appendChild(el("h4", null, "Fix plan (dry run)"));
			var ol = el("ol", "steps");
			for (i = 0; i < fix.steps.length; i++) {
				var li = el("li");
				li.appendChild(el("code", null, fix.steps[i].command || ""));
				if (typeof fix.steps[i].dangerous === "string") {
					li.appendChild(document.createTextNode(" "));
					li.appendChild(el("span", "mark danger",
					    "DANGEROUS: " + fix.steps[i].dangerous));
				}
				ol.appendChild(li);
			}
			sec.appendChild(ol);
			var run = el("p", "run", "apply with ");
			run.appendChild(el("code", null, fix.run || ""));
			sec.appendChild(run);
		}
		return sec;
	}

	function failureAck(st, id) {
		var list = (st && st.failures) || [], i;
		for (i = 0; i < list.length; i++)
			if (list[i].id === id) return list[i].ack;
		return null;
	}

	function failures(diag, st) {
		var sec = el("section"), list = (diag && diag.failures) || [], i;
		sec.id = "failures";
		sec.appendChild(el("h2", null, "Failure modes"));
		if (!list.length)
			sec.appendChild(el("p", "none", !diag ? "No diagnosis yet." :
			    diag.status === "unmatched" ? "Something is failing that no " +
			    "failure mode of the runbook describes: escalate." :
			    "No failure mode matches."));
		for (i = 0; i < list.length; i++)
			sec.appendChild(failure(list[i], failureAck(st, list[i].id)));
		return sec;
	}

	function changes(list) {
		var sec = el("section"), i;
		sec.id = "changes";
		sec.appendChild(el("h2", null, "Recent changes"));
		var table = el("table"), head = el("tr"), body = el("tbody");
		["at", "probe", "change", "reason"].forEach(function (h) {
			head.appendChild(el("th", null, h));
		});
		var thead = el("thead");
		thead.appendChild(head);
		table.appendChild(thead);
		for (i = 0; i < (list || []).length; i++) {
			var c = list[i], tr = el("tr"), td = el("td");
			tr.appendChild(el("td", null, c.at));
			tr.appendChild(el("td", null, c.probe));
			td.appendChild(document.createTextNode(c.from + " \u2192 "));
			td.appendChild(el("span", "state-text state-" + c.to, c.to));
			td.appendChild(document.createTextNode(" " + c.type));
			tr.appendChild(td);
			tr.appendChild(el("td", null, c.reason || ""));
			body.appendChild(tr);
		}
		table.appendChild(body);
		sec.appendChild(table);
		return sec;
	}

	function banners(st) {
		var div = el("div");
		div.id = "banners";
		if (st.paused)
			div.appendChild(el("p", "banner paused", "Probing is PAUSED " +
			    "(emergency stop): POST /api/v1/resume to start again."));
		if (st.stale)
			div.appendChild(el("p", "banner stale", "STALE: the poller has " +
			    "handed over nothing within the staleness limit; what you " +
			    "see is old."));
		if (typeof st.reload_error === "string") {
			var b = el("div", "banner error");
			b.appendChild(el("p", null, "The last reload failed; still " +
			    "watching the runbook loaded before:"));
			b.appendChild(el("pre", null, st.reload_error));
			div.appendChild(b);
		}
		return div;
	}

	function swap(id, node) {
		var old = document.getElementById(id);
		if (old) old.replaceWith(node);
	}

	function render(st, diag) {
		var overall = document.getElementById("overall");
		overall.className = "overall state-" + st.status;
		overall.textContent = st.status;
		document.getElementById("meta").textContent = "runbook " + st.runbook +
		    " · last poll " + (st.poller_last_poll_at || "none yet");
		swap("banners", banners(st));
		swap("failures", failures(diag, st));
		swap("tiles", tiles(st.probes || []));
		swap("changes", changes(st.changes));
		document.body.dataset.refreshed = String(Date.now());
	}

	function get(path) {
		return fetch(path, { cache: "no-store" }).then(function (r) {
			if (!r.ok) throw new Error(path + ": HTTP " + r.status);
			return r.json();
		});
	}

	function refresh() {
		Promise.all([get("/api/v1/status"), get("/api/v1/diagnosis")])
		    .then(function (docs) { render(docs[0], docs[1]); })
		    .catch(function () {
			var m = document.getElementById("meta");
			if (m) m.textContent = "the daemon does not answer; retrying";
		    })
		    .then(function () { setTimeout(refresh, REFRESH_MS); });
	}

	setTimeout(refresh, REFRESH_MS);
})();
