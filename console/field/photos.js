// Photos on the field page: thumbnails of stored photos, and the camera picker that uploads before sending.

import { photoUrl, uploadPhoto } from "./api.js";
import { h } from "./ui.js";

/** A row of thumbnails of stored photos (loaded through fetch, shown as blob: URLs); tap to enlarge. */
export function thumbnails(shas, testid = "photos") {
  const row = h("div", { class: "thumbs", "data-testid": testid });
  for (const sha of shas || []) {
    const img = h("img", { alt: "photo", class: "thumb", "data-sha": sha, tabindex: "0", role: "button" });
    const toggle = () => img.classList.toggle("zoomed");
    img.addEventListener("click", toggle);
    img.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); } });
    photoUrl(sha).then((url) => { img.src = url; img.dataset.loaded = "true"; })
      .catch(() => { img.alt = "photo not available"; img.classList.add("broken"); });
    row.append(img);
  }
  return row;
}

/** Re-encode a photo smaller (longest side `max` px, JPEG) for when the original is above the hall's limit. */
async function shrink(file, max = 1920) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, max / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
}

async function upload(file) {
  try {
    return await uploadPhoto(file);
  } catch (err) {
    if (err.status !== 413) throw err;
    return uploadPhoto(await shrink(file));  // a full-size phone photo: send a smaller copy
  }
}

/**
 * The camera field: each photo taken is uploaded at once and shown as a thumbnail with a remove button.
 * `shas` are the uploaded ones, in order; `settled()` waits for uploads still running.
 */
export class PhotoPicker {
  constructor({ label = "Photos", field = "photos", testid = "photo-input", onchange = () => {} } = {}) {
    this.shas = [];
    this.pending = new Set();
    this.onchange = onchange;
    const id = `${testid}-${Math.random().toString(36).slice(2, 8)}`;
    this.input = h("input", {
      id, type: "file", accept: "image/*", capture: "environment", multiple: true, class: "file-input",
      "data-testid": testid, onchange: () => this.take(),
    });
    this.row = h("div", { class: "thumbs" });
    this.status = h("p", { class: "hint", "aria-live": "polite" });
    this.el = h("div", { class: "field", "data-field": field },
      h("span", { class: "label" }, label),
      this.row,
      h("label", { for: id, class: "btn btn-secondary camera" }, "Take photo"),
      this.input, this.status);
  }

  async take() {
    const files = [...this.input.files];
    this.input.value = "";
    this.el.querySelectorAll(".field-error").forEach((e) => e.remove());
    await Promise.all(files.map((f) => this.uploadOne(f)));
  }

  async uploadOne(file) {
    const tile = h("figure", { class: "thumb-tile uploading" }, h("img", { class: "thumb", alt: "photo being sent" }));
    const preview = tile.querySelector("img");
    preview.src = URL.createObjectURL(file);
    preview.addEventListener("load", () => URL.revokeObjectURL(preview.src), { once: true });
    this.row.append(tile);
    const job = upload(file);
    this.pending.add(job);
    this.showStatus();
    try {
      const { sha256 } = await job;
      this.add(sha256, tile);
    } catch (err) {
      tile.remove();
      this.el.append(h("p", { class: "field-error", role: "alert" }, `Photo not sent: ${err.message}`));
    } finally {
      this.pending.delete(job);
      this.showStatus();
    }
  }

  /** Show an uploaded photo (also used to restore a draft, where `tile` is made here). */
  add(sha, tile = null) {
    if (!tile) {
      tile = h("figure", { class: "thumb-tile" }, h("img", { class: "thumb", alt: "photo" }));
      photoUrl(sha).then((u) => { tile.querySelector("img").src = u; }).catch(() => tile.remove());
      this.row.append(tile);
    }
    tile.classList.remove("uploading");
    tile.dataset.sha = sha;
    tile.dataset.testid = "photo-uploaded";
    tile.querySelector("img").alt = "photo (sent)";
    const remove = h("button", { type: "button", class: "thumb-remove", "aria-label": "Remove photo" }, "×");
    remove.addEventListener("click", () => {
      this.shas = this.shas.filter((s) => s !== sha);
      tile.remove();
      this.onchange();
    });
    tile.append(remove);
    this.shas.push(sha);
    this.onchange();
  }

  showStatus() {
    const n = this.pending.size;
    this.status.textContent = n ? `Sending ${n} photo${n > 1 ? "s" : ""}…` : "";
  }

  async settled() {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  reset() {
    this.shas = [];
    this.row.replaceChildren();
    this.el.querySelectorAll(".field-error").forEach((e) => e.remove());
  }
}
