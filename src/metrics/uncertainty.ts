/**
 * How sure can we be of a reported figure? Pure functions, no I/O: a block-bootstrap confidence
 * interval for the Sharpe ratio, ranks against a sample, and the deflated Sharpe ratio (the chance a
 * Sharpe is real after trying several strategies), with the normal distribution they need.
 */
import { createRng } from '../util/rng.js';

/** Fewer returns than this give no interval (bootstrapSharpeCI returns null): too few to say anything. */
export const MIN_SAMPLES = 30;

/** Euler-Mascheroni constant, in the expected maximum of N normals. */
const EULER_GAMMA = 0.5772156649015329;
const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** Same rule as src/metrics/series.ts: a spread this small next to the mean is rounding noise (Sharpe 0). */
export const ZERO_SPREAD = 1e-12;

/**
 * Standard normal CDF, Phi(x) = P(Z <= x). Hart (1968) double-precision rational approximation as
 * given by G. West, "Better approximations to cumulative normal functions" (2005), computed as the
 * tail P(Z > |x|) so small values keep their relative precision (Phi(-8) = 6.22e-16, not 0):
 * absolute error about 1e-16, relative error of the tail below 1e-8 (measured against erfc).
 * 0 below -37, 1 above 37; NaN for NaN.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const z = Math.abs(x);
  let tail: number; // P(Z > |x|)
  if (z > 37) tail = 0;
  else {
    const e = Math.exp((-z * z) / 2);
    if (z < 7.07106781186547) {
      let num = 3.52624965998911e-2 * z + 0.700383064443688;
      num = num * z + 6.37396220353165;
      num = num * z + 33.912866078383;
      num = num * z + 112.079291497871;
      num = num * z + 221.213596169931;
      num = num * z + 220.206867912376;
      let den = 8.83883476483184e-2 * z + 1.75566716318264;
      den = den * z + 16.064177579207;
      den = den * z + 86.7807322029461;
      den = den * z + 296.564248779674;
      den = den * z + 637.333633378831;
      den = den * z + 793.826512519948;
      den = den * z + 440.413735824752;
      tail = (e * num) / den;
    } else {
      // Continued fraction for the far tail.
      let b = z + 0.65;
      b = z + 4 / b;
      b = z + 3 / b;
      b = z + 2 / b;
      b = z + 1 / b;
      tail = e / b / 2.506628274631;
    }
  }
  return x > 0 ? 1 - tail : tail;
}

// Acklam's rational approximation of the normal quantile (relative error < 1.15e-9 before refinement).
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/**
 * Inverse standard normal CDF, Phi^-1(p): P. J. Acklam's algorithm plus one Halley step against
 * normalCdf, which brings it to about full double precision. -Infinity at 0, +Infinity at 1, NaN
 * outside [0, 1].
 */
export function normalInv(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  let x: number;
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  } else if (p <= 1 - P_LOW) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  }
  // One Halley step on Phi(x) - p; above the median as (1 - p) - Phi(-x), which keeps the tail's digits.
  const e = p > 0.5 ? 1 - p - normalCdf(-x) : normalCdf(x) - p;
  const u = e * SQRT_2PI * Math.exp((x * x) / 2);
  if (Math.abs(x) < 37 && Number.isFinite(u)) x = x - u / (1 + (x * u) / 2); // past 37 normalCdf is flat
  return x;
}

/** Type-7 quantile (linear between order statistics, as series.ts `percentile`) of an ascending array. */
function quantileSorted(x: Float64Array, p: number): number {
  const n = x.length;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  if (lo >= n - 1) return x[n - 1];
  return x[lo] + (h - lo) * (x[lo + 1] - x[lo]);
}

/**
 * Median: the middle value of the sorted sample, the mean of the two middle values for an even
 * count (type-7 quantile at 0.5). NaN values are ignored; NaN for an empty sample.
 */
export function median(xs: ArrayLike<number>): number {
  const v: number[] = [];
  for (let i = 0; i < xs.length; i++) if (!Number.isNaN(xs[i])) v.push(xs[i]);
  if (v.length === 0) return NaN;
  return quantileSorted(Float64Array.from(v).sort(), 0.5);
}

/**
 * Percentile rank of `value` in `sample`, in [0, 1]: (count strictly below value + half the count
 * equal to it) / sample size ("mid-rank"; 0.5 when value equals the whole sample). NaN values in
 * the sample are ignored; NaN when the sample is empty or value is NaN.
 */
export function percentileRank(value: number, sample: ArrayLike<number>): number {
  if (Number.isNaN(value)) return NaN;
  let below = 0;
  let ties = 0;
  let n = 0;
  for (let i = 0; i < sample.length; i++) {
    const s = sample[i];
    if (Number.isNaN(s)) continue;
    n++;
    if (s < value) below++;
    else if (s === value) ties++;
  }
  return n === 0 ? NaN : (below + ties / 2) / n;
}

