// myomri view: editing a label volume slice by slice, with undo and redo.
// Every edit is recorded as {k, before, after} copies of one slice, so undo never guesses.
"use strict";

class Editor {
  constructor(shape, labels) {
    this.shape = shape;
    this.labels = labels;
    this.undoStack = [];
    this.redoStack = [];
    this.open = null;      // {k, before} while a stroke is in progress
    this.savedAt = 0;      // undo depth of the last save (-1: unreachable by undo/redo)
    this.onChange = () => {};
  }

  get sliceSize() { return this.shape[0] * this.shape[1]; }

  sliceCopy(k) { return this.labels.slice(k * this.sliceSize, (k + 1) * this.sliceSize); }

  begin(k) { if (!this.open) this.open = {k, before: this.sliceCopy(k)}; }

  end() {
    if (!this.open) return;
    const {k, before} = this.open, after = this.sliceCopy(k);
    this.open = null;
    if (before.every((v, n) => v === after[n])) return;
    if (this.undoStack.length < this.savedAt) this.savedAt = -1;  // the saved state left the redo stack
    this.undoStack.push({k, before, after});
    this.redoStack = [];
    this.onChange();
  }

  set(k, i, j, value) {
    if (i < 0 || j < 0 || i >= this.shape[0] || j >= this.shape[1]) return;
    this.labels[k * this.sliceSize + j * this.shape[0] + i] = value;
  }

  get(k, i, j) { return this.labels[k * this.sliceSize + j * this.shape[0] + i]; }

  // A disc of `size` voxels across centred on voxel (i, j).
  disc(k, i, j, size, value) {
    const r = (size - 1) / 2, lo = -Math.floor(r), hi = Math.ceil(r), lim = r * (r + 1);
    for (let dj = lo; dj <= hi; dj++)
      for (let di = lo; di <= hi; di++)
        if (di * di + dj * dj <= lim + 1e-9) this.set(k, i + di, j + dj, value);
  }

  // Discs along the segment (i0, j0) -> (i1, j1), one per voxel step.
  line(k, i0, j0, i1, j1, size, value) {
    const n = Math.max(Math.abs(i1 - i0), Math.abs(j1 - j0), 1);
    for (let s = 0; s <= n; s++)
      this.disc(k, Math.round(i0 + (i1 - i0) * s / n), Math.round(j0 + (j1 - j0) * s / n), size, value);
  }

  // Flood fill (4-connected) of the region of voxel (i, j)'s label within slice k.
  fill(k, i, j, value) {
    const [ni, nj] = this.shape;
    if (i < 0 || j < 0 || i >= ni || j >= nj) return;
    const target = this.get(k, i, j);
    if (target === value) return;
    const base = k * this.sliceSize, stack = [j * ni + i];
    while (stack.length) {
      const p = stack.pop();
      if (this.labels[base + p] !== target) continue;
      this.labels[base + p] = value;
      const x = p % ni, y = (p - x) / ni;
      if (x > 0) stack.push(p - 1);
      if (x < ni - 1) stack.push(p + 1);
      if (y > 0) stack.push(p - ni);
      if (y < nj - 1) stack.push(p + ni);
    }
  }

  // Voxels whose centre lies inside the polygon (points in voxel units; even-odd rule).
  polygon(k, points, value) {
    if (points.length < 3) return;
    const [ni, nj] = this.shape;
    for (let j = 0; j < nj; j++) {
      const y = j + 0.5, xs = [];
      for (let n = 0; n < points.length; n++) {
        const [xa, ya] = points[n], [xb, yb] = points[(n + 1) % points.length];
        if ((ya <= y) !== (yb <= y)) xs.push(xa + (y - ya) / (yb - ya) * (xb - xa));
      }
      xs.sort((a, b) => a - b);
      for (let m = 0; m + 1 < xs.length; m += 2)
        for (let i = Math.max(0, Math.ceil(xs[m] - 0.5)); i < ni && i + 0.5 < xs[m + 1]; i++) this.set(k, i, j, value);
    }
  }

  clearSlice(k) { this.labels.fill(0, k * this.sliceSize, (k + 1) * this.sliceSize); }

  undo() { return this._swap(this.undoStack, this.redoStack, "before"); }

  redo() { return this._swap(this.redoStack, this.undoStack, "after"); }

  _swap(from, to, which) {
    const step = from.pop();
    if (!step) return null;
    this.labels.set(step[which], step.k * this.sliceSize);
    to.push(step);
    this.onChange();
    return step.k;
  }

  get dirty() { return this.undoStack.length !== this.savedAt; }

  saved() { this.savedAt = this.undoStack.length; }
}

window.Editor = Editor;
