// A small 3-D surface on a 2-D canvas (no WebGL, no library): strike × days to expiry × IV,
// drawn as a shaded quad mesh with the painter's algorithm. Drag or arrow keys rotate it.
const TAU = Math.PI * 2;

function css(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

// IV (0..1 over the range) to a blue -> yellow -> red ramp.
function ramp(t) {
  const stops = [[48, 99, 219], [245, 166, 35], [229, 57, 53]];
  const x = Math.min(1, Math.max(0, t)) * 2;
  const i = Math.min(1, Math.floor(x));
  const f = x - i;
  const [a, b] = [stops[i], stops[i + 1]];
  return `rgb(${a.map((v, k) => Math.round(v + (b[k] - v) * f)).join(",")})`;
}

export class Surface3D {
  constructor(canvas) {
    this.canvas = canvas;
    this.yaw = -0.7;
    this.pitch = 0.55;
    this.grid = null;
    let drag = null;
    canvas.addEventListener("pointerdown", (e) => {
      drag = { x: e.clientX, y: e.clientY, yaw: this.yaw, pitch: this.pitch };
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drag) return;
      this.yaw = drag.yaw + (e.clientX - drag.x) / 150;
      this.pitch = Math.min(1.4, Math.max(0.05, drag.pitch + (e.clientY - drag.y) / 150));
      this.draw();
    });
    canvas.addEventListener("pointerup", () => (drag = null));
    canvas.addEventListener("keydown", (e) => {
      const step = { ArrowLeft: [-0.1, 0], ArrowRight: [0.1, 0], ArrowUp: [0, 0.1], ArrowDown: [0, -0.1] }[e.key];
      if (!step) return;
      e.preventDefault();
      this.yaw = (this.yaw + step[0]) % TAU;
      this.pitch = Math.min(1.4, Math.max(0.05, this.pitch + step[1]));
      this.draw();
    });
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  // expiries: [{expiry, days_to_expiry, strikes[], ivs[]}] as in the surface payload.
  update(expiries) {
    const rows = expiries.filter((e) => e.strikes && e.strikes.length);
    const strikes = [...new Set(rows.flatMap((e) => e.strikes))].sort((a, b) => a - b);
    if (rows.length < 2 || strikes.length < 2) {
      this.grid = null;
      return this.draw();
    }
    // One row per expiry, IV per strike of the union (null where that expiry has no quote).
    const z = rows.map((e) => {
      const m = new Map(e.strikes.map((k, i) => [k, e.ivs[i]]));
      return strikes.map((k) => (m.get(k) == null ? null : m.get(k)));
    });
    const all = z.flat().filter((v) => v != null);
    this.grid = {
      strikes,
      days: rows.map((e) => e.days_to_expiry ?? 0),
      labels: rows.map((e) => e.expiry),
      z,
      lo: Math.min(...all),
      hi: Math.max(...all),
    };
    this.draw();
  }

  draw() {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth;
    const hgt = c.clientHeight;
    if (!w || !hgt) return;
    if (c.width !== Math.round(w * dpr)) c.width = Math.round(w * dpr);
    if (c.height !== Math.round(hgt * dpr)) c.height = Math.round(hgt * dpr);
    const g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, hgt);
    g.font = "11px system-ui, sans-serif";
    g.fillStyle = css("--muted");
    const grid = this.grid;
    if (!grid) {
      g.fillText("Waiting for a surface with two or more expiries…", 12, 20);
      return;
    }
    const { strikes, days, z, lo, hi } = grid;
    const nx = strikes.length;
    const ny = days.length;
    const span = hi - lo || 1;
    // Unit cube coordinates: x strike, y days, z IV.
    const sx = (i) => i / (nx - 1) - 0.5;
    const sy = (j) => j / (ny - 1) - 0.5;
    const sz = (v) => ((v - lo) / span) * 0.6 - 0.3;
    const cy = Math.cos(this.yaw);
    const syw = Math.sin(this.yaw);
    const cp = Math.cos(this.pitch);
    const sp = Math.sin(this.pitch);
    const scale = Math.min(w * 0.7, hgt * 1.1);
    const project = (x, y, zz) => {
      const rx = x * cy - y * syw;
      const ry = x * syw + y * cy;
      const depth = ry * cp + zz * sp;
      const py = -(zz * cp - ry * sp);
      return [w / 2 + rx * scale, hgt / 2 + py * scale, depth];
    };
    const quads = [];
    for (let j = 0; j < ny - 1; j++) {
      for (let i = 0; i < nx - 1; i++) {
        const v = [z[j][i], z[j][i + 1], z[j + 1][i + 1], z[j + 1][i]];
        if (v.some((x) => x == null)) continue;
        const pts = [project(sx(i), sy(j), sz(v[0])), project(sx(i + 1), sy(j), sz(v[1])),
          project(sx(i + 1), sy(j + 1), sz(v[2])), project(sx(i), sy(j + 1), sz(v[3]))];
        const depth = pts.reduce((a, p) => a + p[2], 0) / 4;
        quads.push({ pts, depth, t: (v.reduce((a, b) => a + b, 0) / 4 - lo) / span });
      }
    }
    quads.sort((a, b) => b.depth - a.depth);
    g.strokeStyle = css("--line");
    g.lineWidth = 0.5;
    for (const q of quads) {
      g.beginPath();
      q.pts.forEach(([x, y], k) => (k ? g.lineTo(x, y) : g.moveTo(x, y)));
      g.closePath();
      g.fillStyle = ramp(q.t);
      g.fill();
      g.stroke();
    }
    // Axis labels at the base corners.
    g.fillStyle = css("--fg");
    const base = -0.32;
    const label = (x, y, s) => {
      const [px, py] = project(x, y, base);
      g.fillText(s, px, py);
    };
    label(sx(0), sy(0) - 0.05, String(strikes[0]));
    label(sx(nx - 1), sy(0) - 0.05, String(strikes[nx - 1]));
    label(sx(0) - 0.12, sy(ny - 1), `${days[ny - 1].toFixed(1)}d`);
    label(sx(0) - 0.12, sy(0), `${days[0].toFixed(1)}d`);
    g.fillText(`IV ${(lo * 100).toFixed(1)}% – ${(hi * 100).toFixed(1)}%`, 12, 18);
    g.fillText("x: strike · y: days to expiry · height and colour: IV", 12, hgt - 10);
  }
}