/** Default block length of the bootstrap: round(sqrt(n)), kept within [1, 50]. */
export function defaultBlock(n: number): number {
  return Math.min(50, Math.max(1, Math.round(Math.sqrt(n))));
}

/**
 * Confidence interval of the annualised Sharpe ratio by a circular moving-block bootstrap
 * (Politis & Romano 1992): each resample joins blocks of `block` consecutive returns, each block
 * starting at a uniformly drawn index and wrapping from the end to the start of the series, until
 * it holds n returns (the last block cut short). Blocks keep the serial correlation of, e.g.,
 * hourly returns that an i.i.d. bootstrap would destroy (and so understate the spread).
 *
 * Each resample's Sharpe uses the definition of series.ts `sharpe`:
 *   mean(r) / sampleStdev(r) * sqrt(periodsPerYear), 0 for a (numerically) zero spread;
 * the interval is the percentile interval: lo / hi = the (1 - level) / 2 and (1 + level) / 2
 * type-7 quantiles of the resampled Sharpes.
 *
 * Options: samples (resamples, default 1000), seed (createRng seed, default 1: the same seed gives
 * the same interval), level (default 0.95), block (default round(sqrt(n)) within [1, 50]; a given
 * block is rounded and kept within [1, n]; block = 1 is the ordinary i.i.d. bootstrap).
 * Returns null for fewer than MIN_SAMPLES returns; n = the number of returns. Throws on a
 * non-finite return or an invalid option.
 *
 * Cost: samples x n additions twice, with one random draw per block, and no allocation per
 * resample (1000 x 10 000 returns takes tens of milliseconds).
 */
export function bootstrapSharpeCI(
  returns: ArrayLike<number>,
  periodsPerYear: number,
  o: { samples?: number; seed?: number; level?: number; block?: number } = {},
): { lo: number; hi: number; n: number } | null {
  const n = returns.length;
  if (n < MIN_SAMPLES) return null;
  const samples = o.samples ?? 1000;
  const level = o.level ?? 0.95;
  const seed = o.seed ?? 1;
  if (!(periodsPerYear > 0) || !Number.isFinite(periodsPerYear)) throw new RangeError(`bootstrapSharpeCI: periodsPerYear must be > 0, got ${periodsPerYear}`);
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`bootstrapSharpeCI: samples must be a positive integer, got ${samples}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrapSharpeCI: level must be in (0, 1), got ${level}`);
  if (!Number.isFinite(seed)) throw new RangeError(`bootstrapSharpeCI: seed must be finite, got ${seed}`);
  if (o.block !== undefined && !(o.block >= 0.5 && Number.isFinite(o.block))) throw new RangeError(`bootstrapSharpeCI: block must be >= 1, got ${o.block}`);
  const block = o.block === undefined ? defaultBlock(n) : Math.min(n, Math.round(o.block));

  const src = Float64Array.from(returns);
  for (let i = 0; i < n; i++) if (!Number.isFinite(src[i])) throw new RangeError(`bootstrapSharpeCI: return ${i} is not finite (${src[i]})`);

  const blocks = Math.ceil(n / block);
  const starts = new Int32Array(blocks); // the one reused buffer: this resample's block starts
  const stats = new Float64Array(samples);
  const rng = createRng(seed);
  const ann = Math.sqrt(periodsPerYear);

  for (let s = 0; s < samples; s++) {
    for (let j = 0; j < blocks; j++) starts[j] = Math.floor(rng() * n);
    // Pass 1: the mean of the resample (summed in resample order).
    let sum = 0;
    let left = n;
    for (let j = 0; j < blocks; j++) {
      const len = left < block ? left : block;
      left -= len;
      let p = starts[j];
      for (let t = 0; t < len; t++) {
        sum += src[p];
        if (++p === n) p = 0;
      }
    }
    const m = sum / n;
    // Pass 2: the sample variance around it (divides by n - 1), as series.ts sampleStdev.
    let ss = 0;
    left = n;
    for (let j = 0; j < blocks; j++) {
      const len = left < block ? left : block;
      left -= len;
      let p = starts[j];
      for (let t = 0; t < len; t++) {
        const d = src[p] - m;
        ss += d * d;
        if (++p === n) p = 0;
      }
    }
    const sd = Math.sqrt(ss / (n - 1));
    stats[s] = sd > ZERO_SPREAD * Math.max(1, Math.abs(m)) ? (m / sd) * ann : 0;
  }
  stats.sort();
  const tail = (1 - level) / 2;
  return { lo: quantileSorted(stats, tail), hi: quantileSorted(stats, 1 - tail), n };
}

/**
 * Skewness and (raw, non-excess) kurtosis of a sample from its population moments, the inputs
 * deflatedSharpe expects: skew = m3 / m2^1.5, kurtosis = m4 / m2^2 with m_k = mean((x - mean)^k);
 * a normal sample gives about 0 and 3. { skew: 0, kurtosis: 3 } (the normal values) for fewer
 * than 2 values or a (numerically) zero spread.
 */
