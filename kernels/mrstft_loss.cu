// The MRSTFT loss of a batch on the GPU (mrstft_loss.cuh): the stages'
// kernels (a_weighting_kernels, stft_frame_kernels, spectral_loss_kernels,
// rms_term_kernels, envelope_term_kernels; or, fused, v2/fused_stft_kernels)
// run one resolution after another, with the target's spectra made once.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>

#include "a_weighting_kernels.cuh"
#include "cuda_common.cuh"
#include "drumsynth/erb_bands.hpp"
#include "drumsynth/spectral/fir_tile.hpp"
#include "drumsynth/spectral/spectral_loss_math.hpp"
#include "envelope_term_kernels.cuh"
#include "mrstft_loss.cuh"
#include "rms_term_kernels.cuh"
#include "spectral_loss_kernels.cuh"
#include "stft_frame_kernels.cuh"
#if defined(DRUMSYNTH_HAVE_CUFFTDX)
#include "v2/fused_stft_kernels.cuh"
#include "v2/fused_stft_plan.hpp"
#endif

namespace drumsynth::cuda {

// Per resolution: the framing layout, the target's magnitudes, the per-sound
// sums and the cuFFT plans. The scratch of one evaluation (frames, spectrum,
// the estimate's magnitudes, the overlap-add buffer, cuFFT's work area) is one
// set shared by all resolutions, which run one after another: sized for the
// largest, it keeps GPU memory per sound near a single resolution's.
struct GpuMrstft::Impl {
  struct Resolution {
    StftResolution res;
    int total_frames = 0;
    DeviceBuffer<int> frame_offset, frame_instance, padded_len, padded_offset;
    std::vector<int> padded_len_host, n_frames_host;  // each instance's, for the fused plan
    DeviceBuffer<float> window, mag_y, norms;
    DeviceBuffer<double> norm_y2, sums;
    // The band-energy term (settings.w_band_log != 0): tables per distinct
    // sample rate, the target's ln(E_y + f) per cell, f per instance.
    int max_bands = 0, total_cells = 0, max_cells = 0;  // max_cells: the instance with most
    DeviceBuffer<int> rate_row, band_count, band_lo, band_of_bin, cell_offset;
    DeviceBuffer<float> log_band_y, band_floor;
    BandLayout bands() const {
      return {max_bands,     rate_row.get(),    band_count.get(),
              band_lo.get(), band_of_bin.get(), cell_offset.get()};
    }
    cufftHandle r2c = 0, c2r = 0;
    bool longest = false;  // one of the two longest FFTs, of 8192 points or more
    int max_padded = 0;
    int max_bins = 0;         // frames x bins of the instance with most
    size_t padded_total = 0;  // padded samples of the whole batch
    size_t work_bytes = 0;    // cuFFT work area its plans need
    size_t n_bins_total() const { return size_t(total_frames) * (res.fft_size / 2 + 1); }
    FrameLayout layout(const int* offset) const {
      return {
          res.fft_size,         res.hop,          res.fft_size / 2 + 1, offset, frame_offset.get(),
          frame_instance.get(), padded_len.get(), window.get()};
    }
  };
  LossSettings settings;
  int B = 0, max_n = 0;
  std::vector<int> offsets;
  DeviceBuffer<int> d_offset;
  DeviceBuffer<float> taps, pre_y, pre_x, v_pre;
  DeviceBuffer<double> ss_y, ss_x;
  // The envelope term (settings.w_env_log != 0): each instance's frame length
  // and first frame, the target's ln(E_y + f) per frame, f per instance, and
  // the estimate's per-frame dEN/dE_x (envelope_term_kernels.cuh).
  DeviceBuffer<int> env_len, env_frame_offset;
  DeviceBuffer<float> log_env_y, env_floor, env_c;
  // Its tables, from the targets (before the A-weighting, as the CPU's).
  void chain_resolution(Resolution& r, const float* pre, float inv_r, float* d_loss, bool gradient);
  void signal_terms(const float* d_x, float* d_loss, float* d_v_x);
  void make_envelope(const float* d_targets) {
    std::vector<int> len(static_cast<size_t>(B)), frame_offset(static_cast<size_t>(B) + 1, 0);
    for (int b = 0; b < B; ++b) {
      len[size_t(b)] = std::max(1, int(std::lround(settings.env_frame_s * rates[size_t(b)])));
      frame_offset[size_t(b) + 1] =
          frame_offset[size_t(b)] +
          envelope_frame_count(offsets[b + 1] - offsets[b], len[size_t(b)]);
    }
    env_len.upload(len), env_frame_offset.upload(frame_offset);
    log_env_y.resize(size_t(frame_offset.back())), env_c.resize(size_t(frame_offset.back()));
    env_floor.resize(size_t(B));
    envelope_target_kernel<<<B, kThreads>>>(d_targets, d_offset.get(), env_len.get(),
                                            env_frame_offset.get(), settings.env_range_db,
                                            log_env_y.get(), env_floor.get());
    CUDA_CHECK_LAUNCH(envelope_target_kernel);
  }
  std::vector<std::unique_ptr<Resolution>> res;
  std::vector<double> rates;  // [B] Hz, for the band term's bands
  DeviceBuffer<float> frames, mag_x, log_mag_x, v_padded, band_x;  // shared scratch
  DeviceBuffer<cufftComplex> spec;
  DeviceBuffer<char> fft_work;
  // The fused path (fused_stft_kernels.cuh): its two overlap-add parts over
  // the padded positions, the runs' partial sums, the SC part's scales.
  bool fused = false;
  Switches switches;                 // the fused kernels' plan and FFT mode
  bool folded_fft = false;           // the fused kernels' FFTs in real_mode::folded (use_fused)
  std::string plan = "cuFFT chain";  // what spectral_path says
  DeviceBuffer<float> v_rest, v_sc, run_partials, sc_scale;
#if defined(DRUMSYNTH_HAVE_CUFFTDX)
  std::vector<FusedStftArgs> fused_per_resolution;  // made once, by use_fused
#endif

