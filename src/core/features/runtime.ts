/**
 * Feature extraction and post-processing in the C runtime (its WebAssembly build): the same
 * code a device runs, called on whole matrices of rows (tinyml/features.h).
 */
import { RuntimeError, RuntimeExports, WasmRuntime, packDescriptor } from '../runtime/wasmRuntime';
import { runtimeCode } from '../runtime/codes';

/** A log-mel (MFCC with nMfcc > 0) extractor: tinyml_lab.features.LogMelFeatures's parameters. */
export interface LogMelConfig {
  nFft: number;
  hop: number;
  sampleRate: number;
  nMels: number;
  fmin: number;
  fmax: number;
  amin: number;
  /** 0: log-mel energies; else that many MFCCs per frame. */
  nMfcc: number;
}

/** The tables of tml_logmel_t, made by the C runtime: what a header stores in flash. */
export interface LogMelTables {
  window: Float32Array;
  twiddles: Float32Array;
  firstBin: Uint16Array;
  nWeights: Uint16Array;
  weights: Float32Array;
  /** nMfcc x nMels cosines; empty without MFCCs. */
  dct: Float32Array;
}

/** Features per frame: nMfcc, or nMels without MFCCs (tml_logmel_width). */
export function logMelWidth(c: LogMelConfig): number {
  return c.nMfcc > 0 ? c.nMfcc : c.nMels;
}

/** Floats of scratch one frame needs: re, im, power spectrum, mel energies (TML_LOGMEL_SCRATCH). */
export function logMelScratchFloats(c: LogMelConfig): number {
  return 2 * c.nFft + Math.floor(c.nFft / 2) + 1 + c.nMels;
}

/** Frames of a clip of nSamples (>= nFft): one every hop samples. */
export function logMelFrames(nSamples: number, nFft: number, hop: number): number {
  return nSamples < nFft ? 0 : 1 + Math.floor((nSamples - nFft) / hop);
}

/** Window kinds of tml_window (TML_WINDOW_*). */
export type WindowKind = 'rect' | 'hann' | 'hamming';
export const WINDOW_CODES: Readonly<Record<WindowKind, number>> = {
  rect: runtimeCode('window', 'rect'),
  hann: runtimeCode('window', 'hann'),
  hamming: runtimeCode('window', 'hamming')
};

/**
 * Feature extraction and post-processing in the C runtime (its WebAssembly build): the same
 * code a device runs, called on whole matrices of rows. Each call lays its inputs out in a
 * fresh arena and copies its outputs back.
 */
/** The feature extractors of the runtime built into this package. */
export function featureRuntime(): FeatureRuntime {
  return new FeatureRuntime(WasmRuntime.load());
}

export class FeatureRuntime {
  private readonly exports: RuntimeExports;

  constructor(private readonly runtime: WasmRuntime) {
    this.exports = runtime.exports;
  }

  private check(status: number, what: string): void {
    this.runtime.check(status, what);
  }

  private read(at: number, n: number): Float32Array {
    return this.runtime.floats(at, n);
  }

  /** Power spectra (n_fft/2 + 1 bins) of nRows rows of nFft samples, each windowed first. */
  powerSpectrum(x: Float32Array, nRows: number, nFft: number, window: WindowKind): Float32Array {
    const arena = this.runtime.arena();
    const bins = Math.floor(nFft / 2) + 1;
    const xAt = arena.write(x);
    const re = arena.reserve(4 * nFft);
    const im = arena.reserve(4 * nFft);
    const w = arena.reserve(4 * nFft);
    const out = arena.reserve(4 * nRows * bins);
    this.check(
      this.exports.tml_wasm_power_spectrum(xAt, nRows, nFft, WINDOW_CODES[window], re, im, w, out),
      'the power spectrum'
    );
    return this.read(out, nRows * bins);
  }

  /** log10 mel energies (dB) of power spectra rows, librosa's Slaney filterbank. */
  logMel(
    power: Float32Array,
    nRows: number,
    nFft: number,
    sampleRate: number,
    nMels: number,
    fmin: number,
    fmax: number,
    amin: number
  ): Float32Array {
    const arena = this.runtime.arena();
    const bins = Math.floor(nFft / 2) + 1;
    const pAt = arena.write(power);
    const weights = arena.reserve(4 * nMels * bins);
    const mel = arena.reserve(4 * nMels);
    const out = arena.reserve(4 * nRows * nMels);
    this.check(
      this.exports.tml_wasm_log_mel(pAt, nRows, nFft, sampleRate, nMels, fmin, fmax, amin, weights, mel, out),
      'the log-mel spectrogram'
    );
    return this.read(out, nRows * nMels);
  }

  /** MFCCs: the orthonormal DCT-II of log-mel rows, first nMfcc coefficients. */
  mfcc(logMel: Float32Array, nRows: number, nMels: number, nMfcc: number): Float32Array {
    const arena = this.runtime.arena();
    const inAt = arena.write(logMel);
    const out = arena.reserve(4 * nRows * nMfcc);
    this.check(this.exports.tml_wasm_mfcc(inAt, nRows, nMels, nMfcc, out), 'the MFCCs');
    return this.read(out, nRows * nMfcc);
  }

