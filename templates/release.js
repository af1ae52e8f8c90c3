// The release burnup's what-if: when the remaining backlog is done at 50, 85 and 95% with the
// scope changed by N points and every past sprint's velocity multiplied by f, computed in the
// page as the server computes the forecast (README "Forecast"): the exact total of k sprints
// drawn from the history (thousandths of a point; past 20,000 distinct totals the normal with
// the same mean and variance), each level below the median widened by
// sqrt((1 + k/n) (n + 1) / (n - 1)), rounded down to hundredths.
(function () {
  "use strict";
  var CONE = [0.5, 0.85, 0.95];
  var MAX_SPRINTS = 104;
  var UNIT = 1000;

  function draws(history) {
    var counts = new Map();
    history.forEach(function (v) {
      var k = Math.round(v * UNIT);
      counts.set(k, (counts.get(k) || 0) + 1);
    });
    return Array.from(counts.entries()).sort(function (a, b) { return a[0] - b[0]; })
      .map(function (e) { return [e[0], e[1] / history.length]; });
  }

  function moments(mass) {
    var mean = 0, v = 0;
    mass.forEach(function (m) { mean += m[0] / UNIT * m[1]; });
    mass.forEach(function (m) { v += Math.pow(m[0] / UNIT - mean, 2) * m[1]; });
    return [mean, v];
  }

  // Acklam's inverse of the standard normal distribution.
  function probit(p) {
    var a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
    var b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
    var c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
    var d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
    var q, r;
    if (p < 0.02425) {
      q = Math.sqrt(-2 * Math.log(p));
      return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - 0.02425) { return -probit(1 - p); }
    q = p - 0.5; r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }

  function Totals(dr) {
    this.dr = dr;
    this.k = 0;
    this.mass = [[0, 1]];
    this.normal = null;
    this.most = Math.min(20000, Math.max(1000, Math.floor(200000 / Math.max(1, dr.length))));
  }
  Totals.prototype.plus = function () {
    var dr = this.dr, dm = moments(dr);
    this.k += 1;
    if (this.normal) {
      this.normal = [this.normal[0] + dm[0], this.normal[1] + dm[1]];
      return;
    }
    var next = new Map();
    this.mass.forEach(function (m) {
      dr.forEach(function (d) { var t = m[0] + d[0]; next.set(t, (next.get(t) || 0) + m[1] * d[1]); });
    });
    if (next.size > this.most) {
      var own = moments(this.mass);
      this.normal = [own[0] + dm[0], own[1] + dm[1]];
      this.mass = null;
      return;
    }
    this.mass = Array.from(next.entries()).sort(function (a, b) { return a[0] - b[0]; });
  };
  Totals.prototype.reached = function (p) {
    if (this.normal) {
      var v = this.normal[1] > 0 ? this.normal[0] + probit(1 - p) * Math.sqrt(this.normal[1]) : this.normal[0];
      return Math.floor(v * UNIT) / UNIT;
    }
    var atLeast = 0;
    for (var i = this.mass.length - 1; i >= 0; i--) {
      atLeast += this.mass[i][1];
      if (atLeast >= p - 1e-9) { return this.mass[i][0] / UNIT; }
    }
    return this.mass[0][0] / UNIT;
  };
  Totals.prototype.line = function (p, n) {
    var median = this.reached(0.5);
    if (p <= 0.5) { return median; }
    var q = this.reached(p);
    var w = n < 2 ? 1 : Math.sqrt((1 + this.k / n) * (n + 1) / (n - 1));
    var v = Math.max(0, median - w * (median - q));
    if (v === median) { return median; }
    return Math.floor(v * 100 + 1e-9) / 100;
  };

  function finish(history, target) {
    var out = CONE.map(function () { return null; });
    if (target <= 0) { return CONE.map(function () { return 0; }); }
    if (!history.length || history.every(function (v) { return v <= 0; })) { return out; }
    var t = new Totals(draws(history));
    for (var k = 1; k <= MAX_SPRINTS; k++) {
      t.plus();
      CONE.forEach(function (p, i) {
        if (out[i] === null && t.line(p, history.length) >= target) { out[i] = k; }
      });
      if (out.every(function (x) { return x !== null; })) { break; }
    }
    return out;
  }

  function dayAfter(iso, days) {
    var p = iso.split("-").map(Number);
    var d = new Date(Date.UTC(p[0], p[1] - 1, p[2]));
    d.setUTCDate(d.getUTCDate() + Math.round(days));
    return d.toISOString().slice(0, 10);
  }

  var data = document.getElementById("release-data");
  var form = document.getElementById("what-if");
  if (!data || !form) { return; }
  var r = JSON.parse(data.textContent);
  function update() {
    var scope = Number(form.elements.scope.value) || 0;
    var f = Number(form.elements.velocity.value);
    if (!(f > 0)) { f = 1; }
    var history = r.history.map(function (v) { return v * f; });
    var ks = finish(history, r.remaining + scope);
    ks.forEach(function (k, i) {
      var s = form.querySelector("[data-sprints=\"" + i + "\"]");
      var d = form.querySelector("[data-date=\"" + i + "\"]");
      s.textContent = k === null ? "never" : String(k);
      d.textContent = (k === null || !r.last_end || r.sprint_days === null) ? "n/a" : dayAfter(r.last_end, k * r.sprint_days);
    });
  }
  form.hidden = false;
  form.addEventListener("input", update);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  update();
}());
