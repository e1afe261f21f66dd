// Module 16: pruning, sparse storage, distillation and low-rank factorisation.
#include "tinytorch/compression.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tensor_internal.h"
#include "tinytorch/autograd.h"
#include "tinytorch/convolutions.h"
#include "tinytorch/data.h"
#include "tinytorch/embeddings.h"
#include "tinytorch/losses.h"
#include "tinytorch/optimizers.h"
#include "tinytorch/quantization.h"
#include "tinytorch/training.h"

// LAPACK's divide-and-conquer SVD, exported by Debian's OpenBLAS (column-major, Fortran ABI).
extern "C" void sgesdd_(const char* jobz, const int* m, const int* n, float* a, const int* lda,
                        float* s, float* u, const int* ldu, float* vt, const int* ldvt, float* work,
                        const int* lwork, int* iwork, int* info);

namespace tinytorch {

namespace {

// Every Linear and Conv2d weight under `model`, depth first.
void CollectWeights(const Module& model, std::vector<Tensor>& out) {
  if (const auto* l = dynamic_cast<const Linear*>(&model)) out.push_back(l->weight());
  if (const auto* c = dynamic_cast<const Conv2d*>(&model)) out.push_back(c->weight());
  for (const auto& [name, child] : model.NamedChildren()) CollectWeights(*child, out);
}

// Zeroes the `count` entries of smallest |value| among `entries` (ties: lower position first).
struct Entry {
  float* value;
  float magnitude;
  int64_t position;
};
void ZeroSmallest(std::vector<Entry>& entries, int64_t count) {
  if (count <= 0) return;
  const auto less = [](const Entry& a, const Entry& b) {
    return a.magnitude < b.magnitude || (a.magnitude == b.magnitude && a.position < b.position);
  };
  std::nth_element(entries.begin(), entries.begin() + (count - 1), entries.end(), less);
  for (int64_t i = 0; i < count; ++i) *entries[i].value = 0.f;
}

std::vector<Entry> EntriesOf(const Tensor& weight, int64_t first_position) {
  TT_CHECK(weight.is_contiguous(), "MagnitudePrune: weight ", weight.shape(), " is not contiguous");
  std::vector<Entry> entries;
  float* p = weight.data<float>();
  for (int64_t i = 0; i < weight.numel(); ++i)
    entries.push_back({p + i, std::fabs(p[i]), first_position + i});
  return entries;
}

}  // namespace

void MagnitudePrune(Module& model, double sparsity, bool global) {
  TT_CHECK(sparsity >= 0.0 && sparsity < 1.0, "MagnitudePrune: sparsity ", sparsity,
           " must be in [0, 1)");
  std::vector<Tensor> weights;
  CollectWeights(model, weights);
  TT_CHECK(!weights.empty(), "MagnitudePrune: ", model.ToString(),
           " has no Linear or Conv2d weights");
  const NoGradGuard no_grad;
  const auto target = [&](int64_t n) {
    return static_cast<int64_t>(std::llround(sparsity * static_cast<double>(n)));
  };
  if (!global) {
    for (const Tensor& w : weights) {
      std::vector<Entry> entries = EntriesOf(w, 0);
      ZeroSmallest(entries, target(w.numel()));
    }
    return;
  }
  std::vector<Entry> all;
  for (const Tensor& w : weights) {
    std::vector<Entry> e = EntriesOf(w, static_cast<int64_t>(all.size()));
    all.insert(all.end(), e.begin(), e.end());
  }
  ZeroSmallest(all, target(static_cast<int64_t>(all.size())));
}

double WeightSparsity(const Module& model) {
  std::vector<Tensor> weights;
  CollectWeights(model, weights);
  int64_t zeros = 0, total = 0;
  for (const Tensor& w : weights) {
    const Tensor c = w.Contiguous();
    const float* p = c.data<float>();
    for (int64_t i = 0; i < c.numel(); ++i) zeros += p[i] == 0.f;
    total += c.numel();
  }
  return total == 0 ? 0.0 : static_cast<double>(zeros) / static_cast<double>(total);
}

int64_t WeightBytes(const Module& model) {
  int64_t bytes = 0;
  if (const auto* q = dynamic_cast<const QuantizedLayer*>(&model)) {
    bytes += q->WeightBytes();
  } else if (const auto* s = dynamic_cast<const SparseLinear*>(&model)) {
    bytes += s->WeightBytes();
  } else if (const auto* l = dynamic_cast<const Linear*>(&model)) {
    bytes += l->weight().numel() * static_cast<int64_t>(sizeof(float));
  } else if (const auto* c = dynamic_cast<const Conv2d*>(&model)) {
    bytes += c->weight().numel() * static_cast<int64_t>(sizeof(float));
  }
  for (const auto& [name, child] : model.NamedChildren()) bytes += WeightBytes(*child);
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Structured pruning.

namespace {

// t with only the given indices along `dim` (0 or 1), packed.
Tensor Take(const Tensor& t, int64_t dim, const std::vector<int64_t>& indices) {
  const Tensor src = dim == 0 ? t.Detach() : t.Detach().Transpose(0, 1);
  std::vector<Tensor> rows;
  for (int64_t i : indices) rows.push_back(src.Select(0, i));
  const Tensor out = Stack(rows);
  return dim == 0 ? out : out.Transpose(0, 1).Contiguous();
}

std::shared_ptr<Linear> MakeLinear(const Tensor& w, const Tensor& b) {
  Generator gen(0);
  auto l = std::make_shared<Linear>(w.size(0), w.size(1), gen, b.defined());
  const NoGradGuard no_grad;
  l->weight().Detach().CopyFrom(w);
  if (b.defined()) l->bias().Detach().CopyFrom(b);
  return l;
}

std::shared_ptr<Conv2d> MakeConv(const Conv2d& like, const Tensor& w, const Tensor& b) {
  Generator gen(0);
  auto c = std::make_shared<Conv2d>(w.size(1), w.size(0), like.kernel(), gen, like.stride(),
                                    like.padding(), b.defined());
  const NoGradGuard no_grad;
  c->weight().Detach().CopyFrom(w);
  if (b.defined()) c->bias().Detach().CopyFrom(b);
  return c;
}

bool PassesUnits(const Module& m, bool conv) {
  if (dynamic_cast<const ReLULayer*>(&m) || dynamic_cast<const SigmoidLayer*>(&m) ||
      dynamic_cast<const TanhLayer*>(&m) || dynamic_cast<const GELULayer*>(&m) ||
      dynamic_cast<const Dropout*>(&m) || dynamic_cast<const Identity*>(&m)) {
    return true;
  }
  return conv && (dynamic_cast<const MaxPool2d*>(&m) || dynamic_cast<const AvgPool2d*>(&m) ||
                  dynamic_cast<const Flatten*>(&m));
}

// The indices of the `keep` units with the largest squared norm, in ascending index order.
std::vector<int64_t> Strongest(const std::vector<double>& norms, int64_t keep) {
  std::vector<int64_t> order(norms.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return norms[a] > norms[b]; });
  order.resize(static_cast<size_t>(keep));
  std::sort(order.begin(), order.end());
  return order;
}

std::vector<double> UnitNorms(const Tensor& w_units_first, const Tensor& bias) {
  const Tensor w = w_units_first.Detach().Contiguous();
  const int64_t units = w.size(0), per = w.numel() / units;
  std::vector<double> norms(static_cast<size_t>(units), 0.0);
  for (int64_t u = 0; u < units; ++u) {
    for (int64_t i = 0; i < per; ++i)
      norms[u] += double{w.data<float>()[u * per + i]} * w.data<float>()[u * per + i];
    if (bias.defined()) norms[u] += double{bias.data<float>()[u]} * bias.data<float>()[u];
  }
  return norms;
}

}  // namespace

std::shared_ptr<Sequential> StructuredPrune(const Sequential& model, double fraction) {
  TT_CHECK(fraction >= 0.0 && fraction < 1.0, "StructuredPrune: fraction ", fraction,
           " must be in [0, 1)");
  std::vector<std::shared_ptr<Module>> layers = model.layers();
  for (size_t i = 0; i < layers.size(); ++i) {
    auto* linear = dynamic_cast<Linear*>(layers[i].get());
    auto* conv = dynamic_cast<Conv2d*>(layers[i].get());
    if (!linear && !conv) continue;
    size_t j = i + 1;
    while (j < layers.size() && PassesUnits(*layers[j], conv != nullptr)) ++j;
    if (j == layers.size()) continue;
    auto* next_linear = dynamic_cast<Linear*>(layers[j].get());
    auto* next_conv = dynamic_cast<Conv2d*>(layers[j].get());
    if (!next_linear && !(conv && next_conv)) continue;
    const Tensor w = linear ? linear->weight().Detach().Transpose(0, 1) : conv->weight().Detach();
    const Tensor b = linear ? linear->bias() : conv->bias();
    const int64_t units = w.size(0);
    const int64_t keep =
        std::max<int64_t>(1, units - std::llround(fraction * static_cast<double>(units)));
    const std::vector<int64_t> kept = Strongest(UnitNorms(w, b), keep);
    const Tensor kept_b =
        b.defined() ? Take(b.Detach().Unsqueeze(1), 0, kept).Squeeze(1) : Tensor();
    layers[i] = linear
                    ? std::shared_ptr<Module>(MakeLinear(Take(linear->weight(), 1, kept), kept_b))
                    : MakeConv(*conv, Take(conv->weight(), 0, kept), kept_b);
    if (next_conv) {
      layers[j] =
          MakeConv(*next_conv, Take(next_conv->weight(), 1, kept), next_conv->bias().Detach());
    } else {
      // After a Flatten, each channel feeds a block of in_features / channels inputs.
      const int64_t block = next_linear->in_features() / units;
      TT_CHECK(block * units == next_linear->in_features(),
               "StructuredPrune: ", next_linear->ToString(),
               " does not take a whole number of inputs per unit of ", layers[i]->ToString());
      std::vector<int64_t> rows;
      for (int64_t u : kept) {
        for (int64_t t = 0; t < block; ++t) rows.push_back(u * block + t);
      }
      layers[j] =
          MakeLinear(Take(next_linear->weight(), 0, rows),
                     next_linear->bias().defined() ? next_linear->bias().Detach() : Tensor());
    }
  }
  return std::make_shared<Sequential>(layers);
}

// ---------------------------------------------------------------------------------------------
// CSR sparse Linear.

SparseLinear::SparseLinear(const Linear& linear)
    : in_features_(linear.in_features()), out_features_(linear.out_features()) {
  const Tensor wt = linear.weight().Detach().Transpose(0, 1).Contiguous();  // (out, in)
  const float* w = wt.data<float>();
  std::vector<float> values;
  std::vector<int64_t> columns, row_ptr{0};
  for (int64_t j = 0; j < out_features_; ++j) {
    for (int64_t i = 0; i < in_features_; ++i) {
      if (w[j * in_features_ + i] != 0.f) {
        values.push_back(w[j * in_features_ + i]);
        columns.push_back(i);
      }
    }
    row_ptr.push_back(static_cast<int64_t>(values.size()));
  }
  TT_CHECK(in_features_ <= INT32_MAX && row_ptr.back() <= INT32_MAX,
           "SparseLinear: ", linear.ToString(), " is too large for 32-bit indices");
  const auto nnz = static_cast<int64_t>(values.size());
  values_ = RegisterBuffer("values", Tensor::FromData(values, {nnz}));
  columns_ = RegisterBuffer("columns", Tensor::Zeros({nnz}, DType::kInt32));
  row_ptr_ = RegisterBuffer("row_ptr", Tensor::Zeros({out_features_ + 1}, DType::kInt32));
  for (int64_t p = 0; p < nnz; ++p) columns_.data<int32_t>()[p] = static_cast<int32_t>(columns[p]);
  for (int64_t j = 0; j <= out_features_; ++j)
    row_ptr_.data<int32_t>()[j] = static_cast<int32_t>(row_ptr[j]);
  if (linear.bias().defined()) bias_ = RegisterBuffer("bias", linear.bias().Detach().Clone());
}

int64_t SparseLinear::WeightBytes() const {
  return nnz() * static_cast<int64_t>(sizeof(float) + sizeof(int32_t)) +
         (out_features_ + 1) * static_cast<int64_t>(sizeof(int32_t));
}

// y[r, j] = b[j] + Σ_{p in row j} values[p] · x[r, columns[p]]. One row of x: a gather per
// nonzero, with the row in L1. Several rows: x is transposed once so each nonzero becomes an
// axpy over the batch (unit stride, vectorised), and the CSR arrays are read once, not per row.
Tensor SparseLinear::Forward(const Tensor& x) {
  const char* op = "SparseLinear";
  internal::CheckFloat(x, op);
  TT_CHECK(x.dim() >= 1 && x.size(-1) == in_features_, op, ": input ", x.shape(),
           " must end in in_features=", in_features_);
  const Tensor xc = x.Contiguous();
  const int64_t rows = xc.numel() / in_features_;
  Shape out_shape = x.shape();
  out_shape.back() = out_features_;
  Tensor out = internal::EmptyLike(out_shape);
  const float* v = values_.data<float>();
  const int32_t* col = columns_.data<int32_t>();
  const int32_t* ptr = row_ptr_.data<int32_t>();
  const float* b = bias_.defined() ? bias_.data<float>() : nullptr;
  float* y = out.data<float>();
  if (rows < 8) {
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = xc.data<float>() + r * in_features_;
      for (int64_t j = 0; j < out_features_; ++j) {
        float acc = b ? b[j] : 0.f;
        for (int32_t p = ptr[j]; p < ptr[j + 1]; ++p) acc += v[p] * xr[col[p]];
        y[r * out_features_ + j] = acc;
      }
    }
    return out;
  }
  const Tensor xt = xc.View({rows, in_features_}).Transpose(0, 1).Contiguous();  // (in, rows)
  std::vector<float> acc(static_cast<size_t>(rows));
  for (int64_t j = 0; j < out_features_; ++j) {
    std::fill(acc.begin(), acc.end(), b ? b[j] : 0.f);
    for (int32_t p = ptr[j]; p < ptr[j + 1]; ++p) {
      const float* xs = xt.data<float>() + int64_t{col[p]} * rows;
      const float w = v[p];
      for (int64_t r = 0; r < rows; ++r) acc[r] += w * xs[r];
    }
    for (int64_t r = 0; r < rows; ++r) y[r * out_features_ + j] = acc[r];
  }
  return out;
}

