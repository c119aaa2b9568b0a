"""The Python package against the command line it shares its library with.

Run by ctest (`python_package`, on the module built into build/python) and by
scripts/test after `pip install .` into a fresh venv. Environment:
DRUMSYNTH_BINARY (the CLI), DRUMSYNTH_SOURCE_DIR (the repository).
"""
import json
import math
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

np = pytest.importorskip("numpy", reason="the drumsynth package needs numpy")
import drumsynth  # noqa: E402

SOURCE = Path(os.environ.get("DRUMSYNTH_SOURCE_DIR", Path(__file__).resolve().parents[2]))
CLI = os.environ.get("DRUMSYNTH_BINARY", str(SOURCE / "build" / "drumsynth"))
SHARED = SOURCE.parent / "shared" / "data"
STEREO_24BIT = str(SOURCE / "inputs" / "ringing_snare.wav")  # 0.68 s, 44.1 kHz, stereo, 24-bit
TIMPANY = str(SOURCE / "inputs" / "timpany.wav")  # 1.3 s, 48 kHz, mono, 16-bit
PCM24_STEP = 2.0 ** -23  # the CLI writes 24-bit WAVs


def cli(*args):
    r = subprocess.run([CLI, *args], capture_output=True, text=True)
    assert r.returncode == 0, f"drumsynth {' '.join(args)}: {r.stderr}"
    return r.stdout


def tone(n=8000, rate=16000.0, freq=220.0):
    t = np.arange(n) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t) * np.exp(-t / 0.05)).astype(np.float32)


# ---- the same results as the command line ----


def test_fit_from_numpy_gives_the_clis_preset_bit_for_bit(tmp_path):
    cli("fit", STEREO_24BIT, "-o", str(tmp_path), "--iterations", "25", "--seed", "3", "--device", "cpu", "--quiet")
    cli_preset = (tmp_path / "ringing_snare.preset.json").read_text()
    audio, rate = drumsynth.load_audio(STEREO_24BIT)
    r = drumsynth.fit(audio, rate, iterations=25, seed=3, device="cpu", name=STEREO_24BIT)
    assert r.preset.to_json() == cli_preset
    assert len(r.loss_history) == 25 and r.best_loss == min(r.loss_history)
    # The render is the CLI's render, up to its 24-bit quantisation.
    cli_render, _ = drumsynth.load_audio(str(tmp_path / "ringing_snare.wav"))
    np.testing.assert_allclose(r.render, cli_render, rtol=0, atol=PCM24_STEP)


def test_render_of_a_loaded_preset_equals_the_clis(tmp_path):
    cli("fit", TIMPANY, "-o", str(tmp_path), "--iterations", "5", "--device", "cpu", "--quiet")
    preset_path = str(tmp_path / "timpany.preset.json")
    preset = drumsynth.Preset.load(preset_path)
    for extra, kwargs in [((), {}), (("--sample-rate", "22050"), {"sample_rate": 22050}),
                          (("--seconds", "0.25"), {"seconds": 0.25})]:
        out = str(tmp_path / "r.wav")
        cli("render", preset_path, "-o", out, "--quiet", *extra)
        theirs, rate = drumsynth.load_audio(out, max_seconds=60)  # a timpani rings on for seconds
        ours = preset.render(**kwargs)
        assert ours.dtype == np.float32 and ours.shape == theirs.shape, kwargs
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=PCM24_STEP, err_msg=str(kwargs))
    # To its natural length by default: past the target's, ending 80 dB or more under the peak.
    natural = preset.render()
    assert natural.shape[0] > preset.n_samples
    assert abs(natural[-1]) < 1e-4 * np.max(np.abs(natural))


