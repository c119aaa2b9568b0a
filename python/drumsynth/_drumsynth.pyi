"""Type stubs of the compiled module (python/*.cpp)."""

from typing import Callable, Mapping, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike

class PresetError(ValueError):
    """A preset that cannot be read: malformed JSON, an unknown format version,
    a missing parameter or one out of range."""

class FitProgress:
    sounds_done: int
    sounds: int
    iteration: int
    iterations: int
    loss: float
    best_loss: float
    elapsed_s: float
    remaining_s: float

class Preset:
    sample_rate: float
    n_samples: int
    noise_seed: int
    final_loss: float
    initial_loss: float
    iterations: int
    source: str
    loss_preset: str
    parameters: dict[str, float]
    @staticmethod
    def from_json(text: str) -> Preset: ...
    @staticmethod
    def load(path: str) -> Preset: ...
    def save(self, path: str) -> None: ...
    def to_json(self) -> str: ...
    def render(
        self, sample_rate: Optional[float] = None, seconds: Optional[float] = None
    ) -> npt.NDArray[np.float32]: ...

class FitResult:
    preset: Preset
    loss_history: npt.NDArray[np.float64]
    render: npt.NDArray[np.float32]
    best_loss: float
    initial_loss: float
    best_iteration: int
    skipped_steps: int
    seconds: float
    interrupted: bool

def fit(
    audio: ArrayLike,
    sample_rate: float,
    *,
    iterations: int = 1000,
    loss_preset: str = "bands",
    loss_settings: Mapping[str, float] = {},
    init: str = "analysis",
    restarts: int = 1,
    seed: int = 0,
    device: str = "auto",
    progress: Optional[Callable[[FitProgress], None]] = None,
    threads: int = 0,
    max_seconds: float = 10.0,
    name: str = "<array>",
    stop_window: int = 50,
) -> FitResult: ...
def fit_many(
    audios: Sequence[ArrayLike],
    sample_rates: Union[float, Sequence[float]],
    *,
    iterations: int = 1000,
    loss_preset: str = "bands",
    loss_settings: Mapping[str, float] = {},
    init: str = "analysis",
    restarts: int = 1,
    seed: int = 0,
    device: str = "auto",
    progress: Optional[Callable[[FitProgress], None]] = None,
    threads: int = 0,
    max_seconds: float = 10.0,
    names: Optional[Sequence[str]] = None,
    stop_window: int = 50,
) -> list[Optional[FitResult]]: ...
def load_audio(path: str, max_seconds: float = 10.0) -> tuple[npt.NDArray[np.float32], int]: ...
def loss(
    estimate: ArrayLike,
    target: ArrayLike,
    sample_rate: float,
    preset: str = "seed",
    settings: Mapping[str, float] = {},
) -> float: ...
def loss_and_grad(
    estimate: ArrayLike,
    target: ArrayLike,
    sample_rate: float,
    preset: str = "seed",
    settings: Mapping[str, float] = {},
) -> tuple[float, npt.NDArray[np.float64]]: ...
def loss_settings(preset: str = "bands") -> dict[str, float]: ...
