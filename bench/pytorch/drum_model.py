"""drumsynth's voice and MRSTFT loss in batched PyTorch (autograd for the
gradients), for benchmarking the C++/CUDA implementation against the same model.

Same math as include/drumsynth/*.hpp and host/loss/mrstft_loss.cpp: the parameter
table and its logit maps, the deterministic counter-based noise, the pitch
sweep in closed form with the phases in float64, smooth envelopes, the noise
band's two one-pole filters, the noise bank (fixed bands with their own gains
and decays, model version 2), the resonator (fractional delay, one-pole damping
in the loop), tanh mix, and the loss presets `seed` and `auraloss` with
per-sound spectral convergence. The recurrences, which PyTorch has no batched
operator for, are done exactly in other ways: the one-pole filters as FFT
convolutions with their impulse responses (exact over the sound's length), the
resonator as an exact filter in the frequency domain (its transfer function
per bin, the signal exponentially weighted so the infinite response does not
wrap around; or, as before, a scan over blocks of the shortest delay in the
batch, each block a batched matrix product).
"""
import math

import numpy as np
import torch

# ---- the parameter table (host/synth/param_table.cpp; tests/python/compare_pytorch.py
# checks it against a preset written by drumsynth) ----
N_PARTIALS = 12
# The precision the model computes in: float32, as the C++ backends (the
# benchmark); tests/python/compare_pytorch.py sets float64 to check the
# gradients against the C++ model in double.
REAL = torch.float32
N_NOISE_BANDS = 8
NOISE_BANK_CROSSOVERS_HZ = (150.0, 400.0, 1000.0, 2500.0, 6000.0, 10000.0, 15000.0)  # noise_bank.hpp
FIRST_BILINEAR_CROSSOVER = 4  # from 6 kHz up the bank's one-poles are bilinear (one_pole.hpp)


def _table():
    t = [("onset_s", 0.0, 0.05, "linear"), ("sweep_ratio", 1.0, 8.0, "log"), ("sweep_s", 0.002, 0.5, "log"),
         ("transient_freq_hz", 20.0, 4000.0, "log"), ("transient_attack_s", 1e-4, 0.02, "log"),
         ("transient_decay_s", 5e-4, 0.2, "log"), ("transient_drive", 0.1, 12.0, "log"),
         ("transient_gain", 1e-4, 1.0, "log"), ("tone_attack_s", 1e-4, 0.05, "log")]
    for k in range(N_PARTIALS):
        t += [(f"tone{k + 1}_freq_hz", 20.0, 12000.0, "log"), (f"tone{k + 1}_decay_s", 0.005, 3.0, "log"),
              (f"tone{k + 1}_gain", 1e-4, 1.0, "log")]
    t += [("resonator_freq_hz", 30.0, 1000.0, "log"), ("resonator_decay_s", 0.005, 2.0, "log"),
          ("resonator_damping_hz", 100.0, 20000.0, "log"), ("resonator_gain", 1e-4, 1.0, "log"),
          ("noise_attack_s", 1e-4, 0.05, "log"), ("noise_decay_s", 0.003, 2.0, "log"),
          ("noise_low_hz", 20.0, 16000.0, "log"), ("noise_high_hz", 100.0, 22000.0, "log"),
          ("noise_gain", 1e-4, 1.0, "log")]
    for k in range(N_NOISE_BANDS):
        t += [(f"noise_bank{k + 1}_gain", 1e-4, 1.0, "log"), (f"noise_bank{k + 1}_decay_s", 0.003, 2.0, "log")]
    t += [("release_start_s", 0.01, 20.0, "log"), ("release_s", 0.002, 20.0, "log")]
    t += [("gate_start_s", 0.01, 20.0, "log"), ("gate_s", 0.001, 20.0, "log")]
    return t


TABLE = _table()
NAMES = [r[0] for r in TABLE]
IDX = {n: i for i, n in enumerate(NAMES)}
N_PARAMS = len(TABLE)