def test_loss_equals_the_clis(tmp_path):
    a, rate = drumsynth.load_audio(STEREO_24BIT)
    b = np.roll(a, 300) * 0.7
    bpath = str(tmp_path / "b.wav")
    # Through a float WAV so the CLI reads exactly b.
    _write_float_wav(bpath, b, rate)
    for preset in ("seed", "auraloss", "bands"):
        theirs = float(cli("loss", STEREO_24BIT, bpath, "--loss-preset", preset))
        ours = drumsynth.loss(a, b, rate, preset=preset)
        assert ours == pytest.approx(theirs, rel=1e-7), preset  # the CLI prints 8 digits
    # The loss table's numbers by name, as the CLI's options made from the same table.
    settings = {"w_env_log": 0.5, "env_frame_s": 0.005, "band_range_db": 60.0}
    theirs = float(cli("loss", STEREO_24BIT, bpath, "--loss-preset", "bands", "--w-env-log", "0.5",
                       "--env-frame-s", "0.005", "--band-range-db", "60"))
    ours = drumsynth.loss(a, b, rate, preset="bands", settings=settings)
    assert ours == pytest.approx(theirs, rel=1e-7)
    assert ours != pytest.approx(drumsynth.loss(a, b, rate, preset="bands"), rel=1e-3)
    assert set(drumsynth.loss_settings("bands")) >= set(settings)
    with pytest.raises(ValueError, match="no loss setting named 'w_nope'"):
        drumsynth.loss(a, b, rate, settings={"w_nope": 1.0})
    with pytest.raises(ValueError, match="outside"):
        drumsynth.loss(a, b, rate, settings={"w_env_log": -1.0})


def _write_float_wav(path, x, rate):
    """A 32-bit float mono WAV (WAVE_FORMAT_IEEE_FLOAT), which libsndfile reads exactly."""
    data = np.asarray(x, dtype="<f4").tobytes()
    fmt = (3).to_bytes(2, "little") + (1).to_bytes(2, "little") + int(rate).to_bytes(4, "little") + \
        (int(rate) * 4).to_bytes(4, "little") + (4).to_bytes(2, "little") + (32).to_bytes(2, "little")
    body = b"WAVE" + b"fmt " + len(fmt).to_bytes(4, "little") + fmt + b"data" + len(data).to_bytes(4, "little") + data
    Path(path).write_bytes(b"RIFF" + len(body).to_bytes(4, "little") + body)


def test_loss_equals_auraloss_on_the_comparison_pairs():
    if not SHARED.exists():
        pytest.skip(f"no {SHARED}: the comparison's real drum pairs are needed")
    try:
        import torch
        import auraloss
    except ImportError as e:
        pytest.skip(f"cannot import {e.name}; scripts/test installs auraloss 0.4.0")
    import sys
    sys.path.insert(0, str(SOURCE / "tests" / "python"))
    from compare_auraloss import PAIRS, auraloss_value, load

    for a, b in PAIRS[:2]:
        rate, x = load(str(SHARED / a))
        _, y = load(str(SHARED / b))
        n = min(len(x), len(y))
        x, y = x[:n], y[:n]
        for preset in ("auraloss", "seed"):
            ours = drumsynth.loss(x.astype(np.float32), y.astype(np.float32), rate, preset=preset)
            assert ours == pytest.approx(auraloss_value(preset, x, y, rate), rel=1e-3), (a, b, preset)


def test_loss_and_grad_matches_finite_differences():
    rate = 16000.0
    rng = np.random.default_rng(1)
    # Noise under both: no spectral bin near 0, where the log term's curvature
    # defeats a finite difference.
    y = tone(4000, rate, 300.0) + 0.05 * rng.standard_normal(4000).astype(np.float32)
    x = tone(4000, rate, 320.0) * 0.8 + 0.05 * rng.standard_normal(4000).astype(np.float32)
    value, grad = drumsynth.loss_and_grad(x, y, rate, preset="auraloss")
    assert value == pytest.approx(drumsynth.loss(x, y, rate, preset="auraloss"), rel=1e-12)
    assert grad.shape == x.shape and grad.dtype == np.float64
    h = 1e-5  # the arrays go in as float32: h is exact to 0.3%
    for i in (10, 777, 1700, 3333):
        xp, xm = x.astype(np.float64), x.astype(np.float64)
        xp[i] += h
        xm[i] -= h
        fd = (drumsynth.loss(xp, y, rate, preset="auraloss") - drumsynth.loss(xm, y, rate, preset="auraloss")) / (2 * h)
        assert grad[i] == pytest.approx(fd, rel=1e-2, abs=1e-6), i
    # A longer estimate is cut to the target: the samples past its end get 0.
    _, g_long = drumsynth.loss_and_grad(np.concatenate([x, x]), y, rate, preset="auraloss")
    assert g_long.shape == (8000,) and not g_long[4000:].any()
    np.testing.assert_array_equal(g_long[:4000], grad)