Tensor SparseLinear::ToDense() const {
  Tensor w = Tensor::Zeros({in_features_, out_features_});
  for (int64_t j = 0; j < out_features_; ++j) {
    for (int32_t p = row_ptr_.data<int32_t>()[j]; p < row_ptr_.data<int32_t>()[j + 1]; ++p) {
      w.data<float>()[columns_.data<int32_t>()[p] * out_features_ + j] = values_.data<float>()[p];
    }
  }
  return w;
}

std::string SparseLinear::ToString() const {
  const double density =
      static_cast<double>(nnz()) / static_cast<double>(in_features_ * out_features_);
  return "SparseLinear(in_features=" + std::to_string(in_features_) +
         ", out_features=" + std::to_string(out_features_) + ", nnz=" + std::to_string(nnz()) +
         ", density=" + std::to_string(density) + ")";
}

std::shared_ptr<Sequential> ToSparse(const Sequential& model) {
  auto out = std::make_shared<Sequential>();
  for (const std::shared_ptr<Module>& layer : model.layers()) {
    if (const auto* linear = dynamic_cast<const Linear*>(layer.get())) {
      out->Add(std::make_shared<SparseLinear>(*linear));
    } else if (const auto* inner = dynamic_cast<const Sequential*>(layer.get())) {
      out->Add(ToSparse(*inner));
    } else {
      out->Add(layer);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Knowledge distillation.

Tensor DistillationLoss(const Tensor& student_logits, const Tensor& teacher_logits,
                        const Tensor& labels, float temperature, float alpha) {
  const char* op = "DistillationLoss";
  TT_CHECK(temperature > 0 && std::isfinite(temperature), op, ": temperature ", temperature,
           " must be positive");
  TT_CHECK(alpha >= 0 && alpha <= 1, op, ": alpha ", alpha, " must be in [0, 1]");
  TT_CHECK(student_logits.dim() == 2 && student_logits.shape() == teacher_logits.shape(), op,
           ": student logits ", student_logits.shape(), " and teacher logits ",
           teacher_logits.shape(), " must be the same (B, C)");
  const Tensor log_p_student = LogSoftmax(student_logits / temperature, 1);
  const Tensor log_p_teacher = LogSoftmax(teacher_logits.Detach() / temperature, 1);
  const Tensor kl = (Exp(log_p_teacher) * (log_p_teacher - log_p_student)).Sum() /
                    static_cast<float>(student_logits.size(0));
  const Tensor hard = CrossEntropyLoss()(student_logits, labels);
  return kl * (alpha * temperature * temperature) + hard * (1.f - alpha);
}

std::vector<double> KnowledgeDistillation(Module& student, Module& teacher, const Tensor& x,
                                          const Tensor& labels,
                                          const DistillationOptions& options) {
  TT_CHECK(options.epochs > 0 && options.batch_size > 0, "KnowledgeDistillation: epochs ",
           options.epochs, " and batch_size ", options.batch_size, " must be positive");
  Tensor teacher_logits;
  {
    const NoGradGuard no_grad;
    teacher.Eval();
    teacher_logits = teacher(x);
  }
  // The dataset's targets are sample indices, so each batch can fetch its labels and teacher
  // logits (computed once above) by row.
  const int64_t n = x.size(0);
  std::vector<int64_t> ids(static_cast<size_t>(n));
  std::iota(ids.begin(), ids.end(), 0);
  auto dataset = std::make_shared<TensorDataset>(x, Tensor::FromData(ids, {n}));
  DataLoader loader(dataset,
                    {.batch_size = options.batch_size, .shuffle = true, .seed = options.seed});
  Adam optimizer(student.Parameters(), {.lr = options.lr});
  const CosineSchedule schedule(options.lr, 1e-4f, options.epochs * loader.NumBatches());
  TT_CHECK(labels.dtype() == DType::kInt64 && labels.dim() == 1 && labels.size(0) == x.size(0),
           "KnowledgeDistillation: labels ", labels.shape(), " must be int64 (", x.size(0), ")");
  const Tensor label_values = labels.Contiguous();
  const int64_t* all_labels = label_values.data<int64_t>();
  student.Train();
  std::vector<double> epoch_loss;
  int64_t step = 0;
  for (int e = 0; e < options.epochs; ++e) {
    double sum = 0.0;
    int64_t seen = 0;
    for (const Batch& batch : loader) {
      optimizer.set_lr(schedule.LearningRate(step++));
      optimizer.ZeroGrad();
      std::vector<int64_t> picked;
      for (int64_t i = 0; i < batch.targets.numel(); ++i) {
        picked.push_back(all_labels[batch.targets.data<int64_t>()[i]]);
      }
      const Tensor batch_labels = Tensor::FromData(picked, {batch.targets.numel()});
      const Tensor loss =
          DistillationLoss(student(batch.inputs), EmbeddingLookup(teacher_logits, batch.targets),
                           batch_labels, options.temperature, options.alpha);
      loss.Backward();
      optimizer.Step();
      sum += loss.item() * static_cast<double>(batch.inputs.size(0));
      seen += batch.inputs.size(0);
    }
    epoch_loss.push_back(sum / static_cast<double>(seen));
  }
  student.Eval();
  return epoch_loss;
}

// ---------------------------------------------------------------------------------------------
// Low-rank factorisation.

std::shared_ptr<Sequential> LowRankApproximate(const Linear& linear, int64_t rank) {
  const int64_t in = linear.in_features(), out = linear.out_features();
  TT_CHECK(rank >= 1 && rank <= std::min(in, out), "LowRankApproximate: rank ", rank,
           " must be in [1, ", std::min(in, out), "] for ", linear.ToString());
  // Row-major W (in, out) is column-major Wᵀ (out, in) = U Σ Vᵀ, so W = V Σ Uᵀ.
  std::vector<float> a = linear.weight().Detach().Contiguous().ToVector();
  const int m = static_cast<int>(out), n = static_cast<int>(in), k = std::min(m, n);
  std::vector<float> s(k), u(static_cast<size_t>(m) * k), vt(static_cast<size_t>(k) * n);
  std::vector<int> iwork(8 * static_cast<size_t>(k));
  int info = 0, lwork = -1;
  float query = 0;
  sgesdd_("S", &m, &n, a.data(), &m, s.data(), u.data(), &m, vt.data(), &k, &query, &lwork,
          iwork.data(), &info);
  lwork = static_cast<int>(query);
  std::vector<float> work(static_cast<size_t>(std::max(lwork, 1)));
  sgesdd_("S", &m, &n, a.data(), &m, s.data(), u.data(), &m, vt.data(), &k, work.data(), &lwork,
          iwork.data(), &info);
  TT_CHECK(info == 0, "LowRankApproximate: LAPACK sgesdd failed (info ", info, ") for ",
           linear.ToString());
  std::vector<float> first(static_cast<size_t>(in * rank)), second(static_cast<size_t>(rank * out));
  for (int64_t i = 0; i < in; ++i) {
    for (int64_t r = 0; r < rank; ++r) first[i * rank + r] = vt[r + i * k] * s[r];  // V Σ
  }
  for (int64_t r = 0; r < rank; ++r) {
    for (int64_t o = 0; o < out; ++o) second[r * out + o] = u[o + r * m];  // Uᵀ
  }
  return std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
      MakeLinear(Tensor::FromData(first, {in, rank}), Tensor()),
      MakeLinear(Tensor::FromData(second, {rank, out}),
                 linear.bias().defined() ? linear.bias().Detach() : Tensor())});
}

}  // namespace tinytorch