def params_from_logits(z):
    """z: [B, P] float32 logits -> [B, P] float32 parameters (maps in float64,
    rounded once, as the C++)."""
    lo = torch.tensor([r[1] for r in TABLE], dtype=torch.float64, device=z.device)
    hi = torch.tensor([r[2] for r in TABLE], dtype=torch.float64, device=z.device)
    is_log = torch.tensor([r[3] == "log" for r in TABLE], device=z.device)
    s = torch.sigmoid(z.double())
    log_v = lo.clamp(min=1e-30) * torch.exp(s * torch.log(hi / lo.clamp(min=1e-30)))
    lin_v = lo + (hi - lo) * s
    return torch.where(is_log, log_v, lin_v).to(REAL)


# ---- noise: SplitMix64 of (seed, index), as include/drumsynth/synth/noise_rng.hpp ----
def white_noise(seed, n, dtype=np.float32):
    with np.errstate(over="ignore"):
        i = np.arange(1, n + 1, dtype=np.uint64)
        z = np.uint64(seed) * np.uint64(0xD1B54A32D192ED03) + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    k = (z >> np.uint64(40)).astype(np.int64)
    return (2 * k + 1 - (1 << 24)).astype(dtype) * dtype(1.7320508075688772 / 16777216.0)


def _exp32(x):  # dm::exp for float: argument clamped to [-87, 88]
    return torch.exp(x.clamp(-87.0, 88.0))


def _sin_turns(x64):
    r = (x64 - torch.floor(x64 + 0.5)).to(REAL)
    return torch.sin(2 * math.pi * r)


def _rise(t, a):
    return torch.where(t > 0, 1 - _exp32(-t / a), torch.zeros_like(t))


def _one_pole(x, a, cutoff_hz, sample_rate):
    """y[n] = y[n-1] + a (x[n] - y[n-1]) over [B, N], as x convolved with its
    impulse response a (1 - a)^m = a exp(-2 pi cutoff m / sr), m < N (exact)."""
    n = x.shape[-1]
    m = torch.arange(n, device=x.device, dtype=REAL)
    h = a[:, None] * torch.exp(-2 * math.pi * cutoff_hz[:, None] / sample_rate * m)
    L = 1 << (2 * n - 1).bit_length()
    return torch.fft.irfft(torch.fft.rfft(x, L) * torch.fft.rfft(h, L), L)[..., :n]


def _bilinear_one_pole(x, cutoff_hz, sample_rate):
    """y[n] = b (x[n] + x[n-1]) + p y[n-1] (one_pole.hpp bilinear_one_pole), as
    b (x + x delayed) convolved with p^m."""
    n = x.shape[-1]
    w = math.pi * min(cutoff_hz / sample_rate, 0.49)
    K = math.sin(w) / math.cos(w)
    b, p = K / (1 + K), (1 - K) / (1 + K)
    u = b * (x + torch.nn.functional.pad(x, (1, 0))[..., :n])
    m = torch.arange(n, device=x.device, dtype=torch.float64)
    h = (torch.where(m % 2 == 1, -1.0, 1.0) if p < 0 else torch.ones_like(m)) * abs(p) ** m
    L = 1 << (2 * n - 1).bit_length()
    return torch.fft.irfft(torch.fft.rfft(u, L) * torch.fft.rfft(h.to(REAL), L), L)[..., :n]


