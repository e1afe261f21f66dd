#!/usr/bin/python3
"""Writes tests/data/golden/keyword_mfcc.json: MFCCs of two analytic test signals computed with
NumPy's FFT and SciPy's DCT, the reference for tinytorch::KeywordMfcc (module 19).

Run with Debian's Python (scripts/setup-deps.sh --golden installs python3-scipy):
    /usr/bin/python3 tools/golden/make_mfcc_golden.py

The C++ front end frames the audio, multiplies by a windowed DFT basis (a GEMM) and applies a DCT
matrix; here the frames go through numpy.fft.rfft and scipy.fft.dct instead, so framing, windowing,
the DFT, the power spectrum, the log and the DCT are checked against independent code. The mel
filterbank is the definition (HTK mel scale, 40 triangles from 20 Hz to 4 kHz) written out again.
The signals are formulas, evaluated in double precision on both sides, so no audio is stored.
"""
import json
import math
import os

import numpy as np
from scipy import fft, signal

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data", "golden",
                   "keyword_mfcc.json")
RATE, FRAME, HOP, FRAMES, BINS, BANDS, COEFFS = 16000, 640, 320, 49, 161, 40, 10


def signals():
    """Must match AnalyticSignal() in tests/unit/tinymlperf_test.cc."""
    t = np.arange(16000, dtype=np.float64) / RATE
    tones = (0.6 * np.sin(2 * math.pi * 440 * t) + 0.3 * np.sin(2 * math.pi * 1250 * t + 0.5)
             + 0.2 * np.sin(2 * math.pi * (100 * t + 900 * t * t)) + 0.05 * np.sin(2 * math.pi * 3333 * t))
    tremolo = np.sin(2 * math.pi * 700 * t) * (0.5 + 0.5 * np.sin(2 * math.pi * 3 * t))
    return {"tones_and_chirp": tones.astype(np.float32), "tremolo_700hz": tremolo.astype(np.float32)}


def mel_filterbank():
    mel = lambda hz: 2595.0 * np.log10(1.0 + hz / 700.0)
    hz = lambda m: 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    edges = hz(np.linspace(mel(20.0), mel(4000.0), BANDS + 2))
    freqs = np.arange(BINS) * RATE / FRAME
    bank = np.zeros((BINS, BANDS))
    for b in range(BANDS):
        rise = (freqs - edges[b]) / (edges[b + 1] - edges[b])
        fall = (edges[b + 2] - freqs) / (edges[b + 2] - edges[b + 1])
        bank[:, b] = np.maximum(0.0, np.minimum(rise, fall))
    return bank


def mfcc(audio):
    window = signal.get_window("hann", FRAME, fftbins=True)  # periodic, as the C++ basis
    frames = np.stack([audio[f * HOP:f * HOP + FRAME].astype(np.float64) * window for f in range(FRAMES)])
    power = np.abs(np.fft.rfft(frames, axis=1)[:, :BINS]) ** 2
    log_mel = np.log(power @ mel_filterbank() + 1e-6)
    return fft.dct(log_mel, type=2, norm="ortho", axis=1)[:, :COEFFS]


def main():
    cases = [{"name": name, "mfcc": [float(v) for v in mfcc(audio).reshape(-1)]} for name, audio in signals().items()]
    doc = {"format": 1, "generator": "tools/golden/make_mfcc_golden.py", "numpy_version": np.__version__,
           "shape": [FRAMES, COEFFS], "cases": cases}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(OUT + ".tmp", OUT)
    print(f"{OUT}: {len(cases)} cases")


if __name__ == "__main__":
    main()