  // The target through the A-weighting FIR (taps [B][kAWeightingTaps]), or as it is.
  void prefilter_target(const std::vector<std::vector<double>>& a_weighting_taps,
                        const float* d_targets) {
    const size_t total = size_t(offsets.back());
    pre_y.resize(total);
    if (!settings.a_weighting) {
      CUDA_CHECK(
          cudaMemcpy(pre_y.get(), d_targets, total * sizeof(float), cudaMemcpyDeviceToDevice));
      return;
    }
    std::vector<float> flat;
    for (const auto& instance_taps : a_weighting_taps) {
      DS_CHECK(int(instance_taps.size()) == kAWeightingTaps);
      flat.insert(flat.end(), instance_taps.begin(), instance_taps.end());
    }
    taps.upload(flat);
    a_weighting_filter(d_targets, d_offset.get(), taps.get(), max_n, B, false, pre_y.get());
  }

  // One resolution's framing layout over the batch (stft_framing.hpp), its
  // window and its forward cuFFT plan (without a work area: share_scratch
  // gives the plans one).
  static std::unique_ptr<Resolution> make_resolution(const StftResolution& rs,
                                                     const std::vector<int>& offsets) {
    auto r = std::make_unique<Resolution>();
    r->res = rs;
    const int n = rs.fft_size, bins = n / 2 + 1, n_instances = int(offsets.size()) - 1;
    std::vector<int> frame_offset{0}, frame_instance, padded_len, padded_offset{0};
    for (int b = 0; b < n_instances; ++b) {
      const int len = stft_padded_length(offsets[b + 1] - offsets[b], rs);
      const int frames = stft_frame_count(offsets[b + 1] - offsets[b], rs);
      padded_len.push_back(len);
      padded_offset.push_back(padded_offset.back() + len + n);
      frame_offset.push_back(frame_offset.back() + frames);
      for (int f = 0; f < frames; ++f) frame_instance.push_back(b);
      r->max_padded = std::max(r->max_padded, len + n);
      r->max_bins = std::max(r->max_bins, frames * bins);
    }
    r->total_frames = frame_offset.back();
    r->padded_total = size_t(padded_offset.back());
    r->frame_offset.upload(frame_offset), r->frame_instance.upload(frame_instance);
    r->padded_len.upload(padded_len), r->padded_offset.upload(padded_offset);
    r->padded_len_host = padded_len;
    for (int b = 0; b < n_instances; ++b)
      r->n_frames_host.push_back(frame_offset[size_t(b) + 1] - frame_offset[size_t(b)]);
    const std::vector<double> w = stft_window(rs);
    r->window.upload(std::vector<float>(w.begin(), w.end()));
    r->mag_y.resize(r->n_bins_total());
    r->norms.resize(size_t(4 * n_instances));
    r->norm_y2.resize(size_t(n_instances)), r->sums.resize(size_t(3 * n_instances));
    r->work_bytes = make_plan(&r->r2c, n, r->total_frames, CUFFT_R2C);
    return r;
  }
  // The inverse plan, where the chain runs the estimate's gradient.
  static void add_inverse_plan(Resolution& r) {
    r.work_bytes =
        std::max(r.work_bytes, make_plan(&r.c2r, r.res.fft_size, r.total_frames, CUFFT_C2R));
  }

