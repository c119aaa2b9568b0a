"""drumsynth: fit a parametric drum synth to recorded drum hits, render its presets.

The C++ library (the same one the ``drumsynth`` command runs) as a Python
module: fit one sound or many from NumPy arrays, read, edit, save and render
presets, and compute the multi-resolution STFT loss and its gradient.

    import drumsynth
    audio, rate = drumsynth.load_audio("kick.wav")
    result = drumsynth.fit(audio, rate, iterations=300)
    result.preset.save("kick.preset.json")
    sound = result.preset.render()
"""

from ._drumsynth import (
    FitProgress,
    FitResult,
    Preset,
    PresetError,
    fit,
    fit_many,
    load_audio,
    loss,
    loss_and_grad,
    loss_settings,
)

__all__ = [
    "FitProgress",
    "FitResult",
    "Preset",
    "PresetError",
    "fit",
    "fit_many",
    "load_audio",
    "loss",
    "loss_and_grad",
    "loss_settings",
]
__version__ = "0.1.0"