# ---- fitting from Python ----


def test_fit_many_gives_each_sound_what_fit_gives_it_alone():
    sounds = [tone(6000, 16000.0, 180.0), tone(9000, 22050.0, 260.0), tone(5000, 16000.0, 400.0)]
    rates = [16000, 22050, 16000]
    many = drumsynth.fit_many(sounds, rates, iterations=8, device="cpu", loss_preset="auraloss")
    assert len(many) == 3
    for s, rate, r in zip(sounds, rates, many):
        alone = drumsynth.fit(s, rate, iterations=8, device="cpu", loss_preset="auraloss")
        np.testing.assert_array_equal(r.loss_history, alone.loss_history)
        assert r.preset.parameters == alone.preset.parameters
        assert r.render.shape == s.shape


def test_channels_are_mixed_on_either_axis():
    left, right = tone(3000, 16000.0, 200.0), tone(3000, 16000.0, 330.0)
    mono = (left + right) / 2
    target = tone(3000, 16000.0, 250.0)
    expected = drumsynth.loss(mono, target, 16000)
    assert drumsynth.loss(np.stack([left, right], axis=1), target, 16000) == expected  # (frames, channels)
    assert drumsynth.loss(np.stack([left, right], axis=0), target, 16000) == expected  # (channels, frames)


def test_the_gil_is_released_during_a_fit_and_progress_comes_at_most_every_100_ms():
    audio = tone(16000, 16000.0, 200.0)
    counter = [0]
    running = threading.Event()
    stop = threading.Event()

    def count():
        running.set()
        while not stop.is_set():
            counter[0] += 1

    calls = []
    t = threading.Thread(target=count)
    t.start()
    running.wait()
    try:
        start = counter[0]
        r = drumsynth.fit(audio, 16000, iterations=60, device="cpu", threads=1, loss_preset="auraloss",
                          progress=lambda p: calls.append((time.monotonic(), p.iteration, threading.get_ident())))
        during = counter[0] - start
    finally:
        stop.set()
        t.join()
    assert during > 10000, f"the other thread ran only {during} loops during the fit: the GIL was held"
    assert len(r.loss_history) == 60
    assert calls and calls[-1][1] == 60
    assert all(tid == threading.get_ident() for _, _, tid in calls), "progress must run on the calling thread"
    gaps = np.diff([t for t, _, _ in calls])
    assert (gaps[:-1] >= 0.09).all(), f"progress came faster than every 100 ms: {gaps.min():.3f} s"


def test_a_fit_stops_once_converged_unless_told_not_to():
    audio = tone(16000, 16000.0, 200.0)
    early = drumsynth.fit(audio, 16000, iterations=1500, device="cpu", loss_preset="auraloss")
    full = drumsynth.fit(audio, 16000, iterations=1500, device="cpu", loss_preset="auraloss", stop_window=0)
    assert len(full.loss_history) == 1500
    assert 100 < len(early.loss_history) < 1500
    assert np.array_equal(early.loss_history, full.loss_history[: len(early.loss_history)])
    with pytest.raises(ValueError, match="stop_window"):
        drumsynth.fit(audio, 16000, stop_window=-1)


def test_ctrl_c_ends_a_fit_early_with_the_best_so_far():
    import _thread

    audio = tone(16000, 16000.0, 200.0)
    timer = threading.Timer(1.0, _thread.interrupt_main)  # as Ctrl-C in a notebook
    timer.start()
    start = time.monotonic()
    r = drumsynth.fit(audio, 16000, iterations=100000, device="cpu", loss_preset="auraloss", stop_window=0)
    timer.join()
    assert r.interrupted
    assert time.monotonic() - start < 10
    assert 0 < len(r.loss_history) < 100000
    assert r.best_loss == min(r.loss_history) and math.isfinite(r.best_loss)
    assert np.isfinite(r.render).all() and r.render.shape == audio.shape


# ---- presets ----