  // The band term's tables of one resolution (loss_band_bins, per distinct
  // sample rate) and its cell layout over the batch.
  void make_bands(Resolution& r) const {
    const int bins = r.res.fft_size / 2 + 1;
    std::map<double, int> row_of_rate;
    std::vector<std::vector<std::pair<int, int>>> rows;
    std::vector<int> rate_row, cell_offset{0};
    for (int b = 0; b < B; ++b) {
      auto [it, added] = row_of_rate.try_emplace(rates[size_t(b)], int(rows.size()));
      if (added) rows.push_back(loss_band_bins(r.res.fft_size, rates[size_t(b)]));
      rate_row.push_back(it->second);
      const int n_frames = stft_frame_count(offsets[size_t(b) + 1] - offsets[size_t(b)], r.res);
      const int cells = n_frames * int(rows[size_t(it->second)].size());
      cell_offset.push_back(cell_offset.back() + cells);
      r.max_cells = std::max(r.max_cells, cells);
    }
    for (const auto& row : rows) r.max_bands = std::max(r.max_bands, int(row.size()));
    std::vector<int> count, lo(rows.size() * size_t(r.max_bands + 1), 0),
        of_bin(rows.size() * size_t(bins), -1);
    for (size_t i = 0; i < rows.size(); ++i) {
      count.push_back(int(rows[i].size()));
      for (size_t band = 0; band < rows[i].size(); ++band) {
        const auto [first, end] = rows[i][band];
        lo[i * size_t(r.max_bands + 1) + band] = first;
        lo[i * size_t(r.max_bands + 1) + band + 1] = end;
        for (int k = first; k < end; ++k) of_bin[i * size_t(bins) + size_t(k)] = int(band);
      }
    }
    r.total_cells = cell_offset.back();
    r.rate_row.upload(rate_row), r.band_count.upload(count), r.band_lo.upload(lo);
    r.band_of_bin.upload(of_bin), r.cell_offset.upload(cell_offset);
    r.log_band_y.resize(size_t(std::max(1, r.total_cells))), r.band_floor.resize(size_t(B));
  }