def _resonator(x, p, sample_rate):
    """The feedback comb of include/drumsynth/synth/resonator.hpp over [B, N]."""
    B, n = x.shape
    f, decay = p[:, IDX["resonator_freq_hz"]], p[:, IDX["resonator_decay_s"]]
    delay = sample_rate / f
    d_int = torch.floor(delay)
    frac = (delay - d_int)[:, None]
    d_int = d_int.long()
    fb = _exp32(-1.0 / (f * decay))[:, None]
    damp = p[:, IDX["resonator_damping_hz"]]
    a = 1 - _exp32(-2 * math.pi * damp / sample_rate)
    L = int(d_int.min().item())            # block: the shortest delay
    W = (int(d_int.max().item()) + 1 + L - 1) // L + 1  # blocks of history a tap can reach
    steps = (n + L - 1) // L
    xp = torch.nn.functional.pad(x, (0, steps * L - n))
    i = torch.arange(L, device=x.device)
    idx0 = W * L + i[None, :] - d_int[:, None]      # y[n - D] within the history window
    idx1 = idx0 - 1
    # h over a block: h = T d + (1 - a)^(i+1) h_prev, T[i, m] = a (1 - a)^(i - m), m <= i
    lag = (i[:, None] - i[None, :]).to(REAL)
    log1ma = -2 * math.pi * damp / sample_rate       # log(1 - a), exactly
    T = torch.where(lag >= 0, a[:, None, None] * torch.exp(log1ma[:, None, None] * lag.clamp(min=0)),
                    torch.zeros((), device=x.device, dtype=REAL))
    pw = torch.exp(log1ma[:, None] * (i[None, :] + 1).to(REAL))
    ys = [torch.zeros(B, L, device=x.device, dtype=REAL)] * W
    hs = []
    h_prev = torch.zeros(B, 1, device=x.device, dtype=REAL)
    for k in range(steps):
        window = torch.cat(ys[-W:], dim=1)
        d = (1 - frac) * torch.gather(window, 1, idx0) + frac * torch.gather(window, 1, idx1)
        h = torch.bmm(T, d[:, :, None])[:, :, 0] + pw * h_prev
        ys.append(xp[:, k * L:(k + 1) * L] + fb * h)
        hs.append(h)
        h_prev = h[:, -1:]
    return p[:, IDX["resonator_gain"], None] * torch.cat(hs, dim=1)[:, :n]