def test_preset_round_trips_and_edits(tmp_path):
    r = drumsynth.fit(tone(), 16000, iterations=3, device="cpu", loss_preset="auraloss")
    p = r.preset
    assert drumsynth.Preset.from_json(p.to_json()).to_json() == p.to_json()
    path = str(tmp_path / "x.preset.json")
    p.save(path)
    assert drumsynth.Preset.load(path).to_json() == p.to_json()
    assert json.loads(Path(path).read_text())["format"] == "drumsynth-preset"
    params = p.parameters
    assert len(params) > 40 and all(isinstance(v, float) for v in params.values())
    before = p.render()
    name = next(k for k in params if k.endswith("_freq_hz"))
    p.parameters = {name: params[name] * 1.5}
    assert p.parameters[name] == pytest.approx(params[name] * 1.5)
    assert not np.array_equal(p.render(), before)
    with pytest.raises(KeyError, match="unknown parameter"):
        p.parameters = {"no_such_parameter": 1.0}
    with pytest.raises(ValueError, match="outside its range"):
        p.parameters = {name: -5.0}


# ---- every bad input raises the documented exception ----


@pytest.mark.parametrize("audio,rate,message", [
    (np.array([0.1, np.nan, 0.2] * 100, dtype=np.float32), 16000, "NaN or Inf"),
    (np.array([0.1, np.inf, 0.2] * 100), 16000, "NaN or Inf"),
    (np.zeros(0, dtype=np.float32), 16000, "empty"),
    (np.zeros(1000, dtype=np.float32), 16000, "silent"),
    (tone(), 4000, "sample rate 4000 Hz is outside"),
    (tone(), 500000, "outside"),
    (np.zeros((2, 2, 2)), 16000, "1-D"),
    (tone(200000, 16000.0), 16000, "longer than"),
])
def test_bad_audio_raises_value_error(audio, rate, message):
    with pytest.raises(ValueError, match=message):
        drumsynth.fit(audio, rate, iterations=1, device="cpu", name="bad")
    if message not in ("silent", "longer than"):  # a loss's estimate may be silent or long
        with pytest.raises(ValueError, match=message):
            drumsynth.loss(audio, tone(), rate)


@pytest.mark.parametrize("kwargs,message", [
    ({"iterations": 0}, "iterations"), ({"restarts": 0}, "restarts"), ({"init": "zeros"}, "init"),
    ({"device": "tpu"}, "device"), ({"loss_preset": "nope"}, "unknown loss preset"),
])
def test_bad_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        drumsynth.fit(tone(), 16000, **kwargs)


def test_missing_files_raise_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        drumsynth.load_audio(str(tmp_path / "nope.wav"))
    with pytest.raises(FileNotFoundError):
        drumsynth.Preset.load(str(tmp_path / "nope.preset.json"))


def test_unreadable_audio_raises_value_error(tmp_path):
    bad = tmp_path / "noise.wav"
    bad.write_bytes(os.urandom(4000))
    with pytest.raises(ValueError, match=re.escape(str(bad)) + ": not a readable audio file"):
        drumsynth.load_audio(str(bad))


def test_bad_presets_raise_preset_error(tmp_path):
    good = drumsynth.fit(tone(), 16000, iterations=1, device="cpu").preset.to_json()
    cases = {
        "malformed": good[: len(good) // 2],
        "version": re.sub(r'"format_version": \d+', '"format_version": 9', good),
        "range": re.sub(r'("tone1_gain":\s*\{[^}]*?"value":\s*)[-0-9.e]+', r"\g<1>1e9", good),
    }
    assert cases["range"] != good and cases["version"] != good
    for what, text in cases.items():
        with pytest.raises(drumsynth.PresetError):
            drumsynth.Preset.from_json(text)
        path = tmp_path / f"{what}.preset.json"
        path.write_text(text)
        with pytest.raises(drumsynth.PresetError, match=re.escape(str(path))):
            drumsynth.Preset.load(str(path))
    assert issubclass(drumsynth.PresetError, ValueError)


def test_readme_example_runs_as_written(tmp_path, monkeypatch):
    """The README's Python example, run as written (plots to a file-less backend)."""
    readme = (SOURCE / "README.md").read_text()
    block = re.search(r"<!-- python-example -->\s*```python\n(.*?)```", readme, re.S)
    assert block, "README.md: no ```python block after <!-- python-example -->"
    pytest.importorskip("IPython")
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(SOURCE)
    exec(compile(block.group(1), "README.md", "exec"), {})