  // The scratch every resolution shares (they run one after another), sized
  // for the largest, and cuFFT's one work area. For the target's pass only
  // (the fused kernels take over after it): the frames and their spectra,
  // not the estimate's magnitudes and overlap-add buffer.
  void share_scratch(bool target_pass_only) {
    size_t max_frames = 0, max_bins = 0, max_padded_total = 0, max_work = 1, max_cells = 1;
    for (const auto& r : res) {
      max_cells = std::max(max_cells, size_t(r->total_cells));
      max_frames = std::max(max_frames, size_t(r->total_frames) * r->res.fft_size);
      max_bins = std::max(max_bins, r->n_bins_total());
      max_padded_total = std::max(max_padded_total, r->padded_total);
      max_work = std::max(max_work, r->work_bytes);
    }
    frames.resize(max_frames), spec.resize(max_bins);
    if (!target_pass_only) {
      mag_x.resize(max_bins), log_mag_x.resize(max_bins);
      v_padded.resize(max_padded_total);
      if (settings.w_band_log != 0) band_x.resize(max_cells);
    }
    fft_work.resize(max_work);
    for (auto& r : res) {
      CUFFT_CHECK(cufftSetWorkArea(r->r2c, fft_work.get()));
      if (r->c2r) CUFFT_CHECK(cufftSetWorkArea(r->c2r, fft_work.get()));
    }
  }

  // The target's clamped magnitudes and their per-sound squared norm.
  void target_bins(Resolution& r) {
    spectra(r, pre_y.get());
    r.norm_y2.zero();
    target_bins_kernel<<<per_instance_grid(r.max_bins, B), kThreads>>>(
        r.layout(d_offset.get()), spec.get(), float(settings.eps), r.mag_y.get(), r.norm_y2.get());
    CUDA_CHECK_LAUNCH(target_bins_kernel);
    if (settings.w_band_log == 0) return;
    // The target's cells: E_y, the floor from the loudest, then ln(E_y + f).
    const BandLayout K = r.bands();
    band_energy_kernel<<<per_instance_grid(r.max_cells, B), kThreads>>>(
        r.layout(d_offset.get()), K, r.mag_y.get(), r.log_band_y.get(), nullptr, nullptr, nullptr);
    CUDA_CHECK_LAUNCH(band_energy_kernel);
    band_floor_kernel<<<B, kThreads>>>(K, r.log_band_y.get(),
                                       float(std::pow(10.0, -settings.band_range_db / 10.0)),
                                       r.band_floor.get());
    CUDA_CHECK_LAUNCH(band_floor_kernel);
    band_log_kernel<<<per_instance_grid(r.max_cells, B), kThreads>>>(K, B, r.log_band_y.get(),
                                                                     r.band_floor.get());
    CUDA_CHECK_LAUNCH(band_log_kernel);
  }

#if defined(DRUMSYNTH_HAVE_CUFFTDX)
  // The fused kernel's arguments for one resolution, with runs of
  // frames_per_run frames (max_runs over the batch).
  FusedStftArgs fused_args(const Resolution& r, int frames_per_run) const {
    FusedStftArgs a;
    a.res = r.res;
    a.n_instances = B;
    a.frames_per_run = frames_per_run;
    a.folded = folded_fft;
    for (int b = 0; b < B; ++b)
      a.max_runs =
          std::max(a.max_runs, stft_run_count(r.padded_len_host[size_t(b)], r.res, frames_per_run));
    a.offset = d_offset.get(), a.frame_offset = r.frame_offset.get(),
    a.padded_len = r.padded_len.get();
    a.padded_offset = r.padded_offset.get(), a.window = r.window.get(), a.mag_y = r.mag_y.get();
    a.norm_y2 = r.norm_y2.get(), a.eps = float(settings.eps);
    a.w_sc = float(settings.w_sc), a.w_lm = float(settings.w_log_mag),
    a.w_band = float(settings.w_band_log);
    a.inv_resolutions = 1.0f / float(res.size());
    a.fast_math = switches.fused_fast_math;
    a.ola_in_memory = r.longest && switches.fused_ola_memory;
    if (settings.w_band_log != 0)
      a.bands = {r.max_bands,         r.rate_row.get(),    r.band_count.get(), r.band_lo.get(),
                 r.band_of_bin.get(), r.cell_offset.get(), r.log_band_y.get(), r.band_floor.get()};
    a.v_rest = v_rest.get(), a.v_sc = v_sc.get(), a.partials = run_partials.get(),
    a.sc_scale = sc_scale.get();
    return a;
  }

