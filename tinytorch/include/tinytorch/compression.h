// Module 16: compression. Magnitude pruning (exact target sparsity, per layer or global),
// structured pruning that builds genuinely smaller dense layers, a CSR sparse Linear whose memory
// and time shrink with sparsity, knowledge distillation, and low-rank factorisation by SVD.
// Every size figure is measured on the stored tensors.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tinytorch/layers.h"

namespace tinytorch {

// Zeroes the weights of smallest magnitude in every Linear and Conv2d weight of `model` (biases
// are kept), exactly round(sparsity · n) of them: per layer, each weight on its own; global, one
// ranking over all weights together (layers then end up with different sparsities). Ties go to
// the lower index. Throws unless 0 <= sparsity < 1 or when the model has no such weights.
void MagnitudePrune(Module& model, double sparsity, bool global = false);

// Zero fraction of the Linear and Conv2d weights of `model` (0 when it has none).
double WeightSparsity(const Module& model);

// Bytes of the weight tensors only: Linear and Conv2d weights, or their quantized or sparse
// replacements (int8 values with scales and zero points; CSR values, column indices and row
// pointers). Biases, norms and other buffers are not weights.
int64_t WeightBytes(const Module& model);

// A new Sequential with `fraction` of the hidden units removed: for each Linear → (elementwise
// activations, Dropout) → Linear pair the output neurons of the first with the smallest L2 norm
// (incoming weights and bias) are dropped together with the matching inputs of the second; the
// same for Conv2d → (activations, pooling) → Conv2d output channels, and Conv2d → ... → Flatten →
// Linear (the Linear's input blocks per channel). The last layer's outputs are never removed.
// Layers are copied; `model` is unchanged. Throws unless 0 <= fraction < 1.
std::shared_ptr<Sequential> StructuredPrune(const Sequential& model, double fraction);

// y = x @ W + b with W stored as CSR over output rows: values (nnz) float32, column indices
// (nnz) int32 and row pointers (out + 1) int32. Built from a (pruned) Linear; inference only.
class SparseLinear : public Module {
 public:
  explicit SparseLinear(const Linear& linear);
  Tensor Forward(const Tensor& x) override;  // x (..., in) → (..., out)
  std::string ToString() const override;

  int64_t nnz() const { return values_.numel(); }
  int64_t WeightBytes() const;  // values + column indices + row pointers
  Tensor ToDense() const;       // W (in, out)

 private:
  int64_t in_features_, out_features_;
  Tensor values_, columns_, row_ptr_, bias_;
};

// Replaces every Linear of a Sequential (nested ones too) by a SparseLinear; other layers are
// shared.
std::shared_ptr<Sequential> ToSparse(const Sequential& model);

// alpha · T² · KL(softmax(teacher / T) ‖ softmax(student / T)) + (1 − alpha) · CE(student,
// labels), with the KL averaged over the batch (PyTorch's "batchmean"). The T² keeps the soft
// term's gradients on the scale of the hard term's as T grows (Hinton et al., 2015).
// student/teacher logits (B, C), labels int64 (B).
Tensor DistillationLoss(const Tensor& student_logits, const Tensor& teacher_logits,
                        const Tensor& labels, float temperature, float alpha);

struct DistillationOptions {
  float temperature = 4.f;
  float alpha = 0.7f;
  int epochs = 20;
  float lr = 3e-3f;  // Adam, cosine-decayed to 1e-4
  int64_t batch_size = 32;
  uint64_t seed = 42;
};
// Trains `student` on (x, labels) against the fixed `teacher` (run in eval mode, no gradients).
// Returns the mean loss per epoch.
std::vector<double> KnowledgeDistillation(Module& student, Module& teacher, const Tensor& x,
                                          const Tensor& labels,
                                          const DistillationOptions& options = {});

// W (in, out) ≈ A (in, rank) @ B (rank, out) from the truncated SVD (LAPACK sgesdd from
// OpenBLAS): a Sequential of Linear(in, rank, no bias) and Linear(rank, out, the original
// bias). Fewer parameters when rank < in·out / (in + out). Throws unless 1 <= rank <= min(in,
// out).
std::shared_ptr<Sequential> LowRankApproximate(const Linear& linear, int64_t rank);

}  // namespace tinytorch
