// Regression detection between two runs of the same benchmarks, stage by stage:
//   gbench_json.h        Google Benchmark JSON read into samples; runs of one binary merged
//   regression_compare.h the comparison, benchmark by benchmark, and its report (text, Markdown,
//                        JSON: regression_render.cc)
//   noise_profile.h      A/A calibration: drift between runs, resolution, false alarms
//
// Inputs are Google Benchmark JSON (--benchmark_out / --benchmark_format=json). Run with
// --benchmark_repetitions=N: every repetition is one sample.
#pragma once

#include "perf_framework/gbench_json.h"
#include "perf_framework/noise_profile.h"
#include "perf_framework/regression_compare.h"