  // A resolution's run length: fused_planned_frames for this device and
  // batch, or the fixed plan's (Switches::fused_plan_fixed). At the two
  // longest FFTs, where the halo is most of the work, the plan may go down
  // to one block an SM for longer runs (Switches::fused_plan_long).
  int planned_frames(const Resolution& r) const {
    if (switches.fused_plan_fixed) return fused_frames_per_run(r.res);
    int device = 0, sms = 0;
    CUDA_CHECK(cudaGetDevice(&device));
    CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    const auto blocks_per_sm = [&](int run_frames) {
      return fused_stft_blocks_per_sm(fused_args(r, run_frames));
    };
    const int min_occupancy = r.longest && switches.fused_plan_long ? 1 : 0;
    const long long one_wave =
        (long long)sms *
        (min_occupancy ? min_occupancy : blocks_per_sm(fused_frames_per_run(r.res)));
    return fused_planned_frames(r.res, fused_stft_ffts_per_block(r.res.fft_size, folded_fft),
                                r.padded_len_host, r.n_frames_host, one_wave, blocks_per_sm,
                                min_occupancy);
  }

  // Whether the fused kernels can run this batch: every resolution's FFT
  // size built and its runs within the device's shared memory; "" if so
  // (their run lengths in fused_frames), else why not.
  std::vector<int> fused_frames;
  std::string fused_why_not() {
    folded_fft = switches.fused_fft_folded;
    fused_frames.clear();
    for (const auto& r : res) {
      const std::string n = std::to_string(r->res.fft_size);
      if (!fused_stft_supports(r->res.fft_size)) return "no fused kernel for a " + n + "-point FFT";
      fused_frames.push_back(planned_frames(*r));
      if (fused_stft_blocks_per_sm(fused_args(*r, fused_frames.back())) < 1)
        return "a " + n + "-point FFT's runs need more shared memory than the device has";
    }
    return "";
  }

  // After the target's pass: frees the cuFFT chain's scratch, which only that
  // pass needed, then takes the fused kernels' (so the two never take memory
  // together) and switches to them.
  void use_fused(const float* d_targets) {
    size_t max_runs = 1, max_padded_total = 1;
    for (size_t i = 0; i < res.size(); ++i) {
      max_runs = std::max(max_runs, size_t(fused_args(*res[i], fused_frames[i]).max_runs));
      max_padded_total = std::max(max_padded_total, res[i]->padded_total);
    }
    frames.resize(0), spec.resize(0), mag_x.resize(0), log_mag_x.resize(0), v_padded.resize(0),
        band_x.resize(0);
    fft_work.resize(0);  // the plans are not run again
    v_rest.resize(max_padded_total), v_sc.resize(max_padded_total);
    run_partials.resize(size_t(B) * max_runs * 3), sc_scale.resize(size_t(B));
    // The target's norms again, in a fixed order (the chain's add with atomics).
    for (auto& r : res) {
      ordered_sum_squares_kernel<<<B, kThreads>>>(r->mag_y.get(), r->frame_offset.get(),
                                                  r->res.fft_size / 2 + 1, r->norm_y2.get());
      CUDA_CHECK_LAUNCH(ordered_sum_squares_kernel);
    }
    ordered_sum_squares_kernel<<<B, kThreads>>>(d_targets, d_offset.get(), 1, ss_y.get());
    CUDA_CHECK_LAUNCH(ordered_sum_squares_kernel);
    plan = std::string("fused (cuFFTDx, real_mode::") + (folded_fft ? "folded" : "normal") +
           "), frames per run";
    for (size_t i = 0; i < res.size(); ++i) {
      fused_per_resolution.push_back(
          fused_args(*res[i], fused_frames[i]));  // with the buffers just made
      plan += (i ? ", " : " ") + std::to_string(fused_frames[i]) + " at " +
              std::to_string(res[i]->res.fft_size);
    }
    fused = true;
  }
#endif

