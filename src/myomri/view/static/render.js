// myomri view: drawing one axial slice of an image with its label overlay on a canvas.
// Volumes are flat arrays with i fastest: voxel (i, j, k) is at i + ni * (j + nj * k).
// Canvas x runs along i, canvas y along j (LPS grids: patient left on the right, anterior up).
"use strict";

const NAN_RGB = [0, 70, 200];  // voxels without a finite value (NaN, outside the image)

class SliceView {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.buffer = document.createElement("canvas");
    this.zoom = 1; this.panX = 0; this.panY = 0;
    this.vol = null;
  }

  // vol: {shape, spacing, image (Float32Array), labels (Uint16Array|null), colours (Map value -> [r,g,b])}
  setVolume(vol) {
    this.vol = vol;
    this.buffer.width = vol.shape[0];
    this.buffer.height = vol.shape[1];
    this.pixels = this.buffer.getContext("2d").createImageData(vol.shape[0], vol.shape[1]);
  }

  resize() {
    const r = this.canvas.getBoundingClientRect();
    const w = Math.max(1, Math.round(r.width)), h = Math.max(1, Math.round(r.height));
    if (this.canvas.width !== w || this.canvas.height !== h) { this.canvas.width = w; this.canvas.height = h; }
  }

  // Screen pixels per voxel along i and j (voxels keep their physical aspect ratio).
  scale() {
    const [ni, nj] = this.vol.shape, [si, sj] = this.vol.spacing;
    const fit = Math.min(this.canvas.width / (ni * si), this.canvas.height / (nj * sj));
    return [fit * si * this.zoom, fit * sj * this.zoom];
  }

  origin() {
    const [ni, nj] = this.vol.shape, [px, py] = this.scale();
    return [(this.canvas.width - ni * px) / 2 + this.panX, (this.canvas.height - nj * py) / 2 + this.panY];
  }

  // Canvas pixel (x, y) -> voxel [i, j] (may fall outside the grid).
  toVoxel(x, y) {
    const [ox, oy] = this.origin(), [px, py] = this.scale();
    return [Math.floor((x - ox) / px), Math.floor((y - oy) / py)];
  }

  // Centre of voxel (i, j) in canvas pixels.
  toCanvas(i, j) {
    const [ox, oy] = this.origin(), [px, py] = this.scale();
    return [ox + (i + 0.5) * px, oy + (j + 0.5) * py];
  }

  inside(i, j) { return i >= 0 && j >= 0 && i < this.vol.shape[0] && j < this.vol.shape[1]; }

  // style: {k, lo, hi, opacity, blend: {image, lo, hi, weight}|null, outline: [[x, y], ...]|null}
  draw(style) {
    if (!this.vol) return;
    this.resize();
    const [ni, nj] = this.vol.shape, n = ni * nj, off = style.k * n;
    const img = this.vol.image, lab = this.vol.labels, out = this.pixels.data;
    const span = style.hi - style.lo || 1, a = style.opacity;
    const bl = style.blend, bspan = bl ? (bl.hi - bl.lo || 1) : 1;
    for (let p = 0; p < n; p++) {
      const v = img[off + p];
      let r, g, b;
      if (Number.isFinite(v)) {
        let grey = Math.min(255, Math.max(0, (v - style.lo) / span * 255));
        r = g = b = grey;
        if (bl) {
          const w = bl.image[off + p];
          if (Number.isFinite(w)) {
            const hot = hotColour(Math.min(1, Math.max(0, (w - bl.lo) / bspan)));
            r = (1 - bl.weight) * r + bl.weight * hot[0];
            g = (1 - bl.weight) * g + bl.weight * hot[1];
            b = (1 - bl.weight) * b + bl.weight * hot[2];
          }
        }
      } else { [r, g, b] = NAN_RGB; }
      const L = lab ? lab[off + p] : 0;
      if (L && a > 0) {
        const c = this.vol.colours.get(L) || [255, 255, 255];
        r = (1 - a) * r + a * c[0]; g = (1 - a) * g + a * c[1]; b = (1 - a) * b + a * c[2];
      }
      const q = 4 * p;
      out[q] = r; out[q + 1] = g; out[q + 2] = b; out[q + 3] = 255;
    }
    this.buffer.getContext("2d").putImageData(this.pixels, 0, 0);
    const ctx = this.ctx, [ox, oy] = this.origin(), [px, py] = this.scale();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.buffer, ox, oy, ni * px, nj * py);
    if (style.outline && style.outline.length) this.drawOutline(style.outline);
  }

  drawOutline(points) {
    const ctx = this.ctx;
    ctx.strokeStyle = "#ff4040"; ctx.lineWidth = 1.5;
    ctx.beginPath();
    points.forEach(([i, j], n) => {
      const [x, y] = this.toCanvas(i, j);
      if (n === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
}

// Black -> red -> yellow -> white, for a quantitative map blended over the image.
function hotColour(t) {
  return [Math.min(255, 765 * t), Math.min(255, Math.max(0, 765 * t - 255)), Math.max(0, 765 * t - 510)];
}

window.SliceView = SliceView;
window.NAN_RGB = NAN_RGB;