export function skewKurtosis(xs: ArrayLike<number>): { skew: number; kurtosis: number } {
  const n = xs.length;
  if (n < 2) return { skew: 0, kurtosis: 3 };
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i];
  const m = s / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i] - m;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  if (!(Math.sqrt(m2) > ZERO_SPREAD * Math.max(1, Math.abs(m)))) return { skew: 0, kurtosis: 3 };
  return { skew: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2) };
}

/**
 * Expected maximum of `trials` independent Sharpe estimates whose true value is 0 and whose
 * standard deviation across trials is `sharpeStd` (Bailey & Lopez de Prado 2014, after the
 * False Strategy theorem):
 *   SR0 = sharpeStd * [ (1 - g) * Phi^-1(1 - 1/N) + g * Phi^-1(1 - 1/(N e)) ],  g = Euler's 0.5772...
 * The approximation falls to -Infinity as N -> 1, where the true expected maximum (of one
 * zero-mean estimate) is 0; SR0 is therefore kept >= 0 (N = 1 gives 0). NaN for N < 1.
 */
export function expectedMaxSharpe(trials: number, sharpeStd: number): number {
  if (!(trials >= 1) || !(sharpeStd >= 0)) return NaN;
  if (trials === 1) return 0;
  const z = (1 - EULER_GAMMA) * normalInv(1 - 1 / trials) + EULER_GAMMA * normalInv(1 - 1 / (trials * Math.E));
  return Math.max(0, sharpeStd * z);
}

/**
 * Probabilistic Sharpe ratio (Bailey & Lopez de Prado 2012): the probability that the true
 * per-period Sharpe exceeds `benchmark`, given an estimate `sharpe` from n returns with this skew
 * and raw kurtosis (normal: 0, 3):
 *   PSR = Phi( (SR - SR*) * sqrt(n - 1) / sqrt(1 - skew * SR + (kurtosis - 1) / 4 * SR^2) ).
 * Sharpe values are per period (NOT annualised). NaN when n < 2, an input is not finite, or the
 * variance term is not positive (impossible moments).
 */
export function probabilisticSharpe(sharpe: number, benchmark: number, n: number, skew = 0, kurtosis = 3): number {
  if (!(n >= 2) || ![sharpe, benchmark, n, skew, kurtosis].every(Number.isFinite)) return NaN;
  const v = 1 - skew * sharpe + ((kurtosis - 1) / 4) * sharpe * sharpe;
  if (!(v > 0)) return NaN;
  return normalCdf(((sharpe - benchmark) * Math.sqrt(n - 1)) / Math.sqrt(v));
}

/**
 * Deflated Sharpe ratio (Bailey & Lopez de Prado, "The Deflated Sharpe Ratio", 2014): the
 * probability that the true Sharpe is above 0 after `trials` strategies were tried and the best
 * kept, i.e. the PSR against the Sharpe the best of `trials` worthless strategies would show by luck:
 *
 *   SR0 = sigma_SR * [ (1 - g) * Phi^-1(1 - 1/N) + g * Phi^-1(1 - 1/(N e)) ]     (expectedMaxSharpe)
 *   DSR = Phi( (SR - SR0) * sqrt(n - 1) / sqrt(1 - skew * SR + (kurtosis - 1) / 4 * SR^2) )
 *
 * with SR the observed per-period (NOT annualised) Sharpe, n the number of returns it came from,
 * N = trials (independent trials; >= 1), skew and raw kurtosis of the returns (defaults 0 and 3,
 * normal), g = 0.5772... (Euler-Mascheroni), and sigma_SR = sharpeStd, the standard deviation of
 * the per-period Sharpes across the trials. Without sharpeStd, sigma_SR = 1 / sqrt(n - 1), the
 * sampling spread of Sharpe estimates from n returns when every trial's true Sharpe is 0 (pure luck).
 * With trials = 1 this is the PSR against 0. Result in [0, 1]; NaN when it cannot be computed
 * (n < 2, trials < 1, non-finite input, impossible moments).
 *
 * Paper's example: SR = 2.5 / sqrt(250) from n = 1250 daily returns, N = 100, skew -3, kurtosis 10,
 * sigma_SR = sqrt(0.5 / 250) gives SR0 = 0.1132 and DSR = 0.9004.
 */
export function deflatedSharpe(sharpe: number, n: number, trials: number, skew = 0, kurtosis = 3, sharpeStd?: number): number {
  if (!(n >= 2) || !(trials >= 1)) return NaN;
  const sd = sharpeStd ?? 1 / Math.sqrt(n - 1);
  const sr0 = expectedMaxSharpe(trials, sd);
  if (Number.isNaN(sr0)) return NaN;
  return probabilisticSharpe(sharpe, sr0, n, skew, kurtosis);
}