  void spectra(Resolution& r, const float* x) {
    frame_kernel<<<flat_blocks(size_t(r.total_frames) * r.res.fft_size), kThreads>>>(
        r.layout(d_offset.get()), x, r.total_frames, frames.get());
    CUDA_CHECK_LAUNCH(frame_kernel);
    CUFFT_CHECK(cufftExecR2C(r.r2c, frames.get(), spec.get()));
  }
  // A plan over every frame of every instance, made once, without a work area
  // of its own; returns the work area it needs.
  static size_t make_plan(cufftHandle* plan, int n, int batch, cufftType type) {
    int dims[1] = {n};
    const int bins = n / 2 + 1;
    size_t work = 0;
    CUFFT_CHECK(cufftCreate(plan));
    CUFFT_CHECK(cufftSetAutoAllocation(*plan, 0));
    if (type == CUFFT_R2C)
      CUFFT_CHECK(
          cufftMakePlanMany(*plan, 1, dims, nullptr, 1, n, nullptr, 1, bins, type, batch, &work));
    else
      CUFFT_CHECK(
          cufftMakePlanMany(*plan, 1, dims, nullptr, 1, bins, nullptr, 1, n, type, batch, &work));
    return work;
  }
};

GpuMrstft::GpuMrstft(const LossSettings& settings, const std::vector<int>& offsets,
                     const std::vector<double>& sample_rates,
                     const std::vector<std::vector<double>>& a_weighting_taps,
                     const float* d_targets, bool fused_spectral, const Switches& switches)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.settings = settings;
  m.switches = switches;
  m.rates = sample_rates;
  m.offsets = offsets;
  m.B = int(offsets.size()) - 1;
  for (int b = 0; b < m.B; ++b) m.max_n = std::max(m.max_n, offsets[b + 1] - offsets[b]);
  m.d_offset.upload(offsets);
  const size_t total = size_t(offsets.back());
  m.pre_x.resize(total), m.v_pre.resize(total);
  m.prefilter_target(a_weighting_taps, d_targets);
  m.ss_y.resize(size_t(m.B)), m.ss_x.resize(size_t(m.B));
  m.ss_y.zero();
  sum_squares_kernel<<<per_instance_grid(m.max_n, m.B), kThreads>>>(d_targets, m.d_offset.get(),
                                                                    m.ss_y.get());
  CUDA_CHECK_LAUNCH(sum_squares_kernel);
  DS_CHECK(int(sample_rates.size()) == m.B);
  if (settings.w_env_log != 0) m.make_envelope(d_targets);
  // Whether the fused kernels take over after the target's pass is known
  // first, so the chain's plans and scratch for the estimate's gradient are
  // made only where the chain runs it.
  std::string why_not = "this build has no cuFFTDx (scripts/gpu-deps builds it in)";
  bool will_fuse = false;
  std::vector<int> sizes;
  for (const auto& rs : settings.resolutions) {
    m.res.push_back(Impl::make_resolution(rs, offsets));
    if (settings.w_band_log != 0) m.make_bands(*m.res.back());
    sizes.push_back(rs.fft_size);
  }
  std::sort(sizes.rbegin(), sizes.rend());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  for (auto& r : m.res)  // the two longest, of 8192 points or more
    r->longest = r->res.fft_size >= 8192 && (sizes.size() < 2 || r->res.fft_size >= sizes[1]);
#if defined(DRUMSYNTH_HAVE_CUFFTDX)
  if (fused_spectral) why_not = m.fused_why_not(), will_fuse = why_not.empty();
#endif
  if (!will_fuse)
    for (auto& r : m.res) Impl::add_inverse_plan(*r);
  m.share_scratch(/*target_pass_only=*/will_fuse);
  for (auto& r : m.res) m.target_bins(*r);
  m.pre_y.resize(0);  // the target is in its spectra and norms from here on
#if defined(DRUMSYNTH_HAVE_CUFFTDX)
  if (will_fuse) m.use_fused(d_targets);
#endif
  if (!fused_spectral || will_fuse) return;
  // Once per process: a batch makes a loss per GPU batch.
  static bool said = false;
  if (!why_not.empty() && !said) {
    std::fprintf(stderr, "drumsynth: the v2 kernels' loss runs the cuFFT chain: %s\n",
                 why_not.c_str());
    said = true;
  }
}