def _resonator_spectral(x, p, sample_rate):
    """The same comb, exactly, as a filter applied in the frequency domain: no
    recurrence, so no Python loop and one graph for torch.compile. From
    resonator.hpp, h = A T y and y = x + fb h, so
        out = gain A T / (1 - fb A T) x,   A(z) = a / (1 - (1 - a) z^-1),
        T(z) = (1 - frac) z^-D + frac z^-(D+1).
    The response is infinite, so the signal is weighted by rho^n before a
    transform of twice its length and by rho^-n after (the response evaluated
    at z^-1 = rho e^-jw): the wrapped-around tail is then rho^(2N) = 1e-12 of
    its size. In float64, where rho^-n (at most 1e6) costs nothing that float32
    would notice."""
    B, n = x.shape
    f, decay = p[:, IDX["resonator_freq_hz"]].double(), p[:, IDX["resonator_decay_s"]].double()
    delay = sample_rate / p[:, IDX["resonator_freq_hz"]]  # in float, as the C++ float model
    d_int = torch.floor(delay).double()[:, None]
    frac = (delay - torch.floor(delay)).double()[:, None]
    fb = _exp32(-1.0 / (p[:, IDX["resonator_freq_hz"]] * p[:, IDX["resonator_decay_s"]])).double()[:, None]
    a = (1 - _exp32(-2 * math.pi * p[:, IDX["resonator_damping_hz"]] / sample_rate)).double()[:, None]
    L = 1 << (2 * n - 1).bit_length()
    log_rho = math.log(1e-12) / L
    k = torch.arange(n, device=x.device, dtype=torch.float64)
    w = 2 * math.pi * torch.arange(L // 2 + 1, device=x.device, dtype=torch.float64) / L
    zinv_log = torch.complex(torch.full_like(w, log_rho), -w)[None, :]  # log(rho e^-jw)
    zinv = torch.exp(zinv_log)
    T = (1 - frac) * torch.exp(d_int * zinv_log) + frac * torch.exp((d_int + 1) * zinv_log)
    A = a / (1 - (1 - a) * zinv)
    H = p[:, IDX["resonator_gain"], None].double() * A * T / (1 - fb * A * T)
    X = torch.fft.rfft(x.double() * torch.exp(log_rho * k), L)
    y = torch.fft.irfft(X * H, L)[:, :n] * torch.exp(-log_rho * k)
    return y.to(REAL)


def source_and_noise(p, n, sample_rate, white):
    """Everything but the resonator (no recurrence left: torch.compile takes it
    whole): returns the source (transient + tones) and the noise band, [B, n]."""
    dev = p.device
    q = {name: p[:, i, None] for i, name in enumerate(NAMES)}
    t64 = torch.arange(n, device=dev, dtype=torch.float64)[None, :] / sample_rate - q["onset_s"].double()
    t = t64.to(REAL)
    ratio, sweep = q["sweep_ratio"].double(), q["sweep_s"].double()
    S = torch.where(t64 > 0, t64 + (ratio - 1) * sweep * (1 - torch.exp(-t64 / sweep)), torch.zeros_like(t64))
    env = _rise(t, q["transient_attack_s"]) * _exp32(-t / q["transient_decay_s"])
    source = q["transient_gain"] * torch.tanh(q["transient_drive"] * env *
                                              _sin_turns(q["transient_freq_hz"].double() * S))
    rise = _rise(t, q["tone_attack_s"])
    for k in range(1, N_PARTIALS + 1):
        source = source + q[f"tone{k}_gain"] * rise * _exp32(-t / q[f"tone{k}_decay_s"]) * \
            _sin_turns(q[f"tone{k}_freq_hz"].double() * S)
    a_low = 1 - _exp32(-2 * math.pi * q["noise_low_hz"][:, 0] / sample_rate)
    a_high = 1 - _exp32(-2 * math.pi * q["noise_high_hz"][:, 0] / sample_rate)
    low = _one_pole(white, a_low, q["noise_low_hz"][:, 0], sample_rate)
    band = _one_pole(white - low, a_high, q["noise_high_hz"][:, 0], sample_rate)
    noise_rise = _rise(t, q["noise_attack_s"])
    noise = q["noise_gain"] * noise_rise * _exp32(-t / q["noise_decay_s"]) * band
    # The noise bank: fixed bands of the same white noise (two-pole high-pass
    # at the lower crossover, two-pole low-pass at the upper), each with its
    # gain and decay.
    def one_pole_at(x, c_hz):
        if c_hz >= NOISE_BANK_CROSSOVERS_HZ[FIRST_BILINEAR_CROSSOVER]:
            return _bilinear_one_pole(x, c_hz, sample_rate)
        c = torch.full((x.shape[0],), c_hz, device=dev, dtype=REAL)
        return _one_pole(x, 1 - _exp32(-2 * math.pi * c / sample_rate), c, sample_rate)

    for k in range(N_NOISE_BANDS):
        x = white
        if k > 0:
            c = NOISE_BANK_CROSSOVERS_HZ[k - 1]
            x = x - one_pole_at(x, c)
            x = x - one_pole_at(x, c)
        if k < N_NOISE_BANDS - 1:
            c = NOISE_BANK_CROSSOVERS_HZ[k]
            x = one_pole_at(one_pole_at(x, c), c)
        noise = noise + q[f"noise_bank{k + 1}_gain"] * noise_rise * _exp32(-t / q[f"noise_bank{k + 1}_decay_s"]) * x
    return source, noise


def synthesize(p, n, sample_rate, white, source_and_noise_fn=source_and_noise, resonator=None):
    """p: [B, P] float32 parameters; white: [B, n] noise; returns [B, n] audio.
    resonator: _resonator_spectral (the default: exact, no loop) or _resonator
    (the time-domain block scan)."""
    source, noise = source_and_noise_fn(p, n, sample_rate, white)
    res = (resonator or _resonator_spectral)(0.5 * source, p, sample_rate)
    # The release and the gate (include/drumsynth/synth/release.hpp): 1 until a start, then a fall.
    t = (torch.arange(n, device=p.device, dtype=torch.float64)[None, :] / sample_rate
         - p[:, IDX["onset_s"], None].double()).to(REAL)
    late = torch.clamp(t - p[:, IDX["release_start_s"], None], min=0)
    # The gate is measured, not fitted: no gradient reaches its parameters (the onset's, through t, does).
    gated = torch.clamp(t - p[:, IDX["gate_start_s"], None].detach(), min=0)
    release = _exp32(-late / p[:, IDX["release_s"], None] - gated / p[:, IDX["gate_s"], None].detach())
    return release * torch.tanh(source + noise + res)


# ---- the loss (host/loss/loss_settings.cpp, host/loss/mrstft_loss.cpp) ----
def loss_preset(name):
    if name == "seed":
        return dict(resolutions=[(n, n // 4, n) for n in (16384, 8192, 4096, 2048, 1024, 512, 128, 32)],
                    a_weighting=True, rms_weight=0.25, eps=1e-8)
    if name == "auraloss":
        return dict(resolutions=[(1024, 120, 600), (2048, 240, 1200), (512, 50, 240)],
                    a_weighting=False, rms_weight=0.0, eps=1e-8)
    raise ValueError(name)


def a_weighting_taps(sample_rate, n_taps=101):
    """auraloss's FIRFilter('aw'): the analog A-weighting filter, bilinear,
    its response on 512 points, and a least-squares FIR fit."""
    import scipy.signal
    f1, f2, f3, f4, a1000 = 20.598997, 107.65265, 737.86223, 12194.217, 1.9997
    nums = [(2 * np.pi * f4) ** 2 * (10 ** (a1000 / 20)), 0, 0, 0, 0]
    dens = np.polymul([1, 4 * np.pi * f4, (2 * np.pi * f4) ** 2], [1, 4 * np.pi * f1, (2 * np.pi * f1) ** 2])
    dens = np.polymul(np.polymul(dens, [1, 2 * np.pi * f3]), [1, 2 * np.pi * f2])
    b, a = scipy.signal.bilinear(nums, dens, fs=sample_rate)
    w, h = scipy.signal.freqz(b, a, worN=512, fs=sample_rate)
    return scipy.signal.firls(n_taps, w, abs(h), fs=sample_rate)


class MrstftLoss:
    """Per-sound loss of estimates x [B, N] against targets y [B, N]."""

    def __init__(self, preset, targets, sample_rate):
        self.s = loss_preset(preset)
        self.taps = None
        if self.s["a_weighting"]:
            self.taps = torch.tensor(a_weighting_taps(sample_rate), dtype=REAL,
                                     device=targets.device)[None, None, :]
        self.windows = {r: torch.hann_window(r[2], periodic=True, device=targets.device, dtype=REAL)
                        for r in self.s["resolutions"]}
        self.rms_y = targets.pow(2).mean(dim=1).sqrt()
        self.mag_y = [self._mag(self._pre(targets), r) for r in self.s["resolutions"]]

    def _pre(self, x):
        if self.taps is None:
            return x
        return torch.nn.functional.conv1d(x[:, None, :], self.taps, padding=self.taps.shape[-1] // 2)[:, 0, :]

    def _mag(self, x, r):
        n, hop, win = r
        if x.shape[1] < n:  # short sounds: zero-extended to the FFT size (mrstft_loss.hpp)
            x = torch.nn.functional.pad(x, (0, n - x.shape[1]))
        X = torch.stft(x, n, hop, win, self.windows[r], center=True, pad_mode="reflect", return_complex=True)
        return (X.real.pow(2) + X.imag.pow(2)).clamp(min=self.s["eps"]).sqrt()

    def __call__(self, x):
        pre = self._pre(x)
        total = 0
        for r, my in zip(self.s["resolutions"], self.mag_y):
            mx = self._mag(pre, r)
            sc = (my - mx).pow(2).sum(dim=(1, 2)).sqrt() / my.pow(2).sum(dim=(1, 2)).sqrt()
            lm = (torch.log(my) - torch.log(mx)).abs().mean(dim=(1, 2))
            total = total + sc + lm
        total = total / len(self.s["resolutions"])
        if self.s["rms_weight"]:
            total = total + self.s["rms_weight"] * (x.pow(2).mean(dim=1).sqrt() - self.rms_y).pow(2)
        return total
