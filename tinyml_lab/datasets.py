"""Small synthetic data sets for tutorials and tests: no downloads, deterministic."""

from __future__ import annotations

import numpy as np

#: Activity names of make_imu_windows, by label.
IMU_ACTIVITIES = ("idle", "walking", "shaking")


def make_imu_windows(n_per_class: int = 120, steps: int = 32, rate_hz: float = 25.0,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Windows of a 3-axis accelerometer (m/s^2) held in a random orientation, with sensor
    noise: idle (gravity only), walking (a 2 Hz sway with a sharp heel strike) and shaking
    (7 Hz on every axis), each with a random gain and phase.

    Returns X of shape (3 * n_per_class, steps, 3) float32 and labels y (0, 1, 2; see
    IMU_ACTIVITIES), classes in blocks.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(steps) / rate_hz
    windows, labels = [], []
    for label in range(len(IMU_ACTIVITIES)):
        for _ in range(n_per_class):
            gravity = rng.normal(0, 1, 3)
            gravity = 9.81 * gravity / np.linalg.norm(gravity)
            phase = rng.uniform(0, 2 * np.pi)
            gain = rng.uniform(0.5, 1.5)
            if label == 0:
                motion = np.zeros((steps, 3))
            elif label == 1:
                sway = np.sin(2 * np.pi * 2 * t + phase)
                strike = np.maximum(0, sway) ** 8 * 4
                motion = gain * np.stack([sway, 0.5 * sway, strike], axis=1)
            else:
                motion = gain * 3 * np.stack([np.sin(2 * np.pi * 7 * t + phase + k) for k in range(3)], axis=1)
            windows.append(gravity + motion + rng.normal(0, 0.3, (steps, 3)))
            labels.append(label)
    return np.asarray(windows, dtype=np.float32), np.asarray(labels)


#: Sound names of make_audio_clips, by label.
AUDIO_EVENTS = ("background", "whistle", "knock")


def _background(rng: np.random.Generator, n: int, level: float) -> np.ndarray:
    """Pink-ish noise (white noise through a one-pole low-pass) at a random level: room hum."""
    white = rng.normal(0, 1, n)
    pink = np.empty(n)
    acc = 0.0
    for i, v in enumerate(white):  # y[i] = 0.95 y[i-1] + v: energy falls with frequency
        acc = 0.95 * acc + v
        pink[i] = acc
    return level * pink / (np.std(pink) + 1e-12)


def _whistle(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """A tone gliding between 1 and 3 kHz with a soft attack and release."""
    f0, f1 = rng.uniform(1000, 3000, 2)
    phase = 2 * np.pi * (f0 * t + (f1 - f0) * t ** 2 / (2 * t[-1]))
    envelope = np.minimum(1, np.minimum(t, t[-1] - t) / 0.02)
    return rng.uniform(0.2, 0.6) * envelope * np.sin(phase)


def _knock(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Two or three short decaying broadband bursts (a knock on wood), resonating near 400 Hz."""
    out = np.zeros_like(t)
    for start in np.sort(rng.uniform(0, t[-1] * 0.8, rng.integers(2, 4))):
        dt = np.clip(t - start, 0, None)
        burst = np.exp(-dt / 0.012) * (t >= start)
        out += rng.uniform(0.4, 0.9) * burst * (rng.normal(0, 0.5, t.size) + np.sin(2 * np.pi * 400 * dt))
    return out


def make_audio_clips(n_per_class: int = 60, seconds: float = 0.256, sample_rate: int = 8000,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Short audio clips of three kinds over background noise at random levels: background
    only, a whistle (gliding tone), a knock (short decaying bursts).

    Returns X of shape (3 * n_per_class, round(seconds * sample_rate)) float32 in [-1, 1]-ish
    and labels y (0, 1, 2; see AUDIO_EVENTS), classes in blocks.
    """
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sample_rate))
    t = np.arange(n) / sample_rate
    clips, labels = [], []
    for label in range(len(AUDIO_EVENTS)):
        for _ in range(n_per_class):
            x = _background(rng, n, rng.uniform(0.01, 0.08))
            if label == 1:
                x = x + _whistle(rng, t)
            elif label == 2:
                x = x + _knock(rng, t)
            clips.append(x)
            labels.append(label)
    return np.asarray(clips, dtype=np.float32), np.asarray(labels)


def make_audio_stream(seconds: float = 6.0, sample_rate: int = 8000, clip_seconds: float = 0.256,
                      seed: int = 1) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """A longer recording: background noise with whistles and knocks at known places, for
    event detection. Returns the signal (float32) and the true events as (label, first
    sample, end sample) in time order."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sample_rate))
    signal = _background(rng, n, 0.03)
    clip_n = int(round(clip_seconds * sample_rate))
    t = np.arange(clip_n) / sample_rate
    events = []
    start = int(rng.uniform(0.3, 0.6) * sample_rate)
    while start + clip_n < n:
        label = int(rng.integers(1, 3))
        signal[start:start + clip_n] += _whistle(rng, t) if label == 1 else _knock(rng, t)
        events.append((label, start, start + clip_n))
        start += clip_n + int(rng.uniform(0.4, 1.0) * sample_rate)
    return signal.astype(np.float32), events


__all__ = ["AUDIO_EVENTS", "IMU_ACTIVITIES", "make_audio_clips", "make_audio_stream", "make_imu_windows"]


#: Condition names of make_pump_log, by label.
PUMP_CONDITIONS = ("normal", "bearing wear", "cavitation", "overload")
#: Sensor names of make_pump_log, by column.
PUMP_SENSORS = ("temperature_C", "vibration_rms_mm_s", "current_A", "suction_bar", "discharge_bar", "humidity_pct")


def make_pump_log(n_rows: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Readings of a water pump's condition monitor, one row a minute, with the gaps real
    sensor logs have: each sensor drops readings (NaN) at its own rate, and more often in the
    conditions that stress it (a vibration sensor loosening as a bearing wears, a wireless
    humidity node dropping packets), so a missing value itself says something about the
    condition. Conditions: normal, bearing wear (vibration and temperature up), cavitation
    (suction pressure down, vibration noisy), overload (current and temperature up).

    Returns X of shape (n_rows, 6) float32 (columns PUMP_SENSORS; about 8% of the values NaN)
    and labels y (0..3, see PUMP_CONDITIONS; about half the rows normal).
    """
    rng = np.random.default_rng(seed)
    y = rng.choice(len(PUMP_CONDITIONS), size=n_rows, p=[0.5, 0.2, 0.15, 0.15])
    load = rng.uniform(0.4, 1.0, n_rows)  # share of the rated flow
    temperature = 35 + 15 * load + rng.normal(0, 2.5, n_rows)
    vibration = 1.5 + 1.0 * load + rng.gamma(2.0, 0.3, n_rows)
    current = 6 + 8 * load + rng.normal(0, 0.6, n_rows)
    suction = 1.2 - 0.3 * load + rng.normal(0, 0.08, n_rows)
    discharge = 3.0 + 2.0 * load + rng.normal(0, 0.25, n_rows)
    humidity = rng.normal(55, 12, n_rows)
    wear, cavitation, overload = y == 1, y == 2, y == 3
    vibration[wear] += rng.gamma(3.0, 0.8, wear.sum())
    temperature[wear] += rng.normal(6, 2, wear.sum())
    suction[cavitation] -= rng.uniform(0.25, 0.6, cavitation.sum())
    vibration[cavitation] += rng.gamma(1.5, 1.2, cavitation.sum())
    discharge[cavitation] -= rng.uniform(0.3, 1.0, cavitation.sum())
    current[overload] += rng.uniform(2.5, 5.0, overload.sum())
    temperature[overload] += rng.normal(9, 3, overload.sum())
    X = np.stack([temperature, vibration, current, suction, discharge, humidity], axis=1)
    # Per sensor: the drop-out rate in normal rows and in rows of the condition that stresses it.
    dropouts = [(0.03, overload, 0.15), (0.05, wear, 0.30), (0.02, overload, 0.05),
                (0.04, cavitation, 0.20), (0.04, cavitation, 0.10), (0.15, np.zeros(n_rows, bool), 0.15)]
    for column, (rate, stressed, stressed_rate) in enumerate(dropouts):
        missing = rng.random(n_rows) < np.where(stressed, stressed_rate, rate)
        X[missing, column] = np.nan
    return X.astype(np.float32), y