bool fused_spectral_built() {
#if defined(DRUMSYNTH_HAVE_CUFFTDX)
  return true;
#else
  return false;
#endif
}

GpuMrstft::~GpuMrstft() {
  for (auto& r : impl_->res) {
    if (r->r2c) cufftDestroy(r->r2c);
    if (r->c2r) cufftDestroy(r->c2r);
  }
}

// One resolution on the cuFFT chain: its loss into d_loss and, with
// `gradient`, its dL/d(pre-filtered estimate) added into v_pre.
void GpuMrstft::Impl::chain_resolution(Resolution& r, const float* pre, float inv_r, float* d_loss,
                                       bool gradient) {
  const auto& s = settings;
  const FrameLayout L = r.layout(d_offset.get());
  spectra(r, pre);
  r.sums.zero();
  bin_loss_kernel<<<per_instance_grid(r.max_bins, B), kThreads>>>(
      L, spec.get(), float(s.eps), r.mag_y.get(), mag_x.get(), log_mag_x.get(), r.sums.get());
  CUDA_CHECK_LAUNCH(bin_loss_kernel);
  const bool bands = s.w_band_log != 0;
  if (bands) {
    band_energy_kernel<<<per_instance_grid(r.max_cells, B), kThreads>>>(
        L, r.bands(), mag_x.get(), band_x.get(), r.log_band_y.get(), r.band_floor.get(),
        r.sums.get());
    CUDA_CHECK_LAUNCH(band_energy_kernel);
  }
  resolution_loss_kernel<<<(B + 127) / 128, 128>>>(
      B, r.frame_offset.get(), L.n_bins, bands ? r.cell_offset.get() : nullptr, r.sums.get(),
      r.norm_y2.get(), float(s.w_sc), float(s.w_log_mag), float(s.w_band_log), inv_r, d_loss,
      r.norms.get());
  CUDA_CHECK_LAUNCH(resolution_loss_kernel);
  if (!gradient) return;
  const size_t total_bins = r.n_bins_total();
  spectral_loss_vjp_kernel<<<flat_blocks(total_bins), kThreads>>>(
      L, spec.get(), float(s.eps), mag_x.get(), log_mag_x.get(), r.mag_y.get(), r.norms.get(),
      float(s.w_sc) * inv_r, float(s.w_log_mag) * inv_r,
      BandGrad{r.bands(), bands ? band_x.get() : nullptr, r.log_band_y.get(), r.band_floor.get(),
               float(s.w_band_log) * inv_r},
      total_bins);
  CUDA_CHECK_LAUNCH(spectral_loss_vjp_kernel);
  CUFFT_CHECK(cufftExecC2R(r.c2r, spec.get(), frames.get()));
  overlap_add_kernel<<<per_instance_grid(r.max_padded, B), kThreads>>>(
      L, frames.get(), r.padded_offset.get(), v_padded.get());
  CUDA_CHECK_LAUNCH(overlap_add_kernel);
  fold_kernel<<<per_instance_grid(max_n, B), kThreads>>>(L, v_padded.get(), r.padded_offset.get(),
                                                         v_pre.get());
  CUDA_CHECK_LAUNCH(fold_kernel);
}

