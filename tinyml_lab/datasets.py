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


__all__ = ["IMU_ACTIVITIES", "make_imu_windows"]