  /** The tables of a log-mel extractor (window, twiddles, sparse filterbank, DCT cosines). */
  logMelTables(c: LogMelConfig): LogMelTables {
    const arena = this.runtime.arena();
    const bins = Math.floor(c.nFft / 2) + 1;
    const window = arena.reserve(4 * c.nFft);
    const twiddles = arena.reserve(4 * c.nFft);
    const dense = arena.reserve(4 * c.nMels * bins);
    const first = arena.reserve(2 * c.nMels);
    const count = arena.reserve(2 * c.nMels);
    const weights = arena.reserve(4 * c.nMels * bins);
    const dct = arena.reserve(4 * Math.max(1, c.nMfcc * c.nMels));
    const stored = this.exports.tml_wasm_logmel_tables(
      c.nFft,
      c.sampleRate,
      c.nMels,
      c.fmin,
      c.fmax,
      c.nMfcc,
      window,
      twiddles,
      dense,
      first,
      count,
      weights,
      c.nMels * bins,
      dct
    );
    if (stored < 0) {
      throw new RuntimeError(stored, 'the log-mel tables');
    }
    const buffer = this.exports.memory.buffer;
    return {
      window: this.read(window, c.nFft),
      twiddles: this.read(twiddles, c.nFft),
      firstBin: new Uint16Array(buffer, first, c.nMels).slice(),
      nWeights: new Uint16Array(buffer, count, c.nMels).slice(),
      weights: this.read(weights, stored),
      dct: this.read(dct, c.nMfcc * c.nMels)
    };
  }

  /** Log-mel (or MFCC) features of nRows clips of nSamples: nRows x frames x width values. */
  logMelClips(c: LogMelConfig, tables: LogMelTables, x: Float32Array, nRows: number, nSamples: number): Float32Array {
    const arena = this.runtime.arena();
    const frames = logMelFrames(nSamples, c.nFft, c.hop);
    const width = logMelWidth(c);
    const descriptor = packDescriptor(arena, 'logmel', {
      n_fft: c.nFft,
      window: tables.window,
      twiddles: tables.twiddles,
      'mel.n_mels': c.nMels,
      'mel.n_stored': tables.weights.length,
      'mel.first_bin': tables.firstBin,
      'mel.n_weights': tables.nWeights,
      'mel.weights': tables.weights,
      amin: c.amin,
      n_mfcc: c.nMfcc,
      dct: tables.dct
    });
    const descAt = arena.write(descriptor);
    const xAt = arena.write(x);
    const scratch = arena.reserve(4 * logMelScratchFloats(c));
    const out = arena.reserve(4 * Math.max(1, nRows * frames * width));
    this.check(
      this.exports.tml_wasm_logmel_clips(descAt, xAt, nRows, nSamples, c.hop, scratch, out),
      'the log-mel features'
    );
    return this.read(out, nRows * frames * width);
  }

  /** Per row and axis: mean, std, rms, min, max, peak-to-peak, zero crossings (7 values). */
  windowStats(x: Float32Array, nRows: number, n: number, stride: number, nAxes: number): Float32Array {
    const arena = this.runtime.arena();
    const xAt = arena.write(x);
    const out = arena.reserve(4 * nRows * nAxes * 7);
    this.check(this.exports.tml_wasm_window_stats(xAt, nRows, n, stride, nAxes, out), 'the window statistics');
    return this.read(out, nRows * nAxes * 7);
  }

  /** sqrt(x² + y² + z²) of n interleaved xyz samples. */
  magnitude(xyz: Float32Array): Float32Array {
    const arena = this.runtime.arena();
    const n = xyz.length / 3;
    const inAt = arena.write(xyz);
    const out = arena.reserve(4 * n);
    this.check(this.exports.tml_wasm_magnitude(inAt, n, out), 'the magnitude');
    return this.read(out, n);
  }

  /** Median filter of one signal (odd k, edges repeated). */
  medianFilter(x: Float32Array, k: number): Float32Array {
    const arena = this.runtime.arena();
    const xAt = arena.write(x);
    const scratch = arena.reserve(4 * k);
    const out = arena.reserve(4 * x.length);
    this.check(this.exports.tml_wasm_median_filter(xAt, x.length, k, scratch, out), 'the median filter');
    return this.read(out, x.length);
  }

  /** Hysteresis thresholding, then events (onset, offset) of at least minDuration samples. */
  hysteresisEvents(
    x: Float32Array,
    on: number,
    off: number,
    minDuration: number
  ): { state: Int32Array; onsets: Int32Array; offsets: Int32Array } {
    const arena = this.runtime.arena();
    const n = x.length;
    const maxEvents = Math.max(1, Math.ceil(n / 2));
    const xAt = arena.write(x);
    const state = arena.reserve(4 * n);
    const onset = arena.reserve(4 * maxEvents);
    const offset = arena.reserve(4 * maxEvents);
    const count = this.exports.tml_wasm_hysteresis_events(
      xAt,
      n,
      on,
      off,
      minDuration,
      state,
      onset,
      offset,
      maxEvents
    );
    if (count < 0) {
      throw new RuntimeError(count, 'the event detection');
    }
    const buffer = this.exports.memory.buffer;
    return {
      state: new Int32Array(buffer, state, n).slice(),
      onsets: new Int32Array(buffer, onset, count).slice(),
      offsets: new Int32Array(buffer, offset, count).slice()
    };
  }
}