// The terms on the signal itself (after the spectra's, in the CPU's order):
// the RMS term and the envelope term, each with its gradient into d_v_x.
void GpuMrstft::Impl::signal_terms(const float* d_x, float* d_loss, float* d_v_x) {
  const auto& s = settings;
  const dim3 grid = per_instance_grid(max_n, B);
  if (s.rms_weight != 0) {
    if (fused) {
      ordered_sum_squares_kernel<<<B, kThreads>>>(d_x, d_offset.get(), 1, ss_x.get());
      CUDA_CHECK_LAUNCH(ordered_sum_squares_kernel);
    } else {
      ss_x.zero();
      sum_squares_kernel<<<grid, kThreads>>>(d_x, d_offset.get(), ss_x.get());
      CUDA_CHECK_LAUNCH(sum_squares_kernel);
    }
    rms_term_kernel<<<grid, kThreads>>>(d_x, d_offset.get(), ss_x.get(), ss_y.get(),
                                        float(s.rms_weight), d_loss, d_v_x);
    CUDA_CHECK_LAUNCH(rms_term_kernel);
  }
  if (s.w_env_log != 0) {
    envelope_term_kernel<<<B, kThreads>>>(d_x, d_offset.get(), env_len.get(),
                                          env_frame_offset.get(), log_env_y.get(), env_floor.get(),
                                          float(s.w_env_log), d_loss, env_c.get());
    CUDA_CHECK_LAUNCH(envelope_term_kernel);
    if (d_v_x) {
      envelope_grad_kernel<<<grid, kThreads>>>(d_x, d_offset.get(), env_len.get(),
                                               env_frame_offset.get(), env_c.get(), d_v_x);
      CUDA_CHECK_LAUNCH(envelope_grad_kernel);
    }
  }
}

void GpuMrstft::evaluate(const float* d_x, float* d_loss, float* d_v_x) {
  Impl& m = *impl_;
  const auto& s = m.settings;
  const float* pre = d_x;
  if (s.a_weighting) {
    a_weighting_filter(d_x, m.d_offset.get(), m.taps.get(), m.max_n, m.B, false, m.pre_x.get());
    pre = m.pre_x.get();
  }
  CUDA_CHECK(cudaMemsetAsync(d_loss, 0, size_t(m.B) * sizeof(float), cudaStreamPerThread));
  if (d_v_x) m.v_pre.zero();
  const float inv_r = 1.0f / float(m.res.size());
  for (size_t i = 0; i < m.res.size(); ++i) {
#if defined(DRUMSYNTH_HAVE_CUFFTDX)
    if (m.fused) {
      fused_stft_resolution(m.fused_per_resolution[i], pre, d_loss,
                            d_v_x ? m.v_pre.get() : nullptr);
      continue;
    }
#endif
    m.chain_resolution(*m.res[i], pre, inv_r, d_loss, d_v_x != nullptr);
  }
  if (d_v_x) {
    if (s.a_weighting) {
      a_weighting_filter(m.v_pre.get(), m.d_offset.get(), m.taps.get(), m.max_n, m.B, true, d_v_x);
    } else {
      CUDA_CHECK(cudaMemcpyAsync(d_v_x, m.v_pre.get(), m.v_pre.size() * sizeof(float),
                                 cudaMemcpyDeviceToDevice, cudaStreamPerThread));
    }
  }
  m.signal_terms(d_x, d_loss, d_v_x);
}

size_t GpuMrstft::device_bytes() const {
  const Impl& m = *impl_;
  size_t bytes = (m.pre_x.size() + m.pre_y.size() + m.v_pre.size() + m.frames.size() +
                  m.mag_x.size() + m.log_mag_x.size() + m.v_padded.size()) *
                     sizeof(float) +
                 m.spec.size() * sizeof(cufftComplex) + m.fft_work.size() +
                 (m.band_x.size() + m.log_env_y.size() + m.env_c.size()) * sizeof(float);
  for (const auto& r : m.res) bytes += (r->mag_y.size() + r->log_band_y.size()) * sizeof(float);
  bytes +=
      (m.v_rest.size() + m.v_sc.size() + m.run_partials.size() + m.sc_scale.size()) * sizeof(float);
  return bytes;
}

bool GpuMrstft::fused() const { return impl_->fused; }

const std::string& GpuMrstft::spectral_path() const { return impl_->plan; }

}  // namespace drumsynth::cuda
