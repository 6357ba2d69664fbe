// The room's sound on this page: played by an <audio> element, and measured by an AnalyserNode for the level
// meter beside the controls (is the room reaching me?) and for what the page heard, by frequency (spectrum()).

const FFT = 8192;  // about 6 Hz a bin at 48 kHz: voices, and the tests' tones, told apart

export class Hearing {
  /** `audio`: the page's <audio> element; `meter`: an element whose first child's width shows the level. */
  constructor(audio, meter) {
    this.audio = audio;
    this.meter = meter;
    this.ctx = null;
    this.analyser = null;
    this.source = null;
    this.timer = null;
  }

  /** Play and measure `stream` (the room's sound); called again after each rejoin with the new stream. Must
   * first be called from a click (browsers let a page make sound only after one). */
  hear(stream) {
    // Chromium gives Web Audio a remote track's samples only while a media element plays it too
    this.audio.srcObject = stream;
    this.audio.play().catch(() => { /* no click yet: the meter still runs once it does */ });
    if (!this.ctx) {
      this.ctx = new AudioContext();
      this.analyser = this.ctx.createAnalyser();
      this.analyser.fftSize = FFT;
      this.analyser.smoothingTimeConstant = 0.2;
      this.timer = setInterval(() => this.showLevel(), 200);
    }
    this.ctx.resume().catch(() => {});
    this.source?.disconnect();
    this.source = this.ctx.createMediaStreamSource(stream);
    this.source.connect(this.analyser);  // measured only: the <audio> element is what plays it
  }

  /** Root mean square of the newest samples, 0..1. */
  level() {
    if (!this.analyser) return 0;
    const buf = new Float32Array(this.analyser.fftSize);
    this.analyser.getFloatTimeDomainData(buf);
    let sum = 0;
    for (const x of buf) sum += x * x;
    return Math.sqrt(sum / buf.length);
  }

  showLevel() {
    const bar = this.meter?.firstElementChild;
    if (!bar) return;
    const db = 20 * Math.log10(this.level() + 1e-9);
    const pct = Math.max(0, Math.min(100, ((db + 60) / 60) * 100));
    bar.style.width = `${pct.toFixed(0)}%`;
    this.meter.dataset.level = pct > 5 ? "sound" : "silence";
  }

  /** What is heard now, by frequency: {hz: bin width, db: [decibels per bin]} (empty before joining). */
  spectrum() {
    if (!this.analyser) return { hz: 0, db: [] };
    const db = new Float32Array(this.analyser.frequencyBinCount);
    this.analyser.getFloatFrequencyData(db);
    return { hz: this.ctx.sampleRate / this.analyser.fftSize, db: Array.from(db, (v) => (Number.isFinite(v) ? v : -200)) };
  }

  stop() {
    clearInterval(this.timer);
    this.source?.disconnect();
    this.ctx?.close().catch(() => {});
    Object.assign(this, { ctx: null, analyser: null, source: null, timer: null });
    this.audio.srcObject = null;
    this.showLevel();
  }
}
